"""Graceful stops: SIGINT (Ctrl-C) and SIGTERM (systemd, `kill`) end a crawl cleanly.

Scrapy's own handlers already stop a crawl gracefully at the first signal (the spider closes with
the reason `shutdown`; a second signal forces an unclean stop). This extension only remembers
*which* signal came, wrapping Scrapy's handler once the crawl runs, so that

- the run's `crawl_runs` row is marked `interrupted`, with `detail` `stopped by SIGINT`
  (crawler/archive_run.py), and
- the process exits with 128 + the signal's number, as a shell reports a process a signal ended:
  130 for SIGINT, 143 for SIGTERM (`govnews crawl`, and `scrapy crawl` through the project's
  `crawl` command, crawler/commands/crawl.py).

The stage worker processes ignore both signals (pipelines/stage_worker.py): a terminal sends Ctrl-C to
the whole process group, and the crawl stops its workers itself once the pages they hold are done.
"""

from __future__ import annotations

import signal

from scrapy import signals

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []  # the process's first stop signal (one process, one reactor)


def received_signal() -> int | None:
    """The first SIGINT/SIGTERM this process received since its crawls began, or None."""
    return _received[0] if _received else None


def exit_status() -> int:
    """0, or 128 + the stop signal's number (130: SIGINT, 143: SIGTERM)."""
    signum = received_signal()
    return 0 if signum is None else 128 + signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class GracefulStop:
    """Remembers the stop signal; Scrapy's handler, called next, does the stopping."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> GracefulStop:
        extension = cls(crawler)
        # Scrapy installs its handlers once the reactor runs, before any spider opens.
        crawler.signals.connect(extension.wrap_handlers, signal=signals.spider_opened)
        return extension

    def wrap_handlers(self, spider=None) -> None:
        for signum in STOP_SIGNALS:
            current = signal.getsignal(signum)
            if getattr(current, "govnews_stop", False) or not callable(current):
                continue  # wrapped already (several crawls in one process), or no handler to call

            def handler(number, frame, scrapy_handler=current):
                if not _received:
                    _received.append(number)
                scrapy_handler(number, frame)

            handler.govnews_stop = True  # type: ignore[attr-defined]
            signal.signal(signum, handler)
