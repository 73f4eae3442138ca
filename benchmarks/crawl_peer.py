"""The crawl against what a user would write instead, on one generated TRS site on 127.0.0.1.

    .venv/bin/python benchmarks/crawl_peer.py [--articles 3000] [--per-page 20] [--rounds 1]

Both are real `scrapy crawl` processes of the same site, served by this process, with the same
politeness-off settings, timed the same way (wall time from the process's start to its exit):

- **govnews**: `scrapy crawl site -a url=LIST_URL` into a fresh archive: the raw page captured,
  extracted with the Chinese rules, normalized, enriched (jieba), its search words indexed,
  archived as a version;
- **peer**: `scrapy crawl trs -a url=LIST_URL` of benchmarks/peer/, the project a competent
  user would write for this one site: the list's links and its TRS pager read with the site's
  own CSS selectors and regex, `trafilatura.bare_extraction` in the callback, and a pipeline
  storing url, title, date, author, text and the gzipped raw page with sqlite-utils, 100 rows
  a transaction.

The ratio govnews / peer is printed; the target is <= 1.0. With `--rounds N` the two crawls
alternate N times (each into a fresh database) and the ratio is of their medians.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.crawl_scale import CRAWL_SETTINGS, process_tree_rss  # noqa: E402
from tests.support.cms import CmsServer, build_trs_site  # noqa: E402

BIN = Path(sys.executable).parent
PEER = REPO / "benchmarks" / "peer"


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    """Seconds from the start of `command` to its exit, and the peak RSS of its process tree
    (sampled every 0.2 s in a thread, the stage workers included)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        peak = [0]

        def sample() -> None:
            while process.poll() is None:
                peak[0] = max(peak[0], process_tree_rss(process.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        process.wait()
        seconds = time.perf_counter() - started
        sampler.join()
        log.seek(0)
        output = log.read()
    if process.returncode != 0 or "Traceback" in output:
        raise SystemExit(f"{command[:3]} failed:\n{output[-3000:]}")
    return seconds, peak[0]


def settings_args(settings: dict) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def crawl_govnews(list_url: str, db: Path, max_list_pages: int) -> tuple[float, int]:
    settings = {**CRAWL_SETTINGS, "ARCHIVE_DB": db, "GOVNEWS_MAX_LIST_PAGES": max_list_pages}
    command = [str(BIN / "scrapy"), "crawl", "site", "-a", f"url={list_url}", *settings_args(settings)]
    # The checkout's code, wherever the venv's editable install points.
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(REPO)}
    return timed(command, REPO, env)


def crawl_peer(list_url: str, db: Path) -> tuple[float, int]:
    settings = {**CRAWL_SETTINGS, "PEER_DB": db}
    command = [str(BIN / "scrapy"), "crawl", "trs", "-a", f"url={list_url}", *settings_args(settings)]
    env = {key: value for key, value in os.environ.items() if key not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH")}
    return timed(command, PEER, env)  # its scrapy.cfg names its settings


def count(db: Path, sql: str) -> int:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3_000)
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two crawls this many times")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="govnews-peer-bench-") as folder:
        folder = Path(folder)
        spec = build_trs_site(folder / "site", args.articles, per_page=args.per_page)
        list_pages = len(spec.list_paths)
        print(f"site: {args.articles:,} articles on {list_pages:,} list pages", flush=True)
        ours: list[float] = []
        theirs: list[float] = []
        with CmsServer(spec) as server:
            for n in range(args.rounds):
                db = folder / f"govnews-{n}.db"
                seconds, rss = crawl_govnews(server.list_url, db, list_pages + 10)
                versions = count(db, "select count(*) from versions")
                ours.append(seconds)
                print(f"govnews: {seconds:6.2f} s  {versions:,} versions  peak RSS {rss / 2**20:,.0f} MB", flush=True)

                db = folder / f"peer-{n}.db"
                seconds, rss = crawl_peer(server.list_url, db)
                rows = count(db, "select count(*) from articles")
                theirs.append(seconds)
                print(f"peer:    {seconds:6.2f} s  {rows:,} articles  peak RSS {rss / 2**20:,.0f} MB", flush=True)
                if versions != args.articles or rows != args.articles:
                    print(f"warning: {args.articles:,} articles, govnews archived {versions:,}, the peer {rows:,}")

    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"{args.articles:,} articles: govnews {statistics.median(ours):.2f} s, peer "
        f"{statistics.median(theirs):.2f} s (medians of {args.rounds}): ratio {ratio:.2f} (target <= 1.0)"
    )


if __name__ == "__main__":
    main()
