"""The crawl's archive and its `crawl_runs` row, kept by a Scrapy extension.

Like Scrapy's own `corestats` keeps a crawl's stats, `ArchiveRun` keeps its bookkeeping: it opens
the archive (`ARCHIVE_DB`) once for the crawler, starts the crawl run when the spider opens and
finishes it, with its counts, when the spider closes. The spider, the pipelines and the
`govnews` command get the archive and the run from it (`ArchiveRun.of(crawler)`), never through
the stats collector. Counters the crawl itself keeps (list pages, articles skipped as known …)
are stats like any other; the run's row takes them at the end, and the stats get the archive's
counts back for the closing log.
"""

from __future__ import annotations

from scrapy import signals

from archive.store import Archive

# Crawler stats a crawl_runs row keeps, besides the counts the archive computes itself.
RUN_COUNTERS = ("list_pages", "skipped_known", "not_modified", "browser_pages", "attachments")


class ArchiveRun:
    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_DB")
        self._archive: Archive | None = None
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
    def archive(self) -> Archive:
        """The crawler's one connection (the pipelines open before the spider does)."""
        if self._archive is None:
            self._archive = Archive(self.path)
        return self._archive

    def spider_opened(self, spider) -> None:
        site = getattr(spider, "site", None)
        self.run_id = self.archive.start_run(
            spider.name,
            site.name if site else None,
            site.start_urls if site else [],
            user_agent=self.crawler.settings.get("USER_AGENT"),
        )

    def spider_closed(self, spider, reason: str) -> None:
        if self.run_id is None:  # the spider never opened
            return
        stats = self.crawler.stats
        counters = {key: stats.get_value(f"govnews/{key}", 0) for key in RUN_COUNTERS}
        if self.detail:
            counters["detail"] = self.detail
        self.counts = {**self.archive.finish_run(self.run_id, reason, counters), "finish_reason": reason}
        for key, value in self.counts.items():
            stats.set_value(f"govnews/{key}", value)
        stats.set_value("govnews/crawl_run_id", self.run_id)  # for the closing log only
        self.archive.close()
        self._archive = None
