"""A `failures` row's kind, from its `stage` and `error`: one small fixed vocabulary, the same in
`govnews health` (archive/health.py) and in the metrics' `kind` label (crawler/metrics.py).

No Scrapy import: the archive reads it.

- `robots`: robots.txt forbids the URL (any stage);
- for an answer with an HTTP status (a page or a list page): `challenge` (412, 521: a JavaScript
  challenge not passed), `http_403`, `http_404`, `http_410`, `http_429`, `http_4xx` (another
  4xx), `http_5xx`;
- for a download that got no answer (a page or a list page): `timeout`, `dns`, `connection`,
  `fetch` (another error of a page);
- otherwise the stage that failed: `list`, `link` (a bad link on a list page), `capture`,
  `extract`, `normalize`, `enrich`, `index`, `attachment`, `archive`; `other` for anything else.
"""

from __future__ import annotations

import re

ROBOTS = "Forbidden by robots.txt"
STAGES = frozenset({"list", "link", "capture", "extract", "normalize", "enrich", "index", "attachment", "archive"})
# The kinds of a fetch that did not work; a 404 or 410 is a missing page, not a failing site.
FETCH_KINDS = frozenset(
    {"challenge", "http_403", "http_429", "http_4xx", "http_5xx", "timeout", "dns", "connection", "fetch"}
)
_HTTP_STATUS = re.compile(r"HTTP (\d{3})\b")
_NAMED_STATUSES = {
    412: "challenge",
    521: "challenge",
    403: "http_403",
    404: "http_404",
    410: "http_410",
    429: "http_429",
}
# Twisted's and Scrapy's download errors, as their names appear in the error text.
_NETWORK_KINDS = (
    (re.compile(r"Timeout|TimedOut|timed out"), "timeout"),
    (re.compile(r"DNSLookup"), "dns"),
    (
        re.compile(r"Connection|ConnectError|ResponseNeverReceived|ResponseFailed|ResponseDataLoss|DownloadFailed"),
        "connection",
    ),
)


def failure_kind(stage: str, error: str) -> str:
    error = error or ""
    if ROBOTS in error:
        return "robots"
    if stage in ("fetch", "list") and (status := _HTTP_STATUS.match(error)):
        code = int(status.group(1))
        if code in _NAMED_STATUSES:
            return _NAMED_STATUSES[code]
        return "http_5xx" if code >= 500 else "http_4xx"
    if stage in ("fetch", "list"):
        network = next((kind for pattern, kind in _NETWORK_KINDS if pattern.search(error)), None)
        if network:
            return network
    if stage == "fetch":
        return "fetch"
    return stage if stage in STAGES else "other"
