"""Crawl jobs on RQ: one job is one site's crawl, run by any `govnews worker` on any machine.

`enqueue_sites` puts a job per site on the RQ queue ``govnews``, with the site's config and
its incremental state (archive/crawl_state.py, read from the archive now and kept in Redis
beside the job), so a worker needs neither the archive nor the site configs. A site already
queued or running is not queued again.

`crawl_job` is what a worker runs: it takes the site's host locks (crawler/host_lock.py), runs
`scrapy crawl site … -s GOVNEWS_QUEUE=…` in a child process that dies with the worker, and
fails when the crawl does, so RQ runs it again (up to RETRIES times). The worker
(`CrawlWorker`) runs jobs in its own process and beats its heart from a thread while a crawl
runs; a worker silent for GOVNEWS_QUEUE_DEAD_AFTER seconds is dead, and the first worker or
writer to look (they clean RQ's registries every so often) puts its job back on the queue.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import zstandard
from rq import Queue, Retry, get_current_job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, WorkerStatus

from archive.crawl_state import crawl_state
from crawler.host_lock import HostLocks, site_hosts
from crawler.metrics import MetricsError, compact, crawls_registry, textfile
from crawler.redis_client import CONNECTION_ERRORS, JOBS, QUEUE_NAME, connect, site_key, state_key

logger = logging.getLogger(__name__)

RETRIES = 3  # a job whose crawl fails (or whose worker dies) runs again this many times
STATE_TTL = 30 * 86400  # seconds an unfinished job's state is kept
ACTIVE = ("queued", "started", "deferred", "scheduled")  # a job in these may still crawl


# The crawl's process starts as this, then becomes `scrapy crawl`: it asks the kernel for a SIGKILL
# when the worker dies, however it dies (PR_SET_PDEATHSIG = 1, kept across exec), and gives up if
# the worker is gone already. (A preexec_fn would do the same in a process with threads, unsafely.)
BOUND_TO_PARENT = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
except (OSError, AttributeError):
    pass  # not Linux: the crawl outlives a killed worker
if os.getppid() != int(sys.argv[1]):
    sys.exit(75)
os.execv(sys.argv[2], sys.argv[2:])
"""


class CrawlFailed(RuntimeError):
    """The crawl of a job ended with an error; RQ keeps the message with the failed job."""


def crawl_queue(client) -> Queue:
    return Queue(QUEUE_NAME, connection=client, serializer=JSONSerializer)


@dataclass
class Job:
    """What a crawl job carries: a site config (as data) or a list URL, never both."""

    name: str
    site: dict | None = None
    url: str | None = None

    @property
    def start_urls(self) -> list[str]:
        return list(self.site["start_urls"]) if self.site else [self.url or ""]


def enqueue_sites(client, jobs: list[Job], archive=None) -> list[tuple[Job, str | None, str]]:
    """Queue each job; (job, its id or None, what happened) for each. `archive`, when given,
    supplies each site's incremental state (without one, the crawls fetch everything)."""
    queue, outcome = crawl_queue(client), []
    for job in jobs:
        active = _active_job(client, queue, job.name)
        if active is not None:
            outcome.append((job, None, f"already {active.get_status().value} as job {active.id}"))
            continue
        job_id = f"{re.sub(r'[^A-Za-z0-9_-]', '_', job.name)}-{uuid.uuid4().hex[:12]}"  # RQ's alphabet
        state = crawl_state(archive, job.name) if archive is not None else {}
        blob = zstandard.ZstdCompressor(level=6).compress(json.dumps(state, ensure_ascii=False).encode("utf-8"))
        client.set(state_key(job_id), blob, ex=STATE_TTL)
        queue.enqueue(
            "crawler.jobs.crawl_job",
            {"name": job.name, "site": job.site, "url": job.url},
            job_id=job_id,
            description=f"crawl {job.name}",
            retry=Retry(max=RETRIES),
            job_timeout=-1,  # a crawl ends by itself; a hung one is the worker's heartbeat's to tell
            result_ttl=7 * 86400,
            failure_ttl=30 * 86400,
        )
        client.set(site_key(job.name), job_id)
        client.sadd(JOBS, job_id)
        known = len(state.get("pages", {}))
        outcome.append((job, job_id, f"queued as job {job_id} ({known} archived pages known)"))
    return outcome


def _active_job(client, queue: Queue, name: str):
    job_id = client.get(site_key(name))
    if job_id is None:
        return None
    job = queue.fetch_job(job_id.decode())
    return job if job is not None and job.get_status() in ACTIVE else None


# --- the worker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerConfig:
    queue_url: str
    dead_after: int  # GOVNEWS_QUEUE_DEAD_AFTER
    settings: tuple[str, ...]  # NAME=VALUE pairs every crawl of this worker gets (`-s`)
    # With metrics: the folder its crawls count into (PROMETHEUS_MULTIPROC_DIR), and the
    # textfile their sum is written to after each job ("": none).
    metrics_folder: str = ""
    metrics_textfile: str = ""

    @classmethod
    def from_settings(cls, settings, queue_url: str, overrides: tuple[str, ...] = ()) -> WorkerConfig:
        return cls(queue_url, max(3, settings.getint("GOVNEWS_QUEUE_DEAD_AFTER")), tuple(overrides))


_config: WorkerConfig | None = None  # this worker process's, set by run_worker


def crawl_job(spec: dict) -> dict:
    """Run one site's crawl to its end (RQ calls this in the worker)."""
    if _config is None:
        raise RuntimeError("crawl_job runs in `govnews worker`, which configures it")
    job, rq_job = Job(**spec), get_current_job()
    job_id = rq_job.id if rq_job else f"{job.name}-direct"
    client = connect(_config.queue_url)
    locks = HostLocks(client, site_hosts(job.start_urls), owner=job_id, ttl=_config.dead_after)
    with locks.held(), tempfile.TemporaryDirectory(prefix="govnews-job-") as workdir:
        command = [sys.executable, "-m", "scrapy", "crawl", "site"]
        if job.site:
            Path(workdir, f"{job.name}.yaml").write_text(json.dumps(job.site, ensure_ascii=False), encoding="utf-8")
            command += ["-a", f"site={job.name}", "-s", f"GOVNEWS_SITES_DIRS={workdir}"]
        else:
            command += ["-a", f"url={job.url}"]
        command += ["-s", f"GOVNEWS_QUEUE={_config.queue_url}", "-s", f"GOVNEWS_QUEUE_JOB={job_id}"]
        for pair in _config.settings:
            command += ["-s", pair]
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        logger.info("job %s: crawling %s", job_id, job.name)
        bound = [sys.executable, "-c", BOUND_TO_PARENT, str(os.getpid()), *command]
        returncode = subprocess.call(bound, cwd=workdir, env=env)
    _write_metrics(_config)
    if returncode != 0:
        raise CrawlFailed(f"scrapy crawl of {job.name} exited with status {returncode}")
    client.delete(state_key(job_id))
    return {"site": job.name, "job": job_id}


def _write_metrics(config: WorkerConfig) -> None:
    """After a job: the counts of every crawl this worker ran, compacted, and their textfile."""
    if not config.metrics_folder:
        return
    compact(config.metrics_folder)  # the crawl is over: its counts join those of the crawls before
    if not config.metrics_textfile:
        return
    try:
        textfile(config.metrics_textfile).write(crawls_registry(config.metrics_folder))
    except MetricsError as exc:
        logger.error("metrics: %s", exc)


class CrawlWorker(SimpleWorker):
    """An RQ worker that runs a job in its own process (the job's crawl is a child process that
    dies with it) and beats while it runs, so a SIGKILLed worker's job is retried after
    `dead_after` seconds, not after RQ's default minute and more."""

    dead_after = 60

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return self.dead_after

    def execute_job(self, job, queue):
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beats = threading.Thread(target=self._beat, args=(job, execution, stop), name="heartbeat", daemon=True)
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beats.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job, execution, stop: threading.Event) -> None:
        while not stop.wait(self.dead_after / 3):
            try:
                self.maintain_heartbeats(job, execution)
            except CONNECTION_ERRORS as exc:
                logger.warning("heartbeat not sent (%s); trying again", exc)


def run_worker(config: WorkerConfig, *, burst: bool) -> bool:
    global _config
    _config = config
    client = connect(config.queue_url)
    worker = CrawlWorker(
        [crawl_queue(client)],
        connection=client,
        serializer=JSONSerializer,
        maintenance_interval=config.dead_after,
        job_monitoring_interval=max(1, config.dead_after // 3),
    )
    worker.dead_after = config.dead_after
    return worker.work(burst=burst, logging_level="INFO", with_scheduler=False)


def unfinished_jobs(client) -> list[str]:
    """The jobs that may still crawl: queued, running, or waiting to run again. Read from each
    job's own status, which never passes through a state that is neither (RQ's registries do,
    between a worker taking a job and registering it); the jobs that are over leave the set."""
    queue, unfinished = crawl_queue(client), []
    for raw in client.smembers(JOBS):
        job_id = raw.decode()
        job = queue.fetch_job(job_id)
        if job is not None and job.get_status() in ACTIVE:
            unfinished.append(job_id)
        else:
            client.srem(JOBS, job_id)
    return sorted(unfinished)


def clean_registries(client) -> None:
    """Put the jobs of dead workers back on the queue (RQ's own maintenance, run on demand)."""
    queue = crawl_queue(client)
    StartedJobRegistry(queue=queue).cleanup()


def queue_counts(client) -> dict:
    queue = crawl_queue(client)
    return {
        "queued": queue.count,
        "running": StartedJobRegistry(queue=queue).count,
        "scheduled": ScheduledJobRegistry(queue=queue).count,
        "failed": FailedJobRegistry(queue=queue).count,
    }


def describe_jobs(client) -> dict[str, list[dict]]:
    """The queued, running and failed jobs, each {id, site, status, worker, error, …}."""
    queue = crawl_queue(client)
    groups = {
        "queued": queue.get_job_ids(),
        "running": StartedJobRegistry(queue=queue).get_job_ids(),
        "failed": FailedJobRegistry(queue=queue).get_job_ids(),
    }
    described: dict[str, list[dict]] = {}
    for group, ids in groups.items():
        rows = []
        for job in queue.job_class.fetch_many(ids, connection=client, serializer=JSONSerializer):
            if job is None:
                continue
            spec = job.args[0] if job.args else {}
            error = None
            if group == "failed":
                result = job.latest_result()
                lines = ((result.exc_string if result else None) or "").strip().splitlines()
                error = lines[-1] if lines else None
            rows.append(
                {
                    "id": job.id,
                    "site": spec.get("name"),
                    "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
                    "started_at": job.started_at.isoformat() if job.started_at else None,
                    "worker": job.worker_name,
                    "retries_left": job.retries_left,
                    "error": error,
                }
            )
        described[group] = rows
    return described
