"""Normalization: one script, no pinyin or spacing artifacts, nothing repaired falsely."""

import pytest

from crawler.record import Record
from pipelines.normalize import clean_text, detect_script, normalize, remove_pinyin_annotations


def test_pinyin_readings_of_the_preceding_character_are_removed():
    text, removed = remove_pinyin_annotations("X區(qū)長在2021年區(qū)政府全體會上的講話")
    assert text == "X區長在2021年區政府全體會上的講話" and removed == 2


@pytest.mark.parametrize(
    "text",
    [
        "世界卫生组织(WHO)",
        "(撰稿:程立胜)",
        "各县(市、区)设分会场",
        "区直有关部门(单位)",
        "第(一)项",
        "市场(shichang)",
        "GDP(国内生产总值)",
        "北京(beijing)",
    ],
)
def test_parentheses_that_are_not_a_reading_of_the_character_stay(text):
    assert remove_pinyin_annotations(text) == (text, 0)


def test_traditional_becomes_simplified_and_the_script_is_detected():
    assert clean_text("大觀區舉行區委常委會擴大會議") == "大观区举行区委常委会扩大会议"
    assert detect_script("大觀區舉行區委常委會擴大會議") == "zh-Hant"
    assert detect_script("我区召开全区领导干部会议") == "zh-Hans"
    assert detect_script("2020 ABC") is None


@pytest.mark.parametrize(
    "raw, clean",
    [
        (
            "4月14日 , 济阳区一季度经济工作形势分析会议召开 。 区委书记吕灿华主持",
            "4月14日，济阳区一季度经济工作形势分析会议召开。区委书记吕灿华主持",
        ),
        ("4月29日,全区领导干部会议召开", "4月29日，全区领导干部会议召开"),
        ("市政府召开全体(扩大)会议", "市政府召开全体（扩大）会议"),
        ("全区ＧＤＰ增长５.２%", "全区GDP增长5.2%"),
        ("  5月7日上午，市政府召开会议。", "5月7日上午，市政府召开会议。"),
        ("Version 2.0, released", "Version 2.0, released"),
        ("价格为1,234元", "价格为1,234元"),
        ("见 http://www.gov.cn/a?b=1", "见 http://www.gov.cn/a?b=1"),
    ],
)
def test_spacing_and_punctuation(raw, clean):
    assert clean_text(raw) == clean


def test_paragraphs_stay_paragraphs():
    assert clean_text("第一段。\n\n  \n第二段。") == "第一段。\n第二段。"


def test_unrepaired_mojibake_is_flagged_not_hidden():
    record = normalize(Record(url="http://x.gov.cn/1.html", title="标题", text="確?!半p過半”。"))
    assert "mojibake_suspected" in record.warnings
    assert record.normalization["mojibake_suspected"]


def test_normalize_keeps_the_originals_and_says_what_changed():
    record = normalize(
        Record(url="http://x.gov.cn/1.html", title="X區(qū)長講話", text="今天,我們召開區(qū)政府全體會議。")
    )
    assert record.title == "X区长讲话" and record.title_original == "X區(qū)長講話"
    assert record.text == "今天，我们召开区政府全体会议。"
    assert record.text_original == "今天,我們召開區(qū)政府全體會議。"
    assert record.script == "zh-Hant"
    assert record.normalization["pinyin_removed"] == 2
    assert record.content_hash


def _tricky_strings() -> list[str]:
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "tricky_strings.txt"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_the_tricky_corpus_is_large_enough():
    assert len(_tricky_strings()) >= 30


@pytest.mark.parametrize("text", _tricky_strings())
def test_no_false_repair_on_clean_text(text):
    from opencc import OpenCC

    from pipelines.mojibake import repair_mojibake

    assert repair_mojibake(text) == (text, 0, [])
    assert remove_pinyin_annotations(text) == (text, 0)
    stats: dict = {}
    # Only the script (鈴 → 铃 in a Japanese name) and the width of full-width digits and letters change.
    half_width = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c).isalnum()}
    assert clean_text(text, stats) == OpenCC("t2s").convert(text).translate(half_width)
    assert "mojibake_suspected" not in stats


@pytest.mark.parametrize(
    "damaged, repaired",
    [
        # UTF-8 bytes read as latin-1 / cp1252 (a wrong charset header on a UTF-8 page)
        ("召开" + "会议召开".encode().decode("latin-1") + "。", "召开会议召开。"),
        ("区委书记。".encode().decode("cp1252"), "区委书记。"),
        # UTF-8 bytes read as GBK (a page declared gb2312 that is really UTF-8)
        ("内容：" + "全区经济社会发展".encode().decode("gbk") + "。", "内容：全区经济社会发展。"),
        ("内容：" + "通知如下".encode().decode("gbk") + "。", "内容：通知如下。"),
        # GBK bytes read as latin-1 (a GBK page served as iso-8859-1)
        ("政府工作报告".encode("gbk").decode("latin-1"), "政府工作报告"),
        # browsers read the five bytes cp1252 lacks (here 话's 0x9d) as C1 controls
        (
            "".join(
                chr(b) if 0x80 <= b <= 0x9F and b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
                for b in "会议讲话".encode()
            ),
            "会议讲话",
        ),
        # the page's own punctuation beside a damaged run stays as it was
        ("学习——" + "政府".encode().decode("cp1252") + "……", "学习——政府……"),
    ],
)
def test_mojibake_that_decodes_back_is_repaired_and_counted(damaged, repaired):
    stats: dict = {}
    assert clean_text(damaged, stats) == repaired
    assert stats["mojibake_repaired"] >= 1 and "mojibake_suspected" not in stats


def test_a_lost_byte_repairs_the_whole_characters_and_flags_the_rest():
    stats: dict = {}
    damaged = "区委书记讲话".encode().decode("cp1252", "replace")  # 话's 0x9d has no cp1252 character
    assert clean_text(damaged, stats).startswith("区委书记讲")
    assert stats["mojibake_repaired"] == 1 and stats["mojibake_suspected"]


def test_what_is_left_of_a_damaged_annotation_goes_and_the_span_stays_flagged():
    stats: dict = {}
    assert clean_text("要敢于挑重?fù)?dān)子、啃硬骨头;A(chǔ)设施", stats) == "要敢于挑重??子、啃硬骨头;A设施"
    assert stats["damaged_readings_removed"] == 3
    assert stats["mojibake_suspected"]


def test_the_fast_conversion_gives_exactly_what_opencc_gives():
    from pathlib import Path

    from opencc import OpenCC

    from pipelines.normalize import to_simplified

    repo = Path(__file__).resolve().parents[1]
    pages = sorted((repo / "crawler" / "demo" / "sites").glob("[fd]a*/**/*.*htm*"))  # fanwen, daguan: Traditional
    pages += sorted((repo / "tests" / "fixtures" / "corpus" / "pages").glob("essay_0*.html"))
    texts = [p.read_text(encoding="utf-8") for p in pages]
    assert len(texts) >= 10
    texts += ["反覆思量，一目瞭然，找藉口", "著作權、顯著、土著", "臺灣的著名學者說：「這裡的髮型很好看。」"]
    opencc = OpenCC("t2s")
    for text in texts:
        assert to_simplified(text) == opencc.convert(text)


def test_a_run_beside_clean_han_text_is_part_of_it():
    """鏉備織 is 杂俗 read wrongly, alone; inside clean text it is what the page says."""
    from pipelines.mojibake import repair_mojibake

    damaged = "杂俗".encode().decode("gbk")
    assert repair_mojibake(f"（{damaged}）")[:2] == ("（杂俗）", 1)
    assert repair_mojibake(f"我们{damaged}工作") == (f"我们{damaged}工作", 0, [])
