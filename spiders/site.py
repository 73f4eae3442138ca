"""`scrapy crawl site -a url=LIST_URL` or `scrapy crawl site -a site=NAME`.

Start URLs are list pages: the spider follows their pagination and yields every
article page it finds as a raw PageItem; the pipelines do the rest.  It never
leaves the start URLs' hosts (or the config's allowed_domains).

Crawls are incremental (crawler/incremental.py): an article the archive has is not
fetched again outside its recheck window, and is then fetched conditionally.
`-s GOVNEWS_INCREMENTAL=False` fetches everything again.  A list or article page that
is a script-filled shell is fetched again through the browser (crawler/browser.py).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import scrapy
from scrapy.http import Response, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number

from crawler.archive_run import ArchiveRun
from crawler.browser import browser_meta, looks_like_shell
from crawler.common import utcnow
from crawler.incremental import CrawlState
from crawler.items import PageItem
from crawler.sites import SiteConfig, site_for
from spiders.links import find_links


def response_headers(response: Response) -> dict[str, str]:
    """The response's headers as stored with its capture: a header sent several times (Set-Cookie)
    keeps one value per line, as Playwright reports them, so the WARC export can write them apart
    (joined with ", " they could not be told apart again: cookie dates contain commas)."""
    return {key.decode("latin-1"): b"\n".join(values).decode("latin-1") for key, values in response.headers.items()}


def unpacked_list(response: Response, max_size: int) -> Response | None:
    """A gzipped list (`sitemap_1.xml.gz`, served as a file rather than Content-Encoding,
    which Scrapy undoes itself) as the XML inside, at most `max_size` bytes of it; None for
    a body that is neither text nor gzip, or a broken or oversized gzip."""
    if not gzip_magic_number(response):
        return response if hasattr(response, "text") else None
    try:
        body = gunzip(response.body, max_size=max_size)
    except (OSError, EOFError, ValueError, struct.error, zlib.error):  # ValueError: over max_size
        return None
    return XmlResponse(
        response.url, status=response.status, headers=response.headers, body=body, request=response.request
    )


# A page filled in by scripts is read once its scripts' requests are done (no request for 0.5 s).
RENDERED = {"wait_until": "networkidle"}


def keep_server_bytes(holder: dict):
    """A Playwright response handler that keeps what the server sent for the page itself (its
    main-frame document), so a rendered page is archived with its source; where the browser
    no longer has them (a redirect's body, a page already closed) nothing is kept."""

    async def on_response(response) -> None:
        request = response.request
        if "body" in holder or not request.is_navigation_request() or request.frame.parent_frame is not None:
            return
        try:
            headers, body = await response.all_headers(), await response.body()
        except Exception:  # noqa: BLE001 - Playwright raises its own Error for bodies it dropped
            return
        holder.update(url=response.url, status=response.status, headers=headers, body=body)

    return on_response


@dataclass(frozen=True)
class CrawlConfig:
    """The spider's settings, read once (their defaults are in crawler/settings.py)."""

    sites_dirs: tuple[str, ...]
    max_list_pages: int
    incremental: bool
    recheck_days: float  # a site config's recheck_days wins
    revisit_days: float
    download_maxsize: int  # also bounds a gzipped sitemap unpacked

    @classmethod
    def from_settings(cls, settings) -> CrawlConfig:
        return cls(
            tuple(settings.getlist("GOVNEWS_SITES_DIRS")),
            settings.getint("GOVNEWS_MAX_LIST_PAGES"),
            settings.getbool("GOVNEWS_INCREMENTAL"),
            settings.getfloat("GOVNEWS_RECHECK_DAYS"),
            settings.getfloat("GOVNEWS_REVISIT_DAYS"),
            settings.getint("DOWNLOAD_MAXSIZE"),
        )


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, site: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if bool(url) == bool(site):
            raise ValueError("give exactly one of -a url=START_URL or -a site=NAME")
        self._url, self._site_name = url, site
        self.site: SiteConfig | None = None
        self._state: CrawlState | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config = CrawlConfig.from_settings(crawler.settings)
        spider.site = site_for(spider._url, spider._site_name, config.sites_dirs)
        spider.allowed_domains = spider.site.allowed_domains
        site_days = spider.site.recheck_days  # a site config's own window wins
        spider.recheck_days = site_days if site_days is not None else config.recheck_days
        spider.list_urls = set(spider.site.start_urls)
        spider.article_links = set()  # articles asked for: the `govnews/article_links` stat (progress)
        return spider

    @property
    def state(self) -> CrawlState:
        """The archive's answers for this crawl (read once the spider is open and its run started)."""
        if self._state is None:
            run = ArchiveRun.of(self.crawler)
            self._state = CrawlState(
                run.archive,
                self.site.name,
                recheck_days=self.recheck_days,
                revisit_days=self.config.revisit_days,
                run_id=run.run_id,
            )
        return self._state

    def _request(
        self, url: str, callback, formdata: dict | None = None, headers: dict | None = None, **meta
    ) -> scrapy.Request:
        if self.site.render == "browser":
            holder: dict = {}
            meta.update(
                playwright=True,
                govnews_server_capture=holder,
                playwright_page_goto_kwargs=RENDERED,
                playwright_page_event_handlers={"response": keep_server_bytes(holder)},
            )
        if formdata is not None:
            return scrapy.FormRequest(
                url, formdata=formdata, callback=callback, errback=self.on_error, meta=meta, headers=headers
            )
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers)

    def _through_browser(self, response: Response) -> scrapy.Request:
        """Ask again for a script-filled page, through Chromium, keeping what the server sent."""
        self.crawler.stats.inc_value("govnews/browser_pages")
        server_capture = {
            "url": response.url,
            "status": response.status,
            "headers": response_headers(response),
            "body": response.body,
        }
        return response.request.replace(
            meta=browser_meta(
                response.request.meta, govnews_server_capture=server_capture, playwright_page_goto_kwargs=RENDERED
            ),
            dont_filter=True,
        )

    def _needs_browser(self, response: Response) -> bool:
        return (
            response.status == 200
            and not response.meta.get("playwright")
            and hasattr(response, "text")
            and looks_like_shell(response.text)
        )

    async def start(self):
        for url in self.site.start_urls:
            yield self._request(url, self.parse_list)
        if self.config.incremental:
            for url in self.state.failed_last_time():
                self.crawler.stats.inc_value("govnews/retried_failures")
                self._known_article(url)
                yield self._request(url, self.parse_article)

    def parse_list(self, response: Response):
        unpacked = unpacked_list(response, self.config.download_maxsize)
        if unpacked is None:
            self.logger.warning("list page is neither text nor a readable gzip: %s", response.url)
            self.crawler.stats.inc_value("govnews/unreadable_list_pages")
            return
        response = unpacked
        self.crawler.stats.inc_value("govnews/list_pages")
        links = find_links(
            response.url,
            response.text,
            allowed_hosts=set(self.site.allowed_domains),
            article_patterns=self.site.article_patterns,
            pagination_patterns=self.site.pagination_patterns,
        )
        for href, reason in links.bad_links:
            self._bad_link(response.url, href, reason)
        if not (links.articles or links.pages or links.posts) and self._needs_browser(response):
            self.logger.info("list %s is filled in by scripts: through the browser", response.url)
            yield self._through_browser(response)
            return
        self.crawler.stats.inc_value("govnews/list_links", len(links.articles))
        self.logger.info(
            "list %s: %d articles, %d list pages",
            response.url,
            len(links.articles),
            len(links.pages) + len(links.posts),
        )
        new = 0
        for url in links.articles:
            try:  # one link Scrapy cannot ask for never loses the others
                decision, headers = self.state.decide(url) if self.config.incremental else ("new", {})
                request = None if decision == "skip" else self._request(url, self.parse_article, headers=headers)
            except ValueError as error:
                self._bad_link(response.url, url, str(error) or type(error).__name__)
                continue
            if request is None:
                self.crawler.stats.inc_value("govnews/skipped_known")
                continue
            new += decision == "new"
            self._known_article(url)
            yield request
        # After a crawl that got to the end, page one list page at a time (the first one not yet
        # read), and stop at a page whose every article is archived: nothing older is new.
        careful = self.config.incremental and self.state.previous_run_finished()
        if careful and links.articles and not new:
            self.logger.info("list %s: every article known, not paging further", response.url)
            return
        pages = [(url, None, url) for url in links.pages] + [
            (url, formdata, url + "?" + "&".join(f"{k}={v}" for k, v in sorted(formdata.items())))
            for url, formdata in links.posts
        ]
        pages = [page for page in pages if page[2] not in self.list_urls]
        for url, formdata, key in pages[:1] if careful else pages:
            # A cap on list pages per crawl bounds calendar-style and endless paging traps.
            if len(self.list_urls) < self.config.max_list_pages:
                try:
                    request = self._request(url, self.parse_list, formdata=formdata)
                except ValueError as error:
                    self._bad_link(response.url, url, str(error) or type(error).__name__)
                    continue
                self.list_urls.add(key)
                yield request

    def _known_article(self, url: str) -> None:
        """An article link to fetch, counted once however many list pages link it (crawler/progress.py)."""
        if url not in self.article_links:
            self.article_links.add(url)
            self.crawler.stats.inc_value("govnews/article_links")

    def _bad_link(self, page_url: str, href: str, reason: str) -> None:
        """A link on a list page that is no URL: a failures row (stage "link") naming the page
        and the link as written, and the `govnews/bad_links` stat."""
        self.logger.warning("bad link on %s: %r (%s)", page_url, href, reason)
        self.crawler.stats.inc_value("govnews/bad_links")
        run = ArchiveRun.of(self.crawler)
        run.archive.add_failure(
            url=href, stage="link", error=f"bad link on {page_url}: {reason}", crawl_run_id=run.run_id
        )

    def parse_article(self, response: Response):
        if self._needs_browser(response):
            self.logger.info("article %s is filled in by scripts: through the browser", response.url)
            yield self._through_browser(response)
            return
        # After redirects, the first URL asked for (the one the list linked to); a rendered page's
        # response URL is where its scripts ended, its request's the one asked for.
        asked = response.request.url if response.request is not None else response.url
        request_url = response.meta.get("govnews_request_url") or (response.meta.get("redirect_urls") or [asked])[0]
        if response.status == 304 and request_url != response.url:
            # The validators were the old URL's; the page it moved to is asked for plainly.
            yield self._request(response.url, self.parse_article, govnews_request_url=request_url).replace(
                dont_filter=True
            )
            return
        rendered = bool(response.meta.get("playwright"))
        if rendered and not response.url.startswith(("http://", "https://")):
            yield self._left_by_its_scripts(response, request_url)
            return
        yield PageItem(
            url=response.url,
            request_url=request_url,
            status=response.status,
            headers=response_headers(response),
            body=response.body,
            fetched_at=utcnow(),
            site=self.site.name,
            site_config=self.site.to_dict(),
            render="browser" if rendered else None,
            server_capture=self._server_capture(response) if rendered else None,
        )

    def _left_by_its_scripts(self, response: Response, request_url: str) -> PageItem:
        """A rendered page whose scripts navigated to an address the browser refused (off the site)
        or could not load: Chromium shows its own error page (chrome-error://chromewebdata/), which
        is not the site's. What the server sent is kept; the fetch fails with that reason."""
        self.crawler.stats.inc_value("govnews/browser/left_the_page")
        item = PageItem(
            url=request_url,
            request_url=request_url,
            status=response.status,
            headers={},
            body=b"",
            fetched_at=utcnow(),
            site=self.site.name,
            site_config=self.site.to_dict(),
            render="browser",
            server_capture=self._server_capture(response),
        )
        item.fail("fetch", f"the page's scripts left it for an address refused or not loaded ({response.url})")
        return item

    @staticmethod
    def _server_capture(response: Response) -> dict | None:
        capture = response.meta.get("govnews_server_capture")
        return dict(capture) if capture and capture.get("body") is not None else None

    def on_error(self, failure):
        request = failure.request
        self.logger.warning("fetch failed: %s (%s)", request.url, failure.value)
        if request.callback == self.parse_article and isinstance(failure.value, HttpError):
            # A status outside HTTPERROR_ALLOWED_CODES (504, 429 after its retries): kept like
            # the others, the extract stage records "HTTP nnn" beside the capture.
            yield from self.parse_article(failure.value.response)
            return
        if request.callback == self.parse_article:
            # Nothing was fetched; the archive still records that we tried.
            self.crawler.stats.inc_value("govnews/fetch_failures")
            item = PageItem(
                # The URL the list linked to, not the last hop of a redirect chain.
                url=(request.meta.get("redirect_urls") or [request.url])[0],
                status=0,
                headers={},
                body=b"",
                fetched_at=utcnow(),
                site=self.site.name,
                site_config=self.site.to_dict(),
            )
            item.fail("fetch", _reason(failure))
            yield item
            return
        # A list page (or sitemap, feed) that could not be fetched: recorded too, with its reason.
        self.crawler.stats.inc_value("govnews/list_failures")
        run = ArchiveRun.of(self.crawler)
        run.archive.add_failure(url=request.url, stage="list", error=_reason(failure), crawl_run_id=run.run_id)


def _reason(failure) -> str:
    """Why a fetch failed, never empty (a cancelled download's exception has no message)."""
    return f"{type(failure.value).__name__}: {failure.value}" if str(failure.value) else type(failure.value).__name__
