"""Run site crawls in this process (what `govnews demo` and `govnews crawl` do).

The same spider, settings and pipelines as `scrapy crawl site …`; several sites
crawl concurrently in one Twisted reactor, each with its own crawl_runs row.
"""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.archive_run import ArchiveRun
from spiders.site import SiteSpider


def govnews_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawls(jobs: list[dict], **setting_overrides) -> list[dict]:
    """Run one SiteSpider per job (`{"url": …}` or `{"site": …}`); returns each crawl's run: its
    `crawl_run_id`, the counts of its crawl_runs row and its `finish_reason` (empty for a crawl
    that never opened)."""
    process = CrawlerProcess(govnews_settings(**setting_overrides))
    crawlers = []
    for job in jobs:
        crawler = process.create_crawler(SiteSpider)
        process.crawl(crawler, **job)
        crawlers.append(crawler)
    process.start()
    runs = [ArchiveRun.of(crawler) for crawler in crawlers]
    return [{"crawl_run_id": run.run_id, **run.counts} for run in runs]
