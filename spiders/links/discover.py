"""The list page: its article links, further list pages and POSTed list pages, from the
URL shapes, pagers, TRS, Hanweb and feed modules.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

from pipelines.errors import ExtractionError
from pipelines.parse import parse_html
from spiders.links.context import Sibling, articles_by_context, candidate, signature
from spiders.links.feeds import _advertised_feeds, _feed_entries, xml_root
from spiders.links.hanweb import HANWEB_PROXY, _hanweb_posts, datastore_records
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
    _is_article_target,
    _is_list_target,
    _looks_like_article_address,
    _looks_like_headline,
    _same_host,
    _same_site,
)


@dataclass
class PageLinks:
    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    # List pages fetched by POST with form data (Hanweb's dataproxy.jsp): (url, formdata).
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Links that are no URL (`http://[zz/x.html`: urljoin/urlsplit raise ValueError), skipped:
    # (the href as written, why).  The spider records each as a failure of stage "link".
    bad_links: list[tuple[str, str]] = field(default_factory=list)


def _anchor_text(anchor) -> str:
    """An anchor's text, whitespace collapsed: its `.//text()` (not its tail, nor comments)."""
    return " ".join("".join(anchor.itertext()).split())


# What urljoin would change in a root-relative href: the control characters it drops, `;params`,
# backslashes, dot segments (`/./`, `/../`).
_NOT_CONCATENATED = re.compile(r"[\t\r\n;\\]|/\.")


class _Link(NamedTuple):
    url: str
    scheme: str
    host: str
    path: str
    target: str  # path and query, as is_article_url matches them


def _fast_base(base_url: str) -> tuple[str, str, str] | None:
    """(scheme://netloc, scheme, host) of a base URL that root-relative links can be joined to
    by concatenation."""
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}", parts.scheme, parts.hostname or ""


def _join(base_url: str, fast: tuple[str, str, str] | None, href: str) -> _Link:
    """`href` joined to `base_url`, without its fragment, split once (raises ValueError for a
    link that is no URL).  A plain root-relative href (`/a/b.html?x=1`, the most common by far)
    is joined by concatenation, which gives what urljoin gives; anything else goes to urljoin."""
    if fast is not None and href[:1] == "/" and href[1:2] != "/" and not _NOT_CONCATENATED.search(href):
        target = href.split("#", 1)[0]
        if target.find("?") == len(target) - 1:  # an empty query: urljoin drops its `?`
            target = target[:-1]
        return _Link(fast[0] + target, fast[1], fast[2], target.split("?", 1)[0], target)
    link = urljoin(base_url, href)
    if "#" in link:
        link = urldefrag(link)[0]
    parts = urlsplit(link)
    return _Link(
        link,
        parts.scheme,
        parts.hostname or "",
        parts.path,
        parts.path + ("?" + parts.query if parts.query else ""),
    )


def _page_selector(html: str) -> Selector:
    """The list page's tree as a browser builds it (pipelines/parse.py): parsel's own libxml2 tree
    loses every link after an included header's ``</html>`` and past 2,048 levels of nesting."""
    try:
        return Selector(root=parse_html(html), type="html")
    except ExtractionError:  # nothing a parser can read (no markup at all): no links
        return Selector(text="<html></html>")


def find_links(
    url: str,
    html: str,
    *,
    allowed_hosts: set[str] | None = None,
    article_patterns: list[str] = (),
    pagination_patterns: list[str] = (),
) -> PageLinks:
    """Article links, further list pages and POSTed list pages on the list page `url`
    (HTML, a Hanweb dataproxy.jsp datastore, a sitemap, an RSS or an Atom feed).

    Linear in the page's size (it runs on the crawl's reactor thread): the page is parsed once,
    each link is split once, and no scan rescans the page (spiders/links/scan.py)."""
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

    def split(base_url: str, href: str, fast=None) -> _Link | None:
        """`href` made absolute, without its fragment; None (and a bad link) when it is no URL."""
        try:
            return _join(base_url, fast, href)
        except ValueError as error:
            found.bad_links.append((href, str(error) or type(error).__name__))
            return None

    def join(base_url: str, href: str) -> str | None:
        link = split(base_url, href)
        return link.url if link is not None else None

    def usable_link(link: _Link) -> bool:
        return (
            link.scheme in ("http", "https")
            and _same_host(link.host, allowed_hosts)
            and not NON_PAGE_EXTENSIONS.search(link.path)
        )

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
            link = join(url, entry)
            # A feed's items are articles; a sitemap also lists home and column pages.
            if (
                link is not None
                and usable(link)
                and (root != "urlset" or _looks_like_article_address(link, extra_articles))
            ):
                add(found.articles, link)
        for sitemap in sitemaps:
            link = join(url, sitemap)
            if link is not None and usable(link):
                add(found.pages, link)
        return found

    candidates: dict[str, None] = {}  # list pages, before the pager check (an ordered set)

    def anchors(selector: Selector, base_url: str, paging: bool) -> None:
        # lxml's own iteration: an XPath query and a Selector per anchor cost more than the rest.
        fast = _fast_base(base_url)
        known: list = []  # the anchors of the article links, whose structure the siblings may share
        siblings: list[Sibling] = []  # links of no known shape (spiders/links/context.py)
        for anchor in selector.root.iter("a") if selector.root is not None else ():
            href = anchor.get("href")
            if href is None:
                continue
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            parts = split(base_url, href, fast)
            if parts is None or not usable_link(parts):
                continue
            link = parts.url
            text = _anchor_text(anchor)
            if _is_list_target(parts.target, extra_pages) or (
                text.lower() in NEXT_PAGE_TEXTS or (text.isdigit() and len(text) < 4)
            ):
                if (
                    paging
                    and link not in candidates
                    and _paginates(link, url, scope)
                    and not _is_article_target(parts.target, extra_articles)
                ):
                    candidates[link] = None
                continue
            if link in seen:
                continue  # already found (or the page itself): nothing to decide again
            if _is_article_target(parts.target, extra_articles) or _looks_like_headline(
                text or anchor.get("title", ""), link
            ):
                add(found.articles, link)
                known.append(anchor)
            elif not parts.path.endswith("/") and (sibling := candidate(anchor, link, text or anchor.get("title", ""))):
                siblings.append(sibling)
        # Links of no known shape in the same list structure as known articles (a hexadecimal id
        # among numbered siblings) are articles too.
        if siblings:  # the known articles' structures, read only when there is something to compare
            structures = Counter(signature(article) for article in known)
            for link in articles_by_context(structures, siblings):
                add(found.articles, link)

    records = datastore_records(html)
    if root == "datastore":  # the answer of dataproxy.jsp: records only
        anchors(Selector(text="\n".join(records) or "<html></html>"), url, paging=False)
        return found

    selector = _page_selector(html)
    base = selector.xpath("//base/@href").get()
    base_url = (join(url, base) or url) if base else url
    anchors(selector, base_url, paging=True)
    if records:
        anchors(Selector(text="\n".join(records)), base_url, paging=False)
    pager = _own_pager(list(candidates), url)
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
        try:
            posts = _hanweb_posts(url, html, len(records))
        except ValueError as error:  # a malformed proxyUrl
            found.bad_links.append((HANWEB_PROXY, f"jpage proxyUrl: {error}"))
            posts = []
        for post_url, form in posts:
            if usable(post_url) and post_url not in seen_posts:
                seen_posts.add(post_url)
                found.posts.append((post_url, form))

    for feed in _advertised_feeds(selector, base_url, found.bad_links):
        if usable(feed):
            add(found.pages, feed)
    return found
