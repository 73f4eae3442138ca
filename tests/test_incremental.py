"""Incremental crawls: what a second crawl fetches, for real, over generated CMS sites; and the
recheck rules as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlite_utils
from conftest import scrapy_crawl

from crawler.common import parse_time
from crawler.incremental import CHINA, KnownPage, conditional_headers, recheck_due
from spiders.links import find_links
from tests.support.cms import CmsServer, build_hanweb_site, build_trs_site

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def page(**fields) -> KnownPage:
    return KnownPage(
        **{
            "url": "http://x.gov.cn/t.html",
            "status": "live",
            "first_seen": "2026-11-01T00:00:00+00:00",
            "published_at": None,
            "last_fetched": "2026-11-22T00:00:00+00:00",
            **fields,
        }
    )


@pytest.mark.parametrize(
    "fields, due",
    [
        ({"published_at": "2026-11-20T09:00:00+08:00"}, True),  # published 3 days ago
        ({"published_at": "2026-11-10"}, False),  # 13 days ago
        ({"published_at": None, "first_seen": "2026-11-20T00:00:00+00:00"}, True),  # no date: first seen
        ({"published_at": "2031-01-01"}, False),  # a wrong future date: first seen counts
        ({"published_at": "2026-11-22", "status": "moved"}, False),  # its new URL is the page now
        ({"published_at": "2020-01-01", "last_fetched": "2026-10-01T00:00:00+00:00"}, True),  # revisit due
        ({"published_at": "2020-01-01", "last_fetched": None}, True),
    ],
)
def test_recheck_window_and_revisit(fields, due):
    assert recheck_due(page(**fields), NOW, recheck_days=7, revisit_days=30) is due


def test_no_recheck_and_no_revisit_means_never_again():
    assert not recheck_due(page(published_at="2026-11-23"), NOW, recheck_days=0, revisit_days=0)


def test_dates_without_an_offset_are_china_time():
    assert parse_time("2020-04-30 08:40", CHINA) == datetime(2020, 4, 30, 0, 40, tzinfo=timezone.utc)
    assert parse_time("2020-04-30", CHINA) == datetime(2020, 4, 29, 16, 0, tzinfo=timezone.utc)
    assert parse_time("2020-04-30 08:40") == datetime(2020, 4, 30, 8, 40, tzinfo=timezone.utc)  # archive times: UTC
    assert parse_time("2026-11-23T12:00:00Z") == NOW
    assert parse_time("not a date") is None and parse_time(None) is None
    assert parse_time("2026-11-23T12:00:00+00:00") - NOW == timedelta(0)


def test_conditional_headers_come_from_the_last_capture():
    assert conditional_headers(page(etag='"abc"', last_modified="Tue, 05 May 2020 10:00:00 GMT")) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Tue, 05 May 2020 10:00:00 GMT",
    }
    assert conditional_headers(page()) == {}


def article_hits(server, spec) -> dict[str, int]:
    return {target: n for target, n in server.hits.items() if target in spec.articles}


@pytest.mark.parametrize("build", [build_trs_site, build_hanweb_site], ids=["trs", "hanweb"])
def test_a_second_crawl_of_an_unchanged_site_fetches_no_article_and_adds_no_version(build, tmp_path):
    spec = build(tmp_path / "site", 60)
    db_path = tmp_path / "archive.db"
    with CmsServer(spec) as server:
        scrapy_crawl("-a", f"url={server.list_url}", db=db_path)
        db = sqlite_utils.Database(db_path)
        assert db["pages"].count == 60
        versions, snapshots = db["versions"].count, db["snapshots"].count
        server.reset_hits()
        scrapy_crawl("-a", f"url={server.list_url}", db=db_path)
        assert article_hits(server, spec) == {}
        assert server.hits[spec.list_path] == 1 and sum(server.hits.values()) <= 2  # the list page, robots.txt
    assert (db["versions"].count, db["snapshots"].count) == (versions, snapshots)
    run = db["crawl_runs"].get(2)
    assert (run["status"], run["new_versions"], run["pages_fetched"], run["list_pages"]) == ("finished", 0, 0, 1)
    # Every article the first list page links was skipped, and nothing else was looked at.
    first_page = (spec.root / spec.list_path.lstrip("/")).read_bytes().decode(spec.encoding)
    assert run["skipped_known"] == len(find_links("http://127.0.0.1" + spec.list_path, first_page).articles) > 0


def test_new_articles_are_fetched_alone_and_paging_stops_at_the_first_known_page(tmp_path):
    root = tmp_path / "site"
    spec = build_trs_site(root, 60, per_page=20)
    db_path = tmp_path / "archive.db"
    with CmsServer(spec) as server:  # one server: the same URLs for both crawls
        scrapy_crawl("-a", f"url={server.list_url}", db=db_path)
        # The site publishes 25 more: they fill the first list page and push 5 onto the second.
        old = set(spec.articles)
        spec = build_trs_site(root, 85, per_page=20)
        new = set(spec.articles) - old
        assert len(new) == 25
        server.reset_hits()
        scrapy_crawl("-a", f"url={server.list_url}", db=db_path)
        fetched = article_hits(server, spec)
        lists = {t for t in server.hits if t in spec.list_paths}
    assert set(fetched) == new and set(fetched.values()) == {1}
    # index (20 new), index_1 (5 new, 15 known), index_2 (all known): stop there.
    assert lists == {"/zwxx/xwdt/index.html", "/zwxx/xwdt/index_1.html", "/zwxx/xwdt/index_2.html"}
    db = sqlite_utils.Database(db_path)
    assert db["pages"].count == 85
    assert db.execute("select count(*) from versions where crawl_run_id = 2").fetchone()[0] == 25
