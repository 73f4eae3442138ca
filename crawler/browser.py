"""When a page needs the browser: JavaScript challenges and pages rendered by script.

Two kinds of page are sent through Chromium (scrapy-playwright) without any site config:

- a **challenge**: 412 or 521 (the two statuses the common Chinese anti-bot services
  answer with) whose body is a script that sets a cookie and reloads. The browser runs
  it once; the cookies it earns go into the crawl's cookie jar, and the page is fetched
  again over plain HTTP with them, so the archive gets the bytes the server sends and
  every later request to that site carries the cookies. The stance is conservative:
  each challenge slows the site down (its download delay doubles, up to a cap), a URL
  goes through the browser at most `GOVNEWS_CHALLENGE_RETRIES` times, and a site that
  keeps refusing after `GOVNEWS_CHALLENGE_STOP` challenges in a row stops the crawl with
  the reason `challenge_refused`, reported in crawl_runs.detail;
- a **shell page**: HTML with next to no text of its own and scripts that fill it in
  (`looks_like_shell`); the spider asks for it again through the browser and archives the
  rendered DOM linked to the bytes the server sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
import scrapy.downloadermiddlewares.cookies
import scrapy_playwright.handler
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from tldextract import TLDExtract

from crawler.archive_run import ArchiveRun
from crawler.offsite import offsite_reason

logger = logging.getLogger(__name__)

# Scrapy's cookie jar asks tldextract for public suffixes, and tldextract first tries to download
# the list (logging a traceback offline, once per process): use the list it ships with.
scrapy.downloadermiddlewares.cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

CHALLENGE_STATUSES = (412, 521)
SHELL_MAX_TEXT = 60  # Han characters of visible text below which a scripted page is a shell
HAN = re.compile(r"[\u4e00-\u9fff]")
SCRIPT = re.compile(rb"<script", re.I)
BROWSER_META = (
    "playwright",
    "playwright_include_page",
    "playwright_page",
    "playwright_page_methods",
    "playwright_page_init_callback",
    "govnews_challenge_reloaded",
)


def is_challenge(status: int, body: bytes) -> bool:
    """A 412/521 answer carrying a script: an anti-bot challenge, not the page."""
    return status in CHALLENGE_STATUSES and bool(SCRIPT.search(body[:200_000]))


def visible_han(html: str) -> int:
    """Han characters a reader would see: scripts, styles and templates left out."""
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return 0
    for element in root.xpath("//script|//style|//noscript|//template|//title"):
        element.drop_tree()
    return len(HAN.findall(root.text_content()))


def looks_like_shell(html: str) -> bool:
    """A page whose content comes from its scripts: almost no text of its own, and scripts."""
    return bool(SCRIPT.search(html.encode("utf-8", "ignore"))) and visible_han(html) < SHELL_MAX_TEXT


async def hold_first_document(page, request) -> None:
    """scrapy-playwright page-init callback for a challenge: let its script run and set its
    cookie, but abort the reload it then asks for. The cookie is what we came for, and a site
    that keeps refusing would otherwise reload forever. The attempt is signalled in meta."""
    reloaded = asyncio.Event()
    request.meta["govnews_challenge_reloaded"] = reloaded
    documents = 0

    async def route(intercepted):
        nonlocal documents
        if intercepted.request.is_navigation_request() and intercepted.request.frame == page.main_frame:
            documents += 1
            if documents > 1:
                reloaded.set()
                await intercepted.abort()
                return
        # on to scrapy-playwright's own route: it applies the off-site policy and govnews' headers
        await intercepted.fallback()

    await page.route("**/*", route)


def browser_meta(meta: dict, **extra) -> dict:
    return {**meta, "playwright": True, **extra}


def http_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in BROWSER_META}


@dataclass(frozen=True)
class ChallengeConfig:
    """The challenge settings, read once (their defaults are in crawler/settings.py)."""

    max_retries: int  # browser passes per URL
    stop_after: int  # challenges in a row before the site's crawl stops
    max_delay: float  # seconds: the most the back-off slows a site to
    script_wait: float  # seconds a challenge's script may take

    @classmethod
    def from_settings(cls, settings) -> ChallengeConfig:
        return cls(
            settings.getint("GOVNEWS_CHALLENGE_RETRIES"),
            settings.getint("GOVNEWS_CHALLENGE_STOP"),
            settings.getfloat("GOVNEWS_CHALLENGE_MAX_DELAY"),
            settings.getfloat("GOVNEWS_CHALLENGE_SCRIPT_WAIT"),
        )


class ChallengeMiddleware:
    """Downloader middleware: pass JavaScript challenges with the browser, politely."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("GOVNEWS_CHALLENGE_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.config = ChallengeConfig.from_settings(settings)
        self.refusals: dict[str, int] = {}  # challenges in a row, per host
        self.stopping = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response, spider=None):
        host = urlsplit(request.url).hostname or ""
        stats = self.crawler.stats
        if request.meta.get("govnews_challenge_render"):
            # The browser ran the challenge: keep its cookies and ask again over HTTP.
            cookies = await self._take_cookies(response, host)
            stats.inc_value("govnews/challenge/browser_passes")
            headers = request.headers.copy()
            headers.pop(b"Cookie", None)  # the jar writes it again, earned cookies included
            return request.replace(
                meta=http_meta({**request.meta, "govnews_challenge_render": False}),
                headers=headers,
                cookies={**_as_dict(request.cookies), **cookies},
                dont_filter=True,
            )
        if not is_challenge(response.status, response.body):
            if host in self.refusals and response.status < 400:
                self.refusals[host] = 0
            return response
        stats.inc_value("govnews/challenge/seen")
        self.refusals[host] = self.refusals.get(host, 0) + 1
        self._slow_down(request, host)
        attempts = request.meta.get("govnews_challenge_attempts", 0)
        if self.refusals[host] > self.config.stop_after:
            self._stop(host)
            return response
        if attempts >= self.config.max_retries or request.meta.get("playwright"):
            stats.inc_value("govnews/challenge/gave_up")
            return response  # the spider records it: a failure row with HTTP 412/521
        logger.info(
            "challenge (HTTP %d) on %s: through the browser (attempt %d)", response.status, request.url, attempts + 1
        )
        return request.replace(
            meta=browser_meta(
                request.meta,
                playwright_include_page=True,
                govnews_challenge_render=True,
                playwright_page_init_callback=hold_first_document,
                govnews_challenge_attempts=attempts + 1,
            ),
            dont_filter=True,
        )

    async def _take_cookies(self, response, host: str) -> dict[str, str]:
        page = response.meta.get("playwright_page")
        if page is None:
            return {}
        reloaded = response.meta.get("govnews_challenge_reloaded")
        if reloaded is not None:  # scripts that wait before setting the cookie: give them a moment
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reloaded.wait(), self.config.script_wait)
        try:
            cookies = await page.context.cookies()
        finally:
            await page.close()
        return {
            c["name"]: c["value"]
            for c in cookies
            if host == c["domain"].lstrip(".")
            or host.endswith(c["domain"] if c["domain"].startswith(".") else "." + c["domain"])
        }

    def _slow_down(self, request, host: str) -> None:
        """Per-site back-off: each challenge doubles the site's download delay (up to a cap)."""
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or host
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = min(max(slot.delay * 2, 0.5), self.config.max_delay)

    def _stop(self, host: str) -> None:
        if self.stopping:
            return
        self.stopping = True
        detail = f"{host} kept refusing: {self.refusals[host]} JavaScript challenges in a row"
        logger.error("stopping the crawl: %s", detail)
        ArchiveRun.of(self.crawler).detail = detail
        # Not awaited: closing waits for the downloads in flight, this response among them.
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="challenge_refused"))

    def spider_closed(self, spider, reason):
        self.refusals.clear()


def _as_dict(cookies) -> dict:
    if isinstance(cookies, dict):
        return cookies
    return {c["name"]: c["value"] for c in cookies or []}


_WEB_SOCKET_SCHEME = re.compile(r"^ws(?=s?:)", re.I)


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright, started by the first request that needs the browser instead of with
    the crawl: its Node driver (about 125 MB, one a scheme) stays out of the many crawls that
    never render a page. Requests without `playwright` meta go to Scrapy's HTTP handler.

    Every request Chromium makes (navigations, subresources, a challenge's scripts) is judged by
    the crawl's off-site policy (crawler/offsite.py) and aborted off the site."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._policy_crawler = crawler
        self._skipped_types = frozenset(crawler.settings.getlist("GOVNEWS_BROWSER_SKIP_RESOURCES"))
        if self.abort_request is None:  # PLAYWRIGHT_ABORT_REQUEST, when given, is the user's
            self.abort_request = self._aborted
        started = self._maybe_launch_in_thread if scrapy_playwright.handler._SCRAPY_ASYNC_API else self._engine_started
        crawler.signals.disconnect(started, signal=signals.engine_started)
        self._lazy_launch_lock = asyncio.Lock()
        # set once _launch has returned: scrapy-playwright sets `browser_provider` before it has
        # started, so a second request that judged by it would go on to an unstarted browser
        self._launched = False

    def _aborted(self, playwright_request) -> bool:
        """Off the site, or of a type the DOM does not need (GOVNEWS_BROWSER_SKIP_RESOURCES)."""
        if self._refused(playwright_request.url):
            return True
        if playwright_request.resource_type in self._skipped_types:
            self._policy_crawler.stats.inc_value(f"govnews/browser/skipped/{playwright_request.resource_type}")
            return True
        return False

    def _refused(self, url: str) -> bool:
        if url.startswith(("data:", "blob:", "about:")):
            return False
        crawler = self._policy_crawler
        # a WebSocket's ws:/wss: URL is judged as the http:/https: URL of its handshake
        why = offsite_reason(
            _WEB_SOCKET_SCHEME.sub("http", url), getattr(crawler.spider, "allowed_domains", None) or ()
        )
        if why:
            crawler.stats.inc_value("govnews/offsite/browser_refused")
            logger.info("browser request refused: %s: %s", url, why)
        return bool(why)

    async def _create_browser_context(self, name, context_kwargs, spider=None):
        # Service workers fetch beside the pages' routes, where no policy sees their requests: none run.
        context_kwargs = {**(context_kwargs or {}), "service_workers": "block"}
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        await self._confine(wrapper.context)
        return wrapper

    async def _confine(self, context) -> None:
        """The off-site policy for what scrapy-playwright's page routes do not see: the pages a script
        opens (window.open, a form or link aimed at a new window), which are closed at once, and
        WebSockets, whose handshake no route intercepts."""

        async def route(intercepted) -> None:
            if self._refused(intercepted.request.url):
                await intercepted.abort()
            else:
                await intercepted.fallback()

        async def web_socket(socket) -> None:
            if self._refused(socket.url):
                await socket.close(code=1008, reason="off-site")
            else:
                socket.connect_to_server()

        async def close_popup(page) -> None:
            if await page.opener() is not None:
                self._policy_crawler.stats.inc_value("govnews/browser/popups_closed")
                await page.close()

        await context.route("**/*", route)
        await context.route_web_socket(re.compile(".*"), web_socket)
        context.on("page", close_popup)

    async def download_request(self, request, spider=None):
        if request.meta.get("playwright") and not self._launched:
            async with self._lazy_launch_lock:
                if not self._launched:
                    await self._maybe_future_from_coro(self._launch())
                    self._launched = True
        if spider is None:
            return await super().download_request(request)
        return await super().download_request(request, spider)
