"""`govnews queue`: what the crawl queue holds, read without changing anything in Redis."""

from __future__ import annotations

import time

from crawler.jobs import describe_jobs
from crawler.redis_client import STREAM, STREAM_BYTES, WRITER_GROUP, WRITER_STATUS, display


def queue_status(client) -> dict:
    jobs = describe_jobs(client)
    length = client.xlen(STREAM)
    group = next((g for g in _groups(client) if g.get("name") == WRITER_GROUP), None)
    oldest = client.xrange(STREAM, count=1)
    writer = {k.decode(): v.decode() for k, v in client.hgetall(WRITER_STATUS).items()}
    return {
        "jobs": {name: len(rows) for name, rows in jobs.items()},
        "queued": jobs["queued"],
        "running": jobs["running"],
        "failed": jobs["failed"],
        "stream": {
            "name": STREAM,
            "length": length,
            "bytes": int(client.get(STREAM_BYTES) or 0) if length else 0,  # the messages' compressed size
            # Written messages leave the stream, so its length is what the writer has still to write.
            "writer_lag": length,
            "pending": group.get("pending") if group else None,
            "oldest_age_s": round(time.time() - int(oldest[0][0].split(b"-")[0]) / 1000, 1) if oldest else None,
            "has_writer_group": group is not None,
        },
        "writer": {
            "last_commit_at": writer.get("at"),
            "written": int(writer.get("written", 0)),
            "pid": writer.get("pid"),
            "host": writer.get("host"),
        },
    }


def _groups(client) -> list[dict]:
    if not client.exists(STREAM):
        return []
    return [
        {(k.decode() if isinstance(k, bytes) else k): _text(v) for k, v in g.items()}
        for g in client.xinfo_groups(STREAM)
    ]


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def format_status(status: dict, url: str) -> str:
    counts = status["jobs"]
    lines = [f"queue {display(url)}: {counts['queued']} queued, {counts['running']} running, {counts['failed']} failed"]
    for row in status["running"]:
        lines.append(
            f"  running  {row['site']:<24} job {row['id']}  on {row['worker'] or '?'} since {row['started_at']}"
        )
    for row in status["queued"]:
        lines.append(f"  queued   {row['site']:<24} job {row['id']}  since {row['enqueued_at']}")
    for row in status["failed"]:
        lines.append(f"  failed   {row['site']:<24} job {row['id']}  {row['error'] or ''}")
    stream, writer = status["stream"], status["writer"]
    age = f", the oldest {stream['oldest_age_s']} s old" if stream["oldest_age_s"] is not None else ""
    lines.append(
        f"stream {stream['name']}: {stream['length']} messages ({stream['bytes']:,} bytes) not yet written{age}"
    )
    if writer["last_commit_at"]:
        lines.append(
            f"writer: {writer['written']} messages written, last commit {writer['last_commit_at']}"
            f" (pid {writer['pid']} on {writer['host']})"
        )
    else:
        lines.append("writer: none has written yet (start `govnews ingest --queue URL --db PATH`)")
    return "\n".join(lines)
