"""End to end: real `scrapy crawl` processes over the demo sites served on 127.0.0.1,
read back from the real SQLite archive and compared with the hand-written seed records."""

from __future__ import annotations

import json
import re

import pytest
import sqlite_utils
from conftest import expected_records, manifest, scrapy_crawl

from archive.store import Archive

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

BOILERPLATE = [
    "字号",
    "打印",
    "关闭",
    "推荐阅读",
    "相关热词搜索",
    "扫一扫",
    "文章图片",
    "分享到",
    "上一篇",
    "下一篇",
    "网站标识码",
    "ICP备",
    "当前位置",
    "阅读次数",
    "热点文章",
]
FIELDS = ["title", "published_at", "source", "author", "editor", "reviewer", "channel", "views"]


def page_row(db, url):
    rows = list(db.query("select * from pages where url = ?", [url]))
    assert rows, f"{url} is not in the archive"
    return rows[0]


def test_every_demo_article_is_archived_once(demo_archive):
    db = sqlite_utils.Database(demo_archive["db"])
    for site in manifest():
        base = demo_archive["server"].sites[site["name"]].base_url
        for path in site["articles"]:
            row = page_row(db, base + path)
            assert row["site"] == base.split("//")[1]  # -a url= names the site after host:port
            assert row["version_count"] == 1
    assert db["failures"].count == 0, list(db["failures"].rows)
    assert db["pages"].count == sum(len(s["articles"]) for s in manifest())


@pytest.mark.parametrize("expected", expected_records(), ids=lambda e: e["seed"][:3])
def test_seed_record_matches_the_hand_written_record(demo_archive, expected):
    db = sqlite_utils.Database(demo_archive["db"])
    url = demo_archive["server"].sites[expected["site"]].base_url + expected["path"]
    record = Archive(demo_archive["db"]).latest_record(url)
    for name in FIELDS:
        assert getattr(record, name) == expected[name], name
    assert record.text == expected["text"]
    assert record.text_original and record.content_hash
    assert page_row(db, url)["content_hash"] == record.content_hash


@pytest.mark.parametrize("expected", expected_records(), ids=lambda e: e["seed"][:3])
def test_seed_bodies_hold_no_boilerplate(demo_archive, expected):
    url = demo_archive["server"].sites[expected["site"]].base_url + expected["path"]
    record = Archive(demo_archive["db"]).latest_record(url)
    for phrase in BOILERPLATE:
        assert phrase not in record.text, phrase


def test_each_crawl_is_recorded_in_crawl_runs(demo_archive):
    db = sqlite_utils.Database(demo_archive["db"])
    runs = list(db["crawl_runs"].rows)
    assert len(runs) == len(manifest())
    for run in runs:
        assert run["status"] == "finished" and run["finished_at"]
        assert run["pages_fetched"] == run["articles"] == run["new_versions"] > 0
        assert run["failures"] == 0


def test_recrawl_fetches_no_known_article_and_an_edit_adds_exactly_one_version(demo_server, sites_copy, tmp_path):
    db_path = tmp_path / "archive.db"
    site = demo_server.sites["jincheng"]
    crawl = lambda *args: scrapy_crawl("-a", f"url={site.list_url}", *args, db=db_path)  # noqa: E731
    crawl()
    db = sqlite_utils.Database(db_path)
    versions_before = db["versions"].count
    assert versions_before == len(site.manifest["articles"])
    snapshots_before = db["snapshots"].count

    # The articles are from 2020, outside the recheck window, and the first run finished:
    # the second run fetches the first list page only, and no article.
    crawl()
    assert db["versions"].count == versions_before
    assert db["snapshots"].count == snapshots_before
    run = db["crawl_runs"].get(2)
    assert (run["status"], run["list_pages"], run["skipped_known"], run["pages_fetched"]) == ("finished", 1, 3, 0)
    assert run["pid"] and run["user_agent"].startswith("govnews/")

    seed_path = site.manifest["seeds"]["004"]
    page_file = sites_copy / "jincheng" / seed_path.lstrip("/")
    html = page_file.read_text(encoding="utf-8")
    edited = html.replace("5月7日上午", "5月7日下午", 1)
    assert edited != html
    page_file.write_text(edited, encoding="utf-8")
    # Everything inside the recheck window: each article is asked for with If-Modified-Since;
    # the unchanged ones answer 304 and cost no snapshot, the edited one gives a version.
    crawl("-s", "GOVNEWS_RECHECK_DAYS=100000")

    new = list(db.query("select url, version from versions where crawl_run_id = 3"))
    assert new == [{"url": site.url(seed_path), "version": 2}]
    assert "5月7日下午" in page_row(db, site.url(seed_path))["text"]
    run = db["crawl_runs"].get(3)
    assert (run["not_modified"], run["pages_fetched"], run["new_versions"]) == (
        2,
        1,
        1,
    )  # page 2's article is not reached
    checked = db["pages"].get(site.url(site.manifest["articles"][0]))
    assert checked["last_checked"] == checked["last_fetched"] >= run["started_at"][:19]


def test_a_page_that_fails_extraction_is_kept_raw_with_the_reason(demo_server, sites_copy, tmp_path):
    site = demo_server.sites["jincheng"]
    list_file = sites_copy / "jincheng" / site.list_path.lstrip("/")
    broken = "/zwgk/jcyw/202005/t20200508_9999999.shtml"
    (sites_copy / "jincheng" / broken.lstrip("/")).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    html = list_file.read_text(encoding="utf-8")
    list_file.write_text(
        html.replace("</ul>", f'<li><a href="{broken}">市政府召开专题会议研究部署工作</a></li></ul>', 1),
        encoding="utf-8",
    )

    db_path = tmp_path / "archive.db"
    scrapy_crawl("-a", f"url={site.list_url}", db=db_path)
    db = sqlite_utils.Database(db_path)
    failures = list(db["failures"].rows)
    assert [f["url"] for f in failures] == [site.url(broken)]
    assert failures[0]["stage"] == "extract" and failures[0]["error"]
    snapshot = db["snapshots"].get(failures[0]["snapshot_id"])
    assert Archive(db_path).snapshot_body(snapshot["id"]).startswith(b"\x89PNG")
    assert not list(db.query("select 1 from pages where url = ?", [site.url(broken)]))
    assert db["pages"].count == len(site.manifest["articles"])


def test_a_named_site_config_runs_with_scrapy_crawl_site(demo_server, tmp_path):
    site = demo_server.sites["weidu"]
    configs = tmp_path / "sites"
    configs.mkdir()
    (configs / "weidu-demo.yaml").write_text(
        f"name: weidu-demo\nstart_urls: ['{site.list_url}']\n"
        f"region: {{province: 河南省, city: 许昌市, county: 魏都区, code: '411002'}}\n",
        encoding="utf-8",
    )
    db_path = tmp_path / "archive.db"
    scrapy_crawl("-a", "site=weidu-demo", "-s", f"GOVNEWS_SITES_DIRS={configs}", db=db_path)
    db = sqlite_utils.Database(db_path)
    assert db["pages"].count == len(site.manifest["articles"])
    assert {r["site"] for r in db["pages"].rows} == {"weidu-demo"}
    run = next(db["crawl_runs"].rows)
    assert run["site"] == "weidu-demo" and json.loads(run["start_urls"]) == [site.list_url]


def test_an_unknown_site_name_is_a_clear_error(tmp_path):
    process = scrapy_crawl("-a", "site=no-such-site", db=tmp_path / "a.db", wait=False)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert re.search(r"no site config named 'no-such-site'", output)


def test_render_browser_sends_a_site_through_chromium(demo_server, tmp_path):
    site = demo_server.sites["jincheng"]
    configs = tmp_path / "sites"
    configs.mkdir()
    (configs / "jincheng-js.yaml").write_text(
        f"name: jincheng-js\nstart_urls: ['{site.list_url}']\nrender: browser\n", encoding="utf-8"
    )
    db_path = tmp_path / "archive.db"
    output = scrapy_crawl("-a", "site=jincheng-js", "-s", f"GOVNEWS_SITES_DIRS={configs}", db=db_path)
    db = sqlite_utils.Database(db_path)
    assert db["pages"].count == len(site.manifest["articles"])
    assert "scrapy-playwright/request_count" in output or "playwright/request_count" in output
    expected = next(e for e in expected_records() if e["site"] == "jincheng")
    assert page_row(db, site.url(expected["path"]))["title"] == expected["title"]
    # The rendered DOM is the version's capture, linked to the bytes the server sent.
    archive = Archive(db_path)
    version = next(db.query("select snapshot_id from versions where url = ?", [site.url(expected["path"])]))
    rendered = db["snapshots"].get(version["snapshot_id"])
    assert rendered["render"] == "browser" and rendered["server_snapshot_id"]
    served = (site.root / expected["path"].lstrip("/")).read_bytes()
    assert archive.snapshot_body(rendered["server_snapshot_id"]) == served
    assert archive.snapshot_body(rendered["id"]) != served  # the DOM, serialized by Chromium


def test_a_withdrawn_page_is_marked_gone_a_moved_one_moved_and_a_restored_one_back(demo_server, sites_copy, tmp_path):
    db_path = tmp_path / "archive.db"
    site = demo_server.sites["jincheng"]
    root = sites_copy / "jincheng"
    # Every known article is rechecked (as its recheck or revisit window would, in time).
    crawl = lambda: scrapy_crawl("-a", f"url={site.list_url}", "-s", "GOVNEWS_RECHECK_DAYS=100000", db=db_path)  # noqa: E731
    crawl()
    withdrawn, moved = "/zwgk/jcyw/202005/t20200512_1131207.shtml", "/zwgk/jcyw/202005/t20200509_1130452.shtml"
    new_home = "/zwgk/jcyw/2020/t20200509_1130452.shtml"
    saved = (root / withdrawn.lstrip("/")).read_bytes()
    (root / withdrawn.lstrip("/")).unlink()  # the list still links it: it answers 404
    (root / new_home.lstrip("/")).parent.mkdir(parents=True)
    (root / moved.lstrip("/")).rename(root / new_home.lstrip("/"))
    (root / ".redirects").write_text(f"{moved} {new_home}\n", encoding="utf-8")
    crawl()

    db = sqlite_utils.Database(db_path)
    events = {(e["event"], e["url"], e["detail"]) for e in db.query("select * from page_events where crawl_run_id = 2")}
    assert events == {
        ("gone", site.url(withdrawn), "HTTP 404"),
        ("moved", site.url(moved), site.url(new_home)),
        ("first_seen", site.url(new_home), None),
    }
    gone = db["pages"].get(site.url(withdrawn))
    assert gone["status"] == "gone" and gone["gone_at"] and gone["version_count"] == 1  # kept, not deleted
    assert db["pages"].get(site.url(moved))["moved_to"] == site.url(new_home)
    assert db["failures"].count == 0  # a known page's 404 is an event of its timeline, not a failure

    (root / withdrawn.lstrip("/")).write_bytes(saved)
    crawl()
    assert [e["event"] for e in db.query("select event from page_events where crawl_run_id = 3")] == ["back"]
    assert db["pages"].get(site.url(withdrawn))["status"] == "live"
    assert db["versions"].count == len(site.manifest["articles"]) + 1  # only the moved page's new URL
