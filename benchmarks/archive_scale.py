"""The archive at scale: the single writer's cost (store time, bytes per version) and Chinese search latency.

    .venv/bin/python benchmarks/archive_scale.py [--versions 1000000] [--per-page 1,5] [--db-dir DIR]
    .venv/bin/python benchmarks/archive_scale.py --versions 20000    # the quick size: a few minutes

For each shape of --per-page (default both: 1 version a page, the common case, since most
government articles never change; and 5), builds an archive of --versions versions from the
project's fixture pages (the labeled corpus, the demo sites and, when present, the cwced
pages), then measures it. Each generated page keeps one fixture page's template (its HTML,
charset and metadata) with its article paragraphs replaced by paragraphs drawn from all
fixture texts, so pages differ as articles of one site do; a site is one template. Each page
then gets its versions, one edit per crawl round (a sentence added to a paragraph, or a
paragraph added), inserted round by round as a long-running crawl would write them: one
capture and one version per edit, through `Archive.add_snapshot` and `Archive.add_record`,
the crawl's own calls, in the writer's batches (``with archive.batch():``, --batch versions
each), the search terms computed beside the page as a crawl's stage workers do; the last
--crawl-sample versions one transaction each.

Printed per shape, with the baselines measured in the same run on the same pages:

- the writer's time per version, in batches and one transaction each, against gzipping the
  raw page (target in batches ≤ 1.5× the gzip time);
- archive bytes per version against the mean gzipped raw page (target ≤ 0.6×), and per table;
- p50/p95/max latency of `Archive.search` (`govnews search`) over everyday queries and 200
  words drawn from the texts, newest first (the default) and ranked by BM25 (``--rank``);
  target p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gzip
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from w3lib.encoding import html_to_unicode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.search import page_terms  # noqa: E402
from archive.stats import archive_stats  # noqa: E402
from archive.store import Archive  # noqa: E402
from crawler.record import Record, compute_content_hash  # noqa: E402
from pipelines.enrich import _BIT_TABLES, _token_hash, simhash  # noqa: E402
from pipelines.errors import ExtractionError  # noqa: E402
from pipelines.process import process_page  # noqa: E402
from pipelines.segment import segment  # noqa: E402

CORPUS = REPO / "tests" / "fixtures" / "corpus"
DEMO = REPO / "crawler" / "demo" / "sites"
CWCED = REPO.parent / "shared" / "benchmarks" / "cwced" / "pages"
EVERYDAY_QUERIES = [
    "书记",
    "会议",
    "项目建设",
    "张书杰 项目建设",
    "区委书记",
    "安全生产",
    "疫情防控",
    "招商引资",
    "乡村振兴",
    "人民政府",
    "营商环境",
    "脱贫攻坚",
    "党史学习教育",
    "复工复产",
]


@dataclasses.dataclass
class Template:
    url: str
    html: str
    encoding: str
    slots: list[str]  # article paragraphs found verbatim in the HTML: the places text goes
    title: str
    record: Record


def fixture_pages() -> list[tuple[str, bytes]]:
    pages = []
    for line in (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        pages.append((gold["url"], (CORPUS / gold["file"]).read_bytes()))
    for path in sorted(DEMO.rglob("*.*htm*")):
        if "index" not in path.name:
            pages.append((f"http://demo.example.cn/{path.relative_to(DEMO)}", path.read_bytes()))
    if CWCED.is_dir():
        pages += [(f"http://bench.example.cn/{f.stem}.html", f.read_bytes()) for f in sorted(CWCED.glob("*.html"))]
    return pages


def load_templates() -> tuple[list[Template], list[str]]:
    templates, pool = [], []
    for url, body in fixture_pages():
        try:
            record = process_page(body, url)
        except ExtractionError:
            continue
        encoding, html = html_to_unicode(None, body)
        slots = [p for p in record.text_original.splitlines() if len(p) >= 10 and html.count(p) == 1]
        pool += [p for p in record.text.splitlines() if len(p) >= 10]
        if len(slots) >= 2 and record.title_original and record.title_original in html:
            templates.append(Template(url, html, encoding, slots, record.title_original, record))
    return templates, pool


@functools.lru_cache(maxsize=100_000)
def paragraph_bits(paragraph: str) -> tuple[int, tuple[int, ...]]:
    """Tokens of a paragraph and, per SimHash bit, how many of them set it."""
    tokens = [t for t in segment(paragraph) if t.strip() and len(t) >= 2]
    packed = b"".join(_token_hash(t).to_bytes(8, "little") for t in tokens)
    return len(tokens), tuple(packed[j::8].translate(_BIT_TABLES[k]).count(1) for j in range(8) for k in range(8))


def text_simhash(paragraphs: list[str]) -> str | None:
    """`pipelines.enrich.simhash` of the joined paragraphs (jieba never joins across a newline),
    summed from cached paragraph counts: the generator's cost is not the archive's."""
    counts = [paragraph_bits(p) for p in paragraphs]
    total = sum(n for n, _ in counts)
    if not total:
        return None
    value = 0
    for bit in range(64):
        if 2 * sum(c[bit] for _, c in counts) > total:
            value |= 1 << bit
    return f"{value:016x}"


class PageGenerator:
    """Page n's paragraphs at version v, from a seed, so no page state is held in memory."""

    def __init__(self, templates: list[Template], pool: list[str]):
        self.templates, self.pool = templates, pool

    def version(self, n: int, v: int) -> tuple[str, bytes, Record]:
        rng = random.Random(n)
        template = self.templates[n % len(self.templates)]
        paragraphs = [rng.choice(self.pool) for _ in template.slots]
        title = f"{rng.choice(self.pool)[:18]}（{n}）"
        for edit in range(1, v):
            edit_rng = random.Random(n * 1000 + edit)
            addition = edit_rng.choice(self.pool)
            if edit_rng.random() < 0.7:
                i = edit_rng.randrange(len(paragraphs))
                paragraphs[i] += addition[: edit_rng.randint(10, 60)]
            else:
                paragraphs.append(addition)
        url = f"{template.url.rsplit('.', 1)[0]}_{n}.html"
        html = template.html.replace(template.title, title)
        for slot, text in zip(template.slots, paragraphs):
            html = html.replace(slot, text, 1)
        extra = paragraphs[len(template.slots) :]
        if extra:
            last = paragraphs[len(template.slots) - 1]
            html = html.replace(last, last + "".join(f"</p><p>{p}" for p in extra), 1)
        body = html.encode(template.encoding, errors="xmlcharrefreplace")
        text = "\n".join(paragraphs)
        record = dataclasses.replace(
            template.record,
            url=url,
            title=title,
            title_original=title,
            text=text,
            text_original=text,
            simhash=text_simhash(paragraphs),
            content_hash=None,
        )
        record.content_hash = compute_content_hash(record)
        return url, body, record


_generator: PageGenerator | None = None  # set before the worker process forks


def _generate(task: tuple[int, int]) -> tuple[str, bytes, Record, tuple[str, str]]:
    """One version and its search terms (a crawl's stage worker segments the page, not the
    archive's writer), made in a worker process while the main one inserts."""
    n, v = task
    assert _generator is not None
    url, body, record = _generator.version(n, v)
    return url, body, record, page_terms(record.title, record.text)


def _generated(workers, tasks: list, block: int = 2048):
    """The worker's pages in task order, at most two blocks ahead of the inserts (a plain
    imap runs ahead without bound: the pages waiting for a slower archive fill the memory)."""
    blocks = [tasks[i : i + block] for i in range(0, len(tasks), block)]
    upcoming = workers.imap(_generate, blocks[0], 64) if blocks else None
    for i in range(len(blocks)):
        current = upcoming
        upcoming = workers.imap(_generate, blocks[i + 1], 64) if i + 1 < len(blocks) else None
        yield from current


def build(
    archive: Archive, generator: PageGenerator, versions: int, per_page: int, batch: int, first_page: int = 0
) -> dict:
    """Insert `versions` versions, `batch` of them a transaction (1: a crawl's one per page)."""
    global _generator
    _generator = generator
    pages = max(1, versions // per_page)
    tasks = [(n, v) for v in range(1, per_page + 1) for n in range(first_page, first_page + pages)][:versions]
    insert_seconds = gzip_seconds = 0.0
    gzip_bytes = raw_bytes = count = 0
    started = time.perf_counter()
    transaction = None
    with multiprocessing.get_context("fork").Pool(2) as workers:
        for (n, v), (url, body, record, terms) in zip(tasks, _generated(workers, tasks)):
            # The baseline, timed in the writer's process beside the writer's own work.
            t = time.perf_counter()
            gzip_bytes += len(gzip.compress(body, 6))
            gzip_seconds += time.perf_counter() - t
            fetched_at = f"2026-{1 + v % 12:02d}-01T00:00:00+00:00"
            site = f"site{n % len(generator.templates)}"  # a site is one template
            t = time.perf_counter()
            if batch > 1 and transaction is None:
                transaction = archive.batch()
                transaction.__enter__()
            snapshot = archive.add_snapshot(
                url=url,
                status=200,
                headers={"Content-Type": "text/html"},
                body=body,
                fetched_at=fetched_at,
                site=site,
            )
            archive.add_record(record, fetched_at=fetched_at, site=site, snapshot_id=snapshot, index_terms=terms)
            count += 1
            if transaction is not None and count % batch == 0:
                transaction.__exit__(None, None, None)
                transaction = None
            insert_seconds += time.perf_counter() - t
            raw_bytes += len(body)
            if count % 50000 == 0:
                rate = count / (time.perf_counter() - started)
                print(f"  {count:,} versions, {rate:,.0f}/s", file=sys.stderr, flush=True)
    if transaction is not None:
        transaction.__exit__(None, None, None)
    return {
        "versions": count,
        "pages": pages,
        "insert_seconds": insert_seconds,
        "gzip_seconds": gzip_seconds,
        "gzip_bytes": gzip_bytes,
        "raw_bytes": raw_bytes,
    }


def query_latencies(archive: Archive, pool: list[str], order: str, samples: int = 200) -> list[tuple[float, str]]:
    rng = random.Random(7)
    words = sorted(
        {w for p in rng.sample(pool, min(len(pool), 2000)) for w in segment(p) if len(w) >= 2 and w.isalnum()}
    )
    queries = EVERYDAY_QUERIES + rng.sample(words, min(samples, len(words)))
    archive.search(queries[0])  # warm the segmenter
    timings = []
    for query in queries:
        t = time.perf_counter()
        archive.search(query, limit=20, order=order)
        timings.append((time.perf_counter() - t, query))
    return timings


def measure(path: Path, generator: PageGenerator, pool: list[str], versions: int, per_page: int, args) -> None:
    archive = Archive(path)
    built = build(archive, generator, versions - args.crawl_sample, per_page, args.batch)
    crawl = build(archive, generator, args.crawl_sample, per_page, 1, first_page=built["pages"])
    for key in ("versions", "pages", "gzip_bytes", "raw_bytes", "gzip_seconds"):
        built[key] += crawl[key]
    archive.db.execute("pragma wal_checkpoint(truncate)")
    stats = archive_stats(archive)
    searches = {order: sorted(query_latencies(archive, pool, order)) for order in ("newest", "relevance")}

    n = built["versions"]
    per_version = stats["archive_bytes"] / n
    gz_per_version = built["gzip_bytes"] / n
    gzip_ms = 1000 * built["gzip_seconds"] / n
    batch_ms = 1000 * built["insert_seconds"] / (n - crawl["versions"])
    crawl_ms = 1000 * crawl["insert_seconds"] / max(1, crawl["versions"])
    print(f"{per_page} version{'s' if per_page > 1 else ''} per page:")
    print(
        f"  archive: {n:,} versions of {built['pages']:,} pages, {stats['archive_bytes'] / 2**20:,.0f} MiB "
        f"({os.path.getsize(path) / 2**20:,.0f} MiB on disk), {stats['distinct_bodies']:,} bodies "
        f"({stats['delta_bodies']:,} deltas)"
    )
    print(
        f"  store:   {batch_ms:.2f} ms a version in batches of {args.batch}, {crawl_ms:.2f} ms one transaction "
        f"each (last {crawl['versions']:,})   baseline gzip of the raw page: {gzip_ms:.2f} ms   "
        f"ratio {batch_ms / gzip_ms:.1f}x (target <= 1.5) and {crawl_ms / gzip_ms:.1f}x the time"
    )
    print(
        f"  size:    {per_version:,.0f} B per version   raw page {built['raw_bytes'] / n:,.0f} B, "
        f"gzipped {gz_per_version:,.0f} B   ratio {per_version / gz_per_version:.2f}x (target <= 0.6)"
    )
    for name, size in stats["table_bytes"].items():
        if size / n >= 1:
            print(f"           {name:<18}{size / n:>8,.0f} B per version ({size / n / gz_per_version:.2f}x)")
    for order, timings in searches.items():
        seconds = [t for t, _ in timings]
        p50, p95 = statistics.median(seconds), seconds[int(0.95 * (len(seconds) - 1))]
        print(
            f"  search:  {order:<9} {len(seconds)} queries  p50 {p50 * 1000:.1f} ms  p95 {p95 * 1000:.1f} ms "
            f"(target <= 50)  max {timings[-1][0] * 1000:.1f} ms ({timings[-1][1]})"
        )
    sys.stdout.flush()
    archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=1_000_000, help="versions of each shape")
    parser.add_argument("--per-page", default="1,5", help="versions of each generated page: the shapes measured")
    parser.add_argument("--batch", type=int, default=1000, help="versions a transaction of the writer")
    parser.add_argument(
        "--crawl-sample",
        type=int,
        default=2000,
        help="versions added at the end one transaction each",
    )
    parser.add_argument("--db-dir", type=Path, help="where to build the archives (default: a temporary folder)")
    args = parser.parse_args()
    shapes = [int(p) for p in args.per_page.split(",")]
    args.crawl_sample = min(args.crawl_sample, args.versions // 4)

    templates, pool = load_templates()
    generator = PageGenerator(templates, pool)
    for n in range(20):  # the generator's SimHash is the pipeline's
        _, _, record = generator.version(n, 3)
        assert record.simhash == simhash(record.text), n
    folder = tempfile.TemporaryDirectory(prefix="govnews-bench-")
    for per_page in shapes:
        path = (args.db_dir or Path(folder.name)) / f"archive-{per_page}-per-page.db"
        if path.exists():
            raise SystemExit(f"{path} exists: give a new folder")
        print(
            f"{len(templates)} fixture templates (sites), {len(pool):,} paragraphs; building {args.versions:,} "
            f"versions ({per_page} per page) …",
            file=sys.stderr,
            flush=True,
        )
        measure(path, generator, pool, args.versions, per_page, args)
        if args.db_dir is None:
            for leftover in Path(folder.name).glob(f"{path.name}*"):
                leftover.unlink()


if __name__ == "__main__":
    main()
