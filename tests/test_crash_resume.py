"""A crawl killed with SIGKILL resumes from the archive's own state: killed at ten random
points of a real `scrapy crawl` over a generated TRS site and restarted each time, it ends
with the archive an uninterrupted crawl writes — nothing lost, no version twice."""
from __future__ import annotations

import random
import signal
import sqlite3
import time

import pytest
import sqlite_utils

from conftest import finish, scrapy_crawl
from crawler.demo.cms import CmsServer, build_trs_site

ARTICLES = 80
KILLS = 10


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
        "versions": sorted((r["url"], r["version"], r["content_hash"])
                           for r in db.query("select url, version, content_hash from versions")),
        "pages": sorted((r["url"], r["version_count"], r["status"], r["content_hash"])
                        for r in db.query("select * from pages")),
        "events": sorted((r["url"], r["event"]) for r in db.query("select url, event from page_events")),
        "failures": db["failures"].count,
    }


@pytest.fixture(scope="module")
def trs_site(tmp_path_factory):
    spec = build_trs_site(tmp_path_factory.mktemp("trs"), ARTICLES, per_page=10)
    with CmsServer(spec) as server:
        yield server


def test_sigkill_at_ten_random_points_then_resume_equals_an_uninterrupted_crawl(trs_site, tmp_path):
    # Two requests at a time, 30 ms apart: slow enough for a kill to land where it was aimed.
    args = ("-a", f"url={trs_site.list_url}", "-s", "GOVNEWS_MAX_LIST_PAGES=100", "-s", "CONCURRENT_REQUESTS=2",
            "-s", "DOWNLOAD_DELAY=0.03", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False")
    whole = tmp_path / "whole.db"
    scrapy_crawl(*args, db=whole)
    expected = archive_state(whole)
    assert len(expected["pages"]) == ARTICLES and expected["failures"] == 0

    killed = tmp_path / "killed.db"
    rng = random.Random(20261123)
    # Kill points: after a random number of archived versions (1 to ARTICLES − 20: versions
    # arrive in bursts of up to ten from the stage worker, so a kill lands a little after its
    # aim), so every kill lands inside the work, at whatever the crawl was doing at that moment.
    targets = sorted(rng.sample(range(1, ARTICLES - 20), KILLS))
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
