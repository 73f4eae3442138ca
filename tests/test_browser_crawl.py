"""Pages that need JavaScript, crawled for real: a 412 challenge site, a site that keeps
refusing, and a site whose list and one article are filled in by scripts. Chromium is the
system's (see crawler/settings.py); no site config is given, so detection is automatic."""

from __future__ import annotations

import re

import pytest
import sqlite_utils
from conftest import manifest, scrapy_crawl

from archive.store import Archive
from tests.support.browser_sites import SHELL_ARTICLE, SHELL_ARTICLE_PATH, BrowserSite

pytestmark = [pytest.mark.e2e, pytest.mark.browser]  # real servers on 127.0.0.1 and a real Chromium

JINCHENG = next(s for s in manifest() if s["name"] == "jincheng")


@pytest.fixture
def jincheng_root(sites_copy):
    return sites_copy / "jincheng"


def test_a_challenge_is_passed_once_in_the_browser_and_its_cookies_reused(jincheng_root, tmp_path):
    db_path = tmp_path / "archive.db"
    with BrowserSite(jincheng_root, "challenge") as site:
        output = scrapy_crawl("-a", f"url={site.list_url}", db=db_path)
        db = sqlite_utils.Database(db_path)
        assert {r["url"] for r in db["pages"].rows} == {site.url(p) for p in JINCHENG["articles"]}
        assert db["failures"].count == 0
        # One challenge for Scrapy and one for Chromium, on the first request (robots.txt);
        # every later request carried the earned cookie.
        assert dict(site.challenges) == {"/robots.txt": 2}
        assert all(site.hits[p] == 1 for p in JINCHENG["articles"])
    assert "'govnews/challenge/browser_passes': 1" in output
    # The archive holds the pages the server sent over HTTP, not a challenge.
    assert {s["status"] for s in db["snapshots"].rows} == {200}


def test_a_site_that_keeps_refusing_stops_the_crawl_with_a_report(jincheng_root, tmp_path):
    db_path = tmp_path / "archive.db"
    with BrowserSite(jincheng_root, "challenge", refuse=True) as site:
        output = scrapy_crawl("-a", f"url={site.list_url}", "-s", "GOVNEWS_CHALLENGE_STOP=2", db=db_path)
        served = sum(site.challenges.values())
    run = next(sqlite_utils.Database(db_path)["crawl_runs"].rows)
    assert run["status"] == "challenge_refused"
    assert re.search(r"127\.0\.0\.1 kept refusing: 3 JavaScript challenges in a row", run["detail"])
    assert "'finish_reason': 'challenge_refused'" in output
    assert served <= 6  # bounded: a stop, not a siege


def test_a_scripted_list_and_a_scripted_article_are_rendered_and_both_captures_kept(jincheng_root, tmp_path):
    db_path = tmp_path / "archive.db"
    with BrowserSite(jincheng_root, "scripted", articles=JINCHENG["articles"]) as site:
        output = scrapy_crawl("-a", f"url={site.list_url}", db=db_path)
        # Chromium fetched the page's scripts and data, not its images (GOVNEWS_BROWSER_SKIP_RESOURCES)
        assert site.hits["/api/article_1132000.json"] == 1 and site.hits["/images/logo.png"] == 0
        assert site.hits["/live"] == 1  # its WebSocket's handshake: on the site, so let through
        assert "'govnews/browser/skipped/image': 1" in output
        archive = Archive(db_path)
        db = archive.db
        expected = {site.url(p) for p in [*JINCHENG["articles"], SHELL_ARTICLE_PATH]}
        assert {r["url"] for r in db["pages"].rows} == expected
        assert db["failures"].count == 0

        page = db["pages"].get(site.url(SHELL_ARTICLE_PATH))
        assert page["title"] == SHELL_ARTICLE["title"]
        assert page["text"] == "\n".join(SHELL_ARTICLE["paragraphs"])
        assert page["published_at"].startswith("2020-05-15T10:30")
        # The rendered DOM is the version's capture; it links the bytes the server sent.
        version = next(db.query("select snapshot_id from versions where url = ?", [page["url"]]))
        rendered = db["snapshots"].get(version["snapshot_id"])
        assert rendered["render"] == "browser" and rendered["server_snapshot_id"]
        assert SHELL_ARTICLE["paragraphs"][0] in archive.snapshot_body(rendered["id"]).decode("utf-8")
        server = db["snapshots"].get(rendered["server_snapshot_id"])
        assert server["render"] is None and server["url"] == page["url"]
        assert b"fetch('/api/article_1132000.json')" in archive.snapshot_body(server["id"])
        # Plain articles stayed on plain HTTP.
        plain = next(db.query("select render from snapshots where url = ?", [site.url(JINCHENG["articles"][0])]))
        assert plain["render"] is None
