"""The queue's parts against a real redis-server: host locks, the bounded stream, the writer."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest
import redis

from archive.crawl_state import CrawlStateView
from archive.oplog import Operation, decode, encode
from archive.store import Archive
from crawler.alerts import AlertConfig
from crawler.archive_run import ArchiveRun
from crawler.health import health_config
from crawler.host_lock import HostLocks, site_hosts
from crawler.ingest import Writer
from crawler.redis_client import STREAM, STREAM_BYTES, connect, display
from crawler.run import govnews_settings
from crawler.stream import StreamArchive
from tests.support.redis_server import RedisServer
from tests.support.webhook import WebhookServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture
def client(server):
    client = connect(server.url)
    client.flushdb()
    yield client
    client.close()


def test_site_hosts_are_the_servers_of_the_start_urls():
    urls = ["http://WWW.Weidu.gov.cn/a/", "https://www.weidu.gov.cn/b", "http://127.0.0.1:8080/x", "mailto:x@y"]
    assert site_hosts(urls) == ["127.0.0.1:8080", "www.weidu.gov.cn"]


def test_a_job_takes_all_its_hosts_or_none(client):
    first = HostLocks(client, ["a.example"], owner="job-1", ttl=30)
    second = HostLocks(client, ["b.example", "a.example"], owner="job-2", ttl=30)
    assert first.try_take() is None
    assert second.try_take() == "job-1"
    assert client.get("govnews:host:b.example") is None  # nothing half-taken
    assert first.try_take() is None  # its own lock again: still its own
    client.delete("govnews:host:a.example")
    assert second.try_take() is None and {client.get(k) for k in second.keys} == {b"job-2"}


def test_locks_are_renewed_while_held_and_lapse_when_their_holder_is_gone(client):
    holder = HostLocks(client, ["a.example"], owner="job-1", ttl=0.6)
    other = HostLocks(client, ["a.example"], owner="job-2", ttl=0.6)
    with holder.held():
        time.sleep(1.5)  # past its TTL twice over: renewed meanwhile
        assert other.try_take() == "job-1"
    assert other.try_take() is None  # let go at the end
    assert HostLocks(client, ["a.example"], owner="job-3", ttl=0.6).try_take() == "job-2"
    time.sleep(0.8)  # job-2 never renews (its worker died): the lock lapses
    assert HostLocks(client, ["a.example"], owner="job-3", ttl=0.6).try_take() is None


def test_a_held_lock_makes_the_next_job_wait(client):
    holder = HostLocks(client, ["a.example"], owner="job-1", ttl=5)
    order = []
    with holder.held():
        waiter = threading.Thread(target=lambda: _take_and_note(client, order))
        waiter.start()
        time.sleep(0.5)
        order.append("released")
    waiter.join(timeout=10)
    assert order == ["released", "taken"]


def _take_and_note(client, order):
    with HostLocks(client, ["a.example"], owner="job-2", ttl=5).held(poll=0.05):
        order.append("taken")


def test_the_stream_never_outgrows_its_bound_and_keeps_each_crawls_order(client, server):
    bound, lengths, received, stop = 3, [], [], threading.Event()
    reader = redis.Redis.from_url(server.url)  # the writer's own connection

    def slow_writer():
        while not stop.is_set():
            lengths.append(reader.xlen(STREAM))
            entries = reader.xrange(STREAM, count=1)
            if entries:
                time.sleep(0.03)
                reader.xdel(STREAM, entries[0][0])
                received.append(decode(entries[0][1][b"m"]))

    async def crawl(archive: StreamArchive, pages: int):
        async def page(n):
            await asyncio.sleep(0.01 * n)  # pages reach the archive stage one after another
            archive.add_failure(url=f"http://a.example/{archive.producer}/{n}", stage="link", error="x")
            await archive.flush()

        await asyncio.gather(*(page(n) for n in range(pages)))

    archives = [StreamArchive(client, maxlen=bound, maxbytes=2**30, state=CrawlStateView()) for _ in range(3)]
    thread = threading.Thread(target=slow_writer)

    async def crawls():
        sending = asyncio.gather(*(crawl(a, 8) for a in archives))
        while reader.xlen(STREAM) < bound:  # no writer yet: the stream fills up to its bound …
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        assert reader.xlen(STREAM) == bound and not sending.done()  # … and the crawls wait there
        thread.start()
        await sending

    asyncio.run(crawls())
    while reader.xlen(STREAM):
        time.sleep(0.05)
    stop.set()
    thread.join()
    assert max(lengths) <= bound
    for archive in archives:
        mine = [op.kwargs["url"] for key, ops in received if archive.producer in key for op in ops]
        assert mine == [f"http://a.example/{archive.producer}/{n}" for n in range(8)]  # all, in order


def test_the_stream_is_bounded_in_bytes_and_the_writer_counts_them_off(client, server, tmp_path):
    # Pages of megabytes would fill Redis long before 500 messages: 2 incompressible pages of
    # 40 KB fit in 100 KB, a 3rd waits for the writer; one larger than the bound goes alone.
    small, large = [random.randbytes(40_000) for _ in range(5)], random.randbytes(150_000)
    stream = StreamArchive(client, maxlen=100, maxbytes=100_000, state=CrawlStateView())
    sizes = []

    def in_stream() -> tuple[int, int]:  # read in one step: the writer may take messages meanwhile
        length, size = client.pipeline(transaction=True).xlen(STREAM).get(STREAM_BYTES).execute()
        return length, int(size or 0)

    async def send(bodies):
        for body in bodies:
            stream.add_snapshot(url=f"http://a.example/{len(sizes)}", status=200, headers={}, body=body)
            await stream.flush()
            sizes.append(in_stream())

    def write(sent: threading.Event):  # the writer, in its own thread with its own archive connection
        writer = Writer(connect(server.url), Archive(tmp_path / "a.db"), batch=1, dead_after=3)
        writer.ensure_group()
        while not sent.is_set():
            writer.step()
        writer.run(burst=True)
        writer.archive.close()

    async def waits_for_the_writer(bodies, held: int):
        sending, sent = asyncio.ensure_future(send(bodies)), threading.Event()
        while in_stream()[0] < held:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        assert not sending.done() and in_stream()[0] == held  # the next page does not fit: it waits
        thread = threading.Thread(target=write, args=(sent,))
        thread.start()
        await sending
        sent.set()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    asyncio.run(waits_for_the_writer(small, held=2))
    assert max(length for length, _ in sizes) <= 2 and max(size for _, size in sizes) <= 100_000
    asyncio.run(send([large]))  # into the empty stream, alone, though over the bound
    length, size = sizes[-1]
    assert length == 1 and size > 150_000
    asyncio.run(waits_for_the_writer(small[:1], held=1))  # nothing fits beside it
    assert in_stream() == (0, 0)  # the writer counted every byte off
    archive = Archive(tmp_path / "a.db", read_only=True)
    assert [archive.snapshot_body(n) for n in range(1, 8)] == [*small, large, small[0]]


def test_the_writer_records_a_bad_message_and_goes_on(client, tmp_path):
    archive = Archive(tmp_path / "a.db")
    good = encode("msg:p:1", [Operation("add_failure", {"url": "http://a.example/x", "stage": "link", "error": "bad"})])
    client.xadd(STREAM, {"m": b"\x28\xb5\x2f\xfd garbage"})
    client.xadd(STREAM, {"m": good})
    client.xadd(STREAM, {"m": good})  # the same message twice (a worker's send retried)
    writer = Writer(client, archive, batch=10, dead_after=3)
    writer.run(burst=True)
    rows = list(archive.db.query("select url, stage, error from failures order by id"))
    assert rows[0]["stage"] == "ingest" and rows[0]["url"].startswith("redis-stream:govnews:captures/")
    assert "not a govnews archive message" in rows[0]["error"]
    assert [r["url"] for r in rows[1:]] == ["http://a.example/x"]
    assert (writer.written, writer.duplicates, writer.rejected) == (1, 1, 1)
    assert client.xlen(STREAM) == 0 and client.xpending(STREAM, "writer")["pending"] == 0


def test_the_writer_judges_each_finished_run_and_alerts_a_change_of_health(client, tmp_path):
    """A queued crawl's health is the writer's to judge (its worker cannot read the archive)."""
    archive = Archive(tmp_path / "a.db")
    with WebhookServer() as hook:
        alerts = AlertConfig(hook.hook_url, "slack", 5)
        writer = Writer(
            client, archive, batch=10, dead_after=3, health=health_config(govnews_settings()), alerts=alerts
        )
        for links in (6, 0, 0):  # the list page's links, then a maintenance notice twice
            stream = StreamArchive(client, maxlen=100, maxbytes=2**30, state=CrawlStateView())
            run = stream.start_run("site", "weidu", ["http://weidu.example/list.html"])
            stream.finish_run(run, "finished", {"list_pages": 1, "list_links": links})
            asyncio.run(stream.flush())
            writer.run(burst=True)
        bodies = list(hook.bodies)
    rows = archive.db.execute("select list_links, health, health_alert from crawl_runs order by id").fetchall()
    assert rows == [(6, "ok", None), (0, "failing", "sent (slack, HTTP 200)"), (0, "failing", None)]
    [body] = bodies
    assert body["text"].startswith(
        "govnews: site weidu is failing (was ok)\n- The list pages yielded no article links in the last crawl"
    )
    archive.close()


def test_a_crawl_without_a_queue_has_its_archive_file_as_before(tmp_path):
    from conftest import project_crawler

    run = ArchiveRun(project_crawler(ARCHIVE_DB=str(tmp_path / "a.db")))
    assert isinstance(run.archive, Archive) and run.archive.path == tmp_path / "a.db"
    run.archive.close()


def test_a_crawl_with_a_queue_writes_no_file_and_sends_its_writes(tmp_path, server, client):
    from conftest import project_crawler

    run = ArchiveRun(project_crawler(ARCHIVE_DB=str(tmp_path / "a.db"), GOVNEWS_QUEUE=server.url))
    archive = run.archive
    assert isinstance(archive, StreamArchive)
    run_ref = archive.start_run("site", "a", ["http://a.example/"])
    archive.add_snapshot(url="http://a.example/1", status=200, headers={}, body=b"<p>x</p>", crawl_run_id=run_ref)
    asyncio.run(run.settle())
    archive.close()
    (entry,) = client.xrange(STREAM)
    _, ops = decode(entry[1][b"m"])
    assert [op.method for op in ops] == ["start_run", "add_snapshot"] and ops[1].kwargs["crawl_run_id"] == run_ref
    assert not (tmp_path / "a.db").exists()


def test_queue_urls_are_shown_without_their_password():
    assert display("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert display("redis://user:s3cret@10.0.0.5:6379/0") == "redis://user:***@10.0.0.5:6379/0"
    assert display("redis://10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"
