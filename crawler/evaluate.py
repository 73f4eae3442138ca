"""`govnews eval GOLD_DIR`: extraction quality against hand-made gold, side by side with
trafilatura, GNE and magic-html, on the same pages in the same run.

The peers run at their best: each gets the page as text decoded the way a careful user would
(:func:`peer_text`: BOM, HTTP/``<meta>`` charset with gb2312 read as its superset gb18030, as
browsers do, and a charset detector, charset_normalizer, when nothing is declared or the declared
charset decodes into replacement characters). trafilatura's own decoding of bytes also asks
charset_normalizer, but tries its guesses in order and takes the first that decodes, so GBK pages
whose guess is the narrower gb2312 (or a Cyrillic code page) come out garbled: given the bytes,
it scored 0.735 body F1 on cwced instead of 0.85.

A gold folder holds ``gold.jsonl`` (one page a line) and the pages it names. Two
line formats are read:

* govnews' own (``tests/fixtures/corpus``): ``file``, ``url``, ``title``,
  ``published_at`` (ISO 8601, null when the page states none), ``source``,
  ``author``, ``editor``, ``body``;
* the public cwced set: ``file``, ``publish_date`` (``2005-5-7 21:23:57``, null
  when the annotators did not know it), ``author``, ``body``.

Field accuracy is exact after canonical form (Simplified script, NFKC width,
no whitespace); authors compare as sets of names; for cwced the date compares
by day. A gold field that is null counts only where it means "the page states
none" (govnews format): then the extractor must give None. Body F1 is over
character bigrams with whitespace and punctuation removed, after NFKC and
Traditional→Simplified, so script and punctuation width do not count.

F1 hides a systematic one-character damage (—— archived as 枣 barely moves it), so the
body is also compared exactly, punctuation kept (`exact_form`: Simplified script, no
whitespace, full-width ASCII forms folded, nothing else): the characters added and
dropped against the gold, counted as multisets (order is F1's business), and the
characters of the text that the gold does not hold at all ("foreign"). A character
foreign on many pages is a corruption, not an extraction miss.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FIELDS = ("title", "published_at", "source", "author", "editor")
EXTRACTORS = ("govnews", "trafilatura", "gne", "magic-html")
# A candidate that scores this much better than the one the arbitration chose is listed.
CHOICE_MARGIN = 0.02


@dataclass
class PageResult:
    file: str
    scores: dict[str, dict[str, bool | None]] = field(default_factory=dict)  # extractor → field → hit
    f1: dict[str, float] = field(default_factory=dict)  # extractor → body F1
    exact: dict[str, dict] = field(default_factory=dict)  # extractor → body_changes()
    outputs: dict[str, dict] = field(default_factory=dict)
    # govnews' body candidates (container, density, trafilatura) → body F1, and the winner's name
    candidates: dict[str, float] = field(default_factory=dict)
    chosen: str = ""
    reason: str = ""  # provenance["text"]
    seconds: dict[str, float] = field(default_factory=dict)  # extractor → time on this page


def canonical(text: str | None) -> str:
    from pipelines.chinese import remove_pinyin_annotations, to_simplified

    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", to_simplified(remove_pinyin_annotations(text)[0]))


def _bigrams(text: str) -> Counter:
    text = re.sub(r"[\W_]+", "", canonical(text))
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def body_f1(predicted: str | None, gold: str | None) -> float:
    got, want = _bigrams(predicted or ""), _bigrams(gold or "")
    if not want:
        return 1.0 if not got else 0.0
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


# Full-width ASCII forms (，ＡＢ１２) as ASCII: their width is a documented normalization.
_FOLD_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: None}


def exact_form(text: str | None) -> str:
    """The text as compared exactly: NFC, Simplified, no whitespace, full-width ASCII forms as
    ASCII; every other character, punctuation included, counts."""
    from pipelines.chinese import to_simplified

    text = to_simplified(unicodedata.normalize("NFC", text or "")).translate(_FOLD_WIDTH)
    return re.sub(r"\s+", "", text)


def _is_han(ch: str) -> bool:
    from pipelines.chinese import HAN

    return bool(re.fullmatch(f"[{HAN}]", ch))


def body_changes(predicted: str | None, gold: str | None) -> dict:
    """Characters added and dropped against the gold (as multisets, punctuation kept), the gold's
    length, and the characters of the text the gold does not hold at all."""
    got, want = Counter(exact_form(predicted)), Counter(exact_form(gold))
    return {
        "added": sum((got - want).values()),
        "dropped": sum((want - got).values()),
        "gold_chars": sum(want.values()),
        "foreign": "".join(sorted(set(got) - set(want))),
    }


def _names(value: str | None) -> set[str]:
    return {canonical(v) for v in re.split(r"[\s、，,;；/]+", value or "") if v.strip()}


# A cwced date written to the year or the month (`2018`, `1998-3`): a prediction agreeing with
# what it states is right.
GOLD_YEAR_MONTH = re.compile(r"((?:19|20)\d{2})(?:-(\d{1,2}))?")


def field_hit(name: str, predicted, gold: dict) -> bool | None:
    """True/False, or None when this gold line says nothing about the field."""
    from pipelines.dates import parse_date

    if name == "published_at":
        if "published_at" in gold:
            want = gold["published_at"]
            return (predicted or None) == want
        want = gold.get("publish_date")
        if not want:
            return None
        got = parse_date(predicted) if predicted else None
        if not got:
            return False
        if partial := GOLD_YEAR_MONTH.fullmatch(want.strip()):  # an annotator's 2018 or 1998-3
            year, month = partial.groups()
            return got[:7] == f"{year}-{int(month):02d}" if month else got[:4] == year
        return got[:10] == (parse_date(want) or "")[:10]
    if name not in gold:
        return None
    want = gold[name]
    if name == "author":
        if want is None:
            return None if "publish_date" in gold else not predicted
        return _names(predicted) == _names(want)
    if want is None:
        return not predicted
    return canonical(predicted) == canonical(want)


def run_govnews(body: bytes, url: str) -> dict:
    from pipelines.errors import ExtractionError
    from pipelines.process import process_page

    candidates: dict = {}
    try:
        record = process_page(body, url, candidates=candidates)
    except ExtractionError:
        return {}
    fields = {name: getattr(record, name) for name in FIELDS}
    return fields | {"body": record.text, "candidates": candidates, "reason": record.provenance.get("text", "")}


_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


def _detected(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:20000]).best()
    if best is None:
        return None
    return "gb18030" if best.encoding.lower() in _GB_FAMILY else best.encoding


@lru_cache(maxsize=4)  # the three peers read the same page: detect its charset once
def peer_text(body: bytes) -> str:
    """The page as text for the peers: BOM, declared charset (w3lib reads gb2312 as gb18030), a
    detector when nothing is declared; a declaration that decodes into replacement characters
    loses to the detector's guess or to UTF-8, whichever decodes cleaner."""
    from w3lib.encoding import html_to_unicode

    text = html_to_unicode(None, body, auto_detect_fun=_detected)[1]
    if text.count("\ufffd") > 10:
        for encoding in (_detected(body), "utf-8"):
            if encoding:
                other = body.decode(encoding, errors="replace")
                if other.count("\ufffd") < text.count("\ufffd"):
                    text = other
    return text


def run_trafilatura(body: bytes, url: str) -> dict:
    import trafilatura

    try:
        html = peer_text(body)
        text = trafilatura.extract(html, url=url) or ""
        meta = trafilatura.extract_metadata(trafilatura.load_html(html), default_url=url)
    except Exception:
        return {}
    return {
        "title": meta.title if meta else None,
        "published_at": meta.date if meta else None,
        "author": meta.author if meta else None,
        "source": None,
        "editor": None,
        "body": text,
    }


def run_gne(body: bytes, url: str) -> dict:
    from gne import GeneralNewsExtractor

    try:
        html = peer_text(body)
        result = GeneralNewsExtractor().extract(html)
    except Exception:
        return {}
    return {
        "title": result.get("title"),
        "published_at": result.get("publish_time"),
        "author": result.get("author"),
        "source": None,
        "editor": None,
        "body": result.get("content"),
    }


def run_magic_html(body: bytes, url: str) -> dict:
    import lxml.html
    from magic_html import GeneralExtractor

    from pipelines.extract.tree import block_lines

    # magic-html gives the article as HTML (and a title): its text is read one line a block.
    try:
        result = GeneralExtractor().extract(peer_text(body), base_url=url)
        article = lxml.html.fragment_fromstring(result.get("html") or "<div></div>", create_parent="div")
        text = "\n".join(line for line in block_lines(article) if not line.startswith("\x00"))
    except Exception:
        return {}
    return {
        "title": result.get("title"),
        "published_at": None,
        "author": None,
        "source": None,
        "editor": None,
        "body": text,
    }


RUNNERS = {"govnews": run_govnews, "trafilatura": run_trafilatura, "gne": run_gne, "magic-html": run_magic_html}


def load_gold(folder: Path) -> list[dict]:
    path = Path(folder) / "gold.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no gold.jsonl (one JSON line per page: file, body, …)")
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
    return lines


def evaluate(folder: Path, extractors=EXTRACTORS) -> list[PageResult]:
    results = []
    # The peers log every page they give up on (trafilatura, readability inside magic-html): the
    # scores say it, the log would bury the table.
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        for gold in load_gold(folder):
            results.append(_evaluate_page(folder, gold, extractors))
    finally:
        logging.disable(previous)
    return results


def _evaluate_page(folder: Path, gold: dict, extractors) -> PageResult:
    from pipelines.dates import parse_date

    body = (Path(folder) / gold["file"]).read_bytes()
    url = gold.get("url") or f"http://example.invalid/{gold['file']}"
    result = PageResult(gold["file"])
    for name in extractors:
        started = time.perf_counter()
        output = RUNNERS[name](body, url)
        result.seconds[name] = time.perf_counter() - started
        if name != "govnews" and output.get("published_at"):
            output["published_at"] = parse_date(str(output["published_at"])) or output["published_at"]
        result.outputs[name] = output
        result.scores[name] = {f: field_hit(f, output.get(f), gold) for f in FIELDS}
        result.f1[name] = body_f1(output.get("body"), gold.get("body"))
        result.exact[name] = body_changes(output.get("body"), gold.get("body"))
        if name == "govnews" and output:
            texts = output.pop("candidates")
            result.chosen, result.reason = texts.pop("chosen", ""), output.pop("reason")
            result.candidates = {c: body_f1(text, gold.get("body")) for c, text in texts.items()}
    return result


def summary(results: list[PageResult], extractors=EXTRACTORS) -> dict:
    table: dict[str, dict] = {}
    for name in extractors:
        row = {}
        for f in FIELDS:
            hits = [r.scores[name][f] for r in results if r.scores[name][f] is not None]
            row[f] = (sum(hits), len(hits))
        f1s = [r.f1[name] for r in results]
        row["body_f1_mean"] = sum(f1s) / len(f1s) if f1s else 0.0
        row["body_f1_min"] = min(f1s) if f1s else 0.0
        exact = [r.exact[name] for r in results]
        gold_chars = sum(e["gold_chars"] for e in exact) or 1
        row["exact_pages"] = sum(not e["added"] and not e["dropped"] for e in exact)
        row["chars_added"] = sum(e["added"] for e in exact) / gold_chars
        row["chars_dropped"] = sum(e["dropped"] for e in exact) / gold_chars
        row["foreign_pages"] = sum(bool(e["foreign"]) for e in exact)
        row["foreign_han_pages"] = sum(any(map(_is_han, e["foreign"])) for e in exact)
        row["foreign_han_by_pages"] = Counter(c for e in exact for c in e["foreign"] if _is_han(c)).most_common()
        row["seconds"] = sum(r.seconds.get(name, 0.0) for r in results)
        row["fields"] = tuple(sum(row[f][i] for f in FIELDS) for i in (0, 1))
        table[name] = row
    return table


def report(results: list[PageResult], extractors=EXTRACTORS, worst: int = 5) -> str:
    table = summary(results, extractors)
    lines = [f"{len(results)} pages", f"{'':<14}" + "".join(f"{n:>16}" for n in extractors)]
    for f in FIELDS:
        cells = []
        for n in extractors:
            hit, total = table[n][f]
            cells.append(f"{hit}/{total} {100 * hit / total:5.1f}%" if total else "—")
        lines.append(f"{f:<14}" + "".join(f"{c:>16}" for c in cells))
    cells = [f"{table[n]['fields'][0]}/{table[n]['fields'][1]}" for n in extractors]
    lines.append(f"{'fields':<14}" + "".join(f"{c:>16}" for c in cells))
    lines.append(f"{'body F1 mean':<14}" + "".join(f"{table[n]['body_f1_mean']:>16.3f}" for n in extractors))
    lines.append(f"{'body F1 min':<14}" + "".join(f"{table[n]['body_f1_min']:>16.3f}" for n in extractors))
    # Exact text, punctuation kept: what F1 cannot see.
    lines.append(
        f"{'exact body':<14}" + "".join(f"{table[n]['exact_pages']}/{len(results)}".rjust(16) for n in extractors)
    )
    lines.append(f"{'chars added':<14}" + "".join(f"{100 * table[n]['chars_added']:>15.2f}%" for n in extractors))
    lines.append(f"{'chars dropped':<14}" + "".join(f"{100 * table[n]['chars_dropped']:>15.2f}%" for n in extractors))
    lines.append(f"{'foreign chars':<14}" + "".join(f"{table[n]['foreign_pages']} pages".rjust(16) for n in extractors))
    lines.append(
        f"{'foreign Han':<14}" + "".join(f"{table[n]['foreign_han_pages']} pages".rjust(16) for n in extractors)
    )
    lines.append(f"{'seconds':<14}" + "".join(f"{table[n]['seconds']:>16.1f}" for n in extractors))
    common = [f"{c} ×{pages}" for c, pages in table[extractors[0]]["foreign_han_by_pages"][:10] if pages > 1]
    lines.append(
        f"Han characters {extractors[0]} gives that the gold lacks, on more than one page: "
        + (" ".join(common) if common else "none")
    )
    lines.append("")
    lines.append(f"worst pages for {extractors[0]} (body F1, missed fields):")
    for r in sorted(results, key=lambda r: r.f1[extractors[0]])[:worst]:
        missed = [f for f, hit in r.scores[extractors[0]].items() if hit is False]
        lines.append(f"  {r.f1[extractors[0]]:.3f}  {r.file}  {' '.join(missed)}")
    if "govnews" in extractors:
        lines.append("")
        lines.extend(choice_report(results))
    return "\n".join(lines)


def worse_choices(results: list[PageResult]) -> list[tuple[PageResult, str, float]]:
    """The pages where govnews' arbitration chose a body candidate that scores worse (by more
    than CHOICE_MARGIN) than another candidate: (page, the better candidate, its F1)."""
    found = []
    for r in results:
        chosen = r.candidates.get(r.chosen)
        if chosen is None:
            continue
        best, f1 = max(r.candidates.items(), key=lambda item: item[1])
        if f1 > chosen + CHOICE_MARGIN:
            found.append((r, best, f1))
    return found


def choice_report(results: list[PageResult]) -> list[str]:
    chosen = Counter(r.chosen for r in results if r.chosen)
    oracle = [max(r.candidates.values()) for r in results if r.candidates]
    lines = [
        "govnews body candidates: chosen "
        + ", ".join(f"{name} {count}" for name, count in chosen.most_common())
        + (f"; the best candidate on every page would give F1 {sum(oracle) / len(oracle):.3f}" if oracle else "")
    ]
    worse = worse_choices(results)
    lines.append(f"pages where the arbitration chose a candidate that scores worse than another: {len(worse)}")
    for r, best, f1 in worse:
        lines.append(f"  {r.file}  chose {r.chosen} {r.candidates[r.chosen]:.3f}, {best} {f1:.3f}  ({r.reason})")
    return lines
