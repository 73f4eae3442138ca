"""Prometheus metrics (crawler/metrics.py, crawler/crawl_metrics.py, docs/monitoring.md): per-site
counters served on 127.0.0.1 while real `scrapy crawl` / `govnews crawl` processes crawl sites
served on 127.0.0.1, scraped by an HTTP client meanwhile; the node_exporter textfile they leave;
a `govnews worker` and the `govnews ingest` writer on a real Redis, each serving its own."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, REPO, finish, scrapy_crawl
from prometheus_client import CollectorRegistry, generate_latest

from crawler.demo.server import DemoServer, copy_sites, free_port
from crawler.metrics import (
    Families,
    MetricsConfig,
    MetricsError,
    SiteLabels,
    Textfile,
    compact,
    crawls_registry,
)
from tests.support.cms import CmsServer, build_trs_site
from tests.support.metrics import samples, scrape_while, value
from tests.support.redis_server import RedisServer

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
ARTICLES = 24
WEAK = 2  # articles whose body is cut to a line: short_body
GONE = 1  # an article the list links to that answers 404


class SlowServer(CmsServer):
    """0.05 s an answer: a crawl of a few seconds, time to scrape it meanwhile."""

    def _hit(self, target: str) -> None:
        time.sleep(0.05)
        super()._hit(target)


@pytest.fixture
def weak_site(tmp_path):
    """A TRS site: WEAK articles whose body is one short line, GONE that is missing (404)."""
    spec = build_trs_site(tmp_path / "trs", ARTICLES, per_page=8)
    paths = sorted(spec.articles)
    for path in paths[:WEAK]:
        page = spec.root / path.lstrip("/")
        html = page.read_text(encoding="utf-8")
        cut = re.sub(r'(<div class="TRS_Editor">).*?(</div></div>)', r"\1<p>详见附件。</p>\2", html, flags=re.S)
        assert cut != html
        page.write_text(cut, encoding="utf-8")
    for path in paths[WEAK : WEAK + GONE]:
        (spec.root / path.lstrip("/")).unlink()
    with SlowServer(spec) as server:
        yield server


# --- the parts ---------------------------------------------------------------------------


def test_site_labels_are_few_and_plain():
    labels = SiteLabels(limit=3)
    assert [labels(name) for name in ("weidu", "a\nb", "x" * 500)] == ["weidu", "a_b", "x" * 100]
    assert labels("weidu") == "weidu"  # known ones stay themselves past the limit
    assert labels("fourth") == labels("fifth") == "other"
    assert labels(None) == "other"


def test_a_metrics_setting_that_cannot_work_is_one_clear_error():
    assert MetricsConfig.from_settings({"GOVNEWS_METRICS_PORT": "9410"}).port == 9410
    for settings, words in (
        ({"GOVNEWS_METRICS_PORT": "abc"}, "GOVNEWS_METRICS_PORT must be a whole number"),
        ({"GOVNEWS_METRICS_PORT": "70000"}, "0-65535"),
        ({"GOVNEWS_METRICS_TEXTFILE": "/tmp/metrics.txt"}, "must end in .prom"),
    ):
        with pytest.raises(MetricsError, match=words):
            MetricsConfig.from_settings(settings)


def test_the_textfile_adds_to_the_counters_it_held_and_keeps_the_other_sites(tmp_path):
    path = tmp_path / "govnews.prom"
    first = Families(CollectorRegistry(), 10)
    first.articles.labels("a").inc(5)
    first.articles.labels("b").inc(2)
    first.last_success.labels("a").set(100)
    Textfile(str(path)).write(first.registry)
    later = Families(CollectorRegistry(), 10)  # another process, crawling site a only
    later.articles.labels("a").inc(3)
    later.last_success.labels("a").set(200)
    again = Textfile(str(path))
    again.write(later.registry)
    later.articles.labels("a").inc(1)
    again.write(later.registry)  # the file's old counts are added once, not at every write
    found = samples(path.read_text())
    assert value(found, "govnews_articles_total", site="a") == 5 + 3 + 1
    assert value(found, "govnews_articles_total", site="b") == 2
    assert value(found, "govnews_last_success_timestamp_seconds", site="a") == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["govnews.prom"]  # no temporary file left
    path.write_text("not { the text format\n")
    Textfile(str(path)).write(later.registry)  # a file that is not one: its counts start again
    assert value(samples(path.read_text()), "govnews_articles_total", site="a") == 4


COUNTING = """
from crawler.metrics import process_families
families = process_families()
families.articles.labels("a").inc({articles})
families.last_success.labels("a").set({success})
families.run_duration.labels("a").set({duration})
"""


def test_a_worker_s_crawls_add_up_and_their_files_are_compacted_between_crawls(tmp_path):
    folder = tmp_path / "multiproc"
    folder.mkdir()
    registry = crawls_registry(str(folder))
    crawls = [(5, 300, 7.5), (2, 100, 9.0), (4, 200, 3.0)]  # articles, last success, duration
    for articles, success, duration in crawls:  # one process a crawl, as a worker runs them
        program = COUNTING.format(articles=articles, success=success, duration=duration)
        env = {**ENV, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
        subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=60)
        compact(str(folder))
        assert len(list(folder.glob("*.db"))) == 3  # counter, gauge_max, gauge_mostrecent: whatever ran before
    found = samples(generate_latest(registry).decode())
    assert value(found, "govnews_articles_total", site="a") == 5 + 2 + 4
    assert value(found, "govnews_last_success_timestamp_seconds", site="a") == 300  # the latest success
    assert value(found, "govnews_run_duration_seconds", site="a") == 3.0  # the latest crawl's


# --- real crawls -------------------------------------------------------------------------


@pytest.mark.e2e
def test_scrapy_crawl_serves_per_site_counters_while_it_crawls(weak_site, tmp_path):
    port, textfile = free_port(), tmp_path / "crawl.prom"
    site = weak_site.base_url.split("//")[1]  # -a url= names the site after host:port
    started = time.time()
    process = scrapy_crawl(
        "-a",
        f"url={weak_site.list_url}",
        "-s",
        f"GOVNEWS_METRICS_PORT={port}",
        "-s",
        f"GOVNEWS_METRICS_TEXTFILE={textfile}",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        db=tmp_path / "archive.db",
        wait=False,
    )
    during = scrape_while(process, port, lambda found: (value(found, "govnews_articles_total", site=site) or 0) >= 3)
    finish(process)
    assert value(during, "govnews_pages_fetched_total", site=site) >= 3
    assert value(during, "govnews_run_duration_seconds", site=site) > 0
    assert value(during, "govnews_runs_total", site=site, status="finished") is None  # still crawling
    found = samples(textfile.read_text())
    assert value(found, "govnews_articles_total", site=site) == ARTICLES - GONE
    assert value(found, "govnews_new_versions_total", site=site) == ARTICLES - GONE
    assert value(found, "govnews_weak_records_total", site=site) == WEAK
    assert value(found, "govnews_failures_total", site=site, kind="http_404") == GONE
    assert value(found, "govnews_runs_total", site=site, status="finished") == 1
    # robots.txt, the list pages (3), the articles
    assert value(found, "govnews_pages_fetched_total", site=site) >= 1 + 3 + ARTICLES
    assert started < value(found, "govnews_last_success_timestamp_seconds", site=site) < time.time()
    # the labels: site names, kinds, statuses; never a URL
    assert {key for _, labels in found for key, _ in labels} == {"site", "kind", "status"}
    assert not any("/" in label for _, labels in found for _, label in labels)


@pytest.mark.e2e
def test_a_busy_metrics_port_is_one_line_and_the_crawl_goes_on(tmp_path):
    with socket.socket() as taken, DemoServer(copy_sites(tmp_path / "sites")) as demo:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        site = next(iter(demo.sites.values()))
        output = scrapy_crawl(
            "-a", f"url={site.list_url}", "-s", f"GOVNEWS_METRICS_PORT={port}", db=tmp_path / "archive.db"
        )  # finished, status 0, no traceback
        busy = subprocess.run(
            [str(BIN / "govnews"), "crawl", "--db", str(tmp_path / "c.db"), "--url", site.list_url]
            + ["--metrics-port", str(port)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
    lines = [line for line in output.splitlines() if "metrics:" in line]
    assert len(lines) == 1 and f"cannot serve metrics on 127.0.0.1:{port}" in lines[0], lines
    assert "Spider closed (finished)" in output
    assert busy.returncode == 1 and busy.stdout == ""
    assert busy.stderr == f"Error: cannot serve metrics on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "c.db").exists()  # refused before anything was crawled


@pytest.mark.e2e
def test_govnews_crawl_writes_every_site_to_the_textfile_and_adds_to_it_next_time(tmp_path):
    textfile = tmp_path / "node" / "govnews.prom"
    textfile.parent.mkdir()
    with DemoServer(copy_sites(tmp_path / "sites")) as demo:
        sites = list(demo.sites.values())[:2]
        command = [str(BIN / "govnews"), "crawl", "--db", str(tmp_path / "archive.db"), "--log-level", "WARNING"]
        command += [x for site in sites for x in ("--url", site.list_url)]
        command += ["--metrics-textfile", str(textfile)]
        runs = []
        for _ in range(2):  # the second crawl finds every article archived already
            result = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=120)
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
            runs.append(samples(textfile.read_text()))
    first, second = runs
    for site in sites:
        name = site.base_url.split("//")[1]
        articles = len(site.manifest["articles"])
        assert value(first, "govnews_articles_total", site=name) == articles
        assert value(first, "govnews_new_versions_total", site=name) == articles
        assert value(second, "govnews_new_versions_total", site=name) == articles  # none new, none lost
        assert value(second, "govnews_runs_total", site=name, status="finished") == 2
        assert value(second, "govnews_pages_fetched_total", site=name) > value(
            first, "govnews_pages_fetched_total", site=name
        )
        assert value(second, "govnews_last_success_timestamp_seconds", site=name) > value(
            first, "govnews_last_success_timestamp_seconds", site=name
        )
    assert sorted(p.name for p in textfile.parent.iterdir()) == ["govnews.prom"]


@pytest.mark.e2e
def test_a_worker_and_the_writer_each_serve_their_metrics(weak_site, tmp_path):
    site = weak_site.base_url.split("//")[1]
    worker_port, writer_port = free_port(), free_port()
    worker_file, writer_file = tmp_path / "worker.prom", tmp_path / "writer.prom"
    db = tmp_path / "queued.db"
    with RedisServer(tmp_path / "redis") as redis_server:
        url = redis_server.url
        queued = subprocess.run(
            [str(BIN / "govnews"), "crawl", "--queue", url, "--db", str(db), "--url", weak_site.list_url],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
        assert queued.returncode == 0, queued.stderr
        settings = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        worker = start(
            tmp_path / "worker.log",
            "worker", "--queue", url, "--burst",
            *pairs(*settings, f"GOVNEWS_METRICS_PORT={worker_port}", f"GOVNEWS_METRICS_TEXTFILE={worker_file}"),
        )  # fmt: skip
        writer = start(
            tmp_path / "writer.log",
            "ingest", "--queue", url, "--db", str(db), "--burst",
            *pairs(f"GOVNEWS_METRICS_PORT={writer_port}", f"GOVNEWS_METRICS_TEXTFILE={writer_file}"),
        )  # fmt: skip
        try:
            crawling = scrape_while(
                worker, worker_port, lambda found: (value(found, "govnews_articles_total", site=site) or 0) >= 3
            )
            writing = scrape_while(
                writer, writer_port, lambda found: (value(found, "govnews_new_versions_total", site=site) or 0) >= 3
            )
            logs = [wait(worker, tmp_path / "worker.log"), wait(writer, tmp_path / "writer.log")]
        finally:
            for process in (worker, writer):
                if process.poll() is None:
                    process.kill()
    assert all("Traceback" not in log for log in logs), logs
    assert value(crawling, "govnews_pages_fetched_total", site=site) >= 3
    assert value(crawling, "govnews_new_versions_total", site=site) is None  # the writer's to know
    assert value(writing, "govnews_ingest_captures_total", site=site) >= 3
    assert value(writing, "govnews_ingest_batches_total") >= 1
    worker_found, writer_found = samples(worker_file.read_text()), samples(writer_file.read_text())
    assert value(worker_found, "govnews_articles_total", site=site) == ARTICLES - GONE
    assert value(worker_found, "govnews_failures_total", site=site, kind="http_404") == GONE
    assert value(worker_found, "govnews_runs_total", site=site, status="finished") == 1
    assert value(writer_found, "govnews_new_versions_total", site=site) == ARTICLES - GONE
    assert value(writer_found, "govnews_weak_records_total", site=site) == WEAK
    assert value(writer_found, "govnews_ingest_captures_total", site=site) == ARTICLES  # the 404 is captured too
    assert value(writer_found, "govnews_ingest_messages_total", outcome="written") > ARTICLES
    assert value(writer_found, "govnews_ingest_messages_total", outcome="rejected") == 0
    assert value(writer_found, "govnews_ingest_lag_messages") == 0


def pairs(*settings: str) -> list[str]:
    return [x for setting in settings for x in ("-s", setting)]


def start(log: Path, *args: str) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([str(BIN / "govnews"), *args], stdout=out, stderr=subprocess.STDOUT, env=ENV)


def wait(process: subprocess.Popen, log: Path, timeout: float = 120) -> str:
    code = process.wait(timeout=timeout)
    output = log.read_text()
    assert code == 0, output[-4000:]
    return output
