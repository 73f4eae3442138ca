"""The faults of issue 15 on the scale-out (docs/scaling.md), with real processes and a real
redis-server: a worker killed mid-job, the writer killed between its commit and its
acknowledgement, Redis restarted mid-crawl; each archive checked against what a one-process
crawl of the same site archives.  The processes and helpers are tests/test_queue.py's."""

from __future__ import annotations

import signal

import pytest
import sqlite_utils
import test_queue as queue
from test_queue import DEAD_AFTER, archived, enqueue, one_process, wait_until, written

from crawler.redis_client import STREAM, STREAM_BYTES
from tests.support.cms import CmsServer, build_trs_site

pytestmark = pytest.mark.e2e

redis_server, procs = queue.redis_server, queue.procs  # test_queue's fixtures, fresh for each test here

# A writer that commits every few captures, so that what it has written tracks where the worker
# is: with the default batch a loaded machine lets the worker run ahead and the writer then
# commits the whole site at once, and "killed mid-job" would not be mid-job.
FOLLOWING = ("GOVNEWS_INGEST_BATCH=2",)


@pytest.fixture(scope="module")
def trs_40(tmp_path_factory):
    """A 40-article TRS site and what one `scrapy crawl` of it archives: the reference of the
    tests that crawl it through the queue (the site never changes, so one crawl serves them)."""
    spec = build_trs_site(tmp_path_factory.mktemp("trs"), 40, per_page=8)
    with CmsServer(spec) as server:
        reference = tmp_path_factory.mktemp("one-process") / "one.db"
        one_process(reference, [server.list_url])
        yield server, archived(reference)


def test_a_killed_worker_s_job_runs_again_and_the_archive_loses_and_doubles_nothing(
    trs_40, tmp_path, redis_server, procs
):
    server, reference = trs_40
    queued = tmp_path / "queued.db"
    enqueue(redis_server.url, queued, [server.list_url])
    writer = procs.ingest(redis_server.url, queued, *FOLLOWING)
    first = procs.worker(redis_server.url, "DOWNLOAD_DELAY=0.15", burst=False)
    wait_until(lambda: written(queued) >= 8)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = written(queued)
    second = procs.worker(redis_server.url, burst=False)
    procs.wait(writer)
    second.terminate()
    second.wait(timeout=60)
    assert killed_at < 40  # the first crawl really was cut short
    assert archived(queued) == reference
    runs = list(sqlite_utils.Database(queued).query("select status, job from crawl_runs order by id"))
    assert [r["status"] for r in runs] == ["interrupted", "finished"] and runs[0]["job"] == runs[1]["job"]


def test_a_writer_killed_between_commit_and_acknowledgement_writes_nothing_twice(trs_40, tmp_path, redis_server, procs):
    from archive.store import Archive
    from crawler.ingest import Writer
    from crawler.redis_client import connect

    server, reference = trs_40
    queued = tmp_path / "queued.db"
    enqueue(redis_server.url, queued, [server.list_url])
    procs.wait(procs.worker(redis_server.url))
    client = connect(redis_server.url)
    in_stream = client.xlen(STREAM)
    assert in_stream > 5

    class Killed(BaseException):
        pass

    class DiesBeforeAcknowledging(Writer):
        def _acknowledge(self, ids, size):
            raise Killed  # the process dies here: the batch is committed, the stream not told

    archive = Archive(queued)
    with pytest.raises(Killed):
        DiesBeforeAcknowledging(client, archive, batch=5, dead_after=DEAD_AFTER).run(burst=True)
    archive.close()
    assert written(queued) > 0 and client.xlen(STREAM) == in_stream  # committed, yet still in the stream
    output = procs.wait(procs.ingest(redis_server.url, queued))
    assert "5 already applied" in output, output[-2000:]
    assert archived(queued) == reference
    assert client.xlen(STREAM) == 0 and client.get(STREAM_BYTES) == b"0"  # each message's bytes counted off once
    snapshots = sqlite_utils.Database(queued).execute("select count(*), count(distinct url) from snapshots").fetchone()
    assert snapshots == (40, 40)


def test_redis_restarted_mid_crawl_the_crawl_completes(trs_40, tmp_path, redis_server, procs):
    server, reference = trs_40
    queued = tmp_path / "queued.db"
    enqueue(redis_server.url, queued, [server.list_url])
    writer = procs.ingest(redis_server.url, queued, *FOLLOWING)
    crawler = procs.worker(redis_server.url, "DOWNLOAD_DELAY=0.15")
    wait_until(lambda: written(queued) >= 5)
    redis_server.restart(down_for=1.5)
    restarted_at = written(queued)
    procs.wait(crawler)
    procs.wait(writer)
    assert restarted_at < 40
    assert archived(queued) == reference
