"""The density reading: the block of the page whose paragraphs hold the most non-link text.

One post-order walk over the tree (an explicit stack, so linear in its size and safe at any
depth) counts, for every element, the Han characters of its subtree outside links and inside
them, the sentence punctuation outside links, and the text that flows directly in it (its own
text, its inline children, the tails of its children). A block's score is its flow plus the
flow of its direct block children (``<td>`` with ``<br>`` lines, ``<div>`` of ``<p>``s: the
CETD/GNE family's text density, read per paragraph); the best block then climbs to its parent
while that adds little (a headline, a date line) rather than another column, of text or of links. The counts are
kept (:class:`Density`) so that the arbitration can ask any element's link share for free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.extract.tree import DROP_TAGS, HAN_RE, _is_hidden

INLINE_TAGS = {
    "span",
    "font",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "sub",
    "sup",
    "small",
    "big",
    "label",
    "img",
    "br",
    "abbr",
    "cite",
    "code",
    "q",
    "s",
    "strike",
    "ins",
    "del",
    "mark",
    "time",
    "nobr",
    "o:p",
}
DENSITY_CLIMB = 30
DENSITY_CANDIDATES = {"div", "td", "article", "section", "main", "body", "form", "center", "blockquote"}
PARAGRAPH_CHILDREN = {"p", "div", "section", "center", "blockquote", "h2", "h3", "h4", "ul", "ol", "li", "table"}
SENTENCE_PUNCTUATION = re.compile(r"[，。；：！？、“”]")
_DROPPED = set(DROP_TAGS)


@dataclass
class Density:
    """Per element: Han characters outside links (`text`) and inside them (`link`), sentence
    punctuation outside links (`punct`), and the non-link Han flowing directly in it (`flow`)."""

    text: dict = field(default_factory=dict)
    link: dict = field(default_factory=dict)
    punct: dict = field(default_factory=dict)
    flow: dict = field(default_factory=dict)
    score: dict = field(default_factory=dict)  # blocks only: their flow plus their paragraph children's

    def link_share(self, el) -> float:
        text, link = self.text.get(el, 0), self.link.get(el, 0)
        return link / (text + link) if text + link else 0.0


def _han(text: str | None) -> int:
    return len(HAN_RE.findall(text)) if text else 0


def measure(root) -> Density:
    """The counts of every element under `root`, in one walk (script, style … not counted)."""
    counts = Density()
    text, link, punct, flow, score = counts.text, counts.link, counts.punct, counts.flow, counts.score
    # (element, inside a link, children done?)
    stack: list[tuple] = [(root, root.tag == "a", False)]
    while stack:
        el, in_link, done = stack.pop()
        if not done:
            stack.append((el, in_link, True))
            stack.extend(
                (child, in_link or child.tag == "a", False)
                for child in reversed(el)
                if isinstance(child.tag, str) and child.tag not in _DROPPED
            )
            continue
        own = _han(el.text)
        own_punct = len(SENTENCE_PUNCTUATION.findall(el.text)) if el.text and not in_link else 0
        t, lk, p, f = (0, own, 0, 0) if in_link else (own, 0, own_punct, own)
        paragraphs = 0
        for child in el:
            tail = _han(child.tail)
            if in_link:
                lk += tail
            else:
                t += tail
                f += tail
                if child.tail:
                    p += len(SENTENCE_PUNCTUATION.findall(child.tail))
            if child in text:  # an element (not a comment, nor a dropped tag)
                t += text[child]
                lk += link[child]
                p += punct[child]
                if child.tag in INLINE_TAGS and not _is_hidden(child):
                    f += text[child]
                elif child.tag in PARAGRAPH_CHILDREN:
                    paragraphs += flow[child]
        text[el], link[el], punct[el] = t, lk, p
        flow[el] = 0 if el.tag == "a" or el.tag in INLINE_TAGS else f
        if el.tag in DENSITY_CANDIDATES:
            score[el] = flow[el] + paragraphs
    return counts


def densest_block(root, counts: Density | None = None):
    """The element whose paragraphs hold the most non-link text, or None (fewer than 20 Han)."""
    counts = counts if counts is not None else measure(root)
    best, best_score = None, 0
    for el, score in counts.score.items():  # children before their parents: of equal scores, the inner
        if score > best_score:
            best, best_score = el, score
    if best is None or best_score < 20:
        return None
    own, own_links = counts.text[best], counts.link[best]
    node = best.getparent()
    for _ in range(DENSITY_CLIMB):
        if node is None or node.tag in ("body", "html") or node not in counts.text:
            break
        han = counts.text[node]
        if counts.link[node] > own_links + own * 0.1 + 20:
            break  # a column of links beside the article (热点新闻, related lists): not the article
        if node.tag in DENSITY_CANDIDATES and han <= own * 1.15 + 20:
            best = node
        elif han > own * 1.15 + 20:
            break
        node = node.getparent()
    return best
