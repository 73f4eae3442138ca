"""Text is never damaged: normalization changes only what docs/normalization.md lists.

Every real text the project has (the public CWCED gold bodies, the labeled corpus, the seed
records, the tricky strings) goes through `clean_text`, and, put in a plain article page, through
`govnews extract`. What comes out must be the input after the documented rules and nothing else.
The documented rules are applied here by other means where there are other means (OpenCC itself
for Traditional→Simplified, the Unicode tables for width), and what the rules may move (spaces,
the width of , ; : ? ! ( )) is folded on both sides: every other character must match, punctuation
included, so one invented character per dash (—— → 枣) fails.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from pipelines.mojibake import repair_mojibake
from pipelines.normalize import DAMAGED_READING, clean_text, remove_pinyin_annotations

REPO = Path(__file__).resolve().parents[1]
CWCED = REPO.parent / "shared" / "benchmarks" / "cwced"
FIXTURES = REPO / "tests" / "fixtures"
T2S = OpenCC("t2s")

FULL_WIDTH_ASCII = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
# What the documented rules may move or re-width: spaces and invisible characters, the width of
# , ; : ? ! ( ) (half-width in Chinese context becomes full-width), full-width digits and letters.
FOLD = {ord(c): None for c in " \t\n\r\u00a0\u2002\u3000\u200b\u200e\u200f\u2060\ufeff\u00ad"}
FOLD |= {ord(c): ord(c) - 0xFEE0 for c in "，；：？！（）" + FULL_WIDTH_ASCII}


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(FOLD)


def documented(text: str) -> str:
    """The input after the documented rules, folded: pinyin readings of the character before them
    dropped, what is left of a damaged reading dropped, OpenCC t2s."""
    text = remove_pinyin_annotations(unicodedata.normalize("NFC", text))[0]
    return fold(T2S.convert(DAMAGED_READING.sub("", text)))


def real_texts() -> list[tuple[str, str]]:
    assert (CWCED / "gold.jsonl").is_file(), f"{CWCED}: the public CWCED set (../shared/benchmarks/cwced)"
    texts = []
    for line in (CWCED / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        if gold.get("body"):
            texts.append((f"cwced/{Path(gold['file']).stem[:8]}", gold["body"]))
    for line in (FIXTURES / "corpus" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        texts += [
            (f"corpus/{Path(gold['file']).stem}", gold["body"]),
            (f"corpus/{Path(gold['file']).stem}/title", gold["title"]),
        ]
    for path in sorted((FIXTURES / "seeds").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        texts += [(f"seed/{path.stem}", record["text"]), (f"seed/{path.stem}/title", record["title"])]
    tricky = (FIXTURES / "tricky_strings.txt").read_text(encoding="utf-8").splitlines()
    texts += [(f"tricky/{n}", line) for n, line in enumerate(tricky, 1) if line and not line.startswith("#")]
    return texts


REAL_TEXTS = real_texts()


def test_the_real_texts_are_all_there():
    kinds = Counter(name.split("/")[0] for name, _ in REAL_TEXTS)
    assert kinds["cwced"] == 69 and kinds["corpus"] >= 60 and kinds["seed"] == 10 and kinds["tricky"] >= 50
    joined = "".join(text for _, text in REAL_TEXTS)
    for mark in ("——", "……", "～", "·", "「", "『", "〔", "［", "【", "《", "①", "㈠", "℃", "×", "÷", "１"):
        assert mark in joined, mark


@pytest.mark.parametrize("name, text", REAL_TEXTS, ids=[name for name, _ in REAL_TEXTS])
def test_normalization_changes_only_what_is_documented(name, text):
    stats: dict = {}
    assert fold(clean_text(text, stats)) == documented(text)
    assert "mojibake_repaired" not in stats


def article_page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n") if p.strip())
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body><div class="article"><h1>{html.escape(title)}</h1>'
        f'<div class="info">发布时间：2021-06-03 09:30</div>'
        f'<div class="content">{paragraphs}</div></div></body></html>'
    ).encode()


def test_govnews_extract_adds_no_character_the_page_does_not_hold(tmp_path):
    """Each long real text in a plain article page, through the real `govnews extract`: the title
    comes out exactly, and the body holds no character (Han or punctuation) that the text lacks.
    (Extraction may still leave out a byline or a caption line: that is F1's business.)"""
    title = "关于开展“学习——实践”活动的通知……"
    bodies = [(name, text) for name, text in REAL_TEXTS if "/" in name and len(text) > 200]
    assert len(bodies) >= 100
    paths = []
    for n, (_, text) in enumerate(bodies):
        paths.append(tmp_path / f"page_{n:03d}.html")
        paths[-1].write_bytes(article_page(title, text))
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", *map(str, paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(bodies)
    damaged = {}
    for (name, text), record in zip(bodies, records):
        assert record["title"] == title, name
        added = Counter(fold(record["text"])) - Counter(documented(text))
        if added:
            damaged[name] = "".join(sorted(added))
    assert not damaged


# Texts made of real Chinese: the 3,000 commonest characters of jieba's dictionary, their
# Traditional forms, the punctuation of Chinese writing, ASCII, full-width forms and spaces.
def _alphabet() -> str:
    import jieba

    freq: Counter = Counter()
    for line in (Path(jieba.__file__).parent / "dict.txt").read_text(encoding="utf-8").splitlines():
        word, count = line.split(" ")[:2]
        for ch in word:
            freq[ch] += int(count)
    common = "".join(ch for ch, _ in freq.most_common(3000) if re.match(r"[\u4e00-\u9fff]", ch))
    traditional = OpenCC("s2t").convert(common)
    punctuation = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕［］——……～·①②③㈠㈡℃×÷%"
    return "".join(sorted(set(common + traditional + punctuation + "0123456789abcXYZ,.;:?!()-/ \n１２ＡＢ")))


ALPHABET = _alphabet()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=120))
def test_any_text_of_real_chinese_is_only_changed_as_documented(text):
    assert repair_mojibake(text)[1] == 0
    assert fold(clean_text(text)) == documented(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "——",
                "……",
                "‘‘",
                "’’",
                "“”",
                "”“",
                "××",
                "÷÷",
                "～～",
                "··",
                "••",
                "–",
                "¥",
                "©",
                "®",
                "°",
                "±",
                "²",
                "µ",
                "§",
            ]
        ),
        min_size=1,
        max_size=8,
    ),
    st.text(alphabet=ALPHABET.replace("?", ""), max_size=8),
)  # a ? between Han is flagged, rightly
def test_runs_of_punctuation_and_symbols_are_never_taken_for_mojibake(marks, words):
    text = words + "".join(marks) + words
    assert repair_mojibake(text) == (text, 0, [])
