"""A hostile site crawled for real, beside "another host" that records every request it receives:
the crawl never leaves its site, in Scrapy or in Chromium, and the valid article is archived."""

from __future__ import annotations

import pytest
import sqlite_utils
from conftest import scrapy_crawl

from archive.store import Archive
from crawler.offsite import offsite_reason, request_host
from tests.support.hostile import HostileSite, OtherHost

pytestmark = [pytest.mark.e2e, pytest.mark.browser]  # real servers on 127.0.0.1/127.0.0.2 and a real Chromium


def test_the_crawl_never_leaves_its_site(tmp_path):
    db_path = tmp_path / "archive.db"
    with OtherHost() as other, HostileSite(other) as site:
        output = scrapy_crawl("-a", f"url={site.url('/news/index.html')}", db=db_path)
        assert other.requests == []  # no request reached the other host, from Scrapy or Chromium
    db = sqlite_utils.Database(db_path)
    urls = [row["url"] for table in ("snapshots", "pages", "attachments") for row in db[table].rows]
    urls += [row["request_url"] or "" for row in db["snapshots"].rows]
    assert urls and not any("127.0.0.2" in url for url in urls)  # the archive holds nothing of it
    assert site.url("/news/202405/t20240506_1.html") in {row["url"] for row in db["pages"].rows}
    attachments = {row["url"].rsplit("/", 1)[-1]: row for row in db["attachments"].rows}
    # the on-site files that lead elsewhere end as failures with their reason, and nothing is kept
    assert attachments["redirect.pdf"]["sha256"] is None and "refused" in attachments["redirect.pdf"]["error"]
    assert attachments["refresh.pdf"]["sha256"] is None
    # the malformed link on the list page is a failures row naming the page; the rest was crawled
    bad = [row for row in db["failures"].rows if row["stage"] == "link"]
    assert [row["url"] for row in bad] == ["http://[zz/news/202405/t20240506_5.html"]
    assert site.url("/news/index.html") in bad[0]["error"]
    assert "'govnews/offsite/refused'" in output
    assert "'govnews/offsite/browser_refused'" in output  # the shell's navigation, images and fetches
    assert "'govnews/browser/popups_closed': 1" in output  # the window it opened
    # nothing in the crawl listens: no telnet console, no remote control running code sent to it
    assert "TelnetConsole" not in output and "RemoteControl" not in output and "Enabled extensions" in output
    # the shell's scripts ended on Chromium's error page for the refused navigation: not archived as
    # a page; the shell as the server sent it is kept, and the fetch failed with that reason
    assert all(url.startswith("http://127.0.0.1:") for url in urls), urls
    shell = site.url("/news/202405/t20240506_3.html")
    assert "scripts left it" in next(row["error"] for row in db["failures"].rows if row["url"] == shell)
    [capture] = [row for row in db["snapshots"].rows if row["url"] == shell]
    assert capture["request_url"] == shell and b"new WebSocket" in Archive(db_path, read_only=True).snapshot_body(
        capture["id"]
    )


def test_response_headers_past_the_limit_fail_the_fetch_with_that_reason(tmp_path):
    db_path = tmp_path / "archive.db"
    with OtherHost() as other, HostileSite(other) as site:
        scrapy_crawl("-a", f"url={site.url('/flood/index.html')}", "-s", "RETRY_ENABLED=False", db=db_path)
    failures = list(sqlite_utils.Database(db_path)["failures"].rows)
    assert len(failures) == 1 and failures[0]["url"] == site.url("/flood/index.html")
    assert "response headers over the limit" in failures[0]["error"]


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://other\\@site.gov.cn/x.pdf", "backslash"),
        ("http://other@site.gov.cn/x.pdf", "userinfo"),
        ("http://[zz/x.html", "unreadable"),
        ("http://a＃@site.gov.cn/x.pdf", "unreadable"),
        ("javascript:location='http://other/'", "not an http"),
        ("http://other.example/x.html", "off-site host other.example"),
        ("http://site.gov.cn.evil.example/x.html", "off-site"),
    ],
)
def test_urls_read_two_ways_or_off_the_site_are_refused(url, why):
    assert why in offsite_reason(url, ["site.gov.cn"])


def test_the_site_is_its_hosts_and_their_subdomains_on_any_port():
    assert request_host("HTTP://WWW.Site.GOV.CN.:8080/a")[0] == "www.site.gov.cn"
    assert offsite_reason("https://file.www.site.gov.cn:8443/a.pdf", ["www.site.gov.cn"]) == ""
    assert offsite_reason("http://site.gov.cn/a.pdf", ["www.site.gov.cn"]).startswith("off-site")
    # an attachment may sit on the article's registrable domain's subdomains
    assert (
        offsite_reason(
            "http://file.site.gov.cn/a.pdf", ["www.site.gov.cn"], attachment_of="http://www.site.gov.cn/art.html"
        )
        == ""
    )
    assert offsite_reason("http://elsewhere.cn/a.pdf", [], any_host=True) == ""
    assert "backslash" in offsite_reason("http://x\\@y/a.pdf", [], any_host=True)  # ambiguity, whatever the host
