"""The archive on real SQLite files: versions, snapshots, failures, runs, schema upgrades."""
import dataclasses
import json
import sqlite3
from pathlib import Path

from archive.store import Archive
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
    assert {"pages", "versions", "snapshots", "crawl_runs", "failures"} <= set(archive.db.table_names())
    fields = {f.name for f in dataclasses.fields(Record)}
    assert fields <= set(archive.db["versions"].columns_dict) | {"url"}
    assert fields <= set(archive.db["pages"].columns_dict)


def test_unchanged_record_adds_no_version_and_a_change_adds_exactly_one(tmp_path):
    archive = Archive(tmp_path / "a.db")
    first = archive.add_record(make_record(), site="weidu")
    again = archive.add_record(make_record(), site="weidu")
    # Enrichment output is not content: a different keyword list is the same version.
    enriched = archive.add_record(make_record(keywords=["营商环境"]), site="weidu")
    changed = archive.add_record(make_record(text="4月29日，会议召开。"), site="weidu")
    assert first and changed and again is None and enriched is None
    versions = list(archive.db.query("select version, text from versions order by id"))
    assert [v["version"] for v in versions] == [1, 2]
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
        url="http://example.gov.cn/x.html", status=200, headers={"Content-Type": "text/html"},
        body=body, crawl_run_id=run,
    )
    archive.add_failure(url="http://example.gov.cn/x.html", stage="extract",
                        error="binary body", snapshot_id=snap, crawl_run_id=run)
    assert archive.snapshot_body(snap) == body
    counts = archive.finish_run(run, "finished")
    assert counts == {"pages_fetched": 1, "articles": 1, "new_versions": 0, "failures": 1}
    row = archive.db["crawl_runs"].get(run)
    assert row["status"] == "finished" and row["finished_at"] >= row["started_at"]
    assert archive.db["failures"].get(1)["snapshot_id"] == snap


def test_an_archive_missing_newer_columns_upgrades_in_place(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("create table pages (url text primary key, title text, text text, content_hash text, version_count integer)")
    conn.execute("insert into pages values ('http://x.gov.cn/1.html', '旧标题', '旧正文', 'abc', 1)")
    conn.commit()
    conn.close()
    archive = Archive(path)
    assert "keywords" in archive.db["pages"].columns_dict
    assert archive.db["pages"].get("http://x.gov.cn/1.html")["title"] == "旧标题"


def test_a_syndicated_copy_is_linked_to_its_original(tmp_path):
    from pipelines.enrich import enrich
    from pipelines.process import process_page

    page = (REPO / "crawler" / "demo" / "sites" / "jincheng" / "zwgk" / "jcyw" / "202005" / "t20200507_1129365.shtml")
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
    assert archive.db["simhash_bands"].count == 3 * 8


def test_crawls_started_together_on_a_new_archive_all_open_it(tmp_path):
    """Eight processes create the same new archive at once (as parallel `scrapy crawl`s do)."""
    import subprocess
    import sys

    db = tmp_path / "new.db"
    code = f"from archive.store import Archive; Archive({str(db)!r}).db['pages'].count"
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stderr=subprocess.PIPE, text=True)
                 for _ in range(8)]
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
