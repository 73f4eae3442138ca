"""Article links by their place on the list, not their URL: the siblings of known article links.

A list renders every item from one template, so an item whose URL has no known shape
(`/a/9d81c2f0a1`, a hexadecimal id) sits in the same structure as its siblings that have one
(`/a/0000000001`): the same tag path up three levels, classes included. Such a link is an article
when its anchor text is headline-length and either at least two known articles share its
structure, or one does and a date stands beside it (`<span>2024-05-06</span>`, as lists show).
Links inside navigation, pagers, breadcrumbs, footers and friend-link blocks never are.
Each anchor is looked at once, a bounded number of levels up: linear in the page.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

SIGNATURE_DEPTH = 3  # levels above the anchor that make its structure
CHROME_DEPTH = 8  # levels above the anchor searched for navigation, pager or footer blocks
MIN_HEADLINE_HAN = 5
BESIDE_CHARS = 40  # text beside a link longer than this is not a date stamp
SHARED_ARTICLES = 2  # known articles in the same structure that make a sibling an article
CHROME_TAGS = {"nav", "footer", "header", "menu"}
CHROME_MARKS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|header|top|footer|foot|bottom|copyright|crumbs?|breadcrumb|location|"
    r"position|page|pages|pager|paging|pagination|fenye|friend|links?|yqlj|share|tools?)(?:$|[-_\s\d])",
    re.I,
)
DATE_BESIDE = re.compile(r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}")
HAN = re.compile(r"[\u4e00-\u9fff]")


class Sibling(NamedTuple):
    link: str
    signature: tuple
    dated: bool


def signature(anchor) -> tuple:
    """The anchor's structure: its own class, and the tag and class of SIGNATURE_DEPTH ancestors."""
    parts = [anchor.get("class", "")]
    node = anchor.getparent()
    for _ in range(SIGNATURE_DEPTH):
        if node is None:
            break
        parts.append(f"{node.tag}.{node.get('class', '')}")
        node = node.getparent()
    return tuple(parts)


def in_chrome(anchor) -> bool:
    """Inside a navigation, pager, breadcrumb, footer or friend-links block (CHROME_DEPTH levels up)."""
    node = anchor.getparent()
    for _ in range(CHROME_DEPTH):
        if node is None or not isinstance(node.tag, str):
            return False
        if node.tag in CHROME_TAGS:
            return True
        marks = f"{node.get('class', '')} {node.get('id', '')}"
        if marks.strip() and CHROME_MARKS.search(marks):
            return True
        node = node.getparent()
    return False


def _date_beside(anchor) -> bool:
    """A short date in the anchor's tail, its parent's text or the element just before or after it
    (of a sibling, its first BESIDE_CHARS characters are read, however large it is: linear)."""
    parent = anchor.getparent()
    beside = [anchor.tail or "", parent.text or "" if parent is not None else ""]
    for sibling in (anchor.getprevious(), anchor.getnext()):
        if sibling is not None and isinstance(sibling.tag, str):
            beside.append(_first_text(sibling))
    return any(DATE_BESIDE.search(text) for text in beside if len(text.strip()) < BESIDE_CHARS)


def _first_text(element) -> str:
    """The element's text, cut once it is BESIDE_CHARS long (a date beside a link is short)."""
    text = ""
    for piece in element.itertext():
        text += piece
        if len(text) >= BESIDE_CHARS:
            break
    return text


def candidate(anchor, link: str, text: str) -> Sibling | None:
    """An anchor worth comparing with the known articles, or None (short text, page chrome)."""
    if len(HAN.findall(text)) < MIN_HEADLINE_HAN or in_chrome(anchor):
        return None
    return Sibling(link, signature(anchor), _date_beside(anchor))


def articles_by_context(known: Counter, siblings: list[Sibling]) -> list[str]:
    """The siblings that are articles: `known` counts the known articles' signatures."""
    return [s.link for s in siblings if known[s.signature] >= SHARED_ARTICLES or (known[s.signature] >= 1 and s.dated)]
