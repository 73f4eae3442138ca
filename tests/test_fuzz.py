"""Hostile input on the pure path: every input gives a Record or an ExtractionError, quickly.

The inputs are the real pages (tests/fixtures/corpus/pages, crawler/demo/sites) mutated by
`tests.support.fuzz` with a fixed seed, so a failure names an input that can be made again:
``list(hostile_inputs(SEED, COUNT))[n]``.  benchmarks/fuzz.py runs the same generator longer.
"""

from __future__ import annotations

import time

from crawler.record import Record
from pipelines.errors import ExtractionError
from pipelines.process import process_page
from tests.support.fuzz import hostile_inputs, load_pages

SEED = 20240506
COUNT = 800
PER_INPUT_LIMIT = 2.0  # seconds of CPU: what an input costs, whatever else the machine runs


def test_hostile_inputs_give_a_record_or_an_extraction_error():
    failures: list[str] = []
    slowest = (0.0, "")
    records = errors = 0
    url, body = load_pages()[0]
    process_page(body, url)  # warm-up: the dictionaries load on the first page, not in its time
    for name, body, url, headers in hostile_inputs(SEED, COUNT):
        start = time.process_time()
        try:
            record = process_page(body, url, headers=headers)
        except ExtractionError:
            errors += 1
        except Exception as exc:  # the failure under test: report them all, not the first
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            assert isinstance(record, Record)
            records += 1
        elapsed = time.process_time() - start
        if elapsed > slowest[0]:
            slowest = (elapsed, name)
    assert not failures, f"{len(failures)} inputs raised:\n" + "\n".join(failures[:20])
    assert slowest[0] < PER_INPUT_LIMIT, f"slowest input took {slowest[0]:.2f} s: {slowest[1]}"
    assert records > COUNT // 2  # the mutations leave most pages readable: the path was exercised
    assert records + errors == COUNT


def test_hostile_urls_are_skipped_with_a_warning():
    page = (
        '<html><head><title>关于开展安全检查的通知</title><base href="http://[zz/"></head><body>'
        '<h1>关于开展安全检查的通知</h1><div id="zoom"><p>'
        + "各单位：为切实做好安全生产工作，现将有关事项通知如下。"
        * 4
        + "</p>"
        '<p><img src="http://a＃@b/x.jpg"><img src="/ok.jpg"></p>'
        '<a href="http://[zz/x.pdf">附件一</a><a href="http://a＃@b/x.pdf">附件二</a><a href="/files/ok.pdf">附件三</a>'
        "</div></body></html>"
    )
    record = process_page(page.encode("utf-8"), "http://www.example.gov.cn/art/2024/5/6/art_1_2.html")
    assert [a["url"] for a in record.attachments] == ["http://www.example.gov.cn/files/ok.pdf"]
    assert [i["url"] for i in record.images] == ["http://www.example.gov.cn/ok.jpg"]
    assert {"bad_base_url", "bad_attachment_url", "bad_image_url"} <= set(record.warnings)


def test_control_characters_and_deep_nesting():
    body = (
        "<p>" + "".join(f"安全生产{chr(c)}" for c in range(32)) + "</p>" + "<span>" * 1500 + "深处的文字"
    )  # libxml2 drops what nests deeper than 2048
    page = f"<html><head><title>通知</title></head><body><h1>通知</h1><div id='zoom'>{body}</div></body></html>"
    record = process_page(page.encode("utf-8"), "http://www.example.gov.cn/a.html")
    assert "\x01" not in record.text and "\x00" not in record.text
    assert "安全生产" * 32 in record.text  # the controls went, the text stayed (and tab/LF are spaces)
    assert "深处的文字" in record.text
