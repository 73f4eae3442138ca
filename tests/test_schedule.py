"""Scheduled crawls: site intervals, which sites are due, and `govnews crawl --due` run for real."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, REPO, manifest

from archive.store import Archive
from crawler.common import pid_alive
from crawler.schedule import STALE_FLOOR, IntervalError, due_sites, format_interval, load_runs, parse_interval
from crawler.sites import SiteConfig, SiteConfigError, all_sites

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1


def govnews(*args, cwd=REPO, timeout=300):
    return subprocess.run([str(BIN / "govnews"), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- intervals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("30m", timedelta(minutes=30)),
        ("6h", timedelta(hours=6)),
        ("1d", timedelta(days=1)),
        ("2d12h", timedelta(days=2, hours=12)),
        ("1w2d", timedelta(days=9)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        (" 2D 12H ", timedelta(days=2, hours=12)),
    ],
)
def test_intervals_are_read_with_their_units(text, expected):
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "5x", "d", "12h2d", "1.5h", "6 hours", "-1d", "0m", "0d0h", 30, None])
def test_an_unreadable_interval_is_refused_with_examples(text):
    with pytest.raises(IntervalError) as error:
        parse_interval(text)
    message = str(error.value)
    assert repr(text) in message
    assert "zero" in message or "30m" in message


def test_intervals_print_back_as_they_are_read():
    for text in ("30m", "6h", "1d", "2d12h", "1w", "1w1d1h1m1s"):
        assert format_interval(parse_interval(text)) == text
    assert format_interval(timedelta(hours=36)) == "1d12h"


def write_config(folder: Path, name: str, url: str, interval=None, filename: str | None = None) -> Path:
    config = {"name": name, "start_urls": [url]}
    if interval is not None:
        config["interval"] = interval
    path = folder / (filename or f"{name}.yaml")
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path


def test_site_configs_carry_an_interval_defaulting_to_one_day(tmp_path):
    write_config(tmp_path, "often", "http://www.example.gov.cn/", "30m")
    write_config(tmp_path, "daily", "http://www.example.org/")
    (tmp_path / "empty.yaml").write_text("name: empty\nstart_urls: [http://x.gov.cn/]\ninterval:\n", encoding="utf-8")
    configs = {c.name: c for c in all_sites([str(tmp_path)])}
    assert configs["often"].interval == "30m"
    assert configs["daily"].interval == "1d"
    assert configs["empty"].interval == "1d"
    assert SiteConfig.from_url("http://www.example.gov.cn/a/").interval == "1d"


@pytest.mark.parametrize("interval", ["5x", 30, "0h", "every day"])
def test_a_bad_interval_names_the_file(tmp_path, interval):
    path = write_config(tmp_path, "weidu", "http://www.weidu.gov.cn/", interval)
    with pytest.raises(SiteConfigError) as error:
        SiteConfig.from_file(path)
    assert str(path) in str(error.value) and "interval" in str(error.value)


# --- which sites are due, from a real archive ----------------------------------------------


def add_run(
    archive: Archive,
    site: str,
    *,
    ago: timedelta,
    status: str | None = "finished",
    pid: int | None | str = "keep",
    took: timedelta = timedelta(minutes=2),
) -> int:
    """A crawl_runs row as crawls write it (start_run, finish_run), moved back in time by SQL.
    `status=None` leaves it running."""
    run_id = archive.start_run("site", site, [f"http://{site}.example.gov.cn/"])
    if status is not None:
        archive.finish_run(run_id, status)
    now = datetime.now(timezone.utc)
    changes = {"started_at": iso(now - ago)}
    if status is not None:
        changes["finished_at"] = iso(now - ago + took)
    if pid != "keep":
        changes["pid"] = pid
    archive.db["crawl_runs"].update(run_id, changes)
    return run_id


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def configs(**intervals) -> list[SiteConfig]:
    return [
        SiteConfig(name=name, start_urls=[f"http://{name}.example.gov.cn/"], interval=interval)
        for name, interval in intervals.items()
    ]


def decisions(db: Path, **intervals) -> dict:
    return {d.site: d for d in due_sites(configs(**intervals), load_runs(db))}


def test_a_site_never_crawled_is_due_and_a_fresh_crawl_is_not(tmp_path):
    db = tmp_path / "a.db"
    archive = Archive(db)
    add_run(archive, "fresh", ago=timedelta(hours=1))
    add_run(archive, "stale", ago=timedelta(hours=7))
    result = decisions(db, never="1d", fresh="1d", stale="6h")
    assert result["never"].due and "never crawled" in result["never"].reason
    assert not result["fresh"].due and "due in 23h" in result["fresh"].reason
    assert result["fresh"].next_due - result["fresh"].last_started == timedelta(days=1)
    assert result["stale"].due and "7h" in result["stale"].reason and "interval 6h" in result["stale"].reason


def test_the_latest_completed_run_counts_not_a_stopped_one(tmp_path):
    db = tmp_path / "a.db"
    archive = Archive(db)
    add_run(archive, "weidu", ago=timedelta(days=3))
    add_run(archive, "weidu", ago=timedelta(hours=2))
    add_run(archive, "weidu", ago=timedelta(days=2))  # inserted later, started earlier
    # A crawl stopped by a signal (Scrapy's "shutdown") did not crawl the site to the end.
    add_run(archive, "jiyang", ago=timedelta(days=2))
    add_run(archive, "jiyang", ago=timedelta(minutes=30), status="shutdown")
    result = decisions(db, weidu="1d", jiyang="1d")
    assert not result["weidu"].due and "started 2h ago" in result["weidu"].reason
    assert result["jiyang"].due and "started 2d ago" in result["jiyang"].reason
    # Only the rows that matter are read: each site's latest completed run.
    assert sorted((r["site"], r["status"]) for r in load_runs(db)) == [("jiyang", "finished"), ("weidu", "finished")]


def test_a_running_crawl_blocks_its_site_while_its_process_lives(tmp_path):
    db = tmp_path / "a.db"
    archive = Archive(db)
    for site in ("alive", "nopid", "hung", "dead"):
        add_run(archive, site, ago=timedelta(days=3))  # each one due, but for a running crawl
    # Started now: this process began before the run did, as a crawl's process does.
    add_run(archive, "alive", ago=timedelta(0), status=None, pid=os.getpid())
    add_run(archive, "nopid", ago=timedelta(hours=1), status=None, pid=None)  # a row of an older version
    add_run(archive, "hung", ago=2 * STALE_FLOOR, status=None, pid=None)
    # Last: a later start_run may close runs whose process is gone.
    add_run(archive, "dead", ago=timedelta(minutes=10), status=None, pid=dead_pid())
    result = decisions(db, alive="1h", nopid="1h", hung="1h", dead="1h")
    assert not result["alive"].due and f"pid {os.getpid()}" in result["alive"].reason
    assert "still running" in result["alive"].reason
    assert not result["nopid"].due and "no pid recorded" in result["nopid"].reason
    # Not forever: a run older than twice the interval (at least STALE_FLOOR) is not running.
    assert result["hung"].due
    assert result["dead"].due and "started 3d ago" in result["dead"].reason


def test_a_pid_reused_by_a_later_process_does_not_count(tmp_path):
    db = tmp_path / "a.db"
    archive = Archive(db)
    add_run(archive, "weidu", ago=timedelta(days=3))
    # This test process is alive, but it began long after this run started.
    add_run(archive, "weidu", ago=timedelta(days=5), status=None, pid=os.getpid())
    assert not pid_alive(os.getpid(), datetime.now(timezone.utc) - timedelta(days=5))
    assert pid_alive(os.getpid(), datetime.now(timezone.utc))
    result = decisions(db, weidu="3d")  # stale only after 6d: the pid check decides
    assert result["weidu"].due


def test_no_archive_yet_means_every_site_is_due_and_nothing_is_created(tmp_path):
    db = tmp_path / "none.db"
    assert load_runs(db) == []
    result = decisions(db, weidu="1d", jiyang="30m")
    assert all(d.due for d in result.values())
    assert not db.exists()


# --- the command ---------------------------------------------------------------------------


def test_dry_run_prints_the_due_sites_and_why_without_crawling(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    write_config(sites, "weidu", "http://127.0.0.1:9/index.html", "6h")
    write_config(sites, "jiyang", "http://127.0.0.1:9/news/index.html", "2d12h")
    db = tmp_path / "a.db"
    archive = Archive(db)
    add_run(archive, "jiyang", ago=timedelta(days=1))
    archive.close()
    result = govnews("crawl", "--due", "--dry-run", "--db", str(db), "--sites-dir", str(sites))
    assert result.returncode == 0, result.stderr
    assert "weidu: due: never crawled to the end (every 6h)" in result.stdout
    assert "jiyang: not due: last crawl started 1d ago (finished); due in 1d12h (every 2d12h)" in result.stdout
    assert "would crawl 1 of 2 sites: weidu" in result.stdout
    assert sqlite_utils.Database(db)["crawl_runs"].count == 1


def test_bad_configs_and_bad_options_are_refused(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    path = write_config(sites, "weidu", "http://127.0.0.1:9/index.html", "every 6 hours")
    result = govnews("crawl", "--due", "--db", str(tmp_path / "a.db"), "--sites-dir", str(sites))
    assert result.returncode == 1
    assert str(path) in result.stderr and "interval" in result.stderr and "2d12h" in result.stderr
    assert not (tmp_path / "a.db").exists()

    usage = govnews("crawl", "--due", "--site", "weidu", "--db", str(tmp_path / "a.db"))
    assert usage.returncode == 2 and "--due" in usage.stderr
    usage = govnews("crawl", "--dry-run", "--site", "weidu", "--db", str(tmp_path / "a.db"))
    assert usage.returncode == 2 and "--dry-run" in usage.stderr


def test_due_crawls_each_due_site_once_and_again_when_its_interval_has_passed(demo_server, tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    intervals = {"weidu": "1d", "jiyang": "6h", "fanwen": "2d12h", "daguan": "30m", "jincheng": "1w"}
    for site in demo_server.sites.values():
        write_config(sites, site.name, site.list_url, intervals[site.name])
    db = tmp_path / "archive.db"
    command = ["crawl", "--due", "--db", str(db), "--sites-dir", str(sites), "--log-level", "WARNING"]

    first = govnews(*command, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"crawling 5 of 5 sites: {', '.join(sorted(demo_server.sites))}" in first.stdout
    articles = {s["name"]: len(s["articles"]) for s in manifest()}
    for name, count in articles.items():
        assert f"{name}: due: never crawled to the end (every {intervals[name]})" in first.stdout
        assert f"{name}: {count} pages, {count} new versions, 0 failures (finished)" in first.stdout
    archive = sqlite_utils.Database(db)
    runs = list(archive.query("select site, status from crawl_runs order by site"))
    assert sorted(r["site"] for r in runs) == sorted(articles) and {r["status"] for r in runs} == {"finished"}
    assert archive["pages"].count == sum(articles.values())

    # Right after: nothing is due, nothing is crawled.
    second = govnews(*command, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "nothing is due (5 sites); next: daguan at" in second.stdout
    assert "weidu: not due: last crawl started" in second.stdout and "(every 1d)" in second.stdout
    assert archive["crawl_runs"].count == 5

    # A day and a bit later for weidu and jiyang (their crawls started 25 hours ago), not for the others.
    earlier = iso(datetime.now(timezone.utc) - timedelta(hours=25))
    archive.execute("update crawl_runs set started_at = ? where site in ('weidu', 'jiyang')", [earlier])
    archive.conn.commit()
    dry = govnews(*command, "--dry-run", cwd=tmp_path)
    assert "would crawl 2 of 5 sites: jiyang, weidu" in dry.stdout
    assert "weidu: due: last crawl started 1d1h ago (finished), interval 1d" in dry.stdout
    assert archive["crawl_runs"].count == 5

    third = govnews(*command, cwd=tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "crawling 2 of 5 sites: jiyang, weidu" in third.stdout
    for name in ("weidu", "jiyang"):
        assert re.search(rf"^{name}: \d+ pages, 0 new versions, 0 failures \(finished\)$", third.stdout, re.M)
    recrawled = [r["site"] for r in archive.query("select site from crawl_runs where id > 5 order by id")]
    assert sorted(recrawled) == ["jiyang", "weidu"]
    assert archive["versions"].count == sum(articles.values())  # same pages: no new version
    assert "nothing is due" in govnews(*command, cwd=tmp_path).stdout
