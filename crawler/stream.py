"""A crawl's archive when it runs on a queue worker (`-s GOVNEWS_QUEUE=redis://…`).

`StreamArchive` has the methods of `archive.store.Archive` that a crawl calls. Writes become
operations (archive/oplog.py) kept in order in an outbox; the archive pipeline sends the outbox
as one message to the Redis stream the writer (`govnews ingest`) reads, after each item and
when the spider closes. Reads are answered from the incremental state the job brought
(archive/crawl_state.py), taken from the archive when the job was enqueued.

The stream is bounded (GOVNEWS_QUEUE_STREAM_MAX messages and GOVNEWS_QUEUE_STREAM_MAX_BYTES
bytes): a message is added only while the stream has room for it, checked and added in one step
in Redis, so however many workers send, it never grows past either bound. A crawl whose message
finds no room waits, without blocking the reactor: its items stop at the archive stage, Scrapy
stops taking responses, and the crawl goes on once the writer catches up.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import uuid

import zstandard

from archive.crawl_state import CrawlStateView
from archive.oplog import Operation, encode
from crawler.common import utcnow
from crawler.redis_client import CONNECTION_ERRORS, STREAM, STREAM_BYTES, connect, state_key

logger = logging.getLogger(__name__)

# XADD only while the stream is shorter than its bound and the message fits in its bytes (a
# message larger than them goes alone, into an empty stream); nil when it is full. The byte count
# (KEYS[2]) is the writer's to lower; an empty stream starts it again from 0.
ADD_IF_ROOM = """
local length = redis.call('XLEN', KEYS[1])
if length >= tonumber(ARGV[1]) then return false end
local size = string.len(ARGV[2])
if length == 0 then
  redis.call('SET', KEYS[2], 0)
elseif tonumber(redis.call('GET', KEYS[2]) or '0') + size > tonumber(ARGV[3]) then
  return false
end
redis.call('INCRBY', KEYS[2], size)
return redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
"""
WAIT_FIRST, WAIT_MAX = 0.05, 1.0  # seconds between tries while the stream is full or Redis away


def load_state(client, job_id: str) -> CrawlStateView:
    """The job's incremental state; a crawl without one (run by hand, or its state expired)
    fetches as into a new archive, which loses nothing."""
    if not job_id:
        return CrawlStateView()
    blob = client.get(state_key(job_id))
    if blob is None:
        logger.warning("job %s has no incremental state in the queue: every article is fetched", job_id)
        return CrawlStateView()
    return CrawlStateView(json.loads(zstandard.ZstdDecompressor().decompress(blob)))


class StreamArchive:
    def __init__(self, client, *, maxlen: int, maxbytes: int, state: CrawlStateView, job: str | None = None):
        self.client, self.maxlen, self.maxbytes, self.state, self.job = client, maxlen, maxbytes, state, job or None
        self.producer = uuid.uuid4().hex  # names this crawl's refs and messages
        self._numbers = itertools.count(1)
        self.outbox: list[Operation] = []
        self._sending = asyncio.Lock()  # messages leave in the order their operations were made
        self._add = client.register_script(ADD_IF_ROOM)
        self.messages = 0

    @classmethod
    def from_settings(cls, settings) -> StreamArchive:
        client = connect(settings.get("GOVNEWS_QUEUE"))
        job = settings.get("GOVNEWS_QUEUE_JOB")
        return cls(
            client,
            maxlen=settings.getint("GOVNEWS_QUEUE_STREAM_MAX"),
            maxbytes=settings.getint("GOVNEWS_QUEUE_STREAM_MAX_BYTES"),
            state=load_state(client, job),
            job=job,
        )

    def _ref(self, kind: str) -> str:
        return f"{kind}:{self.producer}:{next(self._numbers)}"

    def _write(self, method: str, ref: str | None = None, **kwargs) -> str | None:
        self.outbox.append(Operation(method, kwargs, ref))
        return ref

    # --- the writes of a crawl (archive/store.py has what each one does) ----------------
    def start_run(self, spider, site, start_urls, *, user_agent=None) -> str | None:
        return self._write(
            "start_run",
            self._ref("run"),
            spider=spider,
            site=site,
            start_urls=list(start_urls),
            user_agent=user_agent,
            started_at=utcnow(),
            job=self.job or f"stream:{self.producer}",
        )

    def finish_run(self, run_id, status: str, counters: dict | None = None) -> dict:
        self._write("finish_run", run_id=run_id, status=status, counters=counters, finished_at=utcnow())
        return dict(counters or {})  # the archive's own counts are the writer's to make

    def add_snapshot(self, **kwargs) -> str | None:
        kwargs.setdefault("fetched_at", utcnow())
        return self._write("add_snapshot", self._ref("snap"), **kwargs)

    def add_failure(self, **kwargs) -> None:
        self._write("add_failure", at=utcnow(), **kwargs)

    def note_redirect(self, request_url: str, url: str, **kwargs) -> bool:
        if request_url == url:
            return False
        self._write("note_redirect", request_url=request_url, url=url, **kwargs)
        page = self.state.known_page(request_url)
        return bool(page) and page.get("status") != "moved"

    def mark_checked(self, url: str, **kwargs) -> bool:
        self._write("mark_checked", url=url, **kwargs)
        return True

    def mark_gone(self, url: str, **kwargs) -> bool:
        self._write("mark_gone", url=url, **kwargs)
        return self.state.known_page(url) is not None

    def add_record(self, record, **kwargs) -> None:
        self._write("add_record", record=record, **kwargs)
        return None  # new version or not: the writer decides, against the archive

    def add_attachment(self, *, url: str, body: bytes | None = None, **kwargs) -> dict:
        self._write("add_attachment", url=url, body=body, **kwargs)
        row = {"url": url, **kwargs}
        if body is not None:
            row["sha256"], row["size"] = hashlib.sha256(body).hexdigest(), len(body)
        return row

    # --- the reads, from the job's state -------------------------------------------------
    def known_page(self, url: str):
        return self.state.known_page(url)

    def previous_run_status(self, site: str, run_id=None):
        return self.state.previous_run_status(site)

    def failed_in_previous_run(self, site: str, run_id=None):
        return self.state.failed_in_previous_run(site)

    def known_attachment(self, page_url: str, url: str):
        return self.state.known_attachment(page_url, url)

    def stored_attachment(self, url: str):
        return self.state.stored_attachment(url)

    # --- sending -------------------------------------------------------------------------
    async def flush(self) -> None:
        """Send what the outbox holds as one message, waiting while the stream is full."""
        async with self._sending:
            if not self.outbox:
                return
            ops, self.outbox = self.outbox, []
            message = encode(f"msg:{self.producer}:{next(self._numbers)}", ops)
            wait, waited = WAIT_FIRST, False
            while True:
                try:
                    if self._add(keys=[STREAM, STREAM_BYTES], args=[self.maxlen, message, self.maxbytes]) is not None:
                        break
                    why = "the stream is full"
                except CONNECTION_ERRORS as exc:
                    why = f"Redis is unreachable ({exc})"
                if not waited:
                    logger.info("waiting to send to the writer: %s", why)
                    waited = True
                await asyncio.sleep(wait)
                wait = min(wait * 2, WAIT_MAX)
            self.messages += 1

    def close(self) -> None:
        if self.outbox:
            logger.error("%d archive operations were never sent to the writer", len(self.outbox))
        self.client.close()
