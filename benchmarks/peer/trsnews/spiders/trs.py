"""One TRS WCM news column: its list pages, then every article through trafilatura."""

from __future__ import annotations

import re

import scrapy
import trafilatura

# TRS writes its pager with a script: `var currentPage = 1;` `var countPage = 150`, then
# createPageHTML(countPage, currentPage, "index", "html") links index.html, index_1.html, …
PAGER = re.compile(r"var\s+currentPage\s*=\s*(\d+).*?var\s+countPage\s*=\s*(\d+)", re.S)


class TrsSpider(scrapy.Spider):
    name = "trs"

    def __init__(self, url: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [url]

    def parse(self, response):
        for href in response.css("ul.list li a::attr(href)").getall():
            yield response.follow(href, self.parse_article)
        pager = PAGER.search(response.css("div.page script::text").get(default=""))
        if pager and int(pager.group(1)) == 0:  # the first list page queues all the others
            for number in range(1, int(pager.group(2))):
                yield response.follow(f"index_{number}.html", self.parse)

    def parse_article(self, response):
        doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if doc is None:
            self.logger.warning("no article found on %s", response.url)
            return
        yield {
            "url": response.url,
            "title": doc.title,
            "date": doc.date,
            "author": doc.author,
            "text": doc.text,
            "html": response.body,
        }
