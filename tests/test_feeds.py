"""Scrapy's feed exports work with the project's items: `scrapy crawl site -O items.jsonl` (and
.csv, .json) writes one item per article with its record's fields, JSON values only; the raw
bytes stay in the archive. A page without a record is dropped, with its reason in the log."""

from __future__ import annotations

import csv
import json

import pytest
import sqlite_utils
from conftest import scrapy_crawl

from crawler.items import EXPORT_FIELDS
from crawler.record import Record
from tests.support.cms import CmsServer, build_trs_site

pytestmark = pytest.mark.e2e  # a real `scrapy crawl` of a generated site on 127.0.0.1

ARTICLES = 12
RECORD_FIELDS = list(Record.__dataclass_fields__)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of a 12-article TRS site (one article deleted: a 404) into three feeds."""
    root = tmp_path_factory.mktemp("feeds")
    spec = build_trs_site(root / "site", ARTICLES, per_page=5)
    missing = sorted(spec.articles)[0]
    (spec.root / missing.lstrip("/")).unlink()
    db = root / "archive.db"
    feeds = {fmt: root / f"items.{fmt}" for fmt in ("jsonl", "csv", "json")}
    with CmsServer(spec) as server:
        args = ["-a", f"url={server.list_url}"]
        for path in feeds.values():
            args += ["-O", str(path)]
        output = scrapy_crawl(*args, db=db)
        missing_url = server.list_url.split("/zwxx/")[0] + missing
    return {"db": db, "feeds": feeds, "output": output, "missing": missing_url}


def archived_pages(db) -> dict[str, dict]:
    return {row["url"]: row for row in sqlite_utils.Database(db).query("select * from pages")}


def test_jsonl_has_one_item_per_archived_article_with_the_records_fields(crawled):
    items = [json.loads(line) for line in crawled["feeds"]["jsonl"].read_text(encoding="utf-8").splitlines()]
    pages = archived_pages(crawled["db"])
    assert len(pages) == ARTICLES - 1
    assert sorted(item["url"] for item in items) == sorted(pages)
    for item in items:
        assert list(item) == RECORD_FIELDS + list(EXPORT_FIELDS)
        page = pages[item["url"]]
        assert item["title"] == page["title"] and item["title"]
        assert item["text"] == page["text"] and item["content_hash"] == page["content_hash"]
        assert item["published_at"] == page["published_at"]
        assert isinstance(item["channel"], list) and item["channel"] == json.loads(page["channel"])
        assert item["status"] == 200 and item["site"] == page["site"]
        assert item["version_id"] == page["latest_version_id"]  # a first crawl: each a new version
        assert isinstance(item["snapshot_id"], int) and isinstance(item["crawl_run_id"], int)
        assert "body" not in item and "headers" not in item


def test_csv_has_a_header_of_the_fields_and_a_row_per_article(crawled):
    with crawled["feeds"]["csv"].open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == RECORD_FIELDS + list(EXPORT_FIELDS)
    pages = archived_pages(crawled["db"])
    assert sorted(row["url"] for row in rows) == sorted(pages)
    for row in rows:
        assert row["title"] == pages[row["url"]]["title"]
        assert row["text"] == pages[row["url"]]["text"]


def test_json_is_one_array_of_the_same_items(crawled):
    items = json.loads(crawled["feeds"]["json"].read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in crawled["feeds"]["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert sorted(items, key=lambda i: i["url"]) == sorted(lines, key=lambda i: i["url"])


def test_a_page_without_a_record_is_archived_as_a_failure_and_dropped_with_its_reason(crawled):
    output = crawled["output"]
    assert f"Dropped: no record: fetch failed (HTTP 404), a failures row: {crawled['missing']}" in output
    assert "is not JSON serializable" not in output and "] ERROR:" not in output
    failures = list(sqlite_utils.Database(crawled["db"]).query("select url, stage, error from failures"))
    assert failures == [{"url": crawled["missing"], "stage": "fetch", "error": "HTTP 404"}]
    assert f"Stored jsonl feed ({ARTICLES - 1} items)" in output
    assert "'item_dropped_count': 1" in output
