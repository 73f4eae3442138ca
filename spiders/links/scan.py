"""Linear scans for the elements the link finders pull out of a page's text.

Link discovery runs on the crawl's reactor thread, so every scan of a page must be linear in its
size. A lazy regex like `<record\\b[^>]*>(.*?)</record\\s*>` is not: from each opening tag with no
closing tag after it, the engine rescans to the end of the page and then tries again from the next
opening, so a page of unclosed (or `>`-less) openings costs its length squared. These helpers give
what `re.findall` of such a pattern gives, but look for the closing tag once from each opening and
stop at the first opening that has none: no later opening can have one either.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import cache


@cache
def _tag_patterns(tag: str) -> tuple[re.Pattern, re.Pattern]:
    name = re.escape(tag)
    return re.compile(rf"<{name}\b", re.I), re.compile(rf"</{name}\s*>", re.I)


def elements(body: str, tag: str, *, reject: re.Pattern | None = None) -> Iterator[str]:
    """The contents of each `<tag …>…</tag>` in `body`, as
    `re.findall(r"<tag\\b[^>]*>(.*?)</tag\\s*>", body, re.I | re.S)` gives them, in linear time.

    `reject` (searched in an opening tag's attributes) skips the openings it matches, like a
    negative lookahead `<tag\\b(?![^>]*REJECT)[^>]*>` would; it must not be able to match a `>`."""
    opening, closing = _tag_patterns(tag)
    rejected: list[int] | None = None  # where `reject` matches in body, found once
    pos = 0
    while True:
        start = opening.search(body, pos)
        if start is None:
            return
        gt = body.find(">", start.end())
        if gt < 0:
            return  # no opening tag from here on is ever closed by a `>`
        if reject is not None:
            if rejected is None:
                rejected = [m.start() for m in reject.finditer(body)]
            i = bisect.bisect_left(rejected, start.end())
            if i < len(rejected) and rejected[i] < gt:
                pos = start.end()
                continue
        end = closing.search(body, gt + 1)
        if end is None:
            return  # nor is any later one closed
        yield body[gt + 1 : end.start()]
        pos = end.end()


def first_element(body: str, tag: str, *, reject: re.Pattern | None = None) -> str | None:
    """The contents of the first `<tag …>…</tag>` in `body` (`re.search` of the pattern), or None."""
    return next(elements(body, tag, reject=reject), None)


def opening_tags(body: str, tag: str) -> Iterator[str]:
    """Each opening tag `<tag …>` in `body`, as `re.findall(r"<tag\\b[^>]*>", body, re.I)` gives them."""
    opening, _ = _tag_patterns(tag)
    pos = 0
    while (start := opening.search(body, pos)) is not None:
        gt = body.find(">", start.end())
        if gt < 0:
            return
        yield body[start.start() : gt + 1]
        pos = gt + 1


def delimited(body: str, opening: str, closing: str) -> Iterator[str]:
    """The text between each literal `opening` and the next `closing` (`re.findall` of
    `re.escape(opening) + "(.*?)" + re.escape(closing)` with re.S), in linear time."""
    pos = 0
    while (start := body.find(opening, pos)) >= 0:
        end = body.find(closing, start + len(opening))
        if end < 0:
            return
        yield body[start + len(opening) : end]
        pos = end + len(closing)


def braced(body: str, prefix: re.Pattern) -> str | None:
    """What lies between the first match of `prefix` (ending in `{`) and the next `}`:
    `re.search(PREFIX + r"(.*?)\\}", body, re.S)`, in linear time."""
    match = prefix.search(body)
    if match is None:
        return None
    end = body.find("}", match.end())
    return None if end < 0 else body[match.end() : end]
