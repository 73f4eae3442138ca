"""Normalize a record's text: one script, no artifacts, consistent spacing (a pure function).

Order matters, and each step counts what it changed in ``record.normalization``:

1. **mojibake**: repair what decodes back (``pipelines.mojibake``), flag the rest;
   it runs first because the damaged pinyin readings are clues to the lost bytes;
2. **pinyin annotations**: ``區(qū)`` → ``區``, only when the reading in the
   parentheses is a reading of the character before it (pypinyin), so
   ``世界卫生组织(WHO)`` and ``(撰稿:…)`` stay; what is left of an annotation whose
   character was lost to mojibake (``挑重?fù)?dān)子``, ``;A(chǔ)``: a toned reading after
   ``?`` or a Latin letter) goes too, and the damaged span stays flagged;
3. **script**: OpenCC Traditional→Simplified with phrase-level conversion (``t2s``);
4. **spacing and punctuation**: no spaces between Han characters and punctuation,
   half-width ``, : ; ? ! ( )`` in Chinese context become full-width, full-width
   digits and Latin letters become half-width.

The page's own wording stays in ``text_original`` and ``title_original``.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from typing import cast

from crawler.record import Record, compute_content_hash
from pipelines.chinese import HAN, PINYIN_LETTERS, detect_script, remove_pinyin_annotations, to_simplified
from pipelines.mojibake import repair_mojibake

# Full-width punctuation that behaves like a Han character for spacing purposes.
CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】『』「」—…·～"
CJK = HAN + CJK_PUNCT
SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}])[ \t\u00a0\u3000]+(?=[{CJK}])")
# The ` | ` between table cells (see pipelines.extract.block_lines) keeps its spaces.
SPACE_BEFORE_CJK_PUNCT = re.compile(rf"(?<![|\s])[ \t\u00a0\u3000]+(?=[{CJK_PUNCT}])")
SPACE_AFTER_CJK_PUNCT = re.compile(rf"(?<=[{CJK_PUNCT}])[ \t\u00a0\u3000]+(?![|\s])")
SPACED_HALF_PUNCT = re.compile(rf"(?<=[{CJK}])[ \t]*([,;:?!])[ \t]*(?=[{CJK}0-9])|(?<=[{CJK}])[ \t]+([,;:?!])")
HALF_PUNCT = re.compile(
    rf"(?<=[{CJK}])([,;:!])(?=[{CJK}0-9])|(?<=[{HAN}])([,;:!])$"
    rf"|(?<=[0-9%×)])([,;:])(?=[{HAN}])"  # 增速-5%,工业… ; 1,000 and 10:30 stay
    # A "?" inside Han text is usually a character lost to mojibake (確?!半p): only a "?" after a
    # question word or closing a sentence is a question mark.
    r"|(?<=[吗呢么吧啊呀嘛谁哪何几否])(\?)|(?<=[\u4e00-\u9fff])(\?)(?=\s|$|[”」』）])"
)
PAREN_PAIR = re.compile(r"\(([^()\n]{0,60})\)")
# What is left of a damaged annotation (``?fù)``, ``A(chǔ)``): its parentheses pair with nothing.
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
DAMAGED_READING = re.compile(
    rf"(?<=\?)\(?[{PINYIN_LETTERS}]*[{TONE_MARKS}][{PINYIN_LETTERS}]*\)"
    # a lone Latin letter (a stray trail byte), not the end of a word: Peking(Běijīng) stays
    rf"|(?:(?<=^[A-Za-z])|(?<=[^A-Za-z0-9][A-Za-z]))\([{PINYIN_LETTERS}]*[{TONE_MARKS}][{PINYIN_LETTERS}]*\)"
)
_MASK = str.maketrans("()", "\x01\x02")
_UNMASK = str.maketrans("\x01\x02", "()")
FULL_TO_HALF = {
    ord(c): ord(c) - 0xFEE0
    for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
}
HALF_TO_FULL_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
# Zero-width joiners are kept outside Han text: they hold emoji sequences (👨‍👩‍👧) and scripts together.
INVISIBLE = re.compile(rf"[\u200b\u200e\u200f\u2060\ufeff\u00ad]|(?<=[{CJK}])[\u200c\u200d]|[\u200c\u200d](?=[{CJK}])")


# What each rule needs in a line to match: most lines need few of the rules (a line of Han text and
# full-width punctuation none but the space ones), and a search for these is much cheaper than the rules.
_INVISIBLE_CHAR = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_FULL_WIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")
_HALF_PUNCT_CHAR = re.compile(r"[,;:?!]")
_WHITESPACE_RUN = re.compile(r"[ \t\u00a0\u3000]+")


def fix_spacing(text: str) -> tuple[str, int]:
    """Spacing and punctuation width for one paragraph; returns (text, changes)."""
    before = text
    if _INVISIBLE_CHAR.search(text):
        text = INVISIBLE.sub("", text)
    if _FULL_WIDTH_ALNUM.search(text):
        text = text.translate(FULL_TO_HALF)
    text = _WHITESPACE_RUN.sub(" ", text).strip()
    if " " in text:  # the only space left: the rules below take runs of [ \t\u00a0\u3000]
        text = SPACE_BETWEEN_CJK.sub("", text)
        text = SPACE_BEFORE_CJK_PUNCT.sub("", text)
        text = SPACE_AFTER_CJK_PUNCT.sub("", text)
    if _HALF_PUNCT_CHAR.search(text):
        text = SPACED_HALF_PUNCT.sub(lambda m: m.group(1) or m.group(2), text)
        # every alternative of HALF_PUNCT is one group, so a match always has a lastindex
        text = HALF_PUNCT.sub(lambda m: HALF_TO_FULL_PUNCT[m.group(cast(int, m.lastindex))], text)
    if ")" in text:  # both rules end with one
        text = DAMAGED_READING.sub(lambda m: m.group(0).translate(_MASK), text)
        text = PAREN_PAIR.sub(_full_width_parens, text)
    if "\x01" in text or "\x02" in text:  # str.translate looks up every character: only when needed
        text = text.translate(_UNMASK)
    # Spaces left next to the full-width forms just made.
    if " " in text:
        text = SPACE_BEFORE_CJK_PUNCT.sub("", text)
        text = SPACE_AFTER_CJK_PUNCT.sub("", text)
    return text, int(text != before)


def _full_width_parens(match: re.Match) -> str:
    inner = match.group(1)
    string, start, end = match.string, match.start(), match.end()
    before = string[start - 1] if start else ""
    after = string[end] if end < len(string) else ""
    chinese_inside = re.search(rf"[{HAN}]", inner)
    chinese_around = re.match(rf"[{CJK}]", before or "x") and (not after or re.match(rf"[{CJK}]", after))
    if chinese_inside or chinese_around:
        return f"（{inner}）"
    return match.group(0)


def clean_text(text: str, stats: dict | None = None) -> str:
    """The whole normalization of a piece of text (paragraphs kept, one per line)."""
    stats = stats if stats is not None else {}
    text = unicodedata.normalize("NFC", text or "")
    text, repaired, suspects = repair_mojibake(text)
    text, removed = remove_pinyin_annotations(text)
    damaged = 0
    if ")" in text:
        text, damaged = DAMAGED_READING.subn("", text)  # ?fù) of a lost character: the span stays flagged
    simplified = to_simplified(text)
    converted = 0 if simplified is text else sum(map(operator.ne, text, simplified))
    paragraphs, spacing = [], 0
    for line in simplified.split("\n"):
        line, changed = fix_spacing(line)
        spacing += changed
        if line:
            paragraphs.append(line)
    _add(stats, "mojibake_repaired", repaired)
    _add(stats, "pinyin_removed", removed)
    _add(stats, "damaged_readings_removed", damaged)
    _add(stats, "chars_simplified", converted)
    _add(stats, "paragraphs_respaced", spacing)
    if suspects:
        stats.setdefault("mojibake_suspected", []).extend(s["span"] for s in suspects)
    return "\n".join(paragraphs)


def _add(stats: dict, key: str, value: int) -> None:
    if value:
        stats[key] = stats.get(key, 0) + value


PERSON_FIELDS = ("author", "editor", "reviewer")
TEXT_FIELDS = ("source", "author", "editor", "reviewer", "site_name", "issuer", "topic", "validity", "doc_no")


def normalize(record: Record) -> Record:
    """Simplified, artifact-free title/text/metadata; originals and a change log kept."""
    stats: dict = {}
    if not record.text_original:
        record.text_original = record.text
    if record.title_original is None:
        record.title_original = record.title
    record.script = record.script or detect_script((record.title_original or "") + record.text_original)
    record.text = clean_text(record.text_original, stats)
    if record.title_original:
        record.title = clean_text(record.title_original, stats).replace("\n", " ") or None
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if value and name in PERSON_FIELDS:  # several names: each cleaned, still space-separated
            value = " ".join(filter(None, (clean_text(n, stats) for n in value.split())))
            setattr(record, name, value or None)
        elif value:
            setattr(record, name, clean_text(value, stats).replace("\n", " ") or None)
    record.channel = [clean_text(c, stats) for c in record.channel if c and c.strip()]
    for image in record.images:
        if image.get("caption"):
            image["caption"] = clean_text(image["caption"], stats)
    if stats.get("mojibake_suspected"):
        record.warn("mojibake_suspected")
    record.normalization = stats
    record.content_hash = compute_content_hash(record)  # the content fields are final from here on
    return record
