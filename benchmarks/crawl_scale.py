"""A whole crawl at scale: a generated 10,000-article TRS site served on 127.0.0.1.

    .venv/bin/python benchmarks/crawl_scale.py [--articles 10000] [--per-page 20]

Measured in the same run, on the same pages:

- **offline pipeline**: every article's raw bytes, read from disk, through the pipeline's
  own calls (capture, extract → normalize → enrich, archive) into a fresh archive, in this
  process: the work a crawl cannot avoid;
- **first crawl**: a real `scrapy crawl site -a url=LIST_URL` of the site into another fresh
  archive (politeness off: it is our own server), target ≤ 1.2 × the offline time;
- **re-crawl** of the unchanged site into the same archive, target ≤ 5 % of the first crawl;
- **peak RSS** of the crawl's processes together (the crawl and its stage workers, the larger
  of the two crawls), target ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.store import Archive  # noqa: E402
from pipelines.enrich import enrich  # noqa: E402
from pipelines.errors import ExtractionError  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.normalize import normalize  # noqa: E402
from tests.support.cms import CmsServer, build_trs_site  # noqa: E402

BIN = Path(sys.executable).parent
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING",
}


def offline_pipeline(spec, db: Path, base_url: str) -> tuple[float, int]:
    """Seconds to put every article through the pipeline's calls, and the versions written."""
    archive = Archive(db)
    headers = {"Content-Type": f"text/html; charset={spec.charset}"}
    run = archive.start_run("offline", "offline", [base_url + spec.list_path])
    started = time.perf_counter()
    versions = 0
    for path in spec.articles:
        url = base_url + path
        body = (spec.root / path.lstrip("/")).read_bytes()
        snapshot = archive.add_snapshot(
            url=url, status=200, headers=headers, body=body, site="offline", crawl_run_id=run
        )
        try:
            record = enrich(normalize(extract(body, url, headers=headers)))
        except ExtractionError as exc:
            archive.add_failure(url=url, stage="extract", error=str(exc), snapshot_id=snapshot, crawl_run_id=run)
            continue
        versions += archive.add_record(record, site="offline", snapshot_id=snapshot, crawl_run_id=run) is not None
    seconds = time.perf_counter() - started
    archive.close()
    return seconds, versions


def process_tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants (the stage worker processes included)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "VmRSS:" in status:
            total += int(status.split("VmRSS:")[1].split()[0]) * 1024
    return total


def crawl(list_url: str, db: Path, max_list_pages: int) -> tuple[float, int, str]:
    """Seconds of a real `scrapy crawl`, the peak RSS of its process tree in bytes (sampled
    every 0.1 s), and its log."""
    settings = {**CRAWL_SETTINGS, "ARCHIVE_DB": db, "GOVNEWS_MAX_LIST_PAGES": max_list_pages}
    command = [str(BIN / "scrapy"), "crawl", "site", "-a", f"url={list_url}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, process_tree_rss(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    if process.returncode != 0:
        raise SystemExit(f"crawl failed:\n{output[-3000:]}")
    return seconds, peak, output


def count(db: Path, sql: str) -> int:
    archive = Archive(db)
    try:
        return archive.db.execute(sql).fetchone()[0]
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="govnews-crawl-bench-") as folder:
        folder = Path(folder)
        started = time.perf_counter()
        spec = build_trs_site(folder / "site", args.articles, per_page=args.per_page)
        list_pages = len(spec.list_paths)
        print(
            f"site: {args.articles:,} articles on {list_pages:,} list pages, built in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        with CmsServer(spec) as server:
            offline_seconds, offline_versions = offline_pipeline(spec, folder / "offline.db", server.base_url)
            print(
                f"offline pipeline: {offline_seconds:,.1f} s ({offline_versions:,} versions, "
                f"{args.articles / offline_seconds:,.1f} pages/s)",
                flush=True,
            )

            db = folder / "crawl.db"
            first_seconds, first_rss, _ = crawl(server.list_url, db, list_pages + 10)
            first_versions = count(db, "select count(*) from versions")
            first_hits = sum(server.hits.values())
            server.reset_hits()
            again_seconds, again_rss, _ = crawl(server.list_url, db, list_pages + 10)
            again_versions = count(db, "select count(*) from versions") - first_versions
            again_hits = sum(server.hits.values())
            again_articles = sum(n for target, n in server.hits.items() if target in spec.articles)

    ratio = first_seconds / offline_seconds
    print(
        f"first crawl:      {first_seconds:,.1f} s ({first_versions:,} versions, {first_hits:,} requests)   "
        f"ratio {ratio:.2f} × the offline pipeline (target <= 1.2)"
    )
    print(
        f"re-crawl:         {again_seconds:,.1f} s ({again_hits} requests, {again_articles} article pages, "
        f"{again_versions} new versions)   {100 * again_seconds / first_seconds:.1f} % of the first crawl "
        f"(target <= 5 %)"
    )
    print(
        f"peak RSS:         {max(first_rss, again_rss) / 2**20:,.0f} MB (first crawl {first_rss / 2**20:,.0f} MB, "
        f"re-crawl {again_rss / 2**20:,.0f} MB; target <= 400)"
    )
    if first_versions != offline_versions:
        print(f"warning: the crawl archived {first_versions:,} versions, the offline pipeline {offline_versions:,}")


if __name__ == "__main__":
    main()
