"""The stage workers' side of the pure stages (pipelines/stages.py is the crawl's side): how a
worker process starts, and what it runs for a page.

No Scrapy here, nor anything that imports it: a worker is a spawned Python that imports what it
unpickles, and the crawl framework would cost it a second of imports for nothing
(tests/test_stage_worker.py checks a real worker's modules). The crawl process imports this
module for the names it sends; the stages' own code is imported by `page_stages`, in a worker
(or, with GOVNEWS_STAGE_PROCESSES=0, in the crawl process that runs them itself).
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing.context
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable

from crawler.record import Record
from pipelines.errors import ExtractionError


@dataclasses.dataclass
class StagePage:
    """What the pure stages read and write of an item, sent to a worker and back."""

    url: str
    headers: dict
    body: bytes
    site_config: dict | None
    record: Record | None
    index_terms: tuple[str, str] | None


@functools.cache
def page_stages() -> dict[str, Callable[[StagePage], None]]:
    """The pure stages by name, each writing its result into the page."""
    from pipelines.enrich import enrich
    from pipelines.extract import extract
    from pipelines.normalize import normalize
    from pipelines.segment import page_terms

    def extract_page(page: StagePage) -> None:
        page.record = extract(page.body, page.url, headers=page.headers)

    # The stages after extract run on its record: they run only when it gave one.
    def normalize_page(page: StagePage) -> None:
        assert page.record is not None
        page.record = normalize(page.record)

    def enrich_page(page: StagePage) -> None:
        assert page.record is not None
        page.record = enrich(page.record, site=page.site_config)

    def index_page(page: StagePage) -> None:  # the words the search index gets (IndexPipeline)
        assert page.record is not None
        page.index_terms = page_terms(page.record.title, page.record.text)

    return {"extract": extract_page, "normalize": normalize_page, "enrich": enrich_page, "index": index_page}


def load_stages() -> None:
    """Import the stages and load their dictionaries now (a second or more), not at the first page."""
    from pipelines.enrich import load_tables

    page_stages()
    load_tables()


def run_stages(stages: tuple[str, ...], page: StagePage) -> tuple[StagePage, tuple[str, str, bool] | None]:
    """Run the named stages on the page in order (in a worker), up to the first that fails: the
    page (without its body, which the crawl still has) and None, or (stage, error, whether a bug)."""
    failure = None
    for stage in stages:
        try:
            page_stages()[stage](page)
        except ExtractionError as exc:
            failure = (stage, str(exc), False)
            break
        except Exception as exc:
            failure = (stage, f"{type(exc).__name__}: {exc}", True)
            break
    page.body = b""
    return page, failure


def start_worker(crawl_pid: int, stop_signals: tuple[int, ...]) -> None:
    """A stage worker loads the dictionaries, and leaves when its crawl is gone: a crawl killed
    with SIGKILL cannot stop its workers, and they would wait for work forever.

    It ignores the stop signals (SIGINT, SIGTERM: crawler/stop.py): Ctrl-C reaches the whole
    process group (and systemd's stop the whole unit), and a worker that died of it would fail
    the pages it holds. The crawl stops gracefully and shuts its workers down itself."""
    for signum in stop_signals:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)

    def watch() -> None:
        while os.getppid() == crawl_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="crawl-watch", daemon=True).start()
    load_stages()


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned stage worker that does not run the crawl's main script again.

    A spawned child first runs its parent's `__main__` file (as `__mp_main__`, for functions
    defined there): the crawl's is the `scrapy` or `govnews` console script, whose imports
    (Scrapy, Twisted: a second) a worker never uses, since nothing it runs lives in `__main__`.
    The child learns that file from `sys.modules["__main__"]` as the process starts, so while it
    starts (in the submitting thread, the only one that starts processes) `__main__` is a bare
    module: the child then leaves its own `__main__` alone. (This class is here, not beside the
    pool in pipelines/stages.py, because the child unpickles its process object too.)"""

    def start(self) -> None:
        crawl_main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            super().start()
        finally:
            sys.modules["__main__"] = crawl_main


class WorkerContext(multiprocessing.context.SpawnContext):
    """The stage pool's start method: spawn, as stage workers (`_WorkerProcess`)."""

    Process = _WorkerProcess
