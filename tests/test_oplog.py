"""Archive writes as data (archive/oplog.py) and the crawl state a worker takes along
(archive/crawl_state.py), on real SQLite files."""

from __future__ import annotations

import pytest

from archive.crawl_state import CrawlStateView, crawl_state
from archive.oplog import Operation, OplogError, apply, decode, encode
from archive.store import Archive
from crawler.record import Record

BODY = "<html><body><h1>区政府召开常务会议</h1><p>会议强调——要抓好落实。</p></body></html>".encode("gb18030")


def record(url: str, text: str = "会议强调——要抓好落实。") -> Record:
    return Record(url=url, title="区政府召开常务会议", text=text, text_original=text, published_at="2026-11-30")


def crawl_messages(url: str = "http://a.example/t1.html") -> list[tuple[str, list[Operation]]]:
    """What a worker's crawl of one page sends: its run, the page, the run's end."""
    run, snap = "run:p1:1", "snap:p1:2"
    first = [
        Operation("start_run", {"spider": "site", "site": "a", "start_urls": ["http://a.example/"], "job": "j1"}, run),
        Operation(
            "add_snapshot",
            {"url": url, "status": 200, "headers": {"Content-Type": "text/html"}, "body": BODY, "crawl_run_id": run},
            snap,
        ),
    ]
    second = [
        Operation("add_record", {"record": record(url), "snapshot_id": snap, "crawl_run_id": run, "site": "a"}),
        Operation("add_failure", {"url": "http://a.example/bad", "stage": "link", "error": "bad", "crawl_run_id": run}),
        Operation("finish_run", {"run_id": run, "status": "finished", "counters": {"list_pages": 1}}),
    ]
    return [("msg:p1:3", first), ("msg:p1:4", second)]


def test_a_message_keeps_bytes_records_and_tuples_exactly():
    ops = [
        Operation(
            "add_snapshot", {"url": "http://a/", "status": 200, "headers": {}, "body": BODY + b"\x00\xff"}, "snap:x:1"
        ),
        Operation("add_record", {"record": record("http://a/"), "index_terms": ("区政府 召开", "会议 强调")}),
    ]
    key, back = decode(encode("msg:x:2", ops))
    assert key == "msg:x:2" and back == ops
    assert back[0].kwargs["body"] == BODY + b"\x00\xff" and isinstance(back[1].kwargs["index_terms"], tuple)


@pytest.mark.parametrize(
    "message",
    [b"", b"not zstd at all", encode("k", [])[:-3]],
)
def test_a_message_that_is_not_one_is_refused_with_its_reason(message):
    with pytest.raises(OplogError, match="not a govnews archive message"):
        decode(message)


def test_only_archive_writes_are_applied():
    with pytest.raises(OplogError, match="not an archive write: 'close'"):
        decode(encode("k", [Operation("close", {})]))


def test_the_writer_applies_a_crawl_as_the_crawl_would_have_written_it(tmp_path):
    archive = Archive(tmp_path / "a.db")
    for key, ops in crawl_messages():
        assert apply(archive, key, ops) is True
    run = archive.db["crawl_runs"].get(1)
    assert (run["status"], run["job"], run["pid"], run["list_pages"]) == ("finished", "j1", None, 1)
    assert (run["pages_fetched"], run["new_versions"], run["failures"]) == (1, 1, 1)  # the archive's own counts
    snapshot = archive.db["snapshots"].get(1)
    assert snapshot["crawl_run_id"] == 1 and archive.snapshot_body(1) == BODY
    version = next(archive.db.query("select * from versions"))
    assert (version["snapshot_id"], version["crawl_run_id"]) == (1, 1)  # the refs resolved to ids
    assert archive.latest_record("http://a.example/t1.html").text == "会议强调——要抓好落实。"


def test_a_message_applied_again_changes_nothing(tmp_path):
    archive = Archive(tmp_path / "a.db")
    messages = crawl_messages()
    for key, ops in messages:
        apply(archive, key, ops)
    counts = {t: archive.db[t].count for t in ("crawl_runs", "snapshots", "versions", "failures", "bodies")}
    for key, ops in messages:  # the writer killed between commit and acknowledgement: read again
        assert apply(archive, key, ops) is False
    assert {t: archive.db[t].count for t in counts} == counts


def test_a_message_that_fails_midway_leaves_nothing_behind(tmp_path):
    archive = Archive(tmp_path / "a.db")
    ops = [
        Operation("add_failure", {"url": "http://a/x", "stage": "link", "error": "bad"}),
        Operation("add_record", {"record": record("http://a/y"), "no_such_argument": 1}),
    ]
    with pytest.raises(TypeError):
        apply(archive, "msg:bad:1", ops)
    assert archive.db["failures"].count == 0 and archive.db["ingested"].count == 0


def test_a_rerun_job_interrupts_its_earlier_unfinished_run(tmp_path):
    archive = Archive(tmp_path / "a.db")
    first = archive.start_run("site", "a", [], job="j1")
    archive.start_run("site", "b", [], job="j2")
    second = archive.start_run("site", "a", [], job="j1")
    statuses = {r["id"]: r["status"] for r in archive.db.query("select id, status from crawl_runs")}
    assert statuses == {first: "interrupted", 2: "running", second: "running"}


def test_the_state_a_worker_takes_answers_as_the_archive_does(tmp_path):
    archive = Archive(tmp_path / "a.db")
    run = archive.start_run("site", "a", [])
    urls = [f"http://a.example/t{i}.html" for i in range(3)]
    for i, url in enumerate(urls):
        headers = {"ETag": f'"e{i}"', "Last-Modified": "Tue, 05 May 2020 10:00:00 GMT"}
        snapshot = archive.add_snapshot(url=url, status=200, headers=headers, body=BODY, crawl_run_id=run, site="a")
        archive.add_record(record(url), snapshot_id=snapshot, crawl_run_id=run, site="a")
    archive.add_attachment(url="http://a.example/f.pdf", page_url=urls[0], body=b"%PDF-1.4", crawl_run_id=run)
    archive.add_failure(url="http://a.example/t9.html", stage="fetch", error="HTTP 500", crawl_run_id=run)
    archive.finish_run(run, "finished")
    other = archive.start_run("site", "b", [])
    archive.add_snapshot(url="http://b.example/1", status=200, headers={}, body=BODY, crawl_run_id=other, site="b")
    archive.add_record(record("http://b.example/1"), crawl_run_id=other, site="b")

    view = CrawlStateView(crawl_state(archive, "a"))
    for url in [*urls, "http://a.example/new.html"]:
        assert view.known_page(url) == archive.known_page(url)
    assert view.known_page(urls[1])["etag"] == '"e1"'
    assert view.known_page("http://b.example/1") is None  # another site's pages stay home
    assert view.previous_run_status("a") == archive.previous_run_status("a") == "finished"
    assert view.failed_in_previous_run("a") == archive.failed_in_previous_run("a") == ["http://a.example/t9.html"]
    assert view.known_attachment(urls[0], "http://a.example/f.pdf") == archive.known_attachment(
        urls[0], "http://a.example/f.pdf"
    )
    assert (
        view.stored_attachment("http://a.example/f.pdf")["sha256"]
        == archive.stored_attachment("http://a.example/f.pdf")["sha256"]
    )
    empty = CrawlStateView(crawl_state(archive, "never-crawled"))
    assert empty.known_page(urls[0]) is None and empty.previous_run_status("x") is None
