"""The Scrapy item pipelines: thin adapters around the pure stages and the archive.

Wired in order by ITEM_PIPELINES (crawler/settings.py):
capture (100) → extract (200) → normalize (300) → enrich (400) → archive (900).
A stage that fails marks the item; later stages pass it through, and the
archive pipeline writes a `failures` row beside the snapshot already kept.
"""
from __future__ import annotations

import logging

from scrapy import signals

from archive.store import GONE_STATUSES
from crawler.incremental import archive_for
from crawler.items import PageItem
from pipelines.enrich import enrich
from pipelines.errors import ExtractionError
from pipelines.extract import extract
from pipelines.normalize import normalize

logger = logging.getLogger(__name__)

NOT_MODIFIED = 304  # a conditional fetch of an archived page: nothing to extract or store
# Crawler stats a crawl_runs row keeps, besides the counts the archive computes itself.
RUN_COUNTERS = ("list_pages", "skipped_known", "not_modified", "browser_pages", "attachments")

class _Stage:
    stage = ""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        if item.failure is None and item.status != NOT_MODIFIED:
            try:
                self.run(item)
            except ExtractionError as exc:
                item.fail(self.stage, str(exc))
            except Exception as exc:  # a bug in a stage must not lose the page
                logger.exception("%s failed on %s", self.stage, item.url)
                item.fail(self.stage, f"{type(exc).__name__}: {exc}")
        return item

    def run(self, item: PageItem) -> None:
        raise NotImplementedError


class CapturePipeline(_Stage):
    """Keeps the raw page before anything else can fail; opens and closes the crawl run."""

    stage = "capture"

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        self.archive = archive_for(self.crawler)
        self.run_id = self.archive.start_run(
            spider.name, site.name if site else None, site.start_urls if site else [],
            user_agent=self.crawler.settings.get("USER_AGENT"),
        )
        self.crawler.stats.set_value("govnews/crawl_run_id", self.run_id)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        counters = {key: stats.get_value(f"govnews/{key}", 0) for key in RUN_COUNTERS}
        detail = stats.get_value("govnews/stop_detail")
        if detail:
            counters["detail"] = detail
        counts = self.archive.finish_run(self.run_id, reason, counters)
        for key, value in counts.items():
            stats.set_value(f"govnews/{key}", value)

    def process_item(self, item: PageItem) -> PageItem:
        item.crawl_run_id = self.run_id
        if item.status == NOT_MODIFIED:
            return item
        server_snapshot_id = None
        if item.server_capture:  # the bytes the server sent, kept before the rendered DOM
            server_snapshot_id = self.archive.add_snapshot(
                **item.server_capture, request_url=item.request_url, fetched_at=item.fetched_at,
                site=item.site, crawl_run_id=self.run_id,
            )
        if item.failure is None or item.body:  # a fetch error has nothing to keep
            item.snapshot_id = self.archive.add_snapshot(
                url=item.url,
                request_url=item.request_url,
                status=item.status,
                headers=item.headers,
                body=item.body,
                fetched_at=item.fetched_at,
                site=item.site,
                crawl_run_id=self.run_id,
                render=item.render,
                server_snapshot_id=server_snapshot_id,
            )
        return item


class ExtractPipeline(_Stage):
    stage = "extract"

    def run(self, item: PageItem) -> None:
        if item.status >= 400:
            item.fail("fetch", f"HTTP {item.status}")
            return
        item.record = extract(item.body, item.url, headers=item.headers)


class NormalizePipeline(_Stage):
    stage = "normalize"

    def run(self, item: PageItem) -> None:
        item.record = normalize(item.record)


class EnrichPipeline(_Stage):
    stage = "enrich"

    def run(self, item: PageItem) -> None:
        item.record = enrich(item.record, site=item.site_config)


class ArchivePipeline(_Stage):
    stage = "archive"

    def open_spider(self) -> None:
        self.archive = archive_for(self.crawler)

    def process_item(self, item: PageItem) -> PageItem:
        where = {"fetched_at": item.fetched_at, "snapshot_id": item.snapshot_id, "crawl_run_id": item.crawl_run_id}
        if item.request_url and self.archive.note_redirect(item.request_url, item.url, **where):
            self.crawler.stats.inc_value("govnews/moved")
        if item.status == NOT_MODIFIED:
            self.archive.mark_checked(item.url, fetched_at=item.fetched_at)
            self.crawler.stats.inc_value("govnews/not_modified")
        elif item.status in GONE_STATUSES and self.archive.mark_gone(item.url, status=item.status, **where):
            # A page the archive has answers 404/410: an event of its timeline, not a failure.
            self.crawler.stats.inc_value("govnews/gone")
        elif item.failure is not None:
            self.archive.add_failure(
                url=item.url,
                stage=item.failure["stage"],
                error=item.failure["error"],
                snapshot_id=item.snapshot_id,
                crawl_run_id=item.crawl_run_id,
            )
            self.crawler.stats.inc_value(f"govnews/failed/{item.failure['stage']}")
        else:
            version_id = self.archive.add_record(
                item.record,
                fetched_at=item.fetched_at,
                site=item.site,
                snapshot_id=item.snapshot_id,
                crawl_run_id=item.crawl_run_id,
            )
            self.crawler.stats.inc_value(
                "govnews/new_versions" if version_id else "govnews/unchanged"
            )
        item.body = b""  # the capture is in the archive; don't hold it in memory
        return item
