"""The Scrapy item pipelines: thin adapters around the pure stages and the archive.

Wired in order by ITEM_PIPELINES (crawler/settings.py):
capture (100) → extract (200) → normalize (300) → enrich (400) → index (450) → archive (900);
attachments (800) are fetched for a record before it is archived.
A stage that fails marks the item; later stages pass it through, and the
archive pipeline writes a `failures` row beside the snapshot already kept.
The archive pipeline is the last: what it returns is the exported item, the record's fields
(`PageItem.exported()`); a page without a record (304, gone, failed) is dropped, with its reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import functools
import logging
import os
import signal

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from archive.rows import GONE_STATUSES
from crawler.archive_run import ArchiveRun
from crawler.items import PageItem
from crawler.stop import STOP_SIGNALS
from pipelines.stage_worker import StagePage, WorkerContext, load_stages, run_stages, start_worker

logger = logging.getLogger(__name__)

NOT_MODIFIED = 304  # a conditional fetch of an archived page: nothing to extract or store


class _Stage:
    stage = ""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class _PureStage(_Stage):
    """A pure stage (extract, normalize, enrich, index words) runs outside the reactor's thread: a 10 MB page
    takes seconds, and in that thread it would stall every download meanwhile (into timeouts).
    With GOVNEWS_STAGE_PROCESSES ≥ 1 (the default) it runs in worker processes, beside the
    crawl on another core; with 0, in a thread of the crawl's own process. The archive's
    stages stay in the reactor's thread, which owns the SQLite connection.

    Pure stages next to each other in ITEM_PIPELINES (extract, normalize, enrich, index) run in
    one worker call, by the first of them: a page crosses to the worker and back once, not once
    a stage (each crossing pickles the record both ways and wakes the pool's threads, which
    compete with the reactor for the crawl process's GIL). Each stage still runs, in order,
    and a failure is still its own stage's; the later stages of the run find their work done.
    What a stage runs is `page_stages()[stage]` (pipelines/stage_worker.py): a worker gets names."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.workers = stage_workers(crawler)
        self.run_stages = _pure_run(crawler, type(self))
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self, spider, reason: str) -> None:
        self.workers.release()

    def check(self, item: PageItem) -> bool:
        """Whether the item goes through the stage (in the reactor's thread, before any worker call)."""
        return True

    async def process_item(self, item: PageItem) -> PageItem:
        if item.failure is not None or item.status == NOT_MODIFIED or self.stage in item.stages_done:
            return item
        if not self.check(item):
            return item
        page = StagePage(item.url, item.headers, item.body, item.site_config, item.record, item.index_terms)
        try:
            page, failure = await self.workers.run(run_stages, tuple(s.stage for s in self.run_stages), page)
        except Exception as exc:  # a dead worker (BrokenProcessPool) …: the page is kept, failed here
            logger.error("%s failed on %s: %s: %s", self.stage, item.url, type(exc).__name__, exc)
            item.fail(self.stage, f"{type(exc).__name__}: {exc}")
            return item
        item.record, item.index_terms = page.record, page.index_terms
        item.stages_done.update(stage.stage for stage in self.run_stages)
        if failure is not None:
            stage, error, bug = failure
            if bug:  # a bug in a stage must not lose the page
                logger.error("%s failed on %s: %s", stage, item.url, error)
            item.fail(stage, error)
        return item


def _pure_run(crawler, stage: type[_PureStage]) -> tuple[type[_PureStage], ...]:
    """The pure stages a stage runs in its worker call: itself and the pure stages right after it
    in ITEM_PIPELINES when it is the first of them; nothing when a pure stage before it runs it."""
    order = [load_object(path) for path in build_component_list(crawler.settings.getwithbase("ITEM_PIPELINES"))]
    if stage not in order:
        return (stage,)
    at = order.index(stage)
    if at > 0 and isinstance(order[at - 1], type) and issubclass(order[at - 1], _PureStage):
        return (stage,)  # runs with the one before it; on its own only if that one is skipped
    run = [stage]
    for after in order[at + 1 :]:
        if not (isinstance(after, type) and issubclass(after, _PureStage)):
            break
        run.append(after)
    return tuple(run)


class StageWorkers:
    """The worker processes of the pure stages, one pool per crawl process (several crawls
    in one process share it), started at the first crawl and stopped after the last."""

    def __init__(self, processes: int):
        self.processes, self.users, self.pool = processes, 0, None

    def acquire(self) -> StageWorkers:
        if self.users == 0:
            if self.processes > 0:
                self.pool = self._new_pool()
            else:
                load_stages()  # before any download is in flight, not at the first article
        self.users += 1
        return self

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        # spawn: a fork of a process running a reactor and threads is not safe.
        pool = concurrent.futures.ProcessPoolExecutor(
            self.processes,
            mp_context=WorkerContext(),
            initializer=start_worker,
            initargs=(os.getpid(), STOP_SIGNALS),
        )
        # The pool starts its workers at the first task: start them now, so that they import and
        # load the dictionaries while the crawl starts, not while the first articles wait (with
        # SIGINT/SIGTERM blocked, as in run(), until start_worker ignores them).
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for _ in range(self.processes):
                pool.submit(int)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        return pool

    async def run(self, function, *args, **kwargs):
        pool = self.pool
        call = functools.partial(function, *args, **kwargs)
        try:
            if pool is None:
                return await asyncio.get_running_loop().run_in_executor(None, call)
            # A submit may start a worker: it begins with SIGINT/SIGTERM blocked, until
            # start_worker ignores them (a signal meanwhile reaches the crawl's other threads).
            old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
            try:
                future = pool.submit(call)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            return await asyncio.wrap_future(future)
        except concurrent.futures.process.BrokenProcessPool:
            # A worker died (killed, out of memory on a huge page): the pages it held fail with
            # this reason, and the next ones go to a new pool rather than failing too.
            if pool is not None and pool is self.pool:
                logger.error("a stage worker died; starting a new one")
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()
            raise


_stage_workers: dict[int, StageWorkers] = {}


def stage_workers(crawler) -> StageWorkers:
    processes = crawler.settings.getint("GOVNEWS_STAGE_PROCESSES")
    workers = _stage_workers.setdefault(processes, StageWorkers(processes))
    return workers.acquire()


class CapturePipeline(_Stage):
    """Keeps the raw page before anything else can fail, in the crawl's run (crawler/archive_run.py)."""

    stage = "capture"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.run = ArchiveRun.of(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        archive, run_id = self.run.archive, self.run.run_id
        item.crawl_run_id = run_id
        if item.status == NOT_MODIFIED:
            return item
        server_snapshot_id = None
        if item.server_capture:  # the bytes the server sent, kept before the rendered DOM
            server_snapshot_id = archive.add_snapshot(
                **item.server_capture,
                request_url=item.request_url,
                fetched_at=item.fetched_at,
                site=item.site,
                crawl_run_id=run_id,
            )
        if item.failure is None or item.body:  # a fetch error has nothing to keep
            item.snapshot_id = archive.add_snapshot(
                url=item.url,
                request_url=item.request_url,
                status=item.status,
                headers=item.headers,
                body=item.body,
                fetched_at=item.fetched_at,
                site=item.site,
                crawl_run_id=run_id,
                render=item.render,
                server_snapshot_id=server_snapshot_id,
            )
        return item


class ExtractPipeline(_PureStage):
    stage = "extract"

    def check(self, item: PageItem) -> bool:
        if item.status >= 400:
            item.fail("fetch", f"HTTP {item.status}")
            return False
        return True


class NormalizePipeline(_PureStage):
    stage = "normalize"


class EnrichPipeline(_PureStage):
    stage = "enrich"


class IndexPipeline(_PureStage):
    """The words the search index gets, segmented in the stage workers rather than by the
    archive in the reactor's thread (nor with the segmenter's dictionary in its memory)."""

    stage = "index"


class ArchivePipeline(_Stage):
    stage = "archive"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.run = ArchiveRun.of(crawler)

    async def process_item(self, item: PageItem) -> dict:
        archive = self.run.archive
        where = {"fetched_at": item.fetched_at, "snapshot_id": item.snapshot_id, "crawl_run_id": item.crawl_run_id}
        version_id = None
        if item.request_url and archive.note_redirect(item.request_url, item.url, **where):
            self.crawler.stats.inc_value("govnews/moved")
        if item.status == NOT_MODIFIED:
            archive.mark_checked(item.url, fetched_at=item.fetched_at)
            self.crawler.stats.inc_value("govnews/not_modified")
            drop = DropItem(f"not modified (304) since the archived version: {item.url}", log_level="DEBUG")
        elif item.status in GONE_STATUSES and archive.mark_gone(item.url, status=item.status, **where):
            # A page the archive has answers 404/410: an event of its timeline, not a failure.
            self.crawler.stats.inc_value("govnews/gone")
            drop = DropItem(f"gone (HTTP {item.status}), marked in the archive: {item.url}", log_level="INFO")
        elif item.failure is not None:
            archive.add_failure(
                url=item.url,
                stage=item.failure["stage"],
                error=item.failure["error"],
                snapshot_id=item.snapshot_id,
                crawl_run_id=item.crawl_run_id,
            )
            self.crawler.stats.inc_value(f"govnews/failed/{item.failure['stage']}")
            drop = DropItem(
                f"no record: {item.failure['stage']} failed ({item.failure['error']}), a failures row: {item.url}",
                log_level="WARNING",
            )
        else:
            version_id = archive.add_record(
                item.record,
                fetched_at=item.fetched_at,
                site=item.site,
                snapshot_id=item.snapshot_id,
                crawl_run_id=item.crawl_run_id,
                index_terms=item.index_terms,
            )
            self.crawler.stats.inc_value("govnews/new_versions" if version_id else "govnews/unchanged")
            drop = None
        item.body = b""  # the capture is in the archive; don't hold it in memory
        await self.run.settle()
        if drop is not None:  # a page without a record: archived as it is, nothing to export
            raise drop
        # What leaves the pipelines (feed exports, item_scraped): the record's fields, JSON only.
        return item.exported(version_id)
