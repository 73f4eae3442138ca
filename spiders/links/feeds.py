"""Sitemaps and feeds: a body that is an XML sitemap, a sitemap index, an RSS or an Atom
feed gives its entries, and the feeds and sitemaps a page advertises in its `<link>`s.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

from spiders.links.hanweb import _cdata_or_text
from spiders.links.scan import elements, first_element, opening_tags

# The root element of an XML body (after the declaration, stylesheets, comments, doctype).
XML_ROOT = re.compile(
    r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<\?xml-stylesheet[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([\w:.-]+)",
    re.I | re.S,
)
FEED_TYPES = re.compile(r"^application/(?:rss|atom|rdf)\+xml$|^(?:application|text)/xml$", re.I)


def _xml_text(raw: str) -> str:
    return _cdata_or_text(raw).strip()


def xml_root(body: str) -> str | None:
    """The root element's name, lower-cased, when `body` is an XML document (not HTML)."""
    match = XML_ROOT.match(body.lstrip("\ufeff")[:4096])
    if not match:
        return None
    name = match[1].lower()
    return None if name in ("html", "head", "body") else name


# An RSS `<guid>` that is not a link.
NOT_PERMALINK = re.compile(r"""isPermaLink\s*=\s*['"]false""", re.I)
HREF = re.compile(r"""\bhref\s*=\s*['"]([^'"]*)['"]""")
REL = re.compile(r"""\brel\s*=\s*['"]([^'"]*)['"]""")


def _feed_entries(root: str, body: str) -> tuple[list[str], list[str]]:
    """(entry links, further sitemaps) of a sitemap, sitemap index, RSS or Atom document.

    Elements are read by the linear scans of spiders/links/scan.py (a lazy `<item>(.*?)</item>`
    regex is quadratic on unclosed openings)."""
    if root == "sitemapindex":
        return [], [_xml_text(m) for m in elements(body, "loc")]
    if root == "urlset":
        locs = (first_element(u, "loc") for u in elements(body, "url"))
        return [_xml_text(loc) for loc in locs if loc is not None], []
    if root in ("rss", "rdf:rdf"):
        links = []
        for item in elements(body, "item"):
            link = first_element(item, "link")
            guid = first_element(item, "guid", reject=NOT_PERMALINK)
            if link is not None and _xml_text(link):
                links.append(_xml_text(link))
            elif guid is not None and _xml_text(guid).startswith(("http://", "https://", "/")):
                links.append(_xml_text(guid))
        return links, []
    if root == "feed":
        links = []
        for entry in elements(body, "entry"):
            for tag in opening_tags(entry, "link"):
                rel = REL.search(tag)
                href = HREF.search(tag)
                if href and (not rel or rel[1].lower() == "alternate"):
                    links.append(html_lib.unescape(href[1]).strip())
                    break
        return links, []
    return [], []


def _advertised_feeds(selector: Selector, base_url: str, bad_links: list | None = None) -> list[str]:
    """The feeds and sitemaps the page's `<link>`s advertise; a malformed one is skipped (and
    added to `bad_links` as (href, why))."""
    found: list[str] = []
    for link in selector.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").strip()
        if ("alternate" in rel and FEED_TYPES.match(kind)) or "sitemap" in rel:
            href = link.attrib["href"].strip()
            try:
                address = urldefrag(urljoin(base_url, href))[0]
                scheme = urlsplit(address).scheme
            except ValueError as error:
                if bad_links is not None:
                    bad_links.append((href, str(error) or type(error).__name__))
                continue
            if scheme in ("http", "https") and address not in found:
                found.append(address)
    return found


def feed_links(url: str, html: str) -> list[str]:
    """The RSS/Atom feeds and sitemaps a page advertises in its `<link>`s
    (`rel="alternate" type="application/rss+xml"`, `rel="sitemap"`), as absolute URLs."""
    if not html or xml_root(html):
        return []
    selector = Selector(text=html)
    base = selector.xpath("//base/@href").get()
    try:
        base_url = urljoin(url, base) if base else url
    except ValueError:  # a malformed <base href>
        base_url = url
    return _advertised_feeds(selector, base_url)
