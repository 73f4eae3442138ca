"""A crawl killed with SIGKILL resumes from the archive's own state: killed at six random
points of a real `scrapy crawl` over a generated TRS site, one among the articles of each of
its first six list pages, and restarted each time, it ends with the archive an uninterrupted
crawl writes — nothing lost, no version twice."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import finish, scrapy_crawl

from tests.support.cms import CmsServer, build_trs_site

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

ARTICLES = 80
PER_PAGE = 10  # articles a list page links
KILLS = 6  # one in each of the first six list pages' articles


def versions_so_far(db_path) -> int | None:
    if not db_path.exists():
        return None
    # A plain connection, not mode=ro: a read-only one may not use the WAL index and lag behind.
    conn = sqlite3.connect(db_path, timeout=1)
    try:
        return conn.execute("select count(*) from versions").fetchone()[0]
    except sqlite3.Error:  # mid-migration: unknown
        return None
    finally:
        conn.close()


def archive_state(db_path) -> dict:
    db = sqlite_utils.Database(db_path)
    return {
        "versions": sorted(
            (r["url"], r["version"], r["content_hash"])
            for r in db.query("select url, version, content_hash from versions")
        ),
        "pages": sorted(
            (r["url"], r["version_count"], r["status"], r["content_hash"]) for r in db.query("select * from pages")
        ),
        "events": sorted((r["url"], r["event"]) for r in db.query("select url, event from page_events")),
        "failures": db["failures"].count,
    }


@pytest.fixture(scope="module")
def trs_site(tmp_path_factory):
    spec = build_trs_site(tmp_path_factory.mktemp("trs"), ARTICLES, per_page=PER_PAGE)
    with CmsServer(spec) as server:
        yield server


def test_sigkill_at_six_random_points_then_resume_equals_an_uninterrupted_crawl(trs_site, tmp_path):
    # Two requests at a time, 30 ms apart: slow enough for a kill to land where it was aimed.
    args = (
        "-a",
        f"url={trs_site.list_url}",
        "-s",
        "GOVNEWS_MAX_LIST_PAGES=100",
        "-s",
        "CONCURRENT_REQUESTS=2",
        "-s",
        "DOWNLOAD_DELAY=0.03",
        "-s",
        "RANDOMIZE_DOWNLOAD_DELAY=False",
    )
    whole = tmp_path / "whole.db"
    scrapy_crawl(*args, db=whole)
    expected = archive_state(whole)
    assert len(expected["pages"]) == ARTICLES and expected["failures"] == 0

    killed = tmp_path / "killed.db"
    rng = random.Random(20261123)
    # Kill points: after a random number of archived versions, one among each list page's
    # articles (1-9, 11-19, … 51-59: up to ARTICLES − 20, as versions arrive in bursts of up to
    # ten from the stage worker, so a kill lands a little after its aim), so every kill lands
    # inside the work, at whatever the crawl was doing at that moment, and each restart resumes
    # with the known articles ending on another list page (where its paging stops). Ten points
    # drawn from 1-59 put three kills one version apart (35, 36, 37) and two more (11, 12):
    # restarts that resumed from the same list page, on the same path.
    targets = [rng.randrange(page * PER_PAGE + 1, (page + 1) * PER_PAGE) for page in range(KILLS)]
    landed = []
    for target in targets:
        process = scrapy_crawl(*args, db=killed, wait=False)
        deadline = time.monotonic() + 120
        while process.poll() is None and (versions_so_far(killed) or 0) < target and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.005, 0.03))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            landed.append(versions_so_far(killed))
        process.communicate(timeout=60)
    assert len(landed) == KILLS and max(landed) < ARTICLES, f"a crawl ended before its kill point: {landed}"

    finish(scrapy_crawl(*args, db=killed, wait=False))
    assert archive_state(killed) == expected

    # A kill during start-up leaves no run behind; every other killed run is marked interrupted.
    runs = [r["status"] for r in sqlite_utils.Database(killed).query("select status from crawl_runs order by id")]
    assert runs[-1] == "finished" and set(runs[:-1]) == {"interrupted"} and len(runs) <= KILLS + 1


def stage_worker_of(pid: int) -> int | None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                command = Path(f"/proc/{entry}/cmdline").read_text()
            except OSError:
                continue
            if parent == pid and "multiprocessing.spawn" in command:
                return int(entry)
    return None


def test_a_stage_worker_killed_mid_crawl_loses_no_page(trs_site, tmp_path):
    """The stage worker dies (the OOM killer, an operator): the pages it held fail with the
    reason and keep their captures, the crawl goes on with a new worker, and the next crawl
    archives the failed ones."""
    # One page every 0.1 s: the worker waits for pages, so pages still come after the kill
    # (with fast downloads it may have finished every page before the archive wrote the 20th).
    args = (
        "-a",
        f"url={trs_site.list_url}",
        "-s",
        "GOVNEWS_MAX_LIST_PAGES=100",
        "-s",
        "CONCURRENT_REQUESTS=1",
        "-s",
        "DOWNLOAD_DELAY=0.1",
        "-s",
        "RANDOMIZE_DOWNLOAD_DELAY=False",
    )
    db_path = tmp_path / "archive.db"
    process = scrapy_crawl(*args, db=db_path, wait=False)
    deadline = time.monotonic() + 120
    while (versions_so_far(db_path) or 0) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker = stage_worker_of(process.pid)
    assert worker, "no stage worker found"
    os.kill(worker, signal.SIGKILL)
    output = finish(process)
    assert "a stage worker died; starting a new one" in output

    db = sqlite_utils.Database(db_path)
    archived = {r["url"] for r in db.query("select url from pages")}
    failed = list(db.query("select url, stage, error, snapshot_id from failures"))
    assert failed and all("BrokenProcessPool" in f["error"] and f["snapshot_id"] for f in failed)
    assert len(archived) + len({f["url"] for f in failed}) == ARTICLES  # each page one or the other
    assert len(archived) > 20 + 10  # the crawl went on after the kill

    # The next crawl stops paging at the first, fully known, list page and asks for the failed
    # pages directly: it fetches those and nothing else.
    finish(scrapy_crawl(*args, db=db_path, wait=False))
    assert db["pages"].count == ARTICLES
    assert db["crawl_runs"].get(2)["pages_fetched"] == len({f["url"] for f in failed})
    # Those failures are resolved, not deleted: each keeps its row, with when its page was archived.
    rows = list(db.query("select f.resolved_at, p.first_seen from failures f join pages p using (url)"))
    assert len(rows) == len(failed) and all(r["resolved_at"] == r["first_seen"] for r in rows)
