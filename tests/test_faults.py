"""Faults and politeness: a real `scrapy crawl` against a misbehaving site (tests/support/fault_server.py).

Every fault must end as a `failures` row that says what went wrong, as a version where the page
is fine after all, or as bounded work; never as a crash, a lost page or an endless crawl. The
fault site is crawled once (module fixture) with a short backoff; the timeout fault is crawled on
its own with a 1 s DOWNLOAD_TIMEOUT (see SLOW_SETTINGS); the politeness test runs its own crawl
with a download delay.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time
from dataclasses import dataclass

import pytest
import sqlite_utils
from conftest import BIN, REPO, finish, project_crawler, scrapy_crawl
from warcio.archiveiterator import ArchiveIterator

from crawler.retry import backoff_delay, retry_after_seconds
from tests.support.fault_server import FAULTS, HEALTHY_COOKIES, HUGE_SIZE, LIST_PATH, FaultServer

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

BACKOFF_BASE = 0.2  # seconds; the first retry waits at least this, the second twice as long
MAX_LIST_PAGES = 6
CONTACT_URL = "https://example.org/govnews-contact"
# The first article to reach the enrich stage makes the crawl load jieba's dictionaries: seconds
# in which the reactor does nothing else, so that a download in flight meanwhile would time out
# with a short DOWNLOAD_TIMEOUT. Hence the default timeout (30 s) here …
FAULT_SETTINGS = {
    "RETRY_TIMES": "2",  # three attempts in all
    "GOVNEWS_RETRY_BACKOFF_BASE": str(BACKOFF_BASE),
    "GOVNEWS_RETRY_BACKOFF_MAX": "5",
    "GOVNEWS_MAX_LIST_PAGES": str(MAX_LIST_PAGES),
    "GOVNEWS_CONTACT_URL": CONTACT_URL,
}
# … and the timeout fault in a crawl of its own, where no page gets as far as enrichment.
SLOW_SETTINGS = {**FAULT_SETTINGS, "DOWNLOAD_TIMEOUT": "1"}
ATTEMPTS = 3


def settings_args(settings: dict) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("faults") / "archive.db"
    with FaultServer() as server:
        started = time.monotonic()
        output = scrapy_crawl("-a", f"url={server.list_url}", *settings_args(FAULT_SETTINGS), db=db_path)
        elapsed = time.monotonic() - started
        yield {
            "db": sqlite_utils.Database(db_path),
            "path": db_path,
            "server": server,
            "output": output,
            "elapsed": elapsed,
        }


@pytest.fixture(scope="module")
def slow_crawl(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("slow") / "archive.db"
    with FaultServer() as server:
        output = scrapy_crawl("-a", f"url={server.slow_list_url}", *settings_args(SLOW_SETTINGS), db=db_path)
        yield {"db": sqlite_utils.Database(db_path), "server": server, "output": output}


# --- the matrix ---------------------------------------------------------------------------------


@dataclass
class Expect:
    outcome: str  # "version": archived as a page; "failure": a failures row
    stage: str | None = None
    error: str | None = None  # regex the failure's error must match
    hits: tuple[int, int] = (1, 1)  # requests the server may see for the article (min, max)
    snapshot: bool = False  # the failure points at a kept capture of what the server sent
    crawl: str = "fault_crawl"  # the fixture whose crawl met the fault


MATRIX = {
    "healthy": Expect("version"),
    "e500": Expect("failure", "fetch", r"^HTTP 500$", hits=(ATTEMPTS, ATTEMPTS), snapshot=True),
    "e503_once": Expect("version", hits=(2, 2)),
    "e503_retry_after": Expect("version", hits=(2, 2)),
    "e503_come_back": Expect("failure", "fetch", r"^HTTP 503$", hits=(1, 1), snapshot=True),
    "e429_retry_after": Expect("version", hits=(2, 2)),
    "e504": Expect("failure", "fetch", r"HTTP 504", hits=(ATTEMPTS, ATTEMPTS), snapshot=True),
    "timeout": Expect(
        "failure",
        "fetch",
        r"TimeoutError.*took longer than 1\.0 seconds",
        hits=(ATTEMPTS, ATTEMPTS),
        crawl="slow_crawl",
    ),
    "reset_headers": Expect(
        "failure", "fetch", r"ConnectionLost|ConnectionReset|ResponseFailed", hits=(ATTEMPTS, ATTEMPTS)
    ),
    "reset_body": Expect(
        "failure", "fetch", r"DataLoss|ConnectionLost|ConnectionReset|ResponseFailed", hits=(ATTEMPTS, ATTEMPTS)
    ),
    "truncated": Expect("failure", "fetch", r"DataLoss", hits=(ATTEMPTS, ATTEMPTS)),
    "huge": Expect("version"),
    "png": Expect("failure", "extract", r"binary", snapshot=True),
    "zip": Expect("failure", "extract", r"binary", snapshot=True),
    "wrong_charset": Expect("version"),
    "redirect_loop": Expect("failure", "fetch", r"redirect", hits=(1, 21)),
    "redirect_chain": Expect("failure", "fetch", r"redirect", hits=(1, 1)),
    "robots": Expect("failure", "fetch", r"robots\.txt", hits=(0, 0)),
    "missing": Expect("failure", "fetch", r"^HTTP 404$", snapshot=True),
}
assert set(MATRIX) == set(FAULTS)


@pytest.mark.parametrize("name, expect", list(MATRIX.items()), ids=list(MATRIX))
def test_fault_matrix(request, name, expect):
    crawl = request.getfixturevalue(expect.crawl)
    db, server = crawl["db"], crawl["server"]
    url = server.url(name)
    failures = list(db.query("select * from failures where url = ?", [url]))
    pages = list(db.query("select * from pages where url = ?", [url]))
    if expect.outcome == "version":
        assert not failures, failures
        assert len(pages) == 1 and pages[0]["title"] == FAULTS[name][1]
        assert pages[0]["version_count"] == 1
    else:
        assert not pages
        assert len(failures) == 1, f"{name}: no failures row for {url}: {list(db['failures'].rows)}"
        failure = failures[0]
        assert failure["stage"] == expect.stage
        assert re.search(expect.error, failure["error"]), failure["error"]
        assert failure["crawl_run_id"] == 1
        if expect.snapshot:
            snapshot = db["snapshots"].get(failure["snapshot_id"])
            assert snapshot["url"] == url and snapshot["body_size"] > 0
    hits = len(server.hits(server.path(name)))
    low, high = expect.hits
    assert low <= hits <= high, f"{name}: {hits} requests"


def test_a_header_sent_twice_is_kept_apart_and_exported_apart(fault_crawl, tmp_path):
    db, server = fault_crawl["db"], fault_crawl["server"]
    capture = next(db.query("select id, headers from snapshots where url = ?", [server.url("healthy")]))
    cookies = json.loads(capture["headers"])["Set-Cookie"]
    assert cookies.splitlines() == list(HEALTHY_COOKIES)  # a cookie's date has a comma: never ", "-joined
    warc = tmp_path / "faults.warc.gz"
    subprocess.run(
        [BIN / "govnews", "export", "--db", str(fault_crawl["path"]), "--format", "warc", "-o", str(warc)],
        check=True,
        capture_output=True,
    )
    with warc.open("rb") as stream:
        response = next(
            r
            for r in ArchiveIterator(stream)
            if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI") == server.url("healthy")
        )
        sent = [value for name, value in response.http_headers.headers if name == "Set-Cookie"]
    assert sent == list(HEALTHY_COOKIES)


def test_the_crawl_finishes_cleanly_in_bounded_time(fault_crawl):
    output = fault_crawl["output"]  # scrapy_crawl already checked: exit status 0, no Traceback
    assert "'finish_reason': 'finished'" in output
    assert "Unhandled error" not in output and "CRITICAL" not in output
    run = next(fault_crawl["db"]["crawl_runs"].rows)
    assert run["status"] == "finished"
    assert run["failures"] == fault_crawl["db"]["failures"].count
    # Startup, jieba's dictionaries, retries with backoff, a 10 MB page.
    assert fault_crawl["elapsed"] < 60


def test_the_timeout_crawl_finishes_cleanly(slow_crawl):
    assert "'finish_reason': 'finished'" in slow_crawl["output"]
    run = next(slow_crawl["db"]["crawl_runs"].rows)
    assert run["status"] == "finished" and run["failures"] == 1


def test_robots_txt_is_read_once_and_obeyed(fault_crawl):
    server = fault_crawl["server"]
    assert len(server.hits("/robots.txt")) == 1
    assert server.hits(server.path("robots")) == []
    assert server.log[0].path == "/robots.txt"  # before any page


def test_retries_wait_with_exponential_backoff(fault_crawl):
    server = fault_crawl["server"]
    for name in ("e500", "e504", "reset_headers", "truncated"):
        times = [hit.at for hit in server.hits(server.path(name))]
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        assert len(gaps) == ATTEMPTS - 1
        # Retry n waits base × 2^(n−1) at least (jitter only lengthens it).
        assert gaps[0] >= BACKOFF_BASE * 0.95, (name, gaps)
        assert gaps[1] >= 2 * BACKOFF_BASE * 0.95, (name, gaps)


def test_a_timeout_is_retried_after_the_timeout_and_the_wait(slow_crawl):
    server = slow_crawl["server"]
    times = [hit.at for hit in server.hits(server.path("timeout"))]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert len(gaps) == ATTEMPTS - 1
    assert gaps[0] >= 1.0 + BACKOFF_BASE * 0.95, gaps
    assert gaps[1] >= 1.0 + 2 * BACKOFF_BASE * 0.95, gaps


@pytest.mark.parametrize("name", ["e503_retry_after", "e429_retry_after"])
def test_retry_after_is_obeyed(fault_crawl, name):
    server = fault_crawl["server"]
    first, second = [hit.at for hit in server.hits(server.path(name))][:2]
    assert second - first >= 0.95  # Retry-After: 1, longer than the backoff's 0.2 s


def test_a_retry_after_beyond_the_backoff_cap_is_not_retried(fault_crawl):
    server = fault_crawl["server"]
    assert len(server.hits(server.path("e503_come_back"))) == 1
    assert "asks to come back in 3600 s" in fault_crawl["output"]


def test_calendar_traps_stop_at_the_list_page_cap(fault_crawl):
    server = fault_crawl["server"]
    assert len(server.hits(LIST_PATH)) == 1
    by_date = server.hits_under(LIST_PATH + "?date=")
    by_day_archive = server.hits_under("/xwzx/index_")
    assert by_date and by_day_archive
    # The start page and the trap pages together make exactly the cap: the day archive is endless.
    assert 1 + len(by_date) + len(by_day_archive) == MAX_LIST_PAGES
    assert len({hit.path for hit in by_date + by_day_archive}) == MAX_LIST_PAGES - 1  # none twice


def test_redirect_chains_are_bounded(fault_crawl):
    server = fault_crawl["server"]
    chain = [hit for hit in server.log if "redirect-chain" in hit.path]
    assert len(chain) == 1 + 20  # REDIRECT_MAX_TIMES
    loop = [hit for hit in server.log if "redirect-loop" in hit.path]
    assert 2 <= len(loop) <= 21


def test_a_page_served_as_utf8_in_gbk_bytes_reads_as_chinese(fault_crawl):
    db, server = fault_crawl["db"], fault_crawl["server"]
    page = db.execute("select title, text from pages where url = ?", [server.url("wrong_charset")]).fetchone()
    assert page[0] == FAULTS["wrong_charset"][1]
    assert "会议强调，要坚持问题导向" in page[1] and "\ufffd" not in page[1]


def test_a_10_mb_page_is_kept_raw_and_archived(fault_crawl):
    db, server = fault_crawl["db"], fault_crawl["server"]
    url = server.url("huge")
    sizes = [row[0] for row in db.execute("select body_size from snapshots where url = ?", [url])]
    assert sizes and set(sizes) == {HUGE_SIZE}
    page = db.execute("select title, published_at from pages where url = ?", [url]).fetchone()
    assert page == (FAULTS["huge"][1], "2024-05-06T09:30:00+08:00")


def test_a_10_mb_page_is_extracted_whole(fault_crawl):
    db, server = fault_crawl["db"], fault_crawl["server"]
    page = db.execute("select editor, text from pages where url = ?", [server.url("huge")]).fetchone()
    assert page[0] == "王小明"
    assert page[1].endswith("以实际行动推动全区经济社会高质量发展。")


def test_every_request_names_govnews_and_a_contact_url(fault_crawl):
    agents = {hit.headers.get("User-Agent") for hit in fault_crawl["server"].log}
    assert len(agents) == 1
    assert re.fullmatch(r"govnews/\S+ \(\+https?://\S+\)", agents.pop())


def test_the_contact_url_setting_reaches_the_user_agent(fault_crawl):
    for hit in fault_crawl["server"].log:
        assert CONTACT_URL in hit.headers.get("User-Agent", "")


# --- politeness -----------------------------------------------------------------------------------


def test_a_site_is_fetched_one_request_at_a_time_with_the_delay_between(tmp_path):
    delay = 0.3
    settings = {
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "LOG_LEVEL": "INFO",
        "ARCHIVE_DB": tmp_path / "archive.db",
    }
    with FaultServer() as server:
        # Not conftest.scrapy_crawl: its FAST settings switch the delay off.
        command = [
            str(BIN / "scrapy"),
            "crawl",
            "site",
            "-a",
            f"url={server.polite_list_url}",
            *settings_args(settings),
        ]
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        finish(process, timeout=120)
        log = server.log
    articles = [hit for hit in log if hit.path.endswith(".html") and "polite_" in hit.path]
    assert len(articles) == server.server.polite_articles
    assert sqlite_utils.Database(tmp_path / "archive.db")["pages"].count == len(articles)
    times = sorted(hit.at for hit in log)  # robots.txt, the list, the articles
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # Scrapy waits DOWNLOAD_DELAY × uniform(0.5, 1.5) between two requests to one site.
    assert min(gaps) >= 0.5 * delay * 0.95, gaps
    assert statistics.median(gaps) >= 0.7 * delay, gaps


def test_politeness_defaults():
    from scrapy.settings import Settings

    from crawler import __version__
    from crawler import settings as module

    settings = Settings()
    settings.setmodule(module)
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 1 <= settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 8
    assert settings.getfloat("DOWNLOAD_DELAY") > 0
    # The add-on composes the User-Agent from the contact URL; one given outright wins.
    assert project_crawler().settings["USER_AGENT"] == f"govnews/{__version__} (+{settings['GOVNEWS_CONTACT_URL']})"
    assert project_crawler(USER_AGENT="archivist-bot/1.0").settings["USER_AGENT"] == "archivist-bot/1.0"
    assert settings.getbool("RETRY_ENABLED") and settings.getint("RETRY_TIMES") >= 1
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert middlewares["crawler.retry.BackoffRetryMiddleware"] == 550  # where Scrapy's was
    assert settings.getfloat("GOVNEWS_RETRY_BACKOFF_BASE") > 0
    assert settings.getfloat("GOVNEWS_RETRY_BACKOFF_MAX") >= settings.getfloat("GOVNEWS_RETRY_BACKOFF_BASE")


# --- the backoff itself ---------------------------------------------------------------------------


class _Fixed:
    def __init__(self, value):
        self.value = value

    def uniform(self, low, high):
        return low + (high - low) * self.value


def test_backoff_doubles_up_to_the_cap_and_jitter_only_lengthens():
    assert [backoff_delay(n, 1.0, 60.0) for n in (1, 2, 3, 4, 7, 8)] == [1, 2, 4, 8, 60, 60]
    assert backoff_delay(1, 1.0, 60.0, 0.25, rng=_Fixed(0.0)) == 1.0
    assert backoff_delay(2, 1.0, 60.0, 0.25, rng=_Fixed(1.0)) == 2.5
    assert backoff_delay(6, 1.0, 60.0, 0.25, rng=_Fixed(1.0)) == 40.0
    assert backoff_delay(7, 1.0, 60.0, 0.25, rng=_Fixed(1.0)) == 60.0  # never above the cap


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(" 7 ") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0  # past
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds("-5") is None
