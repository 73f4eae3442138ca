"""A crawl's Prometheus metrics, per site (crawler/metrics.py has the families; docs/monitoring.md).

The extension counts what its crawl does into the process's registry, labelled with the site:
responses received, articles, new versions and weak records (from the items leaving the
pipelines), failures by kind (from the items dropped with a failure, and the crawl's list-page
and link failures, which are stats), how long the run has taken, how it ended and when it last
ended normally. With GOVNEWS_METRICS_PORT the registry is served while the crawl runs; with
GOVNEWS_METRICS_TEXTFILE it is written when the crawl ends.

In a queued crawl (GOVNEWS_QUEUE) a page's version is the writer's to decide: the crawl counts
no versions nor weak records, the writer does (crawler/ingest.py).
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from crawler.failure_kinds import failure_kind
from crawler.metrics import WEAK_WARNINGS, MetricsConfig, MetricsError, process_families, serve, textfile

logger = logging.getLogger(__name__)

# Crawl stats that count failures with no item of their own: their `kind`.
FAILURE_STATS = {"govnews/list_failures": "list", "govnews/bad_links": "link"}
TICK = 1.0  # seconds between updates of the run's duration and the stats above


class CrawlMetrics:
    def __init__(self, crawler, config: MetricsConfig):
        self.crawler, self.config = crawler, config
        self.families = process_families(config.max_sites)
        self.queued = bool(crawler.settings.get("GOVNEWS_QUEUE"))
        self.site = "?"
        self.started = 0.0
        self.counted: dict[str, int] = dict.fromkeys(FAILURE_STATS, 0)
        self.task = None

    @classmethod
    def from_crawler(cls, crawler) -> CrawlMetrics:
        try:
            config = MetricsConfig.from_settings(crawler.settings)
        except MetricsError as exc:  # counted still, neither served nor written
            logger.error("metrics: %s", exc)
            config = MetricsConfig(max_sites=500)
        extension = cls(crawler, config)
        connect = crawler.signals.connect
        connect(extension.spider_opened, signal=signals.spider_opened)
        connect(extension.spider_closed, signal=signals.spider_closed)
        connect(extension.response_received, signal=signals.response_received)
        connect(extension.item_scraped, signal=signals.item_scraped)
        connect(extension.item_dropped, signal=signals.item_dropped)
        return extension

    def spider_opened(self, spider) -> None:
        site = getattr(spider, "site", None)
        self.site = self.families.site(site.name if site else spider.name)
        f = self.families
        # Every series of the site exists from the start, at 0: a rate needs a first sample.
        for family in (f.pages_fetched, f.articles) + (() if self.queued else (f.new_versions, f.weak_records)):
            family.labels(self.site)
        self.started = time.monotonic()
        if self.config.port:
            try:
                if serve(f.registry, self.config.address, self.config.port):
                    logger.info("metrics: http://%s:%d/metrics", self.config.address, self.config.port)
            except MetricsError as exc:
                logger.error("metrics: %s; the crawl goes on without them", exc)
                self.config = MetricsConfig(textfile=self.config.textfile)  # said once, not each crawl
        self.task = create_looping_call(self.tick)
        self.task.start(TICK, now=True)  # the run's duration is a series from its start, as the counters are

    def tick(self) -> None:
        self.families.run_duration.labels(self.site).set(time.monotonic() - self.started)
        stats = self.crawler.stats
        for stat, kind in FAILURE_STATS.items():
            value = stats.get_value(stat, 0)
            if value > self.counted[stat]:
                self.families.failures.labels(self.site, kind).inc(value - self.counted[stat])
                self.counted[stat] = value

    def response_received(self, response, request, spider) -> None:
        self.families.pages_fetched.labels(self.site).inc()

    def item_scraped(self, item, response, spider) -> None:
        self.families.articles.labels(self.site).inc()
        if isinstance(item, dict) and item.get("version_id"):
            self.families.new_versions.labels(self.site).inc()
            if WEAK_WARNINGS.intersection(item.get("warnings") or ()):
                self.families.weak_records.labels(self.site).inc()

    def item_dropped(self, item, response, exception, spider) -> None:
        failure = getattr(item, "failure", None)
        if failure:  # not a 304, nor a page marked gone
            self.families.failures.labels(self.site, failure_kind(failure["stage"], failure["error"])).inc()

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is None:  # the spider never opened: no run to count
            return
        if self.task.running:
            self.task.stop()
        self.tick()
        self.families.runs.labels(self.site, reason).inc()
        if reason == "finished":
            self.families.last_success.labels(self.site).set(time.time())
        if self.config.textfile:
            try:
                textfile(self.config.textfile).write(self.families.registry)
            except MetricsError as exc:
                logger.error("metrics: %s", exc)
