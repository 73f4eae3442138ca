"""The archive on real SQLite files: versions, snapshots, failures, runs, schema upgrades."""

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from archive.schema import SCHEMA_VERSION, VERSION_COLUMNS
from archive.store import EXTRACTOR_VERSION, Archive
from crawler.record import Record

REPO = Path(__file__).resolve().parents[1]


def make_record(**changes) -> Record:
    record = Record(
        url="http://example.gov.cn/t20200430_1.html",
        title="我区召开全区领导干部会议",
        published_at="2020-04-30T08:40:00+08:00",
        channel=["政务信息", "魏都要闻"],
        text="4月29日，全区领导干部会议召开。\n区委书记张书杰讲话。",
        keywords=["领导干部", "会议"],
    )
    return dataclasses.replace(record, **changes)


def test_new_archive_has_the_tables_and_a_column_for_every_record_field(tmp_path):
    archive = Archive(tmp_path / "a.db")
    assert {"pages", "versions", "snapshots", "bodies", "page_events", "crawl_runs", "failures"} <= set(
        archive.db.table_names()
    )
    fields = {f.name for f in dataclasses.fields(Record)}
    assert fields <= set(archive.db["pages"].columns_dict)
    assert set(VERSION_COLUMNS) | {"record", "diff", "extractor_version"} <= set(archive.db["versions"].columns_dict)
    assert archive.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_keeps_the_whole_record_compressed_and_its_diff(tmp_path):
    archive = Archive(tmp_path / "a.db")
    first = make_record(people=[{"name": "张书杰", "title": "区委书记"}], text_original="原文")
    v1 = archive.add_record(first, site="weidu")
    edited = "4月29日，全区领导干部会议召开。\n区委书记张书杰讲话，要求倒排工期。\n新增一段。"
    second = make_record(text=edited, text_original=edited)
    v2 = archive.add_record(second, site="weidu")
    assert archive.version_record(v1) == first and archive.version_record(v2) == second
    rows = {r["id"]: r for r in archive.db.query("select * from versions")}
    assert rows[v1]["diff"] is None and rows[v1]["extractor_version"] == EXTRACTOR_VERSION
    assert rows[v2]["diff"].splitlines() == ["~ 区委书记张书杰讲话{+，要求倒排工期+}。", "+ 新增一段。"]
    assert isinstance(rows[v2]["record"], bytes) and rows[v2]["title"] == first.title
    # pages keep text_original only where it differs from text
    page = archive.db["pages"].get(first.url)
    assert page["text_original"] is None and archive.latest_record(first.url).text_original == second.text


def test_a_near_identical_version_is_stored_as_a_small_delta(tmp_path):
    archive = Archive(tmp_path / "a.db")
    text = "\n".join(f"第{i}段：区委书记张书杰强调，要坚持项目为王，抓好重点项目建设。" for i in range(200))
    v1 = archive.add_record(make_record(text=text))
    v2 = archive.add_record(make_record(text=text + "\n新增一段。"))
    sizes = {
        r["id"]: (r["size"], r["record_base"])
        for r in archive.db.query("select id, length(record) as size, record_base from versions")
    }
    assert sizes[v2][1] == v1 and sizes[v2][0] < sizes[v1][0] / 5
    assert archive.version_record(v2).text.endswith("新增一段。")


def test_unchanged_record_adds_no_version_and_a_change_adds_exactly_one(tmp_path):
    archive = Archive(tmp_path / "a.db")
    first = archive.add_record(make_record(), site="weidu")
    again = archive.add_record(make_record(), site="weidu")
    # Enrichment output is not content: a different keyword list is the same version.
    enriched = archive.add_record(make_record(keywords=["营商环境"]), site="weidu")
    changed = archive.add_record(make_record(text="4月29日，会议召开。"), site="weidu")
    assert first and changed and again is None and enriched is None
    versions = list(archive.db.query("select version, id from versions order by id"))
    assert [v["version"] for v in versions] == [1, 2]
    assert archive.version_record(versions[0]["id"]).text == make_record().text
    page = archive.db["pages"].get("http://example.gov.cn/t20200430_1.html")
    assert page["version_count"] == 2
    assert page["latest_version_id"] == changed
    assert page["text"] == "4月29日，会议召开。"
    assert json.loads(page["channel"]) == ["政务信息", "魏都要闻"]
    assert archive.latest_record(page["url"]).channel == ["政务信息", "魏都要闻"]


def test_a_page_that_reverts_gets_a_new_version(tmp_path):
    archive = Archive(tmp_path / "a.db")
    archive.add_record(make_record())
    archive.add_record(make_record(title="改过的标题"))
    assert archive.add_record(make_record()) is not None
    assert archive.db["versions"].count == 3


def test_snapshot_keeps_the_raw_bytes_and_a_failure_sits_beside_it(tmp_path):
    archive = Archive(tmp_path / "a.db")
    run = archive.start_run("site", "weidu", ["http://example.gov.cn/"])
    body = "<html>魏都</html>".encode("gbk") + b"\x00\xff"
    snap = archive.add_snapshot(
        url="http://example.gov.cn/x.html",
        status=200,
        headers={"Content-Type": "text/html"},
        body=body,
        crawl_run_id=run,
    )
    archive.add_failure(
        url="http://example.gov.cn/x.html", stage="extract", error="binary body", snapshot_id=snap, crawl_run_id=run
    )
    assert archive.snapshot_body(snap) == body
    counts = archive.finish_run(run, "finished")
    assert counts == {
        "pages_fetched": 1,
        "articles": 1,
        "new_versions": 0,
        "failures": 1,
        "new_articles": 0,
        "weak_records": 0,
        "warnings": "{}",
    }
    row = archive.db["crawl_runs"].get(run)
    assert row["status"] == "finished" and row["finished_at"] >= row["started_at"]
    assert archive.db["failures"].get(1)["snapshot_id"] == snap


def test_failures_of_a_page_archived_later_are_resolved_and_kept(tmp_path):
    archive = Archive(tmp_path / "a.db")
    record = make_record()
    other = "http://example.gov.cn/t20200430_2.html"
    for url, stage in ((record.url, "fetch"), (record.url, "extract"), (other, "fetch")):
        archive.add_failure(url=url, stage=stage, error="BrokenProcessPool")
    archive.add_record(record, fetched_at="2020-05-01T00:00:00+00:00")
    rows = {(r["url"], r["stage"]): r["resolved_at"] for r in archive.db["failures"].rows}
    assert rows == {
        (record.url, "fetch"): "2020-05-01T00:00:00+00:00",
        (record.url, "extract"): "2020-05-01T00:00:00+00:00",
        (other, "fetch"): None,  # not archived: still open
    }
    # A later failure of the archived page is open again; archiving the page unchanged resolves
    # it, and the resolved rows keep their time. A 304 for an archived page resolves too.
    archive.add_failure(url=record.url, stage="fetch", error="HTTP 500")
    archive.add_record(record, fetched_at="2020-05-02T00:00:00+00:00")  # unchanged: no version
    times = [r["resolved_at"] for r in archive.db["failures"].rows_where("url = ?", [record.url], order_by="id")]
    assert times == ["2020-05-01T00:00:00+00:00"] * 2 + ["2020-05-02T00:00:00+00:00"]
    archive.add_failure(url=record.url, stage="fetch", error="HTTP 503")
    assert archive.mark_checked(record.url, fetched_at="2020-05-03T00:00:00+00:00")
    assert not archive.mark_checked(other, fetched_at="2020-05-03T00:00:00+00:00")  # not archived: stays open
    open_rows = [(r["url"], r["error"]) for r in archive.db["failures"].rows_where("resolved_at is null")]
    assert open_rows == [(other, "BrokenProcessPool")]


def test_an_archive_missing_newer_columns_upgrades_in_place(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "create table pages (url text primary key, title text, text text, content_hash text, version_count integer)"
    )
    conn.execute("insert into pages values ('http://x.gov.cn/1.html', '旧标题', '旧正文', 'abc', 1)")
    conn.commit()
    conn.close()
    archive = Archive(path)
    assert "keywords" in archive.db["pages"].columns_dict
    assert archive.db["pages"].get("http://x.gov.cn/1.html")["title"] == "旧标题"


def test_a_syndicated_copy_is_linked_to_its_original(tmp_path):
    from pipelines.enrich import enrich
    from pipelines.process import process_page

    page = REPO / "crawler" / "demo" / "sites" / "jincheng" / "zwgk" / "jcyw" / "202005" / "t20200507_1129365.shtml"
    original = process_page(page.read_bytes(), "http://www.jcgov.gov.cn/zwgk/jcyw/202005/t20200507_1129365.shtml")
    copy = process_page(page.read_bytes(), "http://news.example.com/a/1.html")
    copy.text = "（来源：晋城日报）\n" + copy.text.replace("会议强调", "会议要求")
    enrich(copy)
    other_page = REPO / "crawler" / "demo" / "sites" / "weidu" / "zwxx" / "wdyw" / "202004" / "t20200430_1234567.html"
    other = process_page(other_page.read_bytes(), "http://www.weidu.gov.cn/zwxx/wdyw/202004/t20200430_1234567.html")

    archive = Archive(tmp_path / "a.db")
    archive.add_record(original, fetched_at="2020-05-07T12:00:00Z", site="jincheng")
    archive.add_record(other, fetched_at="2020-05-07T12:30:00Z", site="weidu")
    archive.add_record(copy, fetched_at="2020-05-08T08:00:00Z", site="aggregator")
    pages = {row["url"]: row for row in archive.db["pages"].rows}
    assert pages[copy.url]["duplicate_of"] == original.url
    assert 0 < pages[copy.url]["duplicate_distance"] <= 7
    assert pages[original.url]["duplicate_of"] is None and pages[other.url]["duplicate_of"] is None
    assert archive.db["simhash_keys"].count == 3 * 36


def test_crawls_started_together_on_a_new_archive_all_open_it(tmp_path):
    """Eight processes create the same new archive at once (as parallel `scrapy crawl`s do)."""
    import subprocess
    import sys

    db = tmp_path / "new.db"
    code = f"from archive.store import Archive; Archive({str(db)!r}).db['pages'].count"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stderr=subprocess.PIPE, text=True) for _ in range(8)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, errors


def test_chinese_search_finds_two_character_words_and_stays_in_step(tmp_path):
    from archive.search import FTS_TABLE
    from pipelines.process import process_page

    page = REPO / "crawler" / "demo" / "sites" / "weidu" / "zwxx" / "wdyw" / "202004" / "t20200430_1234567.html"
    record = process_page(page.read_bytes(), "http://www.weidu.gov.cn/zwxx/wdyw/202004/t20200430_1234567.html")
    archive = Archive(tmp_path / "a.db")
    archive.add_record(record, site="weidu")
    for query in ("书记", "项目建设", "张书杰 项目建设", "会议"):
        assert [r["url"] for r in archive.search(query)] == [record.url], query
    assert archive.search("航天飞机") == [] and archive.search("  ") == []

    record.text = record.text.replace("张书杰", "某某某")  # an edit: the index follows the new version
    record.content_hash = None
    archive.add_record(record, site="weidu")
    assert archive.search("张书杰") == [] and archive.search("某某某")
    assert archive.db.execute(f"select count(*) from {FTS_TABLE}").fetchone()[0] == 1


def test_an_archive_made_before_the_index_gets_it_on_opening(tmp_path):
    from archive.search import FTS_TABLE

    archive = Archive(tmp_path / "a.db")
    archive.add_record(Record(url="http://x.gov.cn/1.html", title="区委书记讲话", text="区委书记强调抓好项目建设。"))
    archive.db.execute(f"drop table {FTS_TABLE}")
    archive.close()
    assert [r["url"] for r in Archive(tmp_path / "a.db").search("书记")] == ["http://x.gov.cn/1.html"]


def test_identical_bodies_are_stored_once_and_a_changed_capture_as_a_delta(tmp_path):
    archive = Archive(tmp_path / "a.db")
    page = (REPO / "crawler/demo/sites/weidu/zwxx/wdyw/202004/t20200430_1234567.html").read_bytes()
    edited = page.replace("会议".encode("gbk"), "大会".encode("gbk"), 1)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    url = "http://www.weidu.gov.cn/zwxx/wdyw/202004/t20200430_1234567.html"
    ids = [archive.add_snapshot(url=url, status=200, headers={}, body=body) for body in (page, page, edited)]
    ids.append(archive.add_snapshot(url="http://x.gov.cn/a.png", status=200, headers={}, body=png))
    ids.append(archive.add_snapshot(url="http://x.gov.cn/b", status=0, headers={}, body=b""))
    assert [archive.snapshot_body(i) for i in ids] == [page, page, edited, png, b""]
    bodies = {
        r["sha256"]: r for r in archive.db.query("select sha256, size, base_sha256, length(data) as stored from bodies")
    }
    assert len(bodies) == 4  # the repeated capture is stored once
    first, second = (archive.db["snapshots"].get(i)["body_sha256"] for i in ids[1:3])
    assert bodies[second]["base_sha256"] == first
    assert bodies[second]["stored"] < bodies[first]["stored"] / 4


def test_a_page_has_a_timeline_first_seen_changed_gone_back_moved(tmp_path):
    archive = Archive(tmp_path / "a.db")
    url = make_record().url
    archive.add_record(make_record(), fetched_at="2026-10-01T00:00:00+00:00")
    archive.add_record(make_record(title="新标题"), fetched_at="2026-10-02T00:00:00+00:00")
    assert archive.mark_gone(url, status=404, fetched_at="2026-10-03T00:00:00+00:00")
    assert archive.mark_gone(url, status=404, fetched_at="2026-10-04T00:00:00+00:00")  # still gone: no new event
    assert not archive.mark_gone("http://x.gov.cn/never-seen.html", status=404)
    page = archive.db["pages"].get(url)
    assert (page["status"], page["gone_at"]) == ("gone", "2026-10-03T00:00:00+00:00")
    assert archive.db["versions"].count == 2  # gone is a state, never a deletion
    # A re-extraction says nothing about the page being back.
    archive.add_record(make_record(title="重新抽取"), fetched_at="2026-10-02T00:00:00+00:00", reason="reprocess")
    assert archive.db["pages"].get(url)["status"] == "gone"
    archive.add_record(make_record(title="重新抽取"), fetched_at="2026-10-05T00:00:00+00:00")  # the page is back
    assert archive.note_redirect(url, "http://example.gov.cn/new/1.html", fetched_at="2026-10-06T00:00:00+00:00")
    assert not archive.note_redirect(url, "http://example.gov.cn/new/1.html")
    events = [
        (e["event"], e["at"][:10], e["detail"])
        for e in archive.db.query("select * from page_events where url = ? order by id", [url])
    ]
    assert events == [
        ("first_seen", "2026-10-01", None),
        ("changed", "2026-10-02", None),
        ("gone", "2026-10-03", "HTTP 404"),
        ("changed", "2026-10-02", "reprocess"),
        ("back", "2026-10-05", None),
        ("moved", "2026-10-06", "http://example.gov.cn/new/1.html"),
    ]
    page = archive.db["pages"].get(url)
    assert (page["status"], page["moved_to"]) == ("moved", "http://example.gov.cn/new/1.html")


OLD_ARCHIVE = REPO / "tests" / "fixtures" / "archives" / "govnews-0.1.0.db"


def _old_contents(path: Path) -> dict:
    """What a 0.1 archive holds, read with plain sqlite3: bodies, records, pages."""
    import zlib

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    bodies = {r["id"]: zlib.decompress(r["body"]) for r in conn.execute("select id, body from snapshots")}
    versions = {r["id"]: dict(r) for r in conn.execute("select * from versions")}
    pages = {r["url"]: dict(r) for r in conn.execute("select * from pages")}
    conn.close()
    return {"bodies": bodies, "versions": versions, "pages": pages}


def test_an_archive_written_by_govnews_0_1_upgrades_in_place_without_loss(tmp_path):
    from archive.store import row_record

    path = tmp_path / "old.db"
    path.write_bytes(OLD_ARCHIVE.read_bytes())
    before = _old_contents(path)
    assert sqlite3.connect(path).execute("pragma user_version").fetchone()[0] == 0
    archive = Archive(path)
    db = archive.db
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    # every capture, byte for byte, under its old id
    assert {i: archive.snapshot_body(i) for i in before["bodies"]} == before["bodies"]
    assert db["bodies"].count < len(before["bodies"])  # re-crawled identical pages: stored once
    # every version, with its old id, number, time and extractor version, its record whole
    for vid, old in before["versions"].items():
        new = db["versions"].get(vid)
        assert (new["url"], new["version"], new["fetched_at"], new["extractor_version"]) == (
            old["url"],
            old["version"],
            old["fetched_at"],
            old["extractor_version"],
        )
        assert archive.version_record(vid) == row_record(old)
    edited = next(v for v in db["versions"].rows if v["version"] == 2)
    assert "{+他要求，要倒排工期、挂图作战。+}" in edited["diff"]
    for url, old in before["pages"].items():
        assert archive.latest_record(url) == row_record(old)
        assert db["pages"].get(url)["version_count"] == old["version_count"]
    # the timeline the history implies: the edit, and the article deleted before the second crawl
    events = {(e["event"], e["url"].rsplit("/", 1)[1]) for e in db["page_events"].rows if e["event"] != "first_seen"}
    assert events == {("changed", "t20200508_1235874.html"), ("gone", "t20200512_1131207.shtml")}
    assert sum(1 for e in db["page_events"].rows if e["event"] == "first_seen") == len(before["pages"])
    assert [r["title"] for r in archive.search("项目建设 调研")]
    event_count = db["page_events"].count
    archive.close()
    # Opening again changes nothing.
    again = Archive(path)
    assert again.db["page_events"].count == event_count and again.db["versions"].count == 21


def test_an_upgrade_that_fails_leaves_the_old_archive_as_it_was(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(OLD_ARCHIVE.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("update snapshots set body = x'00ff00ff' where id = 7")  # a damaged capture
    conn.commit()
    conn.close()
    with pytest.raises(Exception, match="(?i)error|invalid|incorrect"):
        Archive(path)
    conn = sqlite3.connect(path)
    assert conn.execute("pragma user_version").fetchone()[0] == 0
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"snapshots", "versions", "pages"} <= tables and not {"bodies", "_old_snapshots"} & tables
    assert conn.execute("select count(*) from versions").fetchone()[0] == 21


def test_search_finds_a_long_word_the_page_cut_otherwise_and_orders_newest_or_by_rank(tmp_path):
    archive = Archive(tmp_path / "a.db")
    texts = {
        "1": ("区委召开重点项目建设推进会", "会议强调，要抓好重点项目建设。"),  # indexed 重点 项目 重点项目 建设
        "2": ("中华人民共和国成立七十周年", "庆祝中华人民共和国成立七十周年。"),
        "3": ("项目建设推进会召开", "项目建设是稳增长的重要抓手，项目建设要快。"),
        "4": ("资金到位", "项目资金已经到位，各单位积极推进，加快建设。"),  # 项目 … 建设, far apart
    }
    for key, (title, text) in texts.items():
        archive.add_record(Record(url=f"http://x.gov.cn/{key}.html", title=title, text=text))
    found = lambda query, **kw: [r["url"][-6] for r in archive.search(query, **kw)]  # noqa: E731
    assert found("项目建设") == ["3", "1"]  # newest first; not 4, where the words stand apart
    assert found("项目建设", order="relevance") == ["3", "1"]  # in the title and twice in the text
    assert found("人民共和国") == ["2"] and found("中华人民共和国 七十周年") == ["2"]
    with pytest.raises(ValueError, match="order"):
        archive.search("项目", order="oldest")


@pytest.mark.parametrize("department", ["住建局", "人社局", "发改局", "文旅局", "工信局", "网信办"])
def test_a_department_named_after_its_district_is_found_by_its_short_name(tmp_path, department):
    # Without these abbreviations in the dictionary, 区住建局 was cut 区住|建局 and 住建局 alone
    # 住|建局: the query's 住 was in no page.
    archive = Archive(tmp_path / "a.db")
    archive.add_record(
        Record(
            url="http://x.gov.cn/1.html",
            title=f"区{department}召开安全生产会议",
            text=f"市{department}、县{department}参加会议。",
        )
    )
    archive.add_record(Record(url="http://x.gov.cn/2.html", title="区委召开会议", text="会议强调安全生产。"))
    assert [r["url"] for r in archive.search(department)] == ["http://x.gov.cn/1.html"]


def test_a_word_jieba_breaks_into_characters_when_typed_alone_is_found_as_the_page_says_it(tmp_path):
    # Typed alone, 初心 is cut 初|心; inside 不忘初心 the page is indexed with 初心.
    archive = Archive(tmp_path / "a.db")
    archive.add_record(Record(url="http://x.gov.cn/1.html", title="主题教育动员会", text="不忘初心、牢记使命。"))
    archive.add_record(Record(url="http://x.gov.cn/2.html", title="初步方案", text="群众关心的问题。"))  # 初 … 心 apart
    archive.add_record(
        Record(url="http://x.gov.cn/3.html", title="初心如磐", text="初 心 二字。")
    )  # 初 心 side by side
    found = lambda query: sorted(r["url"][-6] for r in archive.search(query))  # noqa: E731
    assert found("初心") == ["1", "3"]
    assert found("牢记 初心") == ["1"]


def test_an_index_another_dictionary_built_is_rebuilt_when_the_archive_opens(tmp_path):
    from archive.search import segmenter_fingerprint

    archive = Archive(tmp_path / "a.db")
    archive.add_record(Record(url="http://x.gov.cn/1.html", title="区住建局召开会议", text="会议强调安全生产。"))
    archive.close()
    with sqlite3.connect(tmp_path / "a.db") as conn:  # as an older release left it: other words, other segmenter
        conn.execute("insert into pages_fts (pages_fts) values ('delete-all')")
        conn.execute("update archive_meta set value = 'rjieba-0.0-olddictionary' where key = 'fts_segmenter'")
    conn.close()
    archive = Archive(tmp_path / "a.db")
    assert [r["url"] for r in archive.search("住建局")] == ["http://x.gov.cn/1.html"]
    assert (
        archive.db.execute("select value from archive_meta where key = 'fts_segmenter'").fetchone()[0]
        == segmenter_fingerprint()
    )


def test_a_bulk_load_builds_the_search_index_once_and_a_crash_mid_load_leaves_it_to_be_rebuilt(tmp_path):
    archive = Archive(tmp_path / "a.db")
    with archive.bulk_load(), archive.batch():
        archive.add_record(make_record())
        archive.add_record(make_record(text="区委书记张书杰强调抓好项目建设。"))
        archive.add_record(make_record(url="http://x.gov.cn/2.html", text="市长调研重点项目。"))
    assert [r["url"] for r in archive.search("张书杰")] == [make_record().url]
    assert archive.db.execute("select count(*) from pages_fts").fetchone()[0] == 2  # one entry a page

    with pytest.raises(RuntimeError), archive.bulk_load():
        archive.add_record(make_record(url="http://x.gov.cn/3.html", text="安全生产工作会议召开。"))
        raise RuntimeError("killed mid-load")
    assert archive.search("安全生产") == []  # not indexed yet …
    archive.close()
    assert [r["url"] for r in Archive(tmp_path / "a.db").search("安全生产")] == [
        "http://x.gov.cn/3.html"
    ]  # … now it is


def test_a_copy_points_at_the_nearest_original_never_at_another_copy(tmp_path):
    archive = Archive(tmp_path / "a.db")
    base = 0x0123456789ABCDEF
    pages = {
        "a": base,
        "b": base ^ 0b11,
        "c": base ^ 0b1,
        "d": base ^ 0b1111 << 20,
        "e": base ^ 0b1111 << 20,
        "far": base ^ (1 << 64) - 1,
    }
    for name, value in pages.items():
        archive.add_record(make_record(url=f"http://x.gov.cn/{name}.html", text=f"第{name}篇", simhash=f"{value:016x}"))
    links = {
        row["url"][16:-5]: (row["duplicate_of"] and row["duplicate_of"][16:-5], row["duplicate_distance"])
        for row in archive.db["pages"].rows
    }
    assert links == {"a": (None, None), "b": ("a", 2), "c": ("a", 1), "d": ("a", 4), "e": ("a", 4), "far": (None, None)}


# --- diffs: bounded work, markers in the text -----------------------------------------------
def test_the_diff_of_a_long_repetitive_paragraph_takes_bounded_time():
    import random
    import time

    from archive.diff import WORD_DIFF_CAP, record_diff
    from pipelines.segment import segment

    segment("书记")  # jieba's dictionary loaded beforehand: not what is timed
    rng = random.Random(7)
    words = ["会议", "书记", "我区", "召开", "讲话", "工作"]
    old = "".join(rng.choice(words) for _ in range(16 * 1024 // 6))  # 16 KB of UTF-8, one paragraph
    new = "".join(
        w if rng.random() < 0.7 else rng.choice(words) for w in (old[i : i + 2] for i in range(0, len(old), 2))
    )
    assert len(segment(old)) * len(segment(new)) > WORD_DIFF_CAP
    started = time.perf_counter()
    diff = record_diff({"text": "甲段。\n" + old}, {"text": "甲段。\n" + new})
    assert time.perf_counter() - started < 1
    # Past the cap: the common head and tail kept, the middle one removed and one added span.
    assert diff.startswith("~ ") and diff.count("[-") == 1 and diff.count("{+") == 1
    assert _sides(diff[2:]) == (old, new)

    # One edit in a long repeated paragraph: still word-exact around the edit.
    unit = "我区召开全区领导干部会议，区委书记讲话。"
    long_old = unit * 800
    long_new = unit * 400 + unit.replace("讲话", "发言") + unit * 399
    started = time.perf_counter()
    diff = record_diff({"text": long_old}, {"text": long_new})
    assert time.perf_counter() - started < 1
    assert diff.count("[-讲话-]{+发言+}") == 1 and _sides(diff[2:]) == (long_old, long_new)


def _sides(line: str) -> tuple[str, str]:
    """The old and the new paragraph a ``~`` line stands for, read as the renderer reads it."""
    from archive.datasette_plugin.render import edit_spans

    spans = edit_spans(line)
    old = "".join(text for kind, text in spans if kind in "=-")
    new = "".join(text for kind, text in spans if kind in "=+")
    return old, new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("通知[-x-]见附件{+y+}。", "通知[-x-]见附件{+z+}。"),
        ("删去[-旧-]与{+新+}，还有\\[-和-\\]。", "删去[-旧-]与{+新+}，还有\\[-和\\-]结尾\\"),
        ("a-]b[-c", "a-]b[-d"),
        ("[-]{+}-[", "[-]{+}+{"),
    ],
)
def test_markers_typed_into_the_text_round_trip_and_are_not_edits(old, new):
    from archive.diff import paragraph_diff, unescape

    line = paragraph_diff(old, new)
    assert _sides(line) == (old, new)
    assert unescape("\\[-x-\\]\\\\") == "[-x-]\\"


def test_random_marker_soup_round_trips():
    import random

    from archive.diff import paragraph_diff

    rng = random.Random(3)
    alphabet = "[]{}-+\\甲乙 "
    for _ in range(300):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        new = "".join(c if rng.random() < 0.7 else rng.choice(alphabet) for c in old) + rng.choice(["", "-]", "+}"])
        assert _sides(paragraph_diff(old, new)) == (old, new), (old, new)


def test_paragraphs_are_split_at_newlines_only():
    from archive.diff import text_diff

    # \x85 and \u2028 inside a paragraph are text, not paragraph breaks.
    assert text_diff("甲\x85乙。\n丙\u2028丁。", "甲\x85乙。\n丙\u2028戊。").split("\n") == ["~ 丙\u2028[-丁-]{+戊+}。"]


def test_known_page_reads_header_values_split_at_newlines_only(tmp_path):
    archive = Archive(tmp_path / "a.db")
    run = archive.start_run("site", "s", ["http://example.gov.cn/"])
    url = "http://example.gov.cn/t20200430_1.html"
    etag = 'W/"公告"'.encode().decode("latin-1")  # holds \x85, as the spider stores it
    archive.add_snapshot(
        url=url,
        status=200,
        headers={"ETag": etag, "Last-Modified": "Wed, 29 Apr 2020 08:00:00 GMT\nThu, 30 Apr 2020 08:00:00 GMT"},
        body=b"<html></html>",
        fetched_at="2020-04-30T10:00:00+08:00",
        site="s",
        crawl_run_id=run,
    )
    archive.add_record(make_record(url=url), fetched_at="2020-04-30T10:00:00+08:00", site="s", crawl_run_id=run)
    known = archive.known_page(url)
    assert known["etag"] == etag and "\x85" in etag
    assert known["last_modified"] == "Thu, 30 Apr 2020 08:00:00 GMT"
    archive.close()


# --- per-site dictionaries ----------------------------------------------------------------------
def _site_pages(count: int) -> list[tuple[str, bytes]]:
    """Pages of one site: the demo template, a different article in each."""
    template = (REPO / "crawler/demo/sites/weidu/zwxx/wdyw/202004/t20200430_1234567.html").read_bytes()
    words = "区委书记强调要坚持项目为王抓好重点项目建设营商环境乡村振兴安全生产疫情防控招商引资"
    pages = []
    for n in range(count):
        article = "".join(words[(n * 7 + i * 3) % len(words)] for i in range(400)) + f"第{n}篇"
        body = template.replace("会议".encode("gbk"), article.encode("gbk"), 1)
        pages.append((f"http://www.weidu.gov.cn/zwxx/wdyw/t{n}.html", body))
    return pages


def test_a_site_gets_a_dictionary_from_its_first_pages_and_every_body_reads_back(tmp_path):
    from archive.dictionaries import TRAIN_SAMPLES

    archive = Archive(tmp_path / "a.db")
    pages = _site_pages(TRAIN_SAMPLES + 20)
    ids = [archive.add_snapshot(url=u, status=200, headers={}, body=b, site="weidu") for u, b in pages]
    other = archive.add_snapshot(url="http://x.gov.cn/1.html", status=200, headers={}, body=pages[0][1], site="x")
    dictionaries = list(archive.db.query("select id, site, kind, samples from dictionaries"))
    assert [(d["site"], d["kind"], d["samples"]) for d in dictionaries] == [("weidu", "body", TRAIN_SAMPLES)]
    rows = list(
        archive.db.query(
            "select s.id, b.dictionary_id, length(b.data) as stored from snapshots s "
            "join bodies b on b.sha256 = s.body_sha256 order by s.id"
        )
    )
    before, after = rows[:TRAIN_SAMPLES], rows[TRAIN_SAMPLES : len(pages)]
    assert all(r["dictionary_id"] is None for r in before)
    assert all(r["dictionary_id"] == dictionaries[0]["id"] for r in after)
    mean = lambda rs: sum(r["stored"] for r in rs) / len(rs)  # noqa: E731
    assert mean(after) < mean(before) / 2
    archive.close()
    archive = Archive(tmp_path / "a.db")  # read back from the file alone
    assert [archive.snapshot_body(i) for i in ids] == [b for _, b in pages]
    assert archive.snapshot_body(other) == pages[0][1]
    # A later capture of a page is a delta against its dictionary-compressed keyframe.
    url, body = pages[-1]
    edited = body.replace("第".encode("gbk"), "新".encode("gbk"), 1)
    again = archive.add_snapshot(url=url, status=200, headers={}, body=edited, site="weidu")
    assert archive.snapshot_body(again) == edited
    assert archive.db.execute(
        "select base_sha256 is not null from bodies b join snapshots s on s.body_sha256 = b.sha256 where s.id = ?",
        [again],
    ).fetchone()[0]


def test_a_dictionary_trained_in_a_rolled_back_batch_is_not_used_afterwards(tmp_path):
    from archive.dictionaries import TRAIN_SAMPLES

    archive = Archive(tmp_path / "a.db")
    pages = _site_pages(TRAIN_SAMPLES + 10)
    with pytest.raises(RuntimeError), archive.batch():
        for url, body in pages[: TRAIN_SAMPLES + 2]:
            archive.add_snapshot(url=url, status=200, headers={}, body=body, site="weidu")
        assert archive.db.execute("select count(*) from dictionaries").fetchone()[0] == 1
        raise RuntimeError("the writer died")
    assert archive.db.execute("select count(*) from dictionaries").fetchone()[0] == 0
    ids = [archive.add_snapshot(url=u, status=200, headers={}, body=b, site="weidu") for u, b in pages]
    assert [archive.snapshot_body(i) for i in ids] == [b for _, b in pages]
    dangling = archive.db.execute(
        "select count(*) from bodies where dictionary_id is not null "
        "and dictionary_id not in (select id from dictionaries)"
    ).fetchone()[0]
    assert dangling == 0 and archive.db.execute("select count(*) from dictionaries").fetchone()[0] == 1


def test_an_archive_written_by_0_3_1_upgrades_and_keeps_reading_its_bodies(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes((REPO / "tests/fixtures/archives/govnews-0.3.1.db").read_bytes())
    conn = sqlite3.connect(path)
    assert conn.execute("pragma user_version").fetchone()[0] == 3
    import zstandard

    old = {
        sha: zstandard.ZstdDecompressor().decompress(data)
        for sha, data in conn.execute("select sha256, data from bodies where base_sha256 is null")
    }
    conn.close()
    archive = Archive(path)
    assert archive.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert {"dictionaries"} <= set(archive.db.table_names())
    assert "dictionary_id" in archive.db["bodies"].columns_dict
    assert old and all(archive.body(sha) == body for sha, body in old.items())
    for row in archive.db.query("select id from snapshots"):
        archive.snapshot_body(row["id"])  # deltas too
    # New captures of its sites are stored beside the old ones.
    pages = _site_pages(40)
    ids = [archive.add_snapshot(url=u, status=200, headers={}, body=b, site="weidu") for u, b in pages]
    assert [archive.snapshot_body(i) for i in ids] == [b for _, b in pages]
