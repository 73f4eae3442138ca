"""The Redis a queued crawl runs on: one connection helper and the names of every key govnews uses.

Every client reconnects by itself: a Redis restarted (or a network blip) costs its callers a
wait of up to ~15 s, not an error. Longer outages raise, and the loops that use Redis
(the worker's heartbeat, the crawl's stream, the writer) wait and try again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

PREFIX = "govnews:"
QUEUE_NAME = "govnews"  # the RQ queue of crawl jobs
STREAM = PREFIX + "captures"  # what workers send the writer
STREAM_BYTES = PREFIX + "captures:bytes"  # the size of the messages in it: added by workers, taken off by the writer
WRITER_GROUP = "writer"  # the stream's consumer group, read by `govnews ingest`
WRITER_CONSUMER = "writer"  # one writer: a restarted writer takes over its own pending messages
WRITER_STATUS = PREFIX + "writer"  # hash: when the writer last committed, how much
JOBS = PREFIX + "jobs"  # set: the ids of jobs queued and not yet over (crawler/jobs.py)

CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class QueueError(ValueError):
    """A queue URL or a queue that cannot be used; the message says why, in one line."""


def state_key(job_id: str) -> str:
    """The incremental state a job's crawl reads (archive/crawl_state.py), zstd-compressed JSON."""
    return f"{PREFIX}state:{job_id}"


def host_key(host: str) -> str:
    return f"{PREFIX}host:{host}"


def site_key(site: str) -> str:
    """The id of the site's latest job, so a site is not queued twice."""
    return f"{PREFIX}site:{site}"


def connect(url: str, *, reconnect: bool = True) -> redis.Redis:
    """A client of the queue's Redis; with `reconnect`, one that rides out a restart."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.hostname):
        raise QueueError(f"not a Redis URL: {display(url)!r} (give redis://HOST:PORT/DB)")
    try:
        return redis.Redis.from_url(
            url,
            retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=12 if reconnect else 0),
            retry_on_error=list(CONNECTION_ERRORS),
            socket_connect_timeout=5,
            health_check_interval=30,
        )
    except ValueError as exc:  # a port that is no number, a database that is no index …
        raise QueueError(f"not a Redis URL: {display(url)!r}: {exc}") from exc


def check(url: str) -> None:
    """One clear line, at once, when the queue's Redis cannot be reached (a typo, a server down)."""
    client = connect(url, reconnect=False)
    try:
        client.ping()
    except CONNECTION_ERRORS as exc:
        raise QueueError(f"cannot reach the queue at {display(url)}: {exc}") from exc
    except redis.exceptions.ResponseError as exc:  # NOAUTH, WRONGPASS …
        raise QueueError(f"the queue at {display(url)} refused us: {exc}") from exc
    finally:
        client.close()


def display(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + netloc).geturl()
