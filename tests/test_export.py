"""`govnews export`: JSON Lines and WARC, read back with warcio's own reader and command-line tools."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from datetime import datetime
from email.utils import format_datetime

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import BIN, REPO, scrapy_crawl
from warcio.archiveiterator import ArchiveIterator

from archive.export import export_jsonl, export_warc, payload_digest, response_headers, warc_date
from archive.store import Archive
from crawler.cli import cli
from crawler.record import Record

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

TITLE = "济阳区召开重点项目建设推进会"
TEXT = "张书杰主持会议并讲话。\n会议强调，要加快项目建设进度。"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(range(256))
GBK_HTML = "<html><head><title>卫东区新闻</title></head><body><p>卫东区召开安全生产会议。</p></body></html>".encode(
    "gbk"
)
UTF8_HTML = f"<html><head><title>{TITLE}</title></head><body><p>{TEXT}</p></body></html>".encode()
SAME = b"<html><body><p>\xe5\x90\x8c\xe4\xb8\x80\xe4\xb8\xaa\xe9\xa1\xb5\xe9\x9d\xa2</p></body></html>"
BASE = "http://www.example.gov.cn"


def copy_db(source, target):
    """A copy of a (WAL-mode) SQLite archive, so exporting cannot touch the original."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{source}{suffix}"):
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target


@pytest.fixture
def demo_copy(demo_archive, tmp_path):
    return copy_db(demo_archive["db"], tmp_path / "demo.db")


@pytest.fixture
def edge_db(tmp_path):
    """Captures the demo crawl never makes: 404, binary, GBK, a failed fetch, repeats, a redirect."""
    path = tmp_path / "edge.db"
    archive = Archive(path)
    run = archive.start_run("site", "edge", [f"{BASE}/news/"])

    def capture(url, status, headers, body, at, **extra):
        return archive.add_snapshot(
            url=url,
            status=status,
            headers=headers,
            body=body,
            fetched_at=f"2024-03-0{at}T10:00:00+08:00",
            site="edge",
            crawl_run_id=run,
            **extra,
        )

    def version(url, snapshot_id, at, **fields):
        archive.add_record(
            Record(url=url, **fields),
            fetched_at=f"2024-03-0{at}T10:00:00+08:00",
            site="edge",
            snapshot_id=snapshot_id,
            crawl_run_id=run,
        )

    gzipped = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Encoding": "gzip",
        "Transfer-Encoding": "chunked",
        "Content-Length": "123",
        "Server": "nginx",
    }
    ok = capture(f"{BASE}/news/1.html?id=7&p=1", 200, gzipped, UTF8_HTML, 1)
    version(f"{BASE}/news/1.html?id=7&p=1", ok, 1, title=TITLE, text=TEXT)
    missing = capture(f"{BASE}/news/gone.html", 404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>", 2)
    archive.add_failure(
        url=f"{BASE}/news/gone.html", stage="fetch", error="HTTP 404", snapshot_id=missing, crawl_run_id=run
    )
    capture(f"{BASE}/img/logo.png", 200, {"Content-Type": "image/png"}, PNG, 3)
    gbk = capture(f"{BASE}/news/gbk.html", 200, {"Content-Type": "text/html; charset=gbk"}, GBK_HTML, 4)
    version(f"{BASE}/news/gbk.html", gbk, 4, title="卫东区新闻", text="卫东区召开安全生产会议。")
    failed = capture(f"{BASE}/news/timeout.html", 0, {}, b"", 5)
    archive.add_failure(
        url=f"{BASE}/news/timeout.html",
        stage="fetch",
        error="TimeoutError: took too long",
        snapshot_id=failed,
        crawl_run_id=run,
    )
    for at in (6, 7):  # the same body fetched twice, the second time after a redirect
        request_url = f"{BASE}/old/same.html" if at == 7 else None
        same = capture(
            f"{BASE}/news/same.html",
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(SAME))},
            SAME,
            at,
            request_url=request_url,
        )
        version(f"{BASE}/news/same.html", same, at, title="同一个页面", text="同一个页面")
    archive.finish_run(run, "finished")
    archive.close()
    return path


def read_warc(data: bytes) -> list[dict]:
    """Every record of a WARC, its payload read through warcio's own decoding."""
    records = []
    for record in ArchiveIterator(io.BytesIO(data)):
        header = record.rec_headers.get_header
        records.append(
            {
                "type": record.rec_type,
                "id": header("WARC-Record-ID"),
                "uri": header("WARC-Target-URI"),
                "date": header("WARC-Date"),
                "concurrent_to": header("WARC-Concurrent-To"),
                "refers_to": header("WARC-Refers-To"),
                "refers_to_uri": header("WARC-Refers-To-Target-URI"),
                "refers_to_date": header("WARC-Refers-To-Date"),
                "profile": header("WARC-Profile"),
                "payload_digest": header("WARC-Payload-Digest"),
                "block_digest": header("WARC-Block-Digest"),
                "content_type": header("Content-Type"),
                "http": record.http_headers,
                "payload": record.content_stream().read(),
            }
        )
    return records


def export_to_bytes(db, **options) -> tuple[bytes, object]:
    archive = Archive(db)
    out = io.BytesIO()
    counts = export_warc(archive, out, **options)
    archive.close()
    return out.getvalue(), counts


IDENTICAL = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"


def payload_of(record: dict, by_id: dict) -> bytes:
    """A response's payload, or that of the response a revisit refers to."""
    if record["type"] == "revisit":
        original = by_id[record["refers_to"]]
        assert original["type"] == "response" and original["uri"] == record["refers_to_uri"]
        assert original["date"] == record["refers_to_date"]
        assert original["payload_digest"] == record["payload_digest"]
        return original["payload"]
    return record["payload"]


def check_warc_against_archive(data: bytes, db) -> dict:
    """Every capture with a response appears once, byte for byte (a revisit: the response it
    refers to), with its request and its metadata under urn:govnews:capture:ID."""
    records = read_warc(data)
    archive = Archive(db)
    captures = list(archive.captures())
    by_id = {r["id"]: r for r in records}
    metadata = [
        json.loads(r["payload"]) | {"_record": r}
        for r in records
        if r["type"] == "metadata" and r["uri"].startswith("urn:govnews:capture:")
    ]
    assert [m["snapshot_id"] for m in metadata] == [c["id"] for c in captures]
    assert records[0]["type"] == "warcinfo"
    assert all(r["block_digest"].startswith("sha1:") for r in records)  # every record, as warcio computes it
    for capture, facts in zip(captures, metadata):
        meta = facts["_record"]
        assert meta["uri"] == f"urn:govnews:capture:{capture['id']}" and meta["content_type"] == "application/json"
        assert facts["url"] == capture["url"]
        assert meta["date"] == warc_date(capture["fetched_at"])
        assert facts["site"] == capture["site"] and facts["crawl_run_id"] == capture["crawl_run_id"]
        assert facts["fetched_at"] == capture["fetched_at"] and facts["body_sha256"] == capture["body_sha256"]
        assert facts["version_ids"] == [
            r["id"] for r in archive.db["versions"].rows_where("snapshot_id = ?", [capture["id"]], order_by="id")
        ]
        assert facts["failure_ids"] == [
            r["id"] for r in archive.db["failures"].rows_where("snapshot_id = ?", [capture["id"]], order_by="id")
        ]
        if capture["status"] == 0:
            assert meta["concurrent_to"] is None
            continue
        response = by_id[meta["concurrent_to"]]
        assert meta["refers_to"] == response["id"]
        body = archive.snapshot_body(capture["id"])
        if capture["render"] == "browser":
            assert response["type"] == "conversion" and response["payload"] == body
            continue
        assert response["type"] in ("response", "revisit") and response["uri"] == capture["url"]
        assert response["date"] == meta["date"]
        assert payload_of(response, by_id) == body
        assert response["payload_digest"] == payload_digest(body)
        assert response["profile"] == (IDENTICAL if response["type"] == "revisit" else None)
        assert int(response["http"].get_statuscode()) == capture["status"]
        requests = [r for r in records if r["type"] == "request" and r["concurrent_to"] == response["id"]]
        assert len(requests) == 1 and requests[0]["uri"] == capture["url"]
        assert facts["request_url"] == capture["request_url"]
    served = [c for c in captures if c["status"] and c["render"] != "browser"]
    page_records = [r for r in records if r["type"] in ("response", "revisit") and r["profile"] != NOT_MODIFIED]
    downloads = {(a["url"], a["fetched_at"], a["sha256"]) for a in archive.db["attachments"].rows if a["sha256"]}
    assert len(page_records) == len(served) + len(downloads)
    assert sum(r["type"] == "request" for r in records) == len(page_records) + sum(
        r["profile"] == NOT_MODIFIED for r in records
    )
    archive.close()
    return {"records": records, "captures": captures}


def warcio_tool(*args) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "warcio"), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# --- WARC ------------------------------------------------------------------------
def test_warc_of_the_demo_crawl_has_every_capture_byte_for_byte(demo_copy, tmp_path):
    data, counts = export_to_bytes(demo_copy)
    seen = check_warc_against_archive(data, demo_copy)
    assert counts.captures == len(seen["captures"]) > 0
    assert counts.attachments == 5  # the demo's articles link five files, each fetched once
    assert (
        counts.records == len(seen["records"]) == 1 + 3 * (counts.responses + counts.attachments) + counts.no_response
    )

    # warcio's own tools read it: every record's digests check out, every capture is indexed.
    path = tmp_path / "demo.warc.gz"
    path.write_bytes(data)
    check = warcio_tool("check", "-v", str(path))
    assert check.stdout.count("digest pass") == counts.records  # every record carries its digests
    index = [
        json.loads(line)
        for line in warcio_tool("index", "-f", "warc-type,warc-target-uri,http:status", str(path)).stdout.splitlines()
    ]
    responses = [(i["warc-target-uri"], int(i["http:status"])) for i in index if i["warc-type"] == "response"]
    pages = [r for r in responses if not r[0].endswith((".pdf", ".docx"))]
    assert pages == [(c["url"], c["status"]) for c in seen["captures"] if c["status"]]
    attachments = sqlite_utils.Database(demo_copy).execute("select url, status from attachments order by id")
    assert sorted(set(responses) - set(pages)) == sorted(attachments)

    # Request records say what the crawl sent: its run's User-Agent, not a placeholder.
    crawl_agents = {row[0] for row in sqlite_utils.Database(demo_copy).execute("select user_agent from crawl_runs")}
    sent = {r["http"].get_header("User-Agent") for r in read_warc(data) if r["type"] == "request"}
    assert sent == crawl_agents and all(agent.startswith("govnews/") for agent in sent)


def test_warc_keeps_404s_binary_and_gbk_bodies_repeats_and_failed_fetches(edge_db, tmp_path):
    data, counts = export_to_bytes(edge_db)
    seen = check_warc_against_archive(data, edge_db)
    assert (counts.captures, counts.responses, counts.no_response) == (7, 6, 1)
    assert counts.records == 1 + 6 * 3 + 1 and counts.revisits == 1
    records = seen["records"]
    by_id = {r["id"]: r for r in records}
    responses: dict[str, list] = {}
    for r in records:
        if r["type"] in ("response", "revisit"):
            responses.setdefault(r["uri"], []).append(r)
    assert responses[f"{BASE}/img/logo.png"][0]["payload"] == PNG
    assert responses[f"{BASE}/news/gbk.html"][0]["payload"] == GBK_HTML
    assert responses[f"{BASE}/news/gone.html"][0]["http"].get_statuscode() == "404"
    # The same bytes fetched again: a revisit (identical payload digest) of the first response,
    # with its own headers; the bytes once.
    first, again = responses[f"{BASE}/news/same.html"]
    assert (first["type"], again["type"]) == ("response", "revisit") and again["profile"] == IDENTICAL
    assert again["refers_to"] == first["id"] and again["refers_to_date"] == first["date"] != again["date"]
    assert again["payload"] == b"" and payload_of(again, by_id) == SAME
    assert again["payload_digest"] == first["payload_digest"] == payload_digest(SAME)
    assert again["http"].get_header("Content-Length") == str(len(SAME))
    assert f"{BASE}/news/timeout.html" not in responses
    # A redirected fetch: the request record asks for the URL that answered; the first URL asked
    # for is in the metadata.
    facts = [json.loads(r["payload"]) for r in records if r["type"] == "metadata"]
    same = [m for m in facts if m["url"] == f"{BASE}/news/same.html"]
    assert [m["request_url"] for m in same] == [f"{BASE}/news/same.html", f"{BASE}/old/same.html"]

    failed = next(m for m in facts if m["url"] == f"{BASE}/news/timeout.html")
    assert failed["status"] == 0 and len(failed["failure_ids"]) == 1 and failed["version_ids"] == []
    # Chinese survives in the metadata's JSON; the first capture's facts name its version.
    first = next(json.loads(r["payload"]) for r in records if r["type"] == "metadata")
    assert len(first["version_ids"]) == 1

    path = tmp_path / "edge.warc.gz"
    path.write_bytes(data)
    warcio_tool("check", str(path))
    index = [
        json.loads(line)
        for line in warcio_tool("index", "-f", "warc-type,warc-target-uri", str(path)).stdout.splitlines()
    ]
    # Metadata lives under its own URI: replaying a page's URI never serves govnews' JSON.
    assert [i["warc-target-uri"] for i in index if i["warc-type"] == "metadata"] == [
        f"urn:govnews:capture:{c['id']}" for c in seen["captures"]
    ]


def test_response_headers_describe_the_stored_decoded_body(edge_db):
    data, _ = export_to_bytes(edge_db)
    first = next(r for r in read_warc(data) if r["type"] == "response")
    http = first["http"]
    assert http.get_header("Content-Encoding") is None and http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(UTF8_HTML))
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("X-Archive-Orig-Content-Length") == "123"
    assert http.get_header("Server") == "nginx"
    assert first["payload"] == UTF8_HTML  # not gunzipped, not de-chunked by the reader

    request = next(r for r in read_warc(data) if r["type"] == "request")
    assert request["http"].protocol == "GET" and request["http"].statusline == "/news/1.html?id=7&p=1 HTTP/1.1"
    assert request["http"].get_header("Host") == "www.example.gov.cn"
    assert request["http"].get_header("User-Agent") == "govnews"  # the archive keeps no crawl User-Agent


def test_response_headers_keep_a_true_content_length_and_name_unknown_statuses():
    headers = response_headers(521, {"content-length": "5", "X-Note": "a"}, 5)
    assert headers.statusline == "521 Unknown" and headers.protocol == "HTTP/1.1"
    assert headers.headers == [("X-Note", "a"), ("Content-Length", "5")]


def test_a_header_sent_twice_is_written_twice():
    # Stored a value per line (as the spider and Playwright store them): cookie dates hold commas.
    cookies = "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT\nb=2; Path=/"
    headers = response_headers(200, {"Set-Cookie": cookies, "Content-Type": "text/html"}, 3)
    assert headers.headers == [
        ("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"),
        ("Set-Cookie", "b=2; Path=/"),
        ("Content-Type", "text/html"),
        ("Content-Length", "3"),
    ]


def test_warc_date_is_utc_with_z():
    assert warc_date("2024-03-01T10:00:00+08:00") == "2024-03-01T02:00:00Z"
    assert warc_date("2024-03-01T10:00:00") == "2024-03-01T10:00:00Z"


def test_plain_warc_without_gzip(edge_db):
    data, counts = export_to_bytes(edge_db, gzip=False)
    assert data.startswith(b"WARC/1.0\r\n") and GBK_HTML in data and PNG in data
    check_warc_against_archive(data, edge_db)
    gzipped, _ = export_to_bytes(edge_db)
    assert gzip.decompress(gzipped).count(b"\r\nWARC-Type: ") == counts.records


# --- JSON Lines --------------------------------------------------------------------
def jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_jsonl_pages_are_latest_records_with_page_facts(demo_copy, edge_db):
    for db in (demo_copy, edge_db):
        archive = Archive(db)
        out = io.BytesIO()
        count = export_jsonl(archive, out, "pages")
        lines = jsonl(out.getvalue())
        assert count == len(lines) == archive.db["pages"].count > 0
        pages = {row["url"]: row for row in archive.db["pages"].rows}
        for line in lines:
            page = pages[line["url"]]
            assert {k: line[k] for k in archive.latest_record(line["url"]).to_dict()} == archive.latest_record(
                line["url"]
            ).to_dict()
            for field in ("site", "first_seen", "last_fetched", "version_count"):
                assert line[field] == page[field]
            assert ("gone_at" in line) == ("gone_at" in archive.db["pages"].columns_dict)
        archive.close()
    # Chinese is written as Chinese, not as \u escapes.
    assert TITLE.encode("utf-8") in out.getvalue()
    edge = {line["url"]: line for line in lines}
    assert edge[f"{BASE}/news/1.html?id=7&p=1"]["title"] == TITLE
    assert edge[f"{BASE}/news/1.html?id=7&p=1"]["text"] == TEXT
    assert edge[f"{BASE}/news/same.html"]["version_count"] == 1  # the repeat was unchanged


def test_jsonl_versions_carry_version_facts_and_the_record(demo_copy, edge_db):
    for db in (demo_copy, edge_db):
        archive = Archive(db)
        out = io.BytesIO()
        count = export_jsonl(archive, out, "versions")
        lines = jsonl(out.getvalue())
        rows = list(archive.db["versions"].rows_where(order_by="id"))
        assert count == len(lines) == len(rows) > 0
        for line, row in zip(lines, rows):
            assert line["version_id"] == row["id"]
            for field in ("url", "version", "fetched_at", "site", "snapshot_id", "crawl_run_id", "extractor_version"):
                assert line[field] == row[field]
            assert line["record"]["url"] == row["url"] and line["record"]["title"] == row["title"]
        archive.close()
    assert [line["record"]["title"] for line in lines] == [TITLE, "卫东区新闻", "同一个页面"]
    assert "卫东区召开安全生产会议。".encode() in out.getvalue()


# --- the command --------------------------------------------------------------------
def run_cli(*args, env=None):
    return CliRunner().invoke(cli, ["export", *args], env=env)


def test_cli_exports_jsonl_to_stdout_and_warc_to_a_file(edge_db, tmp_path):
    result = run_cli("--db", str(edge_db), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert len(jsonl(result.stdout_bytes)) == 3 and "Wrote 3 pages to stdout" in result.stderr

    result = run_cli(
        "--format", "jsonl", "--what", "versions", "-o", str(tmp_path / "v.jsonl"), env={"GOVNEWS_DB": str(edge_db)}
    )
    assert result.exit_code == 0, result.output
    assert len(jsonl((tmp_path / "v.jsonl").read_bytes())) == 3

    out = tmp_path / "edge.warc.gz"
    result = run_cli("--db", str(edge_db), "--format", "warc", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert (
        f"Wrote 20 WARC records for 7 captures to {out} "
        "(1 identical payloads as revisits, 1 failed fetches as metadata only)" in result.stderr
    )
    check_warc_against_archive(out.read_bytes(), edge_db)
    assert not (tmp_path / "edge.warc.gz.partial").exists()

    result = run_cli("--db", str(edge_db), "--format", "warc", "--no-gzip", "-o", "-")
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"WARC/1.0")
    check_warc_against_archive(result.stdout_bytes, edge_db)

    # --cdxj: the index beside the WARC, a line per response, revisit and metadata record, sorted,
    # each pointing at its record in the file it names.
    result = run_cli("--db", str(edge_db), "--format", "warc", "-o", str(out), "--cdxj", str(tmp_path / "edge.cdxj"))
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "edge.cdxj").read_text("utf-8").splitlines()
    assert result.stderr.strip().endswith(f"; {len(lines)} index lines to {tmp_path / 'edge.cdxj'}")
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines if not line.startswith("- ")]  # (warcinfo)
    records = read_warc(out.read_bytes())
    assert len(entries) == sum(r["type"] in ("response", "revisit", "metadata") for r in records) == 13
    data = out.read_bytes()
    for entry in entries:
        assert entry["filename"] == "edge.warc.gz"
        record = read_warc(data[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])])
        assert len(record) == 1 and record[0]["uri"] in (entry.get("url"), None)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            ["--db", "{tmp}/none.db", "--format", "jsonl"],
            1,
            "no archive at {tmp}/none.db: run `govnews demo` or `govnews crawl` first",
        ),
        (
            ["--db", "{edge}", "--format", "warc", "--what", "pages", "-o", "{tmp}/x.warc.gz"],
            2,
            "--what applies to --format jsonl only",
        ),
        (["--db", "{edge}", "--format", "warc"], 2, "--format warc needs -o FILE"),
        (["--db", "{edge}", "--format", "jsonl", "--no-gzip"], 2, "--no-gzip applies to --format warc only"),
        (["--db", "{edge}", "--format", "csv"], 2, "'csv' is not one of 'jsonl', 'warc', 'wacz'"),
        (["--db", "{edge}", "--format", "wacz"], 2, "--format wacz needs -o FILE"),
        (["--db", "{edge}", "--format", "wacz", "-o", "-"], 2, "--format wacz needs -o FILE"),
        (["--db", "{edge}", "--format", "wacz", "-o", "{tmp}/x.warc.gz", "--no-gzip"], 2, "--no-gzip applies to"),
        (
            ["--db", "{edge}", "--format", "wacz", "-o", "{tmp}/x.warc.gz", "--cdxj", "{tmp}/x.cdxj"],
            2,
            "--cdxj applies to --format warc only",
        ),
        (
            ["--db", "{edge}", "--format", "warc", "-o", "-", "--cdxj", "{tmp}/x.cdxj"],
            2,
            "--cdxj needs the WARC in a file",
        ),
        (["--db", "{edge}"], 2, "Missing option '--format'"),
    ],
)
def test_cli_refuses_what_it_cannot_do(edge_db, tmp_path, args, code, message):
    fill = {"tmp": tmp_path, "edge": edge_db}
    result = run_cli(*[a.format(**fill) for a in args])
    assert result.exit_code == code and message.format(**fill) in result.output
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "x.warc.gz").exists()
    assert not (tmp_path / "x.cdxj").exists()


def test_govnews_export_as_a_real_process(demo_copy, tmp_path):
    out = tmp_path / "demo.warc"
    command = [str(BIN / "govnews"), "export", "--db", str(demo_copy), "--format", "warc", "--no-gzip", "-o", str(out)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Wrote ") and f"captures to {out}" in result.stderr
    check_warc_against_archive(out.read_bytes(), demo_copy)

    command = [str(BIN / "govnews"), "export", "--format", "jsonl", "--what", "versions"]
    result = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        timeout=120,
        env={**os.environ, "GOVNEWS_DB": str(demo_copy), "LANG": "C", "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    lines = jsonl(result.stdout)
    archive = Archive(demo_copy)
    assert len(lines) == archive.db["versions"].count and {line["record"]["title"] for line in lines} == {
        row["title"] for row in archive.db["versions"].rows
    }
    archive.close()

    missing = subprocess.run(
        [str(BIN / "govnews"), "export", "--db", str(tmp_path / "no.db"), "--format", "jsonl"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "no archive at" in missing.stderr


# --- header values as they came -------------------------------------------------------------
# 公告 is e5 85 ac e5 91 8a in UTF-8: latin-1 decoding (as the spider stores headers) gives \x85,
# which str.splitlines cuts at.  \x1c and \x0c are cut there too; "\n" separates repeated headers.
RAW_DISPOSITION = 'attachment; filename="关于公告的通知\x1c\x0c.pdf"'.encode()


def test_a_raw_utf8_header_value_is_one_header_of_the_bytes_that_came(tmp_path):
    assert b"\x85" in RAW_DISPOSITION
    stored = RAW_DISPOSITION.decode("latin-1")  # what spiders/site.py stores
    assert len(stored.splitlines()) > 1  # the trap
    path = tmp_path / "raw.db"
    archive = Archive(path)
    run = archive.start_run("site", "raw", [f"{BASE}/"])
    archive.add_snapshot(
        url=f"{BASE}/files/1.pdf",
        status=200,
        headers={
            "Content-Disposition": stored,
            "Set-Cookie": "a=1\nb=2",
            "X-Wide": "行\u2028分隔\x85",  # stored by another route, not latin-1: written as UTF-8
        },
        body=b"%PDF-1.4",
        fetched_at="2024-03-01T10:00:00+08:00",
        site="raw",
        crawl_run_id=run,
    )
    archive.finish_run(run, "finished")
    archive.close()

    data, _ = export_to_bytes(path, gzip=False)
    assert b"\r\nContent-Disposition: " + RAW_DISPOSITION + b"\r\n" in data
    assert data.count(b"Content-Disposition: ") == 1  # (the metadata record keeps the JSON)
    assert b"\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n" in data
    assert b"\r\nX-Wide: " + "行\u2028分隔\x85".encode() + b"\r\n" in data
    response = next(r for r in read_warc(data) if r["type"] == "response")
    dispositions = [v for k, v in response["http"].headers if k == "Content-Disposition"]
    assert dispositions == [RAW_DISPOSITION.decode()]  # one header; warcio reads valid UTF-8 as UTF-8
    check_warc_against_archive(data, path)
    warc = tmp_path / "raw.warc"
    warc.write_bytes(data)
    assert warcio_tool("check", "-v", str(warc)).stdout.count("digest pass") == 4


def test_response_headers_split_only_at_newlines():
    value = "x\x85y\u2028z\rw\x0bv"
    headers = response_headers(200, {"X-Odd": value, "Set-Cookie": "a=1\nb=2"}, 0)
    assert headers.headers == [("X-Odd", value), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", "0")]


# --- replay in pywb ---------------------------------------------------------------------
PYWB = REPO / ".venv-pywb" / "bin"  # `make pywb`: pywb pins old dependencies, so its own virtualenv


def pywb_tool(*args, cwd) -> subprocess.CompletedProcess:
    assert (PYWB / "wayback").exists(), f"pywb is not installed in {PYWB.parent}: run `make pywb`"
    result = subprocess.run([str(PYWB / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextlib.contextmanager
def wayback(root):
    """pywb's `wayback` serving the collections under ``root`` on a free 127.0.0.1 port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(root / "wayback.log", "wb") as log:
        process = subprocess.Popen(
            [str(PYWB / "wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=root, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (root / "wayback.log").read_text()
                try:
                    urllib.request.urlopen(base + "/", timeout=5).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "wayback did not start"
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def replay(base: str, collection: str, at: str, url: str) -> tuple[int, dict, bytes]:
    """GET COLL/<timestamp>id_/<url>: the archived answer, bytes as they were (the id_ modifier)."""
    timestamp = re.sub(r"\D", "", at)[:14]
    try:
        with urllib.request.urlopen(f"{base}/{collection}/{timestamp}id_/{url}", timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:  # a 304 or an archived 404 is an answer too
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def stored_header(headers: dict, name: str) -> str | None:
    values = [v for k, v in headers.items() if k.lower() == name]
    return str(values[-1]).split("\n")[-1] if values else None


def test_pywb_replays_every_capture_attachment_and_recheck_of_the_demo(demo_archive, demo_copy, tmp_path):
    # Crawl two demo sites again: one conditionally (its articles answer 304), one in full (the
    # same bytes again: identical-payload revisits).
    server = demo_archive["server"]
    checked, refetched = list(server.sites.values())[:2]
    scrapy_crawl("-a", f"url={checked.list_url}", "-s", "GOVNEWS_RECHECK_DAYS=100000", db=demo_copy)
    scrapy_crawl("-a", f"url={refetched.list_url}", "-s", "GOVNEWS_INCREMENTAL=False", db=demo_copy)

    root = tmp_path / "pywb"
    root.mkdir()
    warc, cdxj, wacz = root / "demo.warc.gz", root / "demo.cdxj", root / "demo.wacz"
    export = [str(BIN / "govnews"), "export", "--db", str(demo_copy)]
    for args in (["--format", "warc", "-o", str(warc), "--cdxj", str(cdxj)], ["--format", "wacz", "-o", str(wacz)]):
        result = subprocess.run([*export, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    data = warc.read_bytes()
    seen = check_warc_against_archive(data, demo_copy)
    records = seen["records"]
    revisits = [r for r in records if r["type"] == "revisit"]
    rechecks = [r for r in revisits if r["profile"] == NOT_MODIFIED]
    runs = list(sqlite_utils.Database(demo_copy)["crawl_runs"].rows_where(order_by="id"))
    assert len(rechecks) == runs[-2]["not_modified"] > 0  # every 304 of the conditional crawl
    again = [c for c in seen["captures"] if c["crawl_run_id"] == runs[-1]["id"]]
    assert len(revisits) - len(rechecks) == len(again) > 0  # every capture of the full one
    check = warcio_tool("check", "-v", str(warc)).stdout  # exits 0: no digest fails
    assert check.count("digest pass") == len(records) - len(revisits)  # a revisit's payload is elsewhere:
    assert check.count("digest present but not checked (revisit)") == len(revisits)  # warcio says so
    assert (
        "Validation succeeded"
        in subprocess.run(
            [str(BIN / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True, timeout=120, check=True
        ).stdout
    )
    with zipfile.ZipFile(wacz) as zipped:
        pages = [json.loads(line) for line in zipped.read("pages/pages.jsonl").decode().splitlines()]
    archive = Archive(demo_copy)
    assert pages[0]["format"] == "json-pages-1.0"
    assert sorted(p["url"] for p in pages[1:]) == sorted(r["url"] for r in archive.db["pages"].rows)

    # Two pywb collections: the WARC with the export's own CDXJ, and the WACZ as pywb adds it.
    pywb_tool("wb-manager", "init", "warc", cwd=root)
    shutil.copy(warc, root / "collections" / "warc" / "archive" / warc.name)
    shutil.copy(cdxj, root / "collections" / "warc" / "indexes" / "index.cdxj")
    pywb_tool("wb-manager", "init", "wacz", cwd=root)
    pywb_tool("wb-manager", "add", "--unpack-wacz", "wacz", str(wacz), cwd=root)

    expected = []  # (time, url, status, content type, bytes)
    for capture in seen["captures"]:
        headers = capture["headers"] or {}
        body = archive.snapshot_body(capture["id"])
        expected.append(
            (capture["fetched_at"], capture["url"], capture["status"], stored_header(headers, "content-type"), body)
        )
    downloads = {(a["url"], a["fetched_at"], a["sha256"]): a for a in archive.db["attachments"].rows if a["sha256"]}
    assert len(downloads) == 5
    for a in downloads.values():
        expected.append((a["fetched_at"], a["url"], a["status"], a["content_type"], archive.body(a["sha256"])))
    archive.close()
    with wayback(root) as base:
        for collection in ("warc", "wacz"):
            for at, url, status, content_type, body in expected:
                got_status, got_headers, got_body = replay(base, collection, at, url)
                assert (got_status, got_headers.get("content-type"), got_body) == (status, content_type, body), (
                    collection,
                    url,
                )
                assert got_headers["memento-datetime"] == format_datetime(datetime.fromisoformat(at), usegmt=True)
            # A 304 recheck replays as what the server said then: 304, nothing more; the page
            # itself is the capture it refers to, which replays at its own time (above).
            for recheck in rechecks:
                got_status, got_headers, got_body = replay(base, collection, recheck["date"], recheck["uri"])
                assert (got_status, got_body) == (304, b""), (collection, recheck["uri"])
                assert got_headers["memento-datetime"] == format_datetime(
                    datetime.fromisoformat(recheck["date"].replace("Z", "+00:00")), usegmt=True
                )
            # The metadata is replayable under its own URI, never under the page's.
            status, headers, body = replay(base, collection, expected[0][0], "urn:govnews:capture:1")
            assert status == 200 and json.loads(body)["url"] == expected[0][1]


def test_rechecks_attachments_and_rendered_pages_in_the_warc(tmp_path):
    path = tmp_path / "more.db"
    archive = Archive(path)
    run = archive.start_run("site", "more", [f"{BASE}/news/"])
    page = f"{BASE}/news/2.html"
    validators = {"Content-Type": "text/html", "ETag": '"v1"', "Last-Modified": "Fri, 01 Mar 2024 02:00:00 GMT"}
    first = archive.add_snapshot(
        url=page, status=200, headers=validators, body=UTF8_HTML, fetched_at="2024-03-01T10:00:00+08:00", site="more"
    )
    archive.add_record(
        Record(url=page, title=TITLE, text=TEXT), fetched_at="2024-03-01T10:00:00+08:00", site="more", snapshot_id=first
    )
    archive.mark_checked(page, fetched_at="2024-03-05T10:00:00+08:00")  # a 304: no snapshot
    pdf = b"%PDF-1.4\n%\xe9\x99\x84\xe4\xbb\xb6\n%%EOF\n"
    for linked_from in (page, f"{BASE}/news/3.html"):  # one download, linked from two articles
        archive.add_attachment(
            url=f"{BASE}/files/a.pdf",
            page_url=linked_from,
            body=pdf,
            snapshot_id=first,
            filename="附件.pdf",
            content_type="application/pdf",
            status=200,
            fetched_at="2024-03-01T10:00:05+08:00",
            crawl_run_id=run,
        )
    archive.add_attachment(url=f"{BASE}/files/b.pdf", page_url=page, snapshot_id=first, status=0, error="too large")
    server = archive.add_snapshot(
        url=f"{BASE}/js/1.html", status=200, headers={"Content-Type": "text/html"}, body=b"<script>", site="more"
    )
    archive.add_snapshot(
        url=f"{BASE}/js/1.html",
        status=200,
        headers={"Content-Type": "text/html"},
        body=b"<html><p>rendered</p></html>",
        site="more",
        render="browser",
        server_snapshot_id=server,
    )
    archive.finish_run(run, "finished")
    archive.close()

    data, counts = export_to_bytes(path)
    check_warc_against_archive(data, path)
    assert (counts.captures, counts.responses, counts.attachments, counts.not_modified, counts.rendered) == (
        3,
        2,
        1,
        1,
        1,
    )
    records = read_warc(data)
    by_id = {r["id"]: r for r in records}
    # The 304: a server-not-modified revisit of the capture whose validators the recheck sent.
    recheck = next(r for r in records if r["profile"] == NOT_MODIFIED)
    original = by_id[recheck["refers_to"]]
    assert recheck["uri"] == page and recheck["date"] == "2024-03-05T02:00:00Z"
    assert (
        (original["uri"], original["date"])
        == (page, "2024-03-01T02:00:00Z")
        == (
            recheck["refers_to_uri"],
            recheck["refers_to_date"],
        )
    )
    assert recheck["http"].get_statuscode() == "304" and recheck["http"].headers == []  # none are kept
    asked = next(r for r in records if r["type"] == "request" and r["concurrent_to"] == recheck["id"])
    assert asked["http"].get_header("If-None-Match") == '"v1"'
    assert asked["http"].get_header("If-Modified-Since") == "Fri, 01 Mar 2024 02:00:00 GMT"
    # The attachment: its bytes and type, requested with the article as Referer; both links in its metadata.
    (download,) = [r for r in records if r["type"] == "response" and r["uri"] == f"{BASE}/files/a.pdf"]
    assert download["payload"] == pdf and download["http"].get_header("Content-Type") == "application/pdf"
    assert download["payload_digest"] == payload_digest(pdf)
    request = next(r for r in records if r["type"] == "request" and r["concurrent_to"] == download["id"])
    assert request["http"].get_header("Referer") == page
    facts = next(json.loads(r["payload"]) for r in records if r["uri"] == "urn:govnews:attachment:1")
    assert [link["page_url"] for link in facts["linked_from"]] == [page, f"{BASE}/news/3.html"]
    assert facts["linked_from"][0]["filename"] == "附件.pdf"
    assert f"{BASE}/files/b.pdf" not in {r["uri"] for r in records}  # no bytes kept: nothing to replay
    # The rendered DOM: a conversion of the server's response, which replay tools do not index.
    (conversion,) = [r for r in records if r["type"] == "conversion"]
    assert conversion["payload"] == b"<html><p>rendered</p></html>"
    assert by_id[conversion["refers_to"]]["payload"] == b"<script>"
    warc = tmp_path / "more.warc.gz"
    warc.write_bytes(data)
    warcio_tool("check", str(warc))
