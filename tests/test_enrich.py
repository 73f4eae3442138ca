"""Enrichment on the seed pages and on small texts: people with titles, region, keywords, type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.enrich import doc_type, enrich, keywords, people, simhash
from pipelines.process import process_page
from pipelines.region import describe, region_from_name, region_from_site_code, region_from_text

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "tests" / "fixtures" / "seeds"


def seed_record(number: str):
    expected = json.loads((SEEDS / f"{number}.json").read_text(encoding="utf-8"))
    page = REPO / "crawler" / "demo" / "sites" / expected["site"] / expected["path"].lstrip("/")
    return process_page(page.read_bytes(), "http://127.0.0.1" + expected["path"])


def as_pairs(record) -> list[tuple[str, str]]:
    return [(p["name"], p["title"]) for p in record.people]


def test_seed_000_people_region_keywords():
    record = seed_record("000")
    assert as_pairs(record) == [
        ("王国生", "省委书记"),
        ("尹弘", "省长"),
        ("张书杰", "区委书记"),
        ("李朝锋", "区长"),
        ("魏少峰", "区委副书记"),
        *[
            (name, "区领导")
            for name in ["纪保民", "杜晓辉", "苏凯强", "申健民", "陈长宏", "张楠", "刘明", "黄克中", "刘庆", "程中山"]
        ],
    ]
    assert {k: record.region[k] for k in ("province", "city", "county", "code")} == {
        "province": "河南省",
        "city": "许昌市",
        "county": "魏都区",
        "code": "411002",
    }
    assert {"疫情防控", "项目建设", "经济社会发展"} <= set(record.keywords)
    assert record.doc_type == "会议"


def test_seed_003_people_region_keywords():
    record = seed_record("003")
    assert as_pairs(record) == [("潘功发", "区委书记")] + [
        (name, "区领导")
        for name in ["金玉", "洪源源", "汪俊启", "余红松", "程亮", "江俊杰", "刘小平", "邱金生", "彭凯"]
    ]
    assert record.region["code"] == "340803" and record.region["county"] == "大观区"
    assert {"比晒拼创", "双招双引", "潘功发"} <= set(record.keywords)  # 潘功发, not jieba's 潘功


def test_seed_004_people_region_keywords():
    record = seed_record("004")
    assert as_pairs(record) == [
        ("王震", "市长"),
        ("张利锋", "常务副市长"),
        ("范兆森", "管委会主任"),
        *[(name, "副市长") for name in ["王斌权", "梁丽萍", "武健鹏", "冯志亮", "王宏微"]],
        ("焦新文", "市政府秘书长"),
    ]
    assert {k: record.region[k] for k in ("province", "city", "county", "code")} == {
        "province": "山西省",
        "city": "晋城市",
        "county": None,
        "code": "140500",
    }
    assert {"转型发展", "产业集群", "项目建设"} <= set(record.keywords)


@pytest.mark.parametrize("number", ["000", "001", "002", "003", "004"])
def test_keywords_are_terms_not_filler(number):
    record = seed_record(number)
    assert len(record.keywords) == 10
    for word in record.keywords:
        assert len(word) >= 2 and word not in {"全区", "要求", "工作", "会议", "项目", "领导", "一是"}, word


def test_a_word_only_the_hmm_found_must_recur_to_be_a_keyword():
    # 此件, 扩岗 and 稳岗 are in no dictionary: said once, a mis-cut is likelier than a subject.
    found = keywords("此件公开发布。全区推进扩岗稳岗，扩岗稳岗补贴按时发放，民生保障有力。")
    assert "此件" not in found and {"扩岗", "稳岗", "民生"} <= set(found)
    assert "此件" in keywords("此件公开发布。此件由区政府办公室负责解释。")  # said twice, it stays


def test_people_need_a_name_not_the_verb_after_an_office():
    assert people("市长出席会议并讲话，区长主持。") == []
    assert people("区委书记张书杰、区政府区长李朝锋分别讲话。") == [
        {"name": "张书杰", "title": "区委书记"},
        {"name": "李朝锋", "title": "区长"},
    ]


def test_region_from_each_kind_of_evidence():
    assert region_from_site_code("4110020001")["county"] == "魏都区"
    assert region_from_site_code("not a code") is None
    assert region_from_name("安庆市大观区人民政府")["code"] == "340803"
    assert region_from_text("魏都区召开全区领导干部会议")["city"] == "许昌市"
    assert region_from_text("新城区召开会议") is None  # several 新城区: not guessed
    assert region_from_text("西安市新城区召开会议")["code"] == "610102"
    assert describe("999999", "x") is None


def test_region_from_the_site_config_wins():
    record = seed_record("000")
    record.region = None
    enriched = enrich(
        record, site={"region": {"province": "河南省", "city": "许昌市", "county": "魏都区", "code": "411002"}}
    )
    assert enriched.region["source"] == "site_config"


def test_doc_type_says_which_rule_fired():
    assert doc_type("关于做好防汛工作的通知", "") == ("通知公告", "title: 通知/公告/通告/公示")
    assert doc_type("X区长在2021年区政府全体会上的讲话", "")[0] == "讲话"
    assert doc_type("我区召开全区领导干部会议", "")[0] == "会议"
    assert doc_type("春季植树活动掠影", "")[0] == "新闻"


def test_simhash_is_close_for_a_syndicated_copy_and_far_for_another_article():
    original = seed_record("004").text
    copy = "（来源：晋城日报）\n" + original.replace("会议强调", "会议要求")
    other = seed_record("000").text
    distance = lambda a, b: bin(int(simhash(a), 16) ^ int(simhash(b), 16)).count("1")  # noqa: E731
    assert distance(original, copy) <= 3
    assert distance(original, other) >= 15
    assert keywords("") == []


def test_offices_are_searched_only_near_their_ends_and_found_all_the_same():
    """`people` looks for offices only before an office's last two characters (OFFICE_END): this
    finds exactly the matches of the whole-text search, on articles and on strings made of pieces
    of offices, names and separators (nested, adjacent, overlapping, cut short)."""
    import random
    import re

    from pipelines.enrich import OFFICE, OFFICE_MAX_CHARS, PERSON_AFTER_OFFICE, _offices

    assert re._parser.parse(OFFICE).getwidth()[1] == OFFICE_MAX_CHARS  # the longest office (re's own count)
    pieces = [
        *"省市区县镇乡州局办部院厅副、，。 \na的会委长记王李",
        *("街道", "党工委", "管委会", "人大常委会", "政协", "政府", "纪委", "监委", "常务副市长", "常务", "常委"),
        *("书记", "省长", "市长", "区长", "县长", "主任", "主席", "秘书长", "部长", "局长", "检察长", "主任委员"),
        *("委员", "代表", "总书记", "张三"),
    ]
    rng = random.Random(17)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts.append(seed_record("000").text)
    found = 0
    for text in texts:
        expected = [(m.span(), m.groups()) for m in PERSON_AFTER_OFFICE.finditer(text)]
        assert [(m.span(), m.groups()) for m in _offices(text)] == expected, text
        found += len(expected)
    assert found > 10_000  # the strings are full of offices
