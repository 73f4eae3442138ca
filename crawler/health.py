"""The site's health at the end of every crawl: stored with its run, logged, and alerted on change.

Once `ArchiveRun` has finished the run's row (its `run_finished` signal), this extension judges
the site as `govnews health` does (archive/health.py, thresholds GOVNEWS_HEALTH_*), stores the
status and reasons in the run's `health` and `health_reasons`, and logs a warning when the site
is not ok. When the status differs from the one stored with the site's previous run (or, for a
site's first judged run, when it is not ok), the alert goes to GOVNEWS_ALERT_WEBHOOK in
GOVNEWS_ALERT_FORMAT (crawler/alerts.py): POSTed in a thread, so the reactor goes on, with
GOVNEWS_ALERT_TIMEOUT seconds at most; what the webhook answered, or why it failed, is the run's
`health_alert`. A failing webhook is a warning in the log, never a failed crawl.

A queued crawl (GOVNEWS_QUEUE) writes to a stream, not to an archive it could read: its worker
leaves the check to the writer, which makes it when it applies the run's finish (crawler/ingest.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3

from archive.health import OK, HealthConfig, alert_due, judge_finished_run
from crawler.alerts import AlertConfig, deliver
from crawler.archive_run import ArchiveRun, run_finished

logger = logging.getLogger(__name__)


def health_config(settings) -> HealthConfig:
    """The thresholds of the GOVNEWS_HEALTH_* settings (any object with Scrapy's getters);
    ValueError naming the setting when one is not a number."""

    def number(name: str, kind: type[int] | type[float]):
        value = settings.get(name)
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be {'a whole number' if kind is int else 'a number'}, not {value!r}"
            ) from None

    return HealthConfig(
        history_runs=number("GOVNEWS_HEALTH_HISTORY_RUNS", int),
        min_new=number("GOVNEWS_HEALTH_MIN_NEW", int),
        weak_rise=number("GOVNEWS_HEALTH_WEAK_RISE", float),
        field_usual=number("GOVNEWS_HEALTH_FIELD_USUAL", float),
        failure_rise=number("GOVNEWS_HEALTH_FAILURE_RISE", float),
        min_failures=number("GOVNEWS_HEALTH_MIN_FAILURES", int),
        stale_factor=number("GOVNEWS_HEALTH_STALE_FACTOR", float),
    )


class HealthCheck:
    def __init__(self, crawler):
        self.crawler = crawler
        self.config = health_config(crawler.settings)
        self.alerts = AlertConfig.from_settings(crawler.settings)
        self.queue = crawler.settings.get("GOVNEWS_QUEUE")

    @classmethod
    def from_crawler(cls, crawler) -> HealthCheck:
        extension = cls(crawler)
        crawler.signals.connect(extension.run_finished, signal=run_finished)
        return extension

    async def run_finished(self, run: ArchiveRun) -> None:
        site = getattr(getattr(self.crawler.spider, "site", None), "name", None)
        if self.queue or site is None or run.run_id is None:
            return  # a worker's archive is a stream: the writer judges the run (crawler/ingest.py)
        archive = run.archive
        try:
            health, previous = judge_finished_run(archive, site, run.run_id, self.config)
        except sqlite3.Error as exc:  # the archive's own trouble: the run is kept, unjudged
            logger.warning("health of site %s not judged: %s", site, exc)
            return
        if health.status != OK:
            logger.warning("site %s is %s: %s", site, health.status, " ".join(health.reasons))
        alert = None
        if alert_due(health.status, previous):
            send = functools.partial(
                deliver,
                self.alerts,
                site=site,
                status=health.status,
                previous=previous,
                reasons=health.reasons,
                run=run.run_id,
            )
            alert = await asyncio.get_running_loop().run_in_executor(None, send)
        archive.set_run_health(run.run_id, health.status, health.reasons, alert)
