"""Which body: the candidates (the CMS container, trafilatura, the density reading) and the evidence
that chooses between them.

A page with a known content container (``TRS_Editor``, ``#zoom`` …) is first read twice for free:
the container's text and the density reading (:mod:`pipelines.extract.density`, one walk). When the
one holds the other's text, nearly all of it (``AGREE``), and at most ``CHROME_INSIDE_LIMIT`` of the
container's text is links or blocks marked as chrome (``comment``, ``related`` in a class), the
container wins, as it always did: the normal government page costs one walk more and no
trafilatura. When they disagree (a summary box of 165 characters inside a 2,951-character article;
a container that also holds the comments and related items), trafilatura is asked as well and each
candidate is scored on the evidence:

* agreement: its best bigram overlap (Dice) with another candidate;
* the headline's words: the share of the headline's bigrams its text holds (a weak, tie-breaking
  signal);
* chrome: the share of its lines that are link texts or boilerplate (字号, 打印, 上一篇, footers,
  related-reading headings);
* a candidate with fewer than 20 Han characters, or with chrome above ``CHROME_SHARE_LIMIT``, is out.

The highest score wins; within ``TIE`` of it, the order container, density, trafilatura decides
(a structural candidate keeps tables and captions as the page had them). When no two candidates
agree (no overlap reaches ``PAIR_MIN``), the container rule stands. A page without a container is
read with trafilatura, or the density reading when trafilatura gives the whole page (chrome above
``CHROME_SHARE_LIMIT``) or nothing, or when the density block lies within trafilatura's text and
what trafilatura adds around it is not prose (lines with a fraction of the block's sentence
punctuation: headline lists, menus; see :func:`_prose_within`), or when trafilatura's text starts
with the block and runs on past its end into the page's related items and chrome (a column's
latest headlines with their times, a share bar, a footer: :func:`_tail_after`).

``provenance["text"]`` says which candidate won and why, as ``winner[:mark] (reason)``::

    container:#zoom (agrees with density 0.97)
    density:div.article (agrees with trafilatura 0.91; container:.TRS_Editor 0.11)
    container:.article-content (no agreement: trafilatura 0.12, density 0.30)
    trafilatura
    density:td (trafilatura: chrome 0.62)
    density:div.main (within trafilatura, which adds 721 characters of non-prose: punctuation 0.11 of the block's)
    density:div.content (trafilatura runs on past it into 1393 characters, 0.73 of them related items or chrome)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice

from pipelines.extract.body import (
    BOILERPLATE_LINE,
    CHROME_SHARE_LIMIT,
    TAIL_HEADINGS,
    _chrome_share,
    _lift_captions,
    _strip_chrome,
    _trafilatura_lines,
    _unwrap_layout_tables,
)
from pipelines.extract.density import SENTENCE_PUNCTUATION, Density, densest_block, measure
from pipelines.extract.metadata import _probe
from pipelines.extract.tree import CHROME_WORDS, CONTAINER_MARKS, HAN_RE, IMG_MARK, block_lines

AGREE = 0.7  # container and density reading: the smaller holds at least this share of the larger's text
PAIR_MIN = 0.5  # below it, two candidates propose different articles
TIE = 0.02  # scores this close: the order of PREFERENCE decides
HEADLINE_WEIGHT = 0.25
# A container whose text is this much links or chrome-marked blocks (comments, related items) is
# not trusted without a second opinion.
CHROME_INSIDE_LIMIT = 0.3
PREFERENCE = ("container", "density", "trafilatura")
# Without a container: the density block beats trafilatura when it lies within trafilatura's text
# (WITHIN of its bigrams) and trafilatura adds at least EXTRA_MIN characters whose sentence
# punctuation is below EXTRA_PUNCTUATION of the block's, the block reading as prose.
WITHIN = 0.9
EXTRA_MIN = 200
EXTRA_PUNCTUATION = 0.5
PROSE_PUNCTUATION = 0.03
# Or trafilatura's text starts with the block (LEAD_MAX characters before it at most) and runs on
# past its end into TAIL_MIN characters or more, TAIL_LISTED of them related items and chrome.
LEAD_MAX = 200
TAIL_MIN = 100
TAIL_LISTED = 0.6
TAIL_KEY = 8  # the block's first and last characters, found again in trafilatura's text


@dataclass
class Candidate:
    name: str
    lines: list[str]
    images: list = field(default_factory=list)
    lifted: dict = field(default_factory=dict)  # captions of the caption elements lifted out of the tree
    mark: str = ""  # the container's class or id, the density block's tag and class


@dataclass
class BodyChoice:
    winner: Candidate
    reason: str  # provenance["text"]
    candidates: dict[str, Candidate] = field(default_factory=dict)  # every candidate that was read


def _element_mark(el) -> str:
    ident, classes = el.get("id"), (el.get("class") or "").split()
    for class_marks, id_marks in CONTAINER_MARKS:
        if ident in id_marks:
            return f"#{ident}"
        if hit := sorted(set(classes) & class_marks):
            return f".{hit[0]}"
    if ident:
        return f"{el.tag}#{ident}"
    return f"{el.tag}.{classes[0]}" if classes else el.tag


def _contains(outer, inner) -> bool:
    node = inner
    while node is not None:  # the depth of the tree at most: linear
        if node is outer:
            return True
        node = node.getparent()
    return False


def nested_overlap(a, b, counts: Density) -> float:
    """For two elements: the smaller's share of the larger's non-link text when one holds the
    other, else 0 (they propose different parts of the page)."""
    if a is None or b is None:
        return 0.0
    if not (_contains(a, b) or _contains(b, a)):
        return 0.0
    small, large = sorted((counts.text.get(a, 0), counts.text.get(b, 0)))
    return small / large if large else 0.0


def chrome_inside(container, counts: Density) -> float:
    """The share of the container's text that is link text or sits in a block marked as chrome
    (``comment``, ``related``, ``share`` … in its class or id): comments and related items that a
    CMS template put inside the content container."""
    total = counts.text.get(container, 0) + counts.link.get(container, 0)
    if not total:
        return 0.0
    marked, stack = 0, list(container)
    while stack:  # each element of the container once; a marked block's subtree is not entered
        el = stack.pop()
        if el not in counts.text:
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if marks.strip() and CHROME_WORDS.search(marks):
            marked += counts.text[el]
        else:
            stack.extend(el)
    return (marked + counts.link.get(container, 0)) / total


def _bigrams(lines: list[str]) -> set[str]:
    text = re.sub(r"[\s\W_]+", "", "".join(line for line in lines if not line.startswith("\x00")))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _han(lines: list[str]) -> int:
    return sum(len(HAN_RE.findall(line)) for line in lines if not line.startswith(IMG_MARK))


def _chrome(root, lines: list[str]) -> float:
    """Link texts and boilerplate lines (as :func:`_chrome_share`), and everything after a
    related-reading heading that is not the first line."""
    share = _chrome_share(root, lines)
    total = sum(len(line) for line in lines) or 1
    for i, line in enumerate(lines[1:], 1):
        if TAIL_HEADINGS.match(_probe(line)):
            share += sum(len(rest) for rest in lines[i:] if not BOILERPLATE_LINE.match(_probe(rest))) / total
            break
    return min(share, 1.0)


def _headline_cover(title: str | None, grams: set[str]) -> float:
    want = _bigrams([title or ""])
    return len(want & grams) / len(want) if want else 0.0


def _score(root, title, candidates: list[Candidate]) -> tuple[Candidate | None, str]:
    """The candidate the evidence chooses, and why; None when no two candidates agree."""
    grams = {c.name: _bigrams(c.lines) for c in candidates}
    chrome = {c.name: _chrome(root, c.lines) for c in candidates}
    valid = [c for c in candidates if _han(c.lines) >= 20 and chrome[c.name] <= CHROME_SHARE_LIMIT]
    overlaps = {(a.name, b.name): dice(grams[a.name], grams[b.name]) for a in valid for b in valid if a is not b}
    if not overlaps or max(overlaps.values()) < PAIR_MIN:
        return None, ", ".join(f"{a} {v:.2f}" for (a, b), v in overlaps.items() if b == "container")
    scores, support = {}, {}
    for c in valid:
        partner, agreement = max(
            ((b, v) for (a, b), v in overlaps.items() if a == c.name), key=lambda item: item[1], default=("", 0.0)
        )
        support[c.name] = (partner, agreement)
        scores[c.name] = agreement + HEADLINE_WEIGHT * _headline_cover(title, grams[c.name]) - chrome[c.name]
    top = max(scores.values())
    winner = next(c for name in PREFERENCE for c in valid if c.name == name and scores[name] >= top - TIE)
    partner, agreement = support[winner.name]
    others = [
        f"{b}{':' + m if (m := _mark_of(candidates, b)) else ''} {v:.2f}"
        for (a, b), v in overlaps.items()
        if a == winner.name and b != partner
    ]
    reason = f"agrees with {partner} {agreement:.2f}" + (f"; {', '.join(others)}" if others else "")
    return winner, reason


def _mark_of(candidates: list[Candidate], name: str) -> str:
    return next((c.mark for c in candidates if c.name == name), "")


def _label(candidate: Candidate) -> str:
    return f"{candidate.name}:{candidate.mark}" if candidate.mark else candidate.name


def _trafilatura_candidate(root, url: str) -> Candidate:
    """trafilatura on the page with chrome removed and layout tables unwrapped (mutates `root`)."""
    _strip_chrome(root)
    _unwrap_layout_tables(root)
    images, lifted = _lift_captions(root)
    return Candidate("trafilatura", _trafilatura_lines(root, url), images, lifted)


def _attached(root, el) -> bool:
    return el is not None and _contains(root, el)


def read_body(root, url: str, container, title: str | None, *, all_candidates: bool = False) -> BodyChoice:
    """The body's lines (before the line rules) and which candidate gave them.

    ``all_candidates`` reads all three candidates even when the first two agree (for
    ``govnews eval``: what each would have given); the choice is the same."""
    if container is None:
        return _without_container(root, url, all_candidates)
    images: list = []
    boxed = Candidate("container", block_lines(container, images), images, {}, _element_mark(container))
    counts = measure(root)
    dense_el = densest_block(root, counts)
    agreement = nested_overlap(container, dense_el, counts)
    trusted = agreement >= AGREE and chrome_inside(container, counts) <= CHROME_INSIDE_LIMIT
    if trusted and not all_candidates:
        return BodyChoice(boxed, f"{_label(boxed)} (agrees with density {agreement:.2f})", {"container": boxed})
    # A second opinion: trafilatura, on the tree without its chrome (the density block is read after
    # that, so the share bars and related lists inside it are gone as well).
    tree_candidate = _trafilatura_candidate(root, url)
    candidates = [boxed, tree_candidate]
    if _attached(root, dense_el):
        dense_images = list(tree_candidate.images)
        dense = Candidate(
            "density", block_lines(dense_el, dense_images), dense_images, tree_candidate.lifted, _element_mark(dense_el)
        )
        candidates.insert(1, dense)
    found = {c.name: c for c in candidates}
    if trusted:
        return BodyChoice(boxed, f"{_label(boxed)} (agrees with density {agreement:.2f})", found)
    winner, why = _score(root, title, candidates)
    if winner is None:
        return BodyChoice(boxed, f"{_label(boxed)} (no agreement{': ' + why if why else ''})", found)
    return BodyChoice(winner, f"{_label(winner)} ({why})", found)


def _without_container(root, url: str, all_candidates: bool) -> BodyChoice:
    tree_candidate = _trafilatura_candidate(root, url)
    found = {"trafilatura": tree_candidate}
    share = _chrome_share(root, tree_candidate.lines) if tree_candidate.lines else 1.0
    dense = None
    # The density reading is one more walk: read it when trafilatura failed, or when its text has
    # enough lines without sentence punctuation (headline lists, menus) to be more than an article.
    if (
        all_candidates
        or share > CHROME_SHARE_LIMIT
        or _unpunctuated(tree_candidate.lines) >= EXTRA_MIN
        or _listed(tree_candidate.lines) >= EXTRA_MIN
    ):
        dense_el = densest_block(root)
        if dense_el is not None:
            dense_images = list(tree_candidate.images)
            dense = found["density"] = Candidate(
                "density",
                block_lines(dense_el, dense_images),
                dense_images,
                tree_candidate.lifted,
                _element_mark(dense_el),
            )
    if share > CHROME_SHARE_LIMIT and dense is not None:
        why = "empty" if not tree_candidate.lines else f"chrome {share:.2f}"
        return BodyChoice(dense, f"density:{dense.mark} (trafilatura: {why})", found)
    if (
        dense is not None
        and _lies_within(dense, tree_candidate)
        and (why := _prose_within(dense, tree_candidate) or _tail_after(root, dense, tree_candidate))
    ):
        return BodyChoice(dense, f"{_label(dense)} ({why})", found)
    return BodyChoice(tree_candidate, "trafilatura", found)


def _punctuation(text: str) -> float:
    return len(SENTENCE_PUNCTUATION.findall(text)) / len(text) if text else 0.0


def _unpunctuated(lines: list[str]) -> int:
    return sum(len(line) for line in lines if not SENTENCE_PUNCTUATION.search(line))


def _lies_within(dense: Candidate, tree_candidate: Candidate) -> bool:
    """Whether trafilatura's text holds the density block: ``WITHIN`` of the block's bigrams."""
    block_grams = _bigrams(dense.lines)
    return bool(block_grams) and len(block_grams & _bigrams(tree_candidate.lines)) >= WITHIN * len(block_grams)


def _prose_within(dense: Candidate, tree_candidate: Candidate) -> str:
    """Why the density block is the article rather than trafilatura's text, or "" when it is not:
    the block lying within trafilatura's text (:func:`_lies_within`), what trafilatura adds around it (at least
    ``EXTRA_MIN`` characters) is not prose: its sentence punctuation is below ``EXTRA_PUNCTUATION``
    of the block's, which reads as prose (``PROSE_PUNCTUATION``). Headline lists, menus and
    captions of related items have no sentences."""
    block = re.sub(r"[\s\W_]+", "", "".join(dense.lines))
    extra = "".join(
        line for line in tree_candidate.lines if (bare := re.sub(r"[\s\W_]+", "", line)) and bare not in block
    )
    block_punctuation = _punctuation("".join(dense.lines))
    if len(extra) < EXTRA_MIN or block_punctuation < PROSE_PUNCTUATION:
        return ""
    ratio = _punctuation(extra) / block_punctuation
    if ratio >= EXTRA_PUNCTUATION:
        return ""
    return (
        f"within trafilatura, which adds {len(extra)} characters of non-prose: punctuation {ratio:.2f} of the block's"
    )


# A related item's line: trafilatura's list item (``- ``), a headline with its date stamp.
LISTED_LINE = re.compile(r"^\s*-\s|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\b\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}")


def _is_listed(line: str, links: set[str]) -> bool:
    """A line of a list of related items or of page chrome rather than of the article: a list
    item, a dated headline, a link's text, boilerplate, or words without a sentence."""
    return bool(
        LISTED_LINE.search(line)
        or " ".join(line.split()) in links
        or BOILERPLATE_LINE.match(_probe(line))
        or TAIL_HEADINGS.match(_probe(line))
        or not SENTENCE_PUNCTUATION.search(line)
    )


def _links(root) -> set[str]:
    return {" ".join(a.text_content().split()) for a in root.iter("a")}


def _listed(lines: list[str]) -> int:
    """The characters of trafilatura's list items and dated lines: enough of them to ask the density
    reading whether trafilatura ran on past the article."""
    return sum(len(line) for line in lines if LISTED_LINE.search(line))


def _tail_after(root, dense: Candidate, tree_candidate: Candidate) -> str:
    """Why the density block is the article rather than trafilatura's text, or "" when it is not:
    trafilatura's text holds the block (:func:`_lies_within`), starts with it (at most
    ``LEAD_MAX`` characters before it: a headline, an info bar) and runs on past its end into at
    least ``TAIL_MIN`` characters of which ``TAIL_LISTED`` or more are related items and chrome
    (list items, dated headlines, link texts, lines without a sentence: :func:`_is_listed`). An
    article that goes on after the block (its second part in another block) is prose, and stays."""
    block = re.sub(r"[\s\W_]+", "", "".join(line for line in dense.lines if not line.startswith("\x00")))
    if len(block) < 2 * TAIL_KEY:
        return ""
    bare_lines = [re.sub(r"[\s\W_]+", "", line) for line in tree_candidate.lines]
    joined = "".join(bare_lines)
    # Where the block starts and ends in trafilatura's text: its first and last lines that
    # trafilatura holds, of three at either end (trafilatura may leave out an info bar above the
    # article, a line of tags or an editor's name under it).
    starts = (joined.find(key) for key in _line_keys(dense.lines, last=False))
    start = next((found for found in starts if found >= 0), -1)
    if start < 0 or start > max(LEAD_MAX, 0.2 * len(block)):
        return ""
    ends = (joined.rfind(key, start) for key in _line_keys(dense.lines, last=True))
    end = next((found + TAIL_KEY for found in ends if found >= 0), -1)
    if end < 0:
        return ""
    tail, offset = [], 0
    for line, bare in zip(tree_candidate.lines, bare_lines):
        if offset >= end and bare:
            tail.append((line, len(bare)))
        offset += len(bare)
    after = sum(size for _, size in tail)
    if after < TAIL_MIN:
        return ""
    links = _links(root)
    listed = sum(size for line, size in tail if _is_listed(line, links))
    if listed < TAIL_LISTED * after:
        return ""
    return f"trafilatura runs on past it into {after} characters, {listed / after:.2f} of them related items or chrome"


def _line_keys(lines: list[str], last: bool) -> list[str]:
    """The first ``TAIL_KEY`` characters of the first three lines that have as many, or with
    ``last`` the last characters of the last three, the last line first."""
    bare = (re.sub(r"[\s\W_]+", "", line) for line in (reversed(lines) if last else lines))
    keys = (text[-TAIL_KEY:] if last else text[:TAIL_KEY] for text in bare if len(text) >= TAIL_KEY)
    return list(islice(keys, 3))
