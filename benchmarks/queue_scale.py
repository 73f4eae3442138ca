"""Crawling through the queue against one process, with default politeness, on one machine.

    .venv/bin/python benchmarks/queue_scale.py [--sites 6] [--articles 60] [--workers 3]

Generated TRS sites, each on its own 127.0.0.1 port (so each is its own host), are crawled in
the same run:

- **one process**: `govnews crawl --url … --url …`, every site's crawl in one reactor, into a
  plain archive file (the baseline);
- **queue**: a redis-server of its own, `govnews crawl --queue` (one job per site), `--workers`
  `govnews worker --burst` processes and one `govnews ingest --burst`, timed from the enqueue to
  the writer's exit (every page written).

Both crawls keep the default politeness (0.25 s delay, AutoThrottle, robots.txt), as a real
crawl does: a site's crawl is paced by its delay, not by the CPU. Printed: both wall times, the
ratio, and whether the two archives hold the same pages and versions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlite_utils  # noqa: E402

from tests.support.cms import CmsServer, build_trs_site  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

BIN = Path(sys.executable).parent


def run(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "govnews"), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )


def content(db: Path) -> tuple[dict, list]:
    d = sqlite_utils.Database(db)
    pages = {r["url"]: r["content_hash"] for r in d.query("select url, content_hash from pages")}
    return pages, sorted((r["url"], r["content_hash"]) for r in d.query("select url, content_hash from versions"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--articles", type=int, default=60, help="articles per site")
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="govnews-queue-bench-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        servers = [
            stack.enter_context(CmsServer(build_trs_site(folder / f"site{i}", args.articles, per_page=20)))
            for i in range(args.sites)
        ]
        urls = [x for server in servers for x in ("--url", server.list_url)]
        print(f"{args.sites} TRS sites × {args.articles} articles, default politeness, {args.workers} workers")

        started = time.perf_counter()
        baseline = run("crawl", "--db", str(folder / "one.db"), "--log-level", "WARNING", *urls)
        assert baseline.wait() == 0, "the one-process crawl failed"
        one_process = time.perf_counter() - started
        print(f"one process ({args.sites} crawls in one reactor): {one_process:7.1f} s")

        redis = stack.enter_context(RedisServer(folder / "redis"))
        queued = folder / "queued.db"
        started = time.perf_counter()
        assert run("crawl", "--queue", redis.url, "--db", str(queued), *urls).wait() == 0, "enqueue failed"
        workers = [run("worker", "--queue", redis.url, "--burst") for _ in range(args.workers)]
        writer = run("ingest", "--queue", redis.url, "--db", str(queued), "--burst")
        assert all(w.wait() == 0 for w in workers) and writer.wait() == 0, "a worker or the writer failed"
        through_queue = time.perf_counter() - started
        print(f"queue ({args.workers} workers + 1 writer):       {through_queue:7.1f} s")
        print(f"ratio queue / one process:                {through_queue / one_process:7.2f}×")
        same = content(queued) == content(folder / "one.db")
        print(f"same pages and versions in both archives: {same} ({len(content(queued)[0])} pages)")


if __name__ == "__main__":
    main()
