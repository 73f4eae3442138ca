"""SIGINT (Ctrl-C, sent to the whole process group as a terminal does) and SIGTERM end a real
crawl gracefully: exit status 130 / 143, no traceback, no BrokenProcessPool from the stage
workers, and the run `interrupted` in crawl_runs; the next crawl finishes the site."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest
import sqlite_utils
from conftest import BIN, FAST, REPO

from tests.support.cms import CmsServer, build_trs_site

pytestmark = pytest.mark.e2e  # real `scrapy crawl` / `govnews crawl` processes on 127.0.0.1

ARTICLES = 80


class SlowServer(CmsServer):
    """Each answer waits 0.25 s: fetching the site takes 10 s or more, so a signal lands mid-crawl."""

    def _hit(self, target: str) -> None:
        time.sleep(0.25)
        super()._hit(target)


@pytest.fixture(scope="module")
def slow_site(tmp_path_factory):
    spec = build_trs_site(tmp_path_factory.mktemp("slow"), ARTICLES, per_page=10)
    with SlowServer(spec) as server:
        yield server


EIGHT_AT_A_TIME = ("-s", "CONCURRENT_REQUESTS=8", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8")


def count(db, table: str = "versions") -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=1)
    try:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def start(command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    # A session of its own: its process group is what a terminal signals on Ctrl-C.
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def scrapy_command(url: str, db, *extra: str) -> list[str]:
    # A test's -s options come last, so they win over FAST: two requests at a time, 0.1 s apart.
    slow = ["-s", "CONCURRENT_REQUESTS=2", "-s", "DOWNLOAD_DELAY=0.1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    return [str(BIN / "scrapy"), "crawl", "site", "-a", f"url={url}", *FAST, *slow, "-s", f"ARCHIVE_DB={db}", *extra]


def interrupt(process: subprocess.Popen, db, signum: int, group: bool) -> str:
    """Once the crawl has archived a version (its stage workers run), send the signal; its output."""
    deadline = time.monotonic() + 120
    while process.poll() is None and count(db) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the crawl ended before the signal: " + process.communicate()[0][-3000:]
    assert count(db, "snapshots") < ARTICLES - 10, "the site was fetched before the signal"
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    output, _ = process.communicate(timeout=120)
    assert count(db, "snapshots") < ARTICLES, "the crawl was not stopped early"
    return output


def runs(db) -> list[dict]:
    return list(sqlite_utils.Database(db).query("select * from crawl_runs order by id"))


def check_stopped(output: str, db, process, signum: int) -> None:
    assert process.returncode == 128 + signum, output[-4000:]
    assert "Traceback" not in output and "BrokenProcessPool" not in output, output[-4000:]
    assert "KeyboardInterrupt" not in output
    name = signal.Signals(signum).name
    assert f"Received {name}, shutting down gracefully" in output
    run = runs(db)[-1]
    assert run["status"] == "interrupted" and run["detail"] == f"stopped by {name}"
    assert run["finished_at"] is not None and run["new_versions"] == count(db) > 0
    # No page lost to the stop: every page fetched went through the stages into a version.
    assert count(db, "failures") == 0 and count(db, "snapshots") == count(db) == run["pages_fetched"]


@pytest.mark.parametrize(("signum", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_scrapy_crawl_stops_gracefully_on_a_signal_and_the_next_crawl_finishes(slow_site, tmp_path, signum, group):
    db = tmp_path / "archive.db"
    process = start(scrapy_command(slow_site.list_url, db))
    output = interrupt(process, db, signum, group)
    check_stopped(output, db, process, signum)

    # The rest of the site at eight requests at a time: 0.25 s an answer, two at a time, is 10 s.
    again = start(scrapy_command(slow_site.list_url, db, "-s", "DOWNLOAD_DELAY=0", *EIGHT_AT_A_TIME))
    output, _ = again.communicate(timeout=300)
    assert again.returncode == 0 and "Traceback" not in output, output[-4000:]
    assert [r["status"] for r in runs(db)] == ["interrupted", "finished"]
    assert count(db) == ARTICLES


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_govnews_crawl_stops_gracefully_on_a_signal_to_its_process_group(slow_site, tmp_path, signum):
    db = tmp_path / "archive.db"
    process = start([str(BIN / "govnews"), "crawl", "--db", str(db), "--url", slow_site.list_url])
    output = interrupt(process, db, signum, group=True)
    check_stopped(output, db, process, signum)
    assert "new versions, 0 failures (shutdown)" in output
