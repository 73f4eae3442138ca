"""Shared fixtures: the demo sites served for real on 127.0.0.1, and real `scrapy crawl` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler.demo.server import MANIFEST, DemoServer, copy_sites

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXPECTED_DIR = REPO / "tests" / "fixtures" / "seeds"

# Crawl fast against our own loopback servers; politeness settings are tested on their own.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]


def expected_records() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXPECTED_DIR.glob("*.json"))]


def project_crawler(**overrides):
    """A Crawler (not crawling) with the project's settings, as `scrapy crawl` builds it: its
    add-on applied, its components' defaults read from crawler/settings.py alone."""
    from scrapy.utils.test import get_crawler

    from crawler import settings as module

    project = {name: getattr(module, name) for name in dir(module) if name.isupper()}
    project.pop("TWISTED_REACTOR")  # get_crawler picks the test's reactor
    project.pop("DOWNLOAD_HANDLERS")
    return get_crawler(settings_dict={**project, **overrides})


def manifest() -> list[dict]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["sites"]


def scrapy_crawl(*args: str, db: Path, cwd: Path = REPO, wait: bool = True):
    """A real `scrapy crawl site …` process: its output once it has finished successfully,
    or the running process with ``wait=False``."""
    # A test's own -s options come last, so they win over FAST.
    command = [str(BIN / "scrapy"), "crawl", "site", *FAST, "-s", f"ARCHIVE_DB={db}", *args]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        return finish(process)
    return process


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    return output


@pytest.fixture
def sites_copy(tmp_path) -> Path:
    """An editable copy of the demo sites."""
    return copy_sites(tmp_path / "served-sites")


@pytest.fixture
def demo_server(sites_copy):
    with DemoServer(sites_copy) as server:
        yield server


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory):
    """All demo sites crawled once by real `scrapy crawl` processes, in parallel, each also
    exporting its items as a feed (`-O site.jsonl`: tests/test_record_schema.py reads them)."""
    root = copy_sites(tmp_path_factory.mktemp("demo") / "sites")
    db = root.parent / "archive.db"
    with DemoServer(root) as server:
        feeds = {name: root.parent / f"{name}.jsonl" for name in server.sites}
        processes = [
            scrapy_crawl("-a", f"url={site.list_url}", "-O", str(feeds[name]), db=db, wait=False)
            for name, site in server.sites.items()
        ]
        outputs = [finish(p) for p in processes]
        yield {"db": db, "server": server, "outputs": outputs, "feeds": feeds}


# The longest files, longest first (`--durations` of whole-suite runs, summed by file): given out
# first, they do not leave one worker finishing a long file alone while the other has none left.
LONGEST_FILES = [
    "test_docs.py",
    "test_queue.py",
    "test_queue_faults.py",
    "test_demo_crawl.py",
    "test_cms_sites.py",
    "test_metrics.py",
    "test_cli.py",
    "test_crash_resume.py",
    "test_health.py",
]


def pytest_collection_modifyitems(items):
    """The files with real crawls and servers (marked e2e) first, the longest of them (LONGEST_FILES)
    before the others, each file's tests kept together and in order: with `make test`'s
    `--dist loadfile --no-loadscope-reorder` the xdist workers take the long files first and the
    quick ones fill in at the end, so both finish together (xdist's own order, most tests first,
    left a long file with few tests for the end)."""
    heavy = {item.path for item in items if item.get_closest_marker("e2e")}

    def order(item) -> tuple[bool, int]:
        name = item.path.name
        return item.path not in heavy, LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)

    items.sort(key=order)  # stable: files stay whole and in order
