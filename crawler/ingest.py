"""The one writer of a queued archive (`govnews ingest`): the stream in, the SQLite file out.

It reads the stream through its consumer group, applies up to GOVNEWS_INGEST_BATCH messages in
one transaction with the archive code a one-process crawl uses (archive/oplog.py), and only
after the commit acknowledges and deletes them. Killed between the two, it reads the same
messages again when it starts (they are still pending for it) and the archive, which
remembers each message's key, applies none of them twice. A message that cannot be applied is
a `failures` row (stage `ingest`) with its reason, and is acknowledged, so one bad message
never holds the others back.

Once a batch holding a run's finish is committed, the writer judges the run's site, as a crawl
does at its end in one process (crawler/health.py): the verdict goes to the run's `health`
columns, and a change of status to the alert webhook of the writer's own settings.

The writer is also the queue's janitor: every few seconds it puts the jobs of dead workers back
on the queue (crawler/jobs.py), so a job is retried even when every other worker is busy.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time

from archive import oplog
from archive.health import OK, HealthConfig, alert_due, judge_finished_run
from crawler.alerts import AlertConfig, deliver
from crawler.common import utcnow
from crawler.jobs import clean_registries, unfinished_jobs
from crawler.metrics import WEAK_WARNINGS, MetricsError
from crawler.redis_client import (
    CONNECTION_ERRORS,
    STREAM,
    STREAM_BYTES,
    WRITER_CONSUMER,
    WRITER_GROUP,
    WRITER_STATUS,
)

logger = logging.getLogger(__name__)


TEXTFILE_EVERY = 10.0  # seconds between writes of the metrics textfile while the writer runs


class Writer:
    def __init__(
        self,
        client,
        archive,
        *,
        batch: int,
        dead_after: int,
        block_ms: int = 1000,
        health: HealthConfig | None = None,
        alerts: AlertConfig | None = None,
        metrics=None,
        textfile=None,
    ):
        self.client, self.archive, self.batch = client, archive, batch
        self.block_ms, self.janitor_every = block_ms, max(1.0, dead_after / 3)
        self.health, self.alerts = health, alerts or AlertConfig("", "json", 0)
        self.written = self.duplicates = self.rejected = 0
        self._cleaned_at = 0.0
        # crawler/metrics.py: the process's Families (or None), and the Textfile to write them to
        self.metrics, self.textfile = metrics, textfile
        self._applied: list = []  # this batch's (operation, answer), counted once it is committed
        self._outcomes: list[str] = []
        self._textfile_at = 0.0
        self._finished: list[str] = []  # refs of the runs whose finish the open batch applied

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(STREAM, WRITER_GROUP, id="0", mkstream=True)
        except Exception as exc:  # redis.ResponseError BUSYGROUP: made by an earlier writer
            if "BUSYGROUP" not in str(exc):
                raise

    def step(self, *, pending: bool = False) -> int:
        """Read, apply and acknowledge one batch; how many messages it held. `pending`: this
        writer's messages read before but never acknowledged (a crash), instead of new ones."""
        reply = self.client.xreadgroup(
            WRITER_GROUP,
            WRITER_CONSUMER,
            {STREAM: "0" if pending else ">"},
            count=self.batch,
            block=None if pending else self.block_ms,
        )
        entries = reply[0][1] if reply else []
        if not entries:
            self._measure()
            return 0
        self._applied, self._outcomes = [], []
        with self.archive.batch():
            for entry_id, fields in entries:
                if fields:  # None: deleted from the stream while pending; nothing to apply
                    self._apply(entry_id.decode(), fields.get(b"m", b""))
        # Committed: now, and only now, the stream may forget them.
        self._acknowledge([entry_id for entry_id, _ in entries], sum(len((f or {}).get(b"m", b"")) for _, f in entries))
        self._measure(committed=True)
        self._judge_finished()
        return len(entries)

    def _judge_finished(self) -> None:
        """The health of each run the batch finished (none when `health` is not given)."""
        finished, self._finished = self._finished, []
        if self.health is None:
            return
        for ref in finished:
            run_id = oplog.resolve(self.archive, ref) if oplog.is_ref(ref) else ref
            row = self.archive.db.execute("select site from crawl_runs where id = ?", [run_id]).fetchone()
            if not row or not row[0]:
                continue
            site = row[0]
            try:
                health, previous = judge_finished_run(self.archive, site, run_id, self.health)
            except sqlite3.Error as exc:
                logger.warning("health of site %s not judged: %s", site, exc)
                continue
            if health.status != OK:
                logger.warning("site %s is %s: %s", site, health.status, " ".join(health.reasons))
            alert = None
            if alert_due(health.status, previous):
                alert = deliver(
                    self.alerts, site=site, status=health.status, previous=previous, reasons=health.reasons, run=run_id
                )
            self.archive.set_run_health(run_id, health.status, health.reasons, alert)

    def _acknowledge(self, ids: list[bytes], size: int) -> None:
        """Forget the messages `ids` (of `size` bytes in all), in one step: a crash before it leaves
        them pending, to be applied again, and never counts them off the stream's bytes twice."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xack(STREAM, WRITER_GROUP, *ids)
            pipe.xdel(STREAM, *ids)
            pipe.decrby(STREAM_BYTES, size)
            pipe.hset(WRITER_STATUS, mapping={"at": utcnow(), "pid": os.getpid(), "host": socket.gethostname()})
            pipe.hincrby(WRITER_STATUS, "written", len(ids))
            pipe.execute()

    def _apply(self, entry_id: str, message: bytes) -> None:
        try:
            key, ops = oplog.decode(message)
            applied: list = []
            if oplog.apply(self.archive, key, ops, observe=lambda op, result: applied.append((op, result))):
                self.written += 1
                self._applied += applied
                self._outcomes.append("written")
                self._finished += [op.kwargs.get("run_id") for op in ops if op.method == "finish_run"]
            else:
                self.duplicates += 1
                self._outcomes.append("duplicate")
        except sqlite3.Error:
            raise  # the archive's own trouble (disk full, locked): stop, the messages stay pending
        except Exception as exc:  # a bad message is recorded, and never holds the others back
            self.rejected += 1
            self._outcomes.append("rejected")
            logger.error("stream message %s not applied: %s: %s", entry_id, type(exc).__name__, exc)
            self.archive.add_failure(
                url=f"redis-stream:{STREAM}/{entry_id}", stage="ingest", error=f"{type(exc).__name__}: {exc}"
            )

    def _measure(self, *, committed: bool = False) -> None:
        """After a step: count what its batch committed, the stream's length, and now and then
        write the textfile."""
        if self.metrics is None:
            return
        families, ingest = self.metrics, self.metrics.ingest
        if committed:
            ingest.batches.inc()
            for outcome in self._outcomes:
                ingest.messages.labels(outcome).inc()
            for op, result in self._applied:
                site = families.site(op.kwargs.get("site"))
                if op.method == "add_snapshot":
                    ingest.captures.labels(site).inc()
                elif op.method == "add_record":
                    families.new_versions.labels(site)  # the site's series, at 0 until it has one
                    families.weak_records.labels(site)
                    if result:
                        families.new_versions.labels(site).inc()
                        if WEAK_WARNINGS.intersection(getattr(op.kwargs.get("record"), "warnings", None) or ()):
                            families.weak_records.labels(site).inc()
            self._applied, self._outcomes = [], []
        ingest.lag.set(self.client.xlen(STREAM))
        if self.textfile is not None and time.monotonic() - self._textfile_at >= TEXTFILE_EVERY:
            self.write_textfile()

    def write_textfile(self) -> None:
        if self.textfile is None or self.metrics is None:
            return
        self._textfile_at = time.monotonic()
        try:
            self.textfile.write(self.metrics.registry)
        except MetricsError as exc:
            logger.error("metrics: %s", exc)

    def janitor(self) -> None:
        if time.monotonic() - self._cleaned_at >= self.janitor_every:
            clean_registries(self.client)
            self._cleaned_at = time.monotonic()

    def idle(self) -> bool:
        """No job that may still crawl, and nothing left in the stream (read in that order: a
        job's last message is in the stream before the job is over)."""
        return not unfinished_jobs(self.client) and self.client.xlen(STREAM) == 0

    def run(self, *, burst: bool = False) -> None:
        self.ensure_group()
        while True:
            try:
                while self.step(pending=True):  # what a killed writer left unacknowledged
                    pass
                self.janitor()
                if not self.step() and burst and self.idle():
                    return
            except CONNECTION_ERRORS as exc:
                logger.warning("Redis unreachable (%s): trying again", exc)
                time.sleep(1)
                self._reconnected()

    def _reconnected(self) -> None:
        try:
            self.ensure_group()  # a Redis that came back without its data has no group
        except CONNECTION_ERRORS:
            pass
