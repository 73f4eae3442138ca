"""Datasette metadata for an archive: titles and descriptions of every table and column.

`archive/metadata.json` is this output for the default `archive.db`; `govnews
browse` writes it for whatever the archive file is called.  Regenerate the
shipped file with `python -m archive.datasette > archive/metadata.json`.
"""
from __future__ import annotations

import json
from pathlib import Path

from crawler.record import FIELD_DESCRIPTIONS

TABLES = {
    "pages": (
        "Pages",
        "One row per article URL, carrying its latest version's fields.",
        {
            "site": "The crawl's site name",
            "first_seen": "When the page was first archived (UTC)",
            "last_fetched": "When the page was last fetched (UTC)",
            "last_changed": "When the latest version was archived (UTC)",
            "version_count": "How many distinct versions the page has had",
            "latest_version_id": "The latest row of versions",
            "duplicate_of": "The earliest archived page whose text is near-identical (a syndicated copy's original)",
            "duplicate_distance": "SimHash bits between this page and duplicate_of (0 = same text; at most 7)",
        },
    ),
    "pages_fts": (
        "Search index",
        "FTS5 index of each page's title and text, segmented by jieba (words and the words inside them).",
        {
            "url": "The page",
            "title": "Its headline as space-separated words",
            "text": "Its text as space-separated words",
        },
    ),
    "simhash_bands": (
        "SimHash bands",
        "Eight 8-bit bands of each page's SimHash: the index that finds near-duplicate pages.",
        {
            "url": "The page",
            "band": "Which band (0–7)",
            "value": "The band's 8 bits",
        },
    ),
    "versions": (
        "Versions",
        "One row per distinct content version of a page: a crawl of an unchanged page adds none.",
        {
            "version": "1 for the first version of the page, then 2, 3 …",
            "site": "The crawl's site name",
            "fetched_at": "When the fetch that gave this version happened (UTC)",
            "snapshot_id": "The raw capture this version was extracted from",
            "crawl_run_id": "The crawl that found it",
            "extractor_version": "The govnews version that extracted it",
        },
    ),
    "snapshots": (
        "Snapshots",
        "Every fetch, raw body included (zlib-compressed), so any page can be re-extracted.",
        {
            "url": "Response URL (after redirects)",
            "request_url": "The URL that was requested",
            "site": "The crawl's site name",
            "fetched_at": "When it was fetched (UTC)",
            "status": "HTTP status",
            "headers": "Response headers (JSON)",
            "body": "Raw response body, compressed as body_compression says",
            "body_compression": "How body is compressed",
            "body_size": "Uncompressed body size in bytes",
            "body_sha256": "sha256 of the uncompressed body",
            "crawl_run_id": "The crawl that fetched it",
        },
    ),
    "crawl_runs": (
        "Crawl runs",
        "One row per crawl of a site: when, what it fetched, what it added.",
        {
            "spider": "Scrapy spider name",
            "site": "Site config name, or the start URL's host",
            "start_urls": "The list pages it started from (JSON)",
            "started_at": "Start (UTC)",
            "finished_at": "End (UTC)",
            "status": "Scrapy's finish reason (finished, shutdown, …) or running",
            "pages_fetched": "Article pages fetched and kept as snapshots",
            "articles": "Distinct article URLs fetched with a success status",
            "new_versions": "Versions this crawl added",
            "failures": "Failure rows this crawl added",
            "extractor_version": "The govnews version that ran it",
        },
    ),
    "failures": (
        "Failures",
        "Pages that could not be fetched or extracted; the snapshot is kept beside them.",
        {
            "url": "The page",
            "stage": "fetch, extract, normalize, enrich or archive",
            "error": "Why",
            "at": "When (UTC)",
            "snapshot_id": "The kept raw capture, when there was one",
            "crawl_run_id": "The crawl",
        },
    ),
}

RECORD_TABLES = ("pages", "versions")


def metadata_for(db_path: str | Path = "archive.db") -> dict:
    tables = {}
    for name, (title, description, columns) in TABLES.items():
        columns = dict(columns)
        if name in RECORD_TABLES:
            columns = {**FIELD_DESCRIPTIONS, **columns}
        tables[name] = {"title": title, "description": description, "columns": columns}
    return {
        "title": "govnews archive",
        "description": "Chinese local-government news, every version kept.",
        "license": "Content © the publishing governments; archive for research",
        "databases": {Path(db_path).stem: {"tables": tables}},
    }


if __name__ == "__main__":
    print(json.dumps(metadata_for(), ensure_ascii=False, indent=2))
