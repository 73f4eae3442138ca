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
skips the check, and `govnews health` on the writer's archive judges the site.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from archive.health import OK, HealthConfig, site_health
from crawler.alerts import FORMATS, AlertError, payload, post
from crawler.archive_run import ArchiveRun, run_finished

logger = logging.getLogger(__name__)


def health_config(settings) -> HealthConfig:
    """The thresholds of the GOVNEWS_HEALTH_* settings (any object with Scrapy's getters)."""
    return HealthConfig(
        history_runs=settings.getint("GOVNEWS_HEALTH_HISTORY_RUNS"),
        min_new=settings.getint("GOVNEWS_HEALTH_MIN_NEW"),
        weak_rise=settings.getfloat("GOVNEWS_HEALTH_WEAK_RISE"),
        field_usual=settings.getfloat("GOVNEWS_HEALTH_FIELD_USUAL"),
        failure_rise=settings.getfloat("GOVNEWS_HEALTH_FAILURE_RISE"),
        min_failures=settings.getint("GOVNEWS_HEALTH_MIN_FAILURES"),
        stale_factor=settings.getfloat("GOVNEWS_HEALTH_STALE_FACTOR"),
    )


class HealthCheck:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.config = health_config(settings)
        self.queue = settings.get("GOVNEWS_QUEUE")
        self.webhook = settings.get("GOVNEWS_ALERT_WEBHOOK")
        self.format = settings.get("GOVNEWS_ALERT_FORMAT")
        self.timeout = settings.getfloat("GOVNEWS_ALERT_TIMEOUT")
        if self.webhook and self.format not in FORMATS:  # said at the start, not only at the first alert
            logger.error(
                "GOVNEWS_ALERT_FORMAT %r is unknown (give one of %s): no alert can be sent",
                self.format,
                ", ".join(FORMATS),
            )

    @classmethod
    def from_crawler(cls, crawler) -> HealthCheck:
        extension = cls(crawler)
        crawler.signals.connect(extension.run_finished, signal=run_finished)
        return extension

    async def run_finished(self, run: ArchiveRun) -> None:
        spider = self.crawler.spider
        site = getattr(getattr(spider, "site", None), "name", None)
        if self.queue or site is None or run.run_id is None:
            return  # a worker's archive is a stream: the writer's archive is judged by `govnews health`
        archive = run.archive
        try:
            health = site_health(archive.db, site, self.config)
            previous = archive.previous_health(site, run.run_id)
        except sqlite3.Error as exc:  # the archive's own trouble: the run is kept, unjudged
            logger.warning("health of site %s not judged: %s", site, exc)
            return
        if health.status != OK:
            logger.warning("site %s is %s: %s", site, health.status, " ".join(health.reasons))
        alert = None
        if health.status != (previous or OK):
            alert = await self._alert(site, health.status, previous, health.reasons, run.run_id)
        archive.set_run_health(run.run_id, health.status, health.reasons, alert)

    async def _alert(self, site: str, status: str, previous: str | None, reasons: list[str], run_id: int) -> str:
        """Send the alert (when a webhook is set); what the run's `health_alert` says of it."""
        if not self.webhook:
            return "no webhook set"
        try:
            body = payload(self.format, site=site, status=status, previous=previous, reasons=reasons, run=run_id)
            answer = await asyncio.get_running_loop().run_in_executor(None, post, self.webhook, body, self.timeout)
        except AlertError as exc:
            logger.warning("health alert for site %s not sent: %s", site, exc)
            return f"failed: {exc}"
        logger.info("health alert for site %s sent (%s)", site, answer)
        return f"sent ({self.format}, {answer})"
