# The two commands of the README:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint setup setup-test chromium fonts redis pywb sqlite3 browse clean

demo: setup                ## set up, then crawl the bundled offline demo into archive.db
	$(BIN)/govnews demo --db archive.db

# One pytest worker per core (pytest-xdist); a file's tests stay on one worker, which starts its
# servers once (more workers than cores gain nothing: the suite is CPU-bound). The
# files in the order tests/conftest.py gives (those with real crawls first), not xdist's.
PYTEST_WORKERS ?= 2

test: setup-test chromium fonts redis pywb sqlite3 lint  ## set up, lint and type-check, then run the whole test suite
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: setup-test redis lint  ## the pure stages, the archive and the queue's parts (no crawl, no browser): about a minute
	$(BIN)/python -m pytest -m "not e2e and not browser"

lint: setup-test           ## ruff (lint, format) everywhere; mypy on the pure stages and the archive
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --ignore-requires-python -e '.[benchmark]'
	@# py_asciimath (magic-html's dependency) installs its own top-level `tests` package, which
	@# would hide the project's tests/support from pytest: remove it.
	$(BIN)/python -c "import importlib.metadata as m, shutil; d = m.distribution('py_asciimath'); any(f.parts[0] == 'tests' for f in d.files or ()) and shutil.rmtree(d.locate_file('tests'), ignore_errors=True)"

# Playwright cannot download its own browser here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

# Without a CJK font Chromium draws Chinese as empty boxes: the UI tests check what a person sees.
fonts:
	@fc-list :lang=zh family 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq fonts-wqy-zenhei; fi; }

# The scale-out tests start their own Redis servers on 127.0.0.1: Debian's redis-server.
redis:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server; fi; }

# pywb pins old dependencies: its own virtualenv, for the replay test of the WARC export
# (tests/test_export.py starts `wayback` on 127.0.0.1 with a collection made from the export).
PYWB_VENV ?= .venv-pywb
pywb: $(PYWB_VENV)/bin/wayback
$(PYWB_VENV)/bin/wayback:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install --quiet pywb

# tests/test_docs.py runs the docs' `sqlite3 archive.db "select …"` examples: Debian's sqlite3.
sqlite3:
	@command -v sqlite3 >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq sqlite3; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq sqlite3; fi; }

browse:
	$(BIN)/govnews browse --db archive.db

clean:
	rm -rf $(VENV) $(PYWB_VENV) *.egg-info archive.db archive.db-wal archive.db-shm
