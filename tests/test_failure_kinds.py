"""A failure's kind (crawler/failure_kinds.py): one fixed vocabulary for `govnews health` and the
metrics' `kind` label, whatever a hostile server puts in the error text."""

import pytest

from crawler.failure_kinds import FETCH_KINDS, failure_kind


@pytest.mark.parametrize(
    ("stage", "error", "kind"),
    [
        ("fetch", "HTTP 500", "http_5xx"),
        ("fetch", "HTTP 503", "http_5xx"),
        ("list", "HTTP 502", "http_5xx"),
        ("fetch", "HTTP 403", "http_403"),
        ("fetch", "HTTP 412", "challenge"),
        ("fetch", "HTTP 521", "challenge"),
        ("fetch", "HTTP 404", "http_404"),
        ("fetch", "HTTP 410", "http_410"),
        ("fetch", "HTTP 429", "http_429"),
        ("fetch", "HTTP 418", "http_4xx"),
        ("fetch", "DownloadTimeoutError: Getting http://x took longer than 1.0 seconds.", "timeout"),
        ("fetch", "TimeoutError: User timeout caused connection failure.", "timeout"),
        ("list", "TCPTimedOutError: TCP connection timed out", "timeout"),
        ("fetch", "DNSLookupError: no such host", "dns"),
        ("fetch", "DownloadFailedError: [<twisted.python.failure.Failure ConnectionLost>]", "connection"),
        ("fetch", "ResponseNeverReceived: [<twisted.python.failure.Failure …>]", "connection"),
        ("fetch", "<script>alert(1)</script>", "fetch"),
        ("fetch", "IgnoreRequest: Forbidden by robots.txt", "robots"),
        ("list", "IgnoreRequest: Forbidden by robots.txt", "robots"),
        ("link", "bad link on http://x: no host", "link"),
        ("list", "not a list page", "list"),
        ("extract", "not an HTML page: the body is binary data", "extract"),
        ("<b>made up</b>", "HTTP 500", "other"),
        ("extract", "", "extract"),
    ],
)
def test_failure_kinds(stage, error, kind):
    assert failure_kind(stage, error) == kind


def test_only_fetches_that_did_not_work_count_as_failed_fetches():
    assert {"http_5xx", "timeout", "challenge", "fetch"} <= FETCH_KINDS
    assert not {"http_404", "http_410", "robots", "link", "extract", "other"} & FETCH_KINDS
