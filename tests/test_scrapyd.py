"""Deployment to Scrapyd, for real: the project's egg built as `scrapyd-deploy` builds it, uploaded
to a Scrapyd started on 127.0.0.1, and the `site` spider scheduled through its HTTP API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
import requests
import sqlite_utils
from conftest import BIN, REPO, manifest

from crawler.demo.server import free_port
from crawler.schedule import due_sites, load_runs
from crawler.sites import all_sites

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

SCRAPYD = BIN / "scrapyd"  # the `test` extra installs scrapyd and scrapyd-client
SCRAPYD_DEPLOY = BIN / "scrapyd-deploy"


def project_copy(destination: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored): scrapyd-deploy writes
    a setup.py, build/ and *.egg-info where it runs, which must not land in the checkout."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in listed:
        source = REPO / name
        if name and source.is_file() and not name.startswith("tests/"):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def build_egg(tmp_path: Path) -> Path:
    source = project_copy(tmp_path / "project")
    egg = tmp_path / "govnews.egg"
    result = subprocess.run(
        [str(SCRAPYD_DEPLOY), "--build-egg", str(egg)], cwd=source, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return egg


@pytest.fixture
def scrapyd(tmp_path):
    """A real Scrapyd on a free port, with its eggs, logs and queues in its own folder."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "poll_interval = 0.5\n"
        "max_proc = 2\n",
        encoding="utf-8",
    )
    # Its own HOME (no ~/.scrapyd.conf) and no settings module from outside: the egg names it.
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["HOME"] = str(home)
    log = (home / "scrapyd.out").open("wb")
    process = subprocess.Popen([str(SCRAPYD)], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status = json.load(urllib.request.urlopen(base + "daemonstatus.json", timeout=2))
                assert status["status"] == "ok"
                break
            except (OSError, ValueError):
                assert process.poll() is None, (home / "scrapyd.out").read_text(errors="replace")
                assert time.monotonic() < deadline, "Scrapyd did not answer within 60 s"
                time.sleep(0.2)
        yield {"url": base, "home": home, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def job_log(scrapyd, job: dict | None) -> str:
    if not job or not job.get("log_url"):
        return (scrapyd["home"] / "scrapyd.out").read_text(errors="replace")[-4000:]
    try:
        return (
            urllib.request.urlopen(urllib.parse.urljoin(scrapyd["url"], job["log_url"]), timeout=5)
            .read()
            .decode(errors="replace")[-6000:]
        )
    except OSError as exc:
        return f"(no log: {exc})"


def test_egg_deployed_to_scrapyd_crawls_demo_sites_into_the_archive(scrapyd, demo_server, tmp_path):
    egg = build_egg(tmp_path)
    with zipfile.ZipFile(egg) as archive:
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
        names = set(archive.namelist())
    # Scrapyd finds the project's settings through this entry point of the egg. scrapyd-deploy's
    # generated setup.py declares it, but the [project] table of pyproject.toml overrides setup.py.
    assert "[scrapy]" in entry_points and "settings = crawler.settings" in entry_points, (
        "the egg lacks the `scrapy` entry point: pyproject.toml needs\n"
        '[project.entry-points.scrapy]\nsettings = "crawler.settings"\n\nentry_points.txt:\n' + entry_points
    )
    assert {"spiders/site.py", "crawler/settings.py", "pipelines/data/gov_terms.txt"} <= names

    base = scrapyd["url"]
    with egg.open("rb") as handle:
        added = requests.post(
            base + "addversion.json",
            data={"project": "govnews", "version": "r1"},
            files=[("egg", ("project.egg", handle))],
            timeout=120,
        ).json()
    assert added["status"] == "ok" and added["spiders"] == 1, added
    spiders = requests.get(base + "listspiders.json", params={"project": "govnews"}, timeout=60).json()
    assert spiders["spiders"] == ["site"], spiders

    # One job by URL (no config), one by site config, as `govnews crawl --due` would crawl it.
    weidu, jiyang = demo_server.sites["weidu"], demo_server.sites["jiyang"]
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "jiyang.yaml").write_text(
        json.dumps({"name": "jiyang", "start_urls": [jiyang.list_url], "interval": "6h"}), encoding="utf-8"
    )
    db = tmp_path / "archive.db"
    fast = [("setting", f"ARCHIVE_DB={db}"), ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False")]
    job_ids = []
    for target in ([("url", weidu.list_url)], [("site", "jiyang"), ("setting", f"GOVNEWS_SITES_DIRS={sites}")]):
        scheduled = requests.post(
            base + "schedule.json", data=[("project", "govnews"), ("spider", "site"), *target, *fast], timeout=30
        ).json()
        assert scheduled["status"] == "ok", scheduled
        job_ids.append(scheduled["jobid"])

    finished, deadline = {}, time.monotonic() + 120
    while len(finished) < len(job_ids):
        jobs = requests.get(base + "listjobs.json", params={"project": "govnews"}, timeout=10).json()
        finished = {j["id"]: j for j in jobs["finished"] if j["id"] in job_ids}
        assert time.monotonic() < deadline, f"jobs not finished after 120 s: {jobs}\n{job_log(scrapyd, None)}"
        time.sleep(0.5)
    for job in finished.values():
        log = job_log(scrapyd, job)
        assert "Traceback" not in log and "'finish_reason': 'finished'" in log, log

    articles = {s["name"]: s["articles"] for s in manifest()}
    expected = {site.url(path) for site in (weidu, jiyang) for path in articles[site.name]}
    archive = sqlite_utils.Database(db)
    assert {row["url"] for row in archive["pages"].rows} == expected
    assert all(row["title"] for row in archive["pages"].rows)
    runs = {r["site"]: r for r in archive["crawl_runs"].rows}
    url_site = urllib.parse.urlsplit(weidu.list_url).netloc  # a config-less crawl is named after host:port
    assert {site: (r["spider"], r["status"], r["new_versions"]) for site, r in runs.items()} == {
        url_site: ("site", "finished", len(articles["weidu"])),
        "jiyang": ("site", "finished", len(articles["jiyang"])),
    }
    assert json.loads(runs["jiyang"]["start_urls"]) == [jiyang.list_url]
    # A crawl that Scrapyd ran counts for `govnews crawl --due`: jiyang is not due for 6 hours.
    (decision,) = due_sites(all_sites([str(sites)], bundled=False), load_runs(db))  # as --due --sites-dir reads
    assert decision.site == "jiyang" and not decision.due and "every 6h" in decision.reason
