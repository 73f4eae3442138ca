"""A stage worker starts without the crawl framework: the crawl's own pool (pipelines/stages.py),
spawned from a real process whose main script imports Scrapy as the `scrapy` console script does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# No `if __name__ == "__main__"` guard, as in a console script: a worker that ran this file again
# would try to start a pool of its own while it starts, and multiprocessing refuses that.
CRAWL_LIKE_MAIN = """
from scrapy.cmdline import execute  # the `scrapy` console script's first line

import asyncio
import json

from pipelines.stages import StageWorkers

# what the worker has imported, and the file its __main__ ran (None: only multiprocessing's own)
WORKER_STATE = (
    "[sorted(__import__('sys').modules), getattr(__import__('sys').modules['__main__'], '__file__', None)]"
)


async def worker_modules():
    workers = StageWorkers(1).acquire()
    try:
        return await workers.run(eval, WORKER_STATE)
    finally:
        workers.release()


print(json.dumps(asyncio.run(worker_modules())))
"""


def test_a_stage_worker_imports_neither_scrapy_nor_the_crawl_main(tmp_path):
    main = tmp_path / "crawl_like_main.py"
    main.write_text(CRAWL_LIKE_MAIN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(main)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    modules, main_file = json.loads(done.stdout)
    modules = set(modules)
    frameworks = {"scrapy", "scrapy_playwright", "twisted", "sqlite_utils"}
    assert {m for m in modules if m.split(".")[0] in frameworks} == set()
    assert main_file is None  # the crawl's main script was not run again
    # the worker did start as a stage worker: the stages and their segmenter are loaded
    assert {"pipelines.extract", "pipelines.enrich", "rjieba"} <= modules


def test_the_crawl_process_leaves_the_stages_code_to_its_workers():
    # Importing the item pipelines (as every crawl does) loads neither the stages' code nor their
    # dictionaries' modules: with GOVNEWS_STAGE_PROCESSES ≥ 1 only the workers run them.
    probe = (
        "import json, sys, pipelines.stages; print(json.dumps([m for m in sys.modules if m.startswith('pipelines.')]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    loaded = set(json.loads(done.stdout))
    assert "pipelines.stage_worker" in loaded
    assert not loaded & {"pipelines.extract", "pipelines.enrich"}
