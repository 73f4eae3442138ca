"""`govnews eval GOLD_DIR`: extraction quality against hand-made gold, side by side with
bare trafilatura and GNE, on the same pages in the same run.

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
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FIELDS = ("title", "published_at", "source", "author", "editor")
EXTRACTORS = ("govnews", "trafilatura", "gne")


@dataclass
class PageResult:
    file: str
    scores: dict[str, dict[str, bool | None]] = field(default_factory=dict)  # extractor → field → hit
    f1: dict[str, float] = field(default_factory=dict)  # extractor → body F1
    exact: dict[str, dict] = field(default_factory=dict)  # extractor → body_changes()
    outputs: dict[str, dict] = field(default_factory=dict)


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
        return bool(got) and got[:10] == (parse_date(want) or "")[:10]
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

    try:
        record = process_page(body, url)
    except ExtractionError:
        return {}
    return {name: getattr(record, name) for name in FIELDS} | {"body": record.text}


def run_trafilatura(body: bytes, url: str) -> dict:
    import trafilatura

    # Bare: trafilatura reads the bytes and decodes them itself, as its users call it.
    try:
        text = trafilatura.extract(body, url=url) or ""
        meta = trafilatura.extract_metadata(trafilatura.load_html(body), default_url=url)
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
    from w3lib.encoding import html_to_unicode

    # GNE takes text: decoded the standard way (BOM, <meta> charset, then detection), as Scrapy does.
    try:
        html = html_to_unicode(None, body)[1]
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


RUNNERS = {"govnews": run_govnews, "trafilatura": run_trafilatura, "gne": run_gne}


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
    from pipelines.dates import parse_date

    results = []
    for gold in load_gold(folder):
        body = (Path(folder) / gold["file"]).read_bytes()
        url = gold.get("url") or f"http://example.invalid/{gold['file']}"
        result = PageResult(gold["file"])
        for name in extractors:
            output = RUNNERS[name](body, url)
            if name != "govnews" and output.get("published_at"):
                output["published_at"] = parse_date(str(output["published_at"])) or output["published_at"]
            result.outputs[name] = output
            result.scores[name] = {f: field_hit(f, output.get(f), gold) for f in FIELDS}
            result.f1[name] = body_f1(output.get("body"), gold.get("body"))
            result.exact[name] = body_changes(output.get("body"), gold.get("body"))
        results.append(result)
    return results


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
    return "\n".join(lines)
