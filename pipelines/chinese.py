"""Chinese script helpers shared by the stages, the archive's search and evaluation: OpenCC's
Traditional→Simplified conversion, script detection, and pinyin readings."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêḿńňǹ"
PINYIN_ANNOTATION = re.compile(rf"([{HAN}])\(([{PINYIN_LETTERS}]{{1,7}})\)")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """The characters t2s would change: a text without any of them is already Simplified.

    Built from OpenCC's own tables: every Traditional character, plus the characters that
    differ in phrases whose Traditional form has none (反覆 → 反复, 明瞭 → 明了).
    A set, not a regex character class: 354 of them are outside the BMP, and Python's re then
    tests a class range by range (0.27 ms for a 1,200-character article that has none of them,
    against 3 µs for `frozenset.isdisjoint`).
    """
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"
    chars: set[str] = set()
    for line in (folder / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if key and key != values.split(" ")[0]:
            chars.add(key)
    for line in (folder / "TSPhrases.txt").read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        value = values.split(" ")[0]
        if key != value:
            differing = [a for a, b in zip(key, value) if a != b] if len(key) == len(value) else list(key)
            chars.update(differing)
    return frozenset(chars)


@lru_cache(maxsize=1)
def _t2s_tables() -> tuple[dict, re.Pattern, dict]:
    """OpenCC's t2s dictionaries as a character table and a regex of the phrases.

    OpenCC converts by forward maximum matching over its phrase and character tables; with
    phrases matched leftmost-longest and every other character mapped on its own, this gives
    the same text (checked against OpenCC in the tests), with the matching done in C.
    """
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def entries(name: str):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            if key and values:
                yield key, values.split(" ")[0]

    chars = str.maketrans(dict(entries("TSCharacters.txt")))
    phrases = dict(entries("TSPhrases.txt"))
    pattern = re.compile("|".join(map(re.escape, sorted(phrases, key=len, reverse=True))))
    return chars, pattern, phrases


def to_simplified(text: str) -> str:
    """Traditional → Simplified, phrase-level (OpenCC t2s); Simplified text passes unchanged."""
    if not text or _traditional_chars().isdisjoint(text):
        return text
    chars, pattern, phrases = _t2s_tables()
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[last : match.start()].translate(chars))
        pieces.append(phrases[match.group(0)])
        last = match.end()
    pieces.append(text[last:].translate(chars))
    return "".join(pieces)


def detect_script(text: str) -> str | None:
    """zh-Hant when a clear share of the Han characters are Traditional-only, else zh-Hans."""
    han = re.findall(rf"[{HAN}]", text or "")
    if not han:
        return None
    sample = "".join(han[:5000])
    traditional = sum(map(_traditional_chars().__contains__, sample))
    return "zh-Hant" if traditional / len(sample) > 0.05 else "zh-Hans"


@lru_cache(maxsize=20000)
def readings(char: str) -> frozenset[str]:
    """Every reading of a character, with tone marks and without (pypinyin)."""
    from pypinyin import Style, pinyin

    tone = pinyin(char, style=Style.TONE, heteronym=True, errors="ignore")
    plain = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(r for group in (tone + plain) for r in group)


def remove_pinyin_annotations(text: str) -> tuple[str, int]:
    """Drop ``(pīnyīn)`` after a character when it is that character's reading."""
    count = 0

    def drop(match: re.Match) -> str:
        nonlocal count
        char, reading = match.group(1), match.group(2)
        if reading in readings(char) or reading.replace("ü", "v") in readings(char):
            count += 1
            return char
        return match.group(0)

    return PINYIN_ANNOTATION.sub(drop, text), count
