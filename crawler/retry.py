"""Retries with exponential backoff, honouring Retry-After (replaces Scrapy's RetryMiddleware).

Scrapy's RetryMiddleware retries a failed request at once; a government server that is
overloaded or restarting gets the same request again a few milliseconds later. This one
waits before each retry:

    delay = min(GOVNEWS_RETRY_BACKOFF_MAX, GOVNEWS_RETRY_BACKOFF_BASE × 2^(retry − 1))
            × (1 + uniform(0, GOVNEWS_RETRY_BACKOFF_JITTER)), never above the maximum

so with the defaults (1 s, 60 s, 0.25) the first retry waits 1–1.25 s, the second 2–2.5 s, the
third 4–5 s. The jitter only lengthens a wait, so the nominal delay is a floor that
tests (and site operators) can rely on; it spreads out retries of pages that failed together.

A 429 or 503 with `Retry-After` (seconds or an HTTP date) waits at least that long. A
Retry-After longer than GOVNEWS_RETRY_BACKOFF_MAX is not retried in this crawl: the
response goes on as it is (the archive records the failure) rather than coming back before
the server asked us to.

Which responses and exceptions are retried, and how often, are Scrapy's own settings
(RETRY_ENABLED, RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS, the `dont_retry` and
`max_retry_times` request meta). The wait does not block the reactor: other requests are
downloaded meanwhile. A waiting retry does count against CONCURRENT_REQUESTS (the engine
sees it as in flight), which is what bounds how much waiting one crawl does at a time.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)


def backoff_delay(retry: int, base: float, cap: float, jitter: float = 0.0, rng=random) -> float:
    """Seconds to wait before retry number `retry` (1 for the first retry)."""
    nominal = min(cap, base * 2 ** max(0, retry - 1))
    return min(cap, nominal * (1 + rng.uniform(0, jitter))) if jitter > 0 else nominal


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """A Retry-After header as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class Backoff:
    """How retries wait, read once from the settings (their defaults are in crawler/settings.py)."""

    base: float
    max: float
    jitter: float

    @classmethod
    def from_settings(cls, settings) -> Backoff:
        return cls(
            settings.getfloat("GOVNEWS_RETRY_BACKOFF_BASE"),
            settings.getfloat("GOVNEWS_RETRY_BACKOFF_MAX"),
            settings.getfloat("GOVNEWS_RETRY_BACKOFF_JITTER"),
        )


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware whose retries wait: exponential backoff with jitter, Retry-After obeyed."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff = Backoff.from_settings(settings)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = None
        if response.status in RETRY_AFTER_STATUSES:
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None and asked > self.backoff.max:
                logger.info(
                    "Not retrying %s in this crawl: HTTP %d asks to come back in %.0f s (more than %.0f s)",
                    request,
                    response.status,
                    asked,
                    self.backoff.max,
                )
                self.crawler.stats.inc_value("retry/retry_after_too_long")
                return response
        retry = self._retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, at_least=asked)
        return retry

    async def process_exception(self, request, exception, spider=None):
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry_request(request, exception)
        if retry is None:
            return None  # the exception goes on to the request's errback
        await self._wait(retry)
        return retry

    def _retry_request(self, request, reason):
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )

    async def _wait(self, retry, at_least: float | None = None) -> None:
        delay = backoff_delay(retry.meta["retry_times"], self.backoff.base, self.backoff.max, self.backoff.jitter)
        if at_least is not None:
            delay = max(delay, at_least)
        retry.meta["govnews_retry_delay"] = delay
        self.crawler.stats.inc_value("govnews/retry_wait_seconds", delay)
        logger.debug("Retrying %s in %.2f s (retry %d)", retry, delay, retry.meta["retry_times"])
        if delay > 0:
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
