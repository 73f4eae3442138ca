"""Progress of a long crawl: articles done of those known so far, a rate and an ETA.

Like Scrapy's LogStats, an extension that logs a line every GOVNEWS_PROGRESS_INTERVAL seconds:

    site weidu: 120 of ~450 articles, 38/min, ETA 9 min

*Known* are the distinct article links the crawl found on its list pages so far and asked for
(an article skipped as already archived is not counted: `, 300 known skipped` says how many), so
the total grows while list pages are found, hence the `~`. *Done* are the articles that went
through the pipelines (archived, unchanged, failed, 304). The rate is done per minute since
the spider opened; the ETA is what is left of the known at that rate. When the spider closes, a
last line gives the totals (no ETA) and the finish reason.

Every second the numbers are also sent as the `progress` signal (a `Snapshot`), which
`govnews crawl` draws as a line that redraws on a terminal (crawler/run.py: `run_crawls(progress=…)`).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)

progress = object()  # the signal: sent with snapshot=Snapshot every TICK seconds
TICK = 1.0


@dataclass
class Snapshot:
    site: str
    done: int
    known: int
    skipped: int
    elapsed: float  # seconds since the spider opened
    logged: bool = False  # this tick also wrote the log line
    finished: bool = False  # the spider closed

    @property
    def rate(self) -> float:
        """Articles done per minute."""
        return self.done / self.elapsed * 60 if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far; None before the first article is done."""
        if self.rate <= 0:
            return None
        return max(0, self.known - self.done) / self.rate * 60

    def line(self) -> str:
        text = f"site {self.site}: {self.done} of ~{max(self.known, self.done)} articles, {self.rate:.0f}/min"
        if not self.finished:
            text += f", ETA {format_eta(self.eta)}"
        if self.skipped:
            text += f", {self.skipped} known skipped"
        return text


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


class Progress:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval  # seconds between log lines; 0: none (the signal still goes)
        self.done = 0
        self.started = 0.0
        self.last_log = 0.0
        self.task = None
        self.site = "?"

    @classmethod
    def from_crawler(cls, crawler) -> Progress:
        extension = cls(crawler, crawler.settings.getfloat("GOVNEWS_PROGRESS_INTERVAL"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(extension.item_done, signal=signal)
        return extension

    def item_done(self, *args, **kwargs) -> None:
        self.done += 1

    def snapshot(self, logged: bool = False, finished: bool = False) -> Snapshot:
        stats = self.crawler.stats
        return Snapshot(
            site=self.site,
            done=self.done,
            known=stats.get_value("govnews/article_links", 0),
            skipped=stats.get_value("govnews/skipped_known", 0),
            elapsed=time.monotonic() - self.started,
            logged=logged,
            finished=finished,
        )

    def spider_opened(self, spider) -> None:
        site = getattr(spider, "site", None)
        self.site = site.name if site else spider.name
        self.started = self.last_log = time.monotonic()
        self.task = create_looping_call(self.tick)
        self.task.start(TICK, now=False)

    def tick(self) -> None:
        now = time.monotonic()
        logged = bool(self.interval) and now - self.last_log >= self.interval - TICK / 2
        snapshot = self.snapshot(logged=logged)
        if logged:
            self.last_log = now
            logger.info(snapshot.line())
        self.crawler.signals.send_catch_log(progress, snapshot=snapshot)

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        snapshot = self.snapshot(logged=bool(self.interval), finished=True)
        if snapshot.logged:
            logger.info(snapshot.line() + f" ({reason})")
        self.crawler.signals.send_catch_log(progress, snapshot=snapshot)


class Display:
    """What `govnews crawl` shows: on a terminal one line, redrawn every second, with every
    site's progress; elsewhere (a pipe, a log file) the log's lines, plain, one a site a
    GOVNEWS_PROGRESS_INTERVAL."""

    def __init__(self, stream, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.latest: dict[str, Snapshot] = {}
        self.drawn = False

    def update(self, snapshot: Snapshot) -> None:
        self.latest[snapshot.site] = snapshot
        if self.tty:
            width = shutil.get_terminal_size().columns - 1
            line = " | ".join(s.line().removeprefix("site ") for s in self.latest.values())
            self.stream.write("\r\x1b[K" + line[:width])
            self.drawn = True
        elif snapshot.logged or snapshot.finished:
            self.stream.write(snapshot.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
