"""`scrapy crawl site -a url=LIST_URL` or `scrapy crawl site -a site=NAME`.

Start URLs are list pages: the spider follows their pagination and yields every
article page it finds as a raw PageItem; the pipelines do the rest.  It never
leaves the start URLs' hosts (or the config's allowed_domains).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import scrapy
from scrapy.http import Response

from crawler.items import PageItem
from crawler.sites import SiteConfig, find_site
from spiders.links import find_links


def response_headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1"): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, site: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if bool(url) == bool(site):
            raise ValueError("give exactly one of -a url=START_URL or -a site=NAME")
        self._url, self._site_name = url, site
        self.site: SiteConfig | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider._site_name:
            dirs = crawler.settings.getlist("GOVNEWS_SITES_DIRS")
            spider.site = find_site(spider._site_name, dirs)
        else:
            urls = [u for u in re.split(r"[\s,]+", spider._url) if u]
            spider.site = SiteConfig.from_url(urls[0])
            spider.site.start_urls = urls
            spider.site.__post_init__()
        spider.allowed_domains = spider.site.allowed_domains
        spider.max_list_pages = crawler.settings.getint("GOVNEWS_MAX_LIST_PAGES", 50)
        spider.list_urls = set(spider.site.start_urls)
        return spider

    def _request(self, url: str, callback, formdata: dict | None = None, **meta) -> scrapy.Request:
        if self.site.render == "browser":
            meta["playwright"] = True
        if formdata is not None:
            return scrapy.FormRequest(url, formdata=formdata, callback=callback, errback=self.on_error, meta=meta)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    async def start(self):
        for url in self.site.start_urls:
            yield self._request(url, self.parse_list)

    def parse_list(self, response: Response):
        if not hasattr(response, "text"):
            self.logger.warning("list page is not text: %s", response.url)
            return
        links = find_links(
            response.url,
            response.text,
            allowed_hosts=set(self.site.allowed_domains),
            article_patterns=self.site.article_patterns,
            pagination_patterns=self.site.pagination_patterns,
        )
        self.logger.info(
            "list %s: %d articles, %d list pages", response.url, len(links.articles), len(links.pages)
        )
        for url in links.articles:
            yield self._request(url, self.parse_article)
        for url in links.pages:
            # A cap on list pages per crawl bounds calendar-style and endless paging traps.
            if url not in self.list_urls and len(self.list_urls) < self.max_list_pages:
                self.list_urls.add(url)
                yield self._request(url, self.parse_list)
        for url, formdata in links.posts:
            key = url + "?" + "&".join(f"{k}={v}" for k, v in sorted(formdata.items()))
            if key not in self.list_urls and len(self.list_urls) < self.max_list_pages:
                self.list_urls.add(key)
                yield self._request(url, self.parse_list, formdata=formdata)

    def parse_article(self, response: Response):
        yield PageItem(
            url=response.url,
            # After redirects, the first URL asked for (the one the list linked to).
            request_url=(response.meta.get("redirect_urls") or [response.url])[0],
            status=response.status,
            headers=response_headers(response),
            body=response.body,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            site=self.site.name,
            site_config=self.site.to_dict(),
        )

    def on_error(self, failure):
        request = failure.request
        self.logger.warning("fetch failed: %s (%s)", request.url, failure.value)
        if request.callback == self.parse_article:
            # Nothing was fetched; the archive still records that we tried.
            self.crawler.stats.inc_value("govnews/fetch_failures")
            item = PageItem(
                url=request.url,
                status=0,
                headers={},
                body=b"",
                fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                site=self.site.name,
                site_config=self.site.to_dict(),
            )
            item.fail("fetch", f"{type(failure.value).__name__}: {failure.value}")
            yield item
