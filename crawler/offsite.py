"""One off-site policy, enforced wherever a request leaves the crawl.

"The site" is the spider's `allowed_domains` (a site config's, or the start URLs' hosts) and
their subdomains, on any port. Attachments may also come from the article's own host and the
subdomains of its registrable part (`www.weidu.gov.cn` keeps its files on `file.weidu.gov.cn`), or,
with ``GOVNEWS_ATTACHMENT_HOSTS=any``, from anywhere. Every request is judged, redirect hops, meta
refreshes and requests marked ``dont_filter`` included (Scrapy's own OffsiteMiddleware lets those
through); this middleware takes its place. Chromium's requests are judged by the same function
(crawler/browser.py). robots.txt requests go to the hosts whose requests passed.

A URL the parsers could read two ways is refused whatever its host: a backslash before the path
(``http://other\\@site/x.pdf`` is ``other`` to a browser, ``site`` to urlsplit), userinfo, control
characters or an unreadable host.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string

from pipelines.attachment_files import same_site

logger = logging.getLogger(__name__)

ANY_HOST = "govnews_any_host"  # request meta: an attachment where GOVNEWS_ATTACHMENT_HOSTS=any
ATTACHMENT_OF = "govnews_attachment_of"  # request meta: the article an attachment is linked from


def request_host(url: str) -> tuple[str | None, str]:
    """(host, "") for a URL every parser reads alike, else (None, why it is refused)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None, "not an http(s) URL"
    if "\\" in re.split(r"[/?#]", rest, maxsplit=1)[0]:
        return None, "backslash in the host part"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None, "control character"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on an unreadable port
        again = urlsplit(safe_url_string(url)).hostname
    except ValueError as exc:
        return None, f"unreadable URL: {exc}"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None, "userinfo in the URL"
    if not host or host != again:
        return None, "the host reads differently once escaped"
    return host.rstrip(".").lower(), ""


def host_allowed(host: str, allowed_domains) -> bool:
    for domain in allowed_domains or ():
        domain = domain.lower().rstrip(".").split(":", 1)[0]
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def offsite_reason(url: str, allowed_domains, *, attachment_of: str | None = None, any_host: bool = False) -> str:
    """Why `url` may not be requested ("" when it may)."""
    host, why = request_host(url)
    if host is None:
        return why
    if any_host or host_allowed(host, allowed_domains):
        return ""
    if attachment_of and same_site(url, attachment_of, allowed_domains):
        return ""
    return f"off-site host {host}"


class SitePolicyMiddleware:
    """Downloader middleware (in the place of Scrapy's OffsiteMiddleware): every request of the
    crawl, whatever its origin, to the site's hosts only; the rest is refused and counted."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        meta = request.meta
        if meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt":
            return None  # asked by RobotsTxtMiddleware for a host whose request passed here
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or ()
        why = offsite_reason(request.url, allowed, attachment_of=meta.get(ATTACHMENT_OF), any_host=meta.get(ANY_HOST))
        if why:
            self.crawler.stats.inc_value("govnews/offsite/refused")
            logger.info("refused %s: %s", request.url, why)
            raise IgnoreRequest(f"refused: {why}")
        return None
