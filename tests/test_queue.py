"""Scale-out on Redis (docs/scaling.md), with real processes: `govnews crawl --queue`, several
`govnews worker`, one `govnews ingest`, a real redis-server, sites served on 127.0.0.1, checked
against what a one-process crawl archives.  The faults of issue 15 (a worker, the writer, Redis
killed mid-crawl) are in tests/test_queue_faults.py, which uses this file's processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
import sqlite_utils
from conftest import BIN, REPO, finish, scrapy_crawl

from crawler.redis_client import STREAM
from tests.support.cms import CmsServer, build_feed_site, build_hanweb_site, build_paged_site, build_trs_site
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

DEAD_AFTER = 3  # seconds: a killed worker's job runs again this soon
QUICK = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_TIMEOUT=300"]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture
def redis_server(tmp_path):
    with RedisServer(tmp_path / "redis") as server:
        yield server


class Processes:
    """The govnews processes of one test, each logging to its own file; all stopped at the end."""

    def __init__(self, folder: Path):
        self.folder, self.running, self.count = folder, [], 0

    def start(self, *args: str) -> subprocess.Popen:
        self.count += 1
        log = open(self.folder / f"{self.count:02d}-{args[0]}.log", "w")  # noqa: SIM115 - closed by stop_all
        process = subprocess.Popen([str(BIN / "govnews"), *args], stdout=log, stderr=subprocess.STDOUT, env=ENV)
        process.log_path = log.name  # type: ignore[attr-defined]
        self.running.append((process, log))
        return process

    def worker(self, url: str, *settings: str, burst: bool = True) -> subprocess.Popen:
        pairs = [x for s in (*QUICK, f"GOVNEWS_QUEUE_DEAD_AFTER={DEAD_AFTER}", *settings) for x in ("-s", s)]
        return self.start("worker", "--queue", url, *(["--burst"] if burst else []), *pairs)

    def ingest(self, url: str, db: Path, *settings: str, burst: bool = True) -> subprocess.Popen:
        pairs = [x for s in (f"GOVNEWS_QUEUE_DEAD_AFTER={DEAD_AFTER}", *settings) for x in ("-s", s)]
        return self.start("ingest", "--queue", url, "--db", str(db), *(["--burst"] if burst else []), *pairs)

    def wait(self, process: subprocess.Popen, timeout: float = 240) -> str:
        code = process.wait(timeout=timeout)
        output = Path(process.log_path).read_text()  # type: ignore[attr-defined]
        assert code == 0, output[-4000:]
        return output

    def stop_all(self) -> None:
        for process, log in self.running:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


@pytest.fixture
def procs(tmp_path):
    processes = Processes(tmp_path)
    yield processes
    processes.stop_all()


def govnews(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "govnews"), *args], capture_output=True, text=True, env=ENV, timeout=120)


def enqueue(url: str, db: Path, list_urls: list[str]) -> str:
    result = govnews("crawl", "--queue", url, "--db", str(db), *[x for u in list_urls for x in ("--url", u)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_process(db: Path, list_urls: list[str]) -> None:
    """The reference: each site crawled by its own `scrapy crawl`, into a plain archive file."""
    processes = [scrapy_crawl("-a", f"url={u}", "-s", "DOWNLOAD_TIMEOUT=300", db=db, wait=False) for u in list_urls]
    with ThreadPoolExecutor(len(processes)) as pool:
        list(pool.map(finish, processes))


def archived(db: Path) -> dict:
    """What an archive holds, as comparable data: the pages and their content, every version
    (a page's versions, in order), the failures."""
    d = sqlite_utils.Database(db)
    return {
        "pages": {r["url"]: (r["content_hash"], r["status"], r["title"]) for r in d.query("select * from pages")},
        "versions": sorted(
            (r["url"], r["version"], r["content_hash"])
            for r in d.query("select url, version, content_hash from versions")
        ),
        "failures": sorted((r["url"], r["stage"]) for r in d.query("select url, stage from failures")),
    }


def written(db: Path) -> int:
    if not db.exists():
        return 0
    d = sqlite_utils.Database(db)
    return d["snapshots"].count if d["snapshots"].exists() else 0


def wait_until(condition, timeout: float = 120, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


# Every kind of generated CMS site (tests/support/cms.py), small.
CMS_SITES = {
    "trs": lambda root: build_trs_site(root, 30, per_page=8),
    "trs-gbk": lambda root: build_trs_site(root, 20, per_page=10, encoding="gbk", pager="div"),
    "hanweb": lambda root: build_hanweb_site(root, 25, per_page=5),
    "paged": lambda root: build_paged_site(root, 16, per_page=4),
    "feed": lambda root: build_feed_site(root, 15, per_sitemap=6),
}


def copy_of(db: Path, target: Path) -> Path:
    """A copy of an archive other tests read, WAL and all (SQLite's backup)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


def test_three_workers_and_one_writer_archive_what_one_process_archives(demo_archive, tmp_path, redis_server, procs):
    # The reference: the session's demo sites as their one-process crawls archived them (each by
    # its own `scrapy crawl`, conftest's demo_archive), and each CMS site crawled so into a copy.
    demo = demo_archive["server"]
    with ExitStack() as stack:
        cms = [stack.enter_context(CmsServer(build(tmp_path / name))) for name, build in CMS_SITES.items()]
        urls = [site.list_url for site in demo.sites.values()] + [server.list_url for server in cms]
        one_process(copy_of(demo_archive["db"], tmp_path / "one.db"), [server.list_url for server in cms])
        queued = tmp_path / "queued.db"
        print(enqueue(redis_server.url, queued, urls))
        workers = [procs.worker(redis_server.url) for _ in range(3)]
        writer = procs.ingest(redis_server.url, queued)
        logs = [procs.wait(w) for w in workers]
        procs.wait(writer)
    assert archived(queued) == archived(tmp_path / "one.db")
    articles = 5 * 4 + 30 + 20 + 25 + 16 + 15
    assert len(archived(queued)["pages"]) == articles
    d = sqlite_utils.Database(queued)
    # Each article captured once, each site's run finished with the archive's own counts.
    assert d.execute("select count(*) from snapshots").fetchone()[0] == articles
    runs = list(d.query("select * from crawl_runs"))
    assert len(runs) == 10 and {r["status"] for r in runs} == {"finished"}
    assert sum(r["new_versions"] for r in runs) == articles and all(r["job"] and r["pid"] is None for r in runs)
    assert sum("Job OK" in log for log in logs) >= 2  # the jobs were shared out
    # What site health reads is written through the stream too, and the writer judges each run as
    # a one-process crawl judges itself at its end (the workers cannot read the archive).
    one = sqlite_utils.Database(tmp_path / "one.db")
    counted = "select site, list_links, new_articles, weak_records, health from crawl_runs order by site"
    assert list(d.query(counted)) == list(one.query(counted))
    assert all(r["list_links"] and r["new_articles"] == r["new_versions"] and r["health"] == "ok" for r in runs)
    health = govnews("health", "--json", "--db", str(queued))
    assert health.returncode == 0, health.stderr
    assert [(h["status"], h["reasons"]) for h in json.loads(health.stdout)] == [("ok", [])] * 10
    status = govnews("queue", "--queue", redis_server.url)
    assert status.returncode == 0 and "0 queued, 0 running, 0 failed" in status.stdout, status.stdout


def test_a_slow_writer_keeps_the_stream_within_its_bound_and_the_workers_wait(tmp_path, redis_server, procs):
    bound = 4
    specs = [build_trs_site(tmp_path / f"trs{i}", 25, per_page=10) for i in range(2)]
    with CmsServer(specs[0]) as a, CmsServer(specs[1]) as b:
        urls = [a.list_url, b.list_url]
        one_process(tmp_path / "one.db", urls)
        queued = tmp_path / "queued.db"
        enqueue(redis_server.url, queued, urls)
        client = redis.Redis.from_url(redis_server.url)
        lengths, done = [], threading.Event()

        def watch():
            while not done.is_set():
                lengths.append(client.xlen(STREAM))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        workers = [procs.worker(redis_server.url, f"GOVNEWS_QUEUE_STREAM_MAX={bound}") for _ in range(2)]
        wait_until(lambda: client.xlen(STREAM) >= bound)
        time.sleep(3)  # no writer yet: the workers wait at the bound
        assert client.xlen(STREAM) == bound and all(w.poll() is None for w in workers)
        waiting = json.loads(govnews("queue", "--queue", redis_server.url, "--json").stdout)["stream"]
        in_stream = sum(len(fields[b"m"]) for _, fields in client.xrange(STREAM))
        assert (waiting["length"], waiting["bytes"]) == (bound, in_stream)  # what the writer has still to write
        writer = procs.ingest(redis_server.url, queued, "GOVNEWS_INGEST_BATCH=1")
        logs = [procs.wait(w) for w in workers]
        procs.wait(writer)
        done.set()
        watcher.join()
    assert max(lengths) == bound
    assert any("waiting to send to the writer: the stream is full" in log for log in logs)
    assert archived(queued) == archived(tmp_path / "one.db")


def test_a_recrawl_through_the_queue_on_another_worker_fetches_what_a_one_process_recrawl_fetches(
    tmp_path, redis_server, procs
):
    spec = build_trs_site(tmp_path / "trs", 30, per_page=10)
    queued = tmp_path / "queued.db"
    with CmsServer(spec) as server:
        for _ in range(2):
            server.reset_hits()
            enqueue(redis_server.url, queued, [server.list_url])
            procs.wait(procs.worker(redis_server.url))  # a new worker process each time
            procs.wait(procs.ingest(redis_server.url, queued))
        hits = dict(server.hits)
    assert hits == {"/robots.txt": 1, spec.list_path: 1}
    d = sqlite_utils.Database(queued)
    runs = list(d.query("select status, new_versions, pages_fetched, skipped_known from crawl_runs order by id"))
    assert runs[1]["status"] == "finished" and (runs[1]["new_versions"], runs[1]["pages_fetched"]) == (0, 0)
    assert runs[1]["skipped_known"] == 10 and d["pages"].count == 30


def test_a_site_queued_or_running_is_not_queued_again(tmp_path, redis_server):
    url = "http://127.0.0.1:9/zwxx/index.html"
    assert "queued as job" in enqueue(redis_server.url, tmp_path / "a.db", [url])
    again = enqueue(redis_server.url, tmp_path / "a.db", [url])
    assert "already queued as job" in again
    status = govnews("queue", "--queue", redis_server.url)
    assert "1 queued, 0 running, 0 failed" in status.stdout and "127.0.0.1:9" in status.stdout
    assert not (tmp_path / "a.db").exists()  # enqueueing reads an archive, it never makes one


@pytest.mark.parametrize(
    "args, message",
    [
        (["crawl", "--queue", "notaurl", "--url", "http://127.0.0.1:9/"], "not a Redis URL: 'notaurl'"),
        (["crawl", "--queue", "redis://127.0.0.1:9/0", "--url", "http://127.0.0.1:9/"], "cannot reach the queue"),
        (["crawl", "--queue", "redis://127.0.0.1:9/0", "--url", "notaurl"], "not an http(s) URL"),
        (["worker", "--queue", "redis://127.0.0.1:9/0", "--burst"], "cannot reach the queue"),
        (["ingest", "--queue", "redis://127.0.0.1:9/0", "--burst"], "cannot reach the queue"),
        (["queue", "--queue", "redis://127.0.0.1:9/0"], "cannot reach the queue"),
        (["worker", "--queue", "redis://127.0.0.1:9/0", "-s", "NOEQUALS"], "-s takes NAME=VALUE"),
    ],
)
def test_bad_queue_input_gets_one_line_and_a_non_zero_exit(tmp_path, args, message):
    result = subprocess.run(
        [str(BIN / "govnews"), *args], capture_output=True, text=True, env=ENV, timeout=60, cwd=tmp_path
    )
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())  # nothing written
