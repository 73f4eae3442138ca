"""The `govnews` command, run as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request

import pytest
import sqlite_utils
from conftest import BIN, REPO, expected_records, manifest

from archive.datasette import metadata_for
from crawler.demo.server import free_port, free_port_base

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1


def govnews(*args, cwd=REPO, timeout=300):
    return subprocess.run([str(BIN / "govnews"), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_extract_prints_one_json_line_per_page_and_reports_unreadable_ones(demo_server, sites_copy, tmp_path):
    site = demo_server.sites["jincheng"]
    seed = next(e for e in expected_records() if e["site"] == "jincheng")
    page = sites_copy / "jincheng" / seed["path"].lstrip("/")
    result = govnews("extract", str(page), "--url", site.url(seed["path"]))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == seed["title"] and record["url"] == site.url(seed["path"])

    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = govnews("extract", str(tmp_path / "missing.html"), str(empty), site.url(seed["path"]))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["title"] == seed["title"]  # fetched over HTTP
    assert "missing.html" in result.stderr and "empty.html" in result.stderr


def test_extract_url_option_needs_a_single_page(tmp_path):
    result = govnews("extract", "a.html", "b.html", "--url", "http://x.gov.cn/")
    assert result.returncode == 2 and "single" in result.stderr


def test_demo_serves_crawls_and_summarises(tmp_path):
    db_path = tmp_path / "demo.db"
    # Ports of its own (a free base): other runs may be serving the default ones.
    ports = ["--port-base", str(free_port_base(len(manifest())))]
    result = govnews("demo", "--db", str(db_path), *ports, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    articles = sum(len(s["articles"]) for s in manifest())
    assert (
        f"Crawled {len(manifest())} sites: {articles} pages fetched, {articles} articles, {articles} new versions, 0 failures."
        in result.stdout
    )
    assert f"govnews browse --db {db_path}" in result.stdout
    db = sqlite_utils.Database(db_path)
    assert {r["site"] for r in db["pages"].rows} == {s["name"] for s in manifest()}
    titles = {r["title"] for r in db["pages"].rows}
    assert {e["title"] for e in expected_records()} <= titles
    # The site config's region reaches the records.
    weidu = next(db.query("select region from pages where site = 'weidu' limit 1"))
    assert json.loads(weidu["region"])["code"] == "411002"

    # A second demo run over the same archive fetches no archived article again and adds no version.
    again = govnews("demo", "--db", str(db_path), *ports, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 pages fetched, 0 articles, 0 new versions, 0 failures." in again.stdout
    assert re.search(r"\n\d+ articles already archived were not fetched again", again.stdout)
    assert db["versions"].count == articles


def test_shipped_metadata_is_current():
    shipped = json.loads((REPO / "archive" / "metadata.json").read_text(encoding="utf-8"))
    assert shipped == metadata_for("archive.db"), "run: python -m archive.datasette > archive/metadata.json"


def test_browse_serves_the_archive_in_datasette_with_its_metadata(demo_archive, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "govnews"), "browse", "--db", str(demo_archive["db"]), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        name = demo_archive["db"].stem
        html = urllib.request.urlopen(f"{base}/{name}/pages", timeout=10).read().decode()
        assert "One row per article URL" in html
        rows = json.load(urllib.request.urlopen(f"{base}/{name}/pages.json?_shape=array&_col=title", timeout=10))
        assert {e["title"] for e in expected_records()} <= {r["title"] for r in rows}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_missing_archive_is_a_clear_error(tmp_path):
    result = govnews("browse", "--db", str(tmp_path / "nope.db"))
    assert result.returncode == 1 and "no archive at" in result.stderr


def test_search_prints_matching_pages_and_says_when_none_match(demo_archive):
    found = govnews("search", "书记", "--db", str(demo_archive["db"]))
    assert found.returncode == 0, found.stderr
    assert "我区召开全区领导干部会议" in found.stdout
    none = govnews("search", "航天飞机", "--db", str(demo_archive["db"]))
    assert none.returncode == 1 and "no page matches" in none.stderr
