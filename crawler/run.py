"""Run site crawls in this process (what `govnews demo` and `govnews crawl` do).

The same spider, settings and pipelines as `scrapy crawl site …`; several sites
crawl concurrently in one Twisted reactor, each with its own crawl_runs row.
"""

from __future__ import annotations

from collections.abc import Callable

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.archive_run import ArchiveRun
from crawler.progress import Snapshot
from crawler.progress import progress as progress_signal
from spiders.site import SiteSpider


def govnews_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawls(jobs: list[dict], progress: Callable[[Snapshot], None] | None = None, **setting_overrides) -> list[dict]:
    """Run one SiteSpider per job (`{"url": …}` or `{"site": …}`); returns each crawl's run: its
    `crawl_run_id`, the counts of its crawl_runs row and its `finish_reason` (empty for a crawl
    that never opened). `progress` is called with each crawl's progress every second
    (crawler/progress.py), and once more when it closes."""
    process = CrawlerProcess(govnews_settings(**setting_overrides))
    crawlers = []
    for job in jobs:
        crawler = process.create_crawler(SiteSpider)
        if progress is not None:
            crawler.signals.connect(_receiver(progress), signal=progress_signal, weak=False)
        process.crawl(crawler, **job)
        crawlers.append(crawler)
    process.start()
    runs = [ArchiveRun.of(crawler) for crawler in crawlers]
    return [{"crawl_run_id": run.run_id, **run.counts} for run in runs]


def _receiver(progress: Callable[[Snapshot], None]):
    def receive(snapshot: Snapshot, **kwargs) -> None:
        progress(snapshot)

    return receive
