"""The crawl's archive and its `crawl_runs` row, kept by a Scrapy extension.

Like Scrapy's own `corestats` keeps a crawl's stats, `ArchiveRun` keeps its bookkeeping: it opens
the archive (`ARCHIVE_DB`) once for the crawler, starts the crawl run when the spider opens and
finishes it, with its counts, when the spider closes. The spider, the pipelines and the
`govnews` command get the archive and the run from it (`ArchiveRun.of(crawler)`), never through
the stats collector. Counters the crawl itself keeps (list pages, articles skipped as known …)
are stats like any other; the run's row takes them at the end, and the stats get the archive's
counts back for the closing log.

With GOVNEWS_QUEUE set (a crawl on a queue worker) the archive is a `StreamArchive`
(crawler/stream.py): the same calls, sent to the one writer through Redis instead of
written here, and `settle()` is where the crawl waits for the writer to have room.

A run's `status` is Scrapy's finish reason (`finished`, `closespider_…`, `challenge_refused` …),
except for a crawl stopped by SIGINT or SIGTERM: `interrupted`, with `detail` `stopped by SIGINT`
and its `finished_at` (a run whose process died is also `interrupted`, with no `finished_at`,
marked so by the next crawl: archive/store.py). Scrapy's `shutdown` remains for a crawl stopped
without a signal (`CrawlerProcess.stop()`).
"""

from __future__ import annotations

from scrapy import signals

from archive.store import Archive
from crawler.stop import received_signal, signal_name

# Sent once a run's row is finished, before the archive closes (crawler/health.py reads it then):
# handlers get `run`, this extension.
run_finished = object()

# Crawler stats a crawl_runs row keeps, besides the counts the archive computes itself.
RUN_COUNTERS = ("list_pages", "list_links", "skipped_known", "not_modified", "browser_pages", "attachments")


class ArchiveRun:
    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_DB")
        self.queue = crawler.settings.get("GOVNEWS_QUEUE")
        self._archive = None
        self.run_id: int | None = None
        self.detail: str | None = None  # why the crawl stopped early (a site refusing us …)
        self.counts: dict = {}  # the finished run's counts

    @classmethod
    def from_crawler(cls, crawler) -> ArchiveRun:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    @classmethod
    def of(cls, crawler) -> ArchiveRun:
        extension = crawler.get_extension(cls)
        if extension is None:
            raise RuntimeError(f"{cls.__module__}.{cls.__name__} is not in EXTENSIONS: nothing keeps the archive")
        return extension

    @property
    def archive(self):
        """The crawler's one connection (the pipelines open before the spider does)."""
        if self._archive is None:
            if self.queue:
                from crawler.stream import StreamArchive

                self._archive = StreamArchive.from_settings(self.crawler.settings)
            else:
                self._archive = Archive(self.path)
        return self._archive

    async def settle(self) -> None:
        """After an item's writes: a queued crawl sends them, once the writer has room."""
        if self.queue:
            await self.archive.flush()

    def spider_opened(self, spider) -> None:
        site = getattr(spider, "site", None)
        self.run_id = self.archive.start_run(
            spider.name,
            site.name if site else None,
            site.start_urls if site else [],
            user_agent=self.crawler.settings.get("USER_AGENT"),
        )

    async def spider_closed(self, spider, reason: str) -> None:
        if self.run_id is None:  # the spider never opened
            return
        stats = self.crawler.stats
        counters = {key: stats.get_value(f"govnews/{key}", 0) for key in RUN_COUNTERS}
        status = reason
        signum = received_signal()
        if reason == "shutdown" and signum is not None:
            # Stopped by SIGINT/SIGTERM (crawler/stop.py): like a run whose process died, it did
            # not crawl the site to the end; `finished_at` and the detail say it stopped cleanly.
            status = "interrupted"
            self.detail = f"stopped by {signal_name(signum)}" + (f"; {self.detail}" if self.detail else "")
        if self.detail:
            counters["detail"] = self.detail
        self.counts = {**self.archive.finish_run(self.run_id, status, counters), "finish_reason": reason}
        for key, value in self.counts.items():
            stats.set_value(f"govnews/{key}", value)
        stats.set_value("govnews/crawl_run_id", self.run_id)  # for the closing log only
        await self.crawler.signals.send_catch_log_async(signal=run_finished, run=self)
        await self.settle()
        self.archive.close()
        self._archive = None
