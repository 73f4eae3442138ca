"""Limits on what a server may send before its body: the response headers.

Twisted reads response headers without bounds (3 million streamed headers grew a crawl by about
540 MB). `ResponseLimits`, a Scrapy extension, bounds the header section of every HTTP response
(Scrapy's own downloader; Chromium keeps its own limits): past ``GOVNEWS_MAX_RESPONSE_HEADERS``
lines (continuation lines count) or ``GOVNEWS_MAX_RESPONSE_HEADER_BYTES`` bytes the download fails
with `ResponseHeadersTooLarge`, and the page's failure row says so.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import _LenientHTTPClientParser
from twisted.web import _newclient


class ResponseHeadersTooLarge(Exception):
    pass


_limits = {"lines": 0, "bytes": 0}


def _count_header_line(parser, line: bytes) -> None:
    if parser.state != _newclient.HEADER:
        return
    lines = parser.__dict__.get("_govnews_header_lines", 0) + 1
    size = parser.__dict__.get("_govnews_header_bytes", 0) + len(line)
    parser._govnews_header_lines, parser._govnews_header_bytes = lines, size
    if lines > _limits["lines"] or size > _limits["bytes"]:
        raise ResponseHeadersTooLarge(
            f"response headers over the limit ({lines} lines, {size} bytes; GOVNEWS_MAX_RESPONSE_HEADERS="
            f"{_limits['lines']}, GOVNEWS_MAX_RESPONSE_HEADER_BYTES={_limits['bytes']})"
        )


def _bound(parser_class) -> None:
    """Count each header line before `parser_class` reads it (once per class)."""
    unbounded = parser_class.__dict__["lineReceived"]
    if getattr(unbounded, "_govnews_bounded", False):
        return

    def lineReceived(self, line):  # noqa: N802 - Twisted's name
        _count_header_line(self, line)
        return unbounded(self, line)

    lineReceived._govnews_bounded = True  # type: ignore[attr-defined]
    parser_class.lineReceived = lineReceived


class ResponseLimits:
    """Installs the header bounds in this process (one set of limits: the crawl's settings)."""

    def __init__(self, settings):
        _limits["lines"] = settings.getint("GOVNEWS_MAX_RESPONSE_HEADERS")
        _limits["bytes"] = settings.getint("GOVNEWS_MAX_RESPONSE_HEADER_BYTES")
        _bound(_newclient.HTTPParser)
        _bound(_LenientHTTPClientParser)  # Scrapy's parser has its own copy of lineReceived

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)
