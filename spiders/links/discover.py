"""The list page: its article links, further list pages and POSTed list pages, from the
URL shapes, pagers, TRS, Hanweb and feed modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

from spiders.links.feeds import _advertised_feeds, _feed_entries, xml_root
from spiders.links.hanweb import _hanweb_posts, datastore_records
from spiders.links.pagers import (
    MAX_ANNOUNCED_PAGES,
    NEXT_PAGE_TEXTS,
    _fill_page_gaps,
    _list_scope,
    _own_pager,
    _paginates,
)
from spiders.links.trs import _create_page_calls
from spiders.links.urls import (
    NON_PAGE_EXTENSIONS,
    _looks_like_article_address,
    _looks_like_headline,
    _same_site,
    is_article_url,
    is_list_url,
)


@dataclass
class PageLinks:
    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    # List pages fetched by POST with form data (Hanweb's dataproxy.jsp): (url, formdata).
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def find_links(
    url: str,
    html: str,
    *,
    allowed_hosts: set[str] | None = None,
    article_patterns: list[str] = (),
    pagination_patterns: list[str] = (),
) -> PageLinks:
    """Article links, further list pages and POSTed list pages on the list page `url`
    (HTML, a Hanweb dataproxy.jsp datastore, a sitemap, an RSS or an Atom feed)."""
    allowed_hosts = allowed_hosts or {urlsplit(url).hostname or ""}
    extra_articles = [re.compile(p) for p in article_patterns]
    extra_pages = [re.compile(p) for p in pagination_patterns]
    html = html or ""
    scope = _list_scope(url)
    found = PageLinks()
    seen: set[str] = {urldefrag(url)[0]}

    def add(bucket: list[str], link: str) -> None:
        if link not in seen:
            seen.add(link)
            bucket.append(link)

    def usable(link: str) -> bool:
        parts = urlsplit(link)
        return (
            parts.scheme in ("http", "https")
            and _same_site(link, allowed_hosts)
            and not NON_PAGE_EXTENSIONS.search(parts.path)
        )

    root = xml_root(html)
    if root in ("urlset", "sitemapindex", "rss", "rdf:rdf", "feed"):
        entries, sitemaps = _feed_entries(root, html)
        for entry in entries:
            link = urldefrag(urljoin(url, entry))[0]
            # A feed's items are articles; a sitemap also lists home and column pages.
            if usable(link) and (root != "urlset" or _looks_like_article_address(link, extra_articles)):
                add(found.articles, link)
        for sitemap in sitemaps:
            link = urldefrag(urljoin(url, sitemap))[0]
            if usable(link):
                add(found.pages, link)
        return found

    candidates: list[str] = []  # list pages, before the pager check

    def anchors(selector: Selector, base_url: str, paging: bool) -> None:
        for anchor in selector.xpath("//a[@href]"):
            href = (anchor.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            link = urldefrag(urljoin(base_url, href))[0]
            if not usable(link):
                continue
            text = " ".join("".join(anchor.xpath(".//text()").getall()).split())
            title_attr = anchor.attrib.get("title", "")
            if is_list_url(link, extra_pages) or (
                text.lower() in NEXT_PAGE_TEXTS or (text.isdigit() and len(text) < 4)
            ):
                if (
                    paging
                    and _paginates(link, url, scope)
                    and not is_article_url(link, extra_articles)
                    and link not in candidates
                ):
                    candidates.append(link)
                continue
            if is_article_url(link, extra_articles) or _looks_like_headline(text or title_attr, link):
                add(found.articles, link)

    records = datastore_records(html)
    if root == "datastore":  # the answer of dataproxy.jsp: records only
        anchors(Selector(text="\n".join(records) or "<html></html>"), url, paging=False)
        return found

    selector = Selector(text=html or "<html></html>")
    base = selector.xpath("//base/@href").get()
    base_url = urljoin(url, base) if base else url
    anchors(selector, base_url, paging=True)
    if records:
        anchors(Selector(text="\n".join(records)), base_url, paging=False)
    pager = _own_pager(candidates, url)
    for page in pager + _fill_page_gaps(pager):
        add(found.pages, page)

    scripts = "\n".join(selector.xpath("//script/text()").getall())
    for count, current, prefix, ext in _create_page_calls(scripts):
        # All pages, or the MAX_ANNOUNCED_PAGES around this one (the later ones announce the rest).
        low = max(0, min(current - MAX_ANNOUNCED_PAGES // 2, count - MAX_ANNOUNCED_PAGES))
        for n in range(low, min(count, low + MAX_ANNOUNCED_PAGES)):
            if n == current:
                continue  # the page we are on
            name = f"{prefix}.{ext}" if n == 0 else f"{prefix}_{n}.{ext}"
            add(found.pages, urljoin(url, f"{scope}{name}"))

    if records or re.search(r"\bjpage\s*\(|dataproxy\.jsp", html, re.I):
        seen_posts = set()
        for post_url, form in _hanweb_posts(url, html, len(records)):
            if usable(post_url) and post_url not in seen_posts:
                seen_posts.add(post_url)
                found.posts.append((post_url, form))

    for feed in _advertised_feeds(selector, base_url):
        if usable(feed):
            add(found.pages, feed)
    return found
