"""Sitemaps and feeds: a body that is an XML sitemap, a sitemap index, an RSS or an Atom
feed gives its entries, and the feeds and sitemaps a page advertises in its `<link>`s.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

from spiders.links.hanweb import _cdata_or_text

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


def _feed_entries(root: str, body: str) -> tuple[list[str], list[str]]:
    """(entry links, further sitemaps) of a sitemap, sitemap index, RSS or Atom document."""
    if root == "sitemapindex":
        return [], [_xml_text(m) for m in re.findall(r"<loc\b[^>]*>(.*?)</loc\s*>", body, re.S | re.I)]
    if root == "urlset":
        urls = re.findall(r"<url\b[^>]*>(.*?)</url\s*>", body, re.S | re.I)
        return [_xml_text(m[1]) for u in urls if (m := re.search(r"<loc\b[^>]*>(.*?)</loc\s*>", u, re.S | re.I))], []
    if root in ("rss", "rdf:rdf"):
        links = []
        for item in re.findall(r"<item\b[^>]*>(.*?)</item\s*>", body, re.S | re.I):
            link = re.search(r"<link\b[^>]*>(.*?)</link\s*>", item, re.S | re.I)
            guid = re.search(r"<guid\b(?![^>]*isPermaLink\s*=\s*['\"]false)[^>]*>(.*?)</guid\s*>", item, re.S | re.I)
            if link and _xml_text(link[1]):
                links.append(_xml_text(link[1]))
            elif guid and _xml_text(guid[1]).startswith(("http://", "https://", "/")):
                links.append(_xml_text(guid[1]))
        return links, []
    if root == "feed":
        links = []
        for entry in re.findall(r"<entry\b[^>]*>(.*?)</entry\s*>", body, re.S | re.I):
            for tag in re.findall(r"<link\b[^>]*>", entry, re.I):
                rel = re.search(r"""\brel\s*=\s*['"]([^'"]*)['"]""", tag)
                href = re.search(r"""\bhref\s*=\s*['"]([^'"]*)['"]""", tag)
                if href and (not rel or rel[1].lower() == "alternate"):
                    links.append(html_lib.unescape(href[1]).strip())
                    break
        return links, []
    return [], []


def _advertised_feeds(selector: Selector, base_url: str) -> list[str]:
    found: list[str] = []
    for link in selector.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").strip()
        if ("alternate" in rel and FEED_TYPES.match(kind)) or "sitemap" in rel:
            address = urldefrag(urljoin(base_url, link.attrib["href"].strip()))[0]
            if urlsplit(address).scheme in ("http", "https") and address not in found:
                found.append(address)
    return found


def feed_links(url: str, html: str) -> list[str]:
    """The RSS/Atom feeds and sitemaps a page advertises in its `<link>`s
    (`rel="alternate" type="application/rss+xml"`, `rel="sitemap"`), as absolute URLs."""
    if not html or xml_root(html):
        return []
    selector = Selector(text=html)
    base = selector.xpath("//base/@href").get()
    return _advertised_feeds(selector, urljoin(url, base) if base else url)
