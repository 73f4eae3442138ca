"""Datasette metadata for an archive: titles, descriptions, units, facets and canned queries.

`archive/metadata.json` is this output for the default `archive.db`; `govnews
browse` writes it for whatever the archive file is called (Datasette names a
database after its file).  Regenerate the shipped file with
`python -m archive.datasette > archive/metadata.json`.

What the project's Datasette plugin (archive/datasette_plugin/) reads from it:

- ``fts_table`` / ``fts_pk`` of ``pages``: the search box searches ``pages_fts``, whose
  rowid is ``pages.page_id``; the plugin segments what people type with jieba.
- ``plugins.govnews.charts``: the canned queries drawn as a bar chart above their rows.
- ``plugins.govnews.reading_columns``: the columns a table's HTML view opens with (pages:
  title, published_at, source, site, region_name and text as an excerpt).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from archive.schema import VERSION_COLUMNS
from crawler.record import FIELD_DESCRIPTIONS

TABLES = {
    "pages": (
        "Pages",
        "One row per article URL, carrying its latest version's fields. The search box finds "
        "Chinese words as people type them (书记, 项目建设, 区委书记张书杰); `title:书记` searches "
        "headlines only.",
        {
            "url": "The page's canonical address",
            "page_id": "The page's number: the rowid of its row in the search index",
            "site": "The crawl's site name",
            "status": "live, gone (the site answered 404/410) or moved (it now redirects to moved_to)",
            "first_seen": "When the page was first archived (UTC)",
            "last_fetched": "When the page was last fetched (UTC)",
            "last_changed": "When the latest version was archived (UTC)",
            "gone_at": "When the page was found gone (UTC)",
            "moved_to": "Where the page redirects now",
            "version_count": "How many distinct versions the page has had",
            "latest_version_id": "The latest row of versions",
            "published_month": "YYYY-MM of published_at, for facets and the per-month counts",
            "region_code": "GB/T 2260 code of the region the article belongs to (a county's starts with its city's 4 digits, its province's 2)",
            "region_name": "Province, city and county names of that region",
            "text_original": "Body text exactly as the page had it, when it differs from text (null when identical)",
            "duplicate_of": "The earliest archived page whose text is near-identical (a syndicated copy's original)",
            "duplicate_distance": "SimHash bits between this page and duplicate_of (0 = same text; at most 7)",
        },
    ),
    "versions": (
        "Versions",
        "One row per distinct content version of a page: a crawl of an unchanged page adds none. "
        "diff says what changed from the version before.",
        {
            "id": "The version's id",
            "url": "The page",
            "version": "1 for the first version of the page, then 2, 3 …",
            "site": "The crawl's site name",
            "fetched_at": "When the fetch that gave this version happened (UTC)",
            "extractor_version": "The govnews version that extracted it",
            "reason": "crawl (a fetch found new content) or reprocess (re-extraction of a stored capture)",
            "snapshot_id": "The raw capture this version was extracted from",
            "crawl_run_id": "The crawl that found it",
            "diff": "What changed since the previous version, one line a change: "
            "'@ field: old → new', '- removed paragraph', '+ added paragraph', "
            "'~ edited paragraph' with [-removed-] and {+added+} words; null for version 1",
            "record": "The whole record as zstd-compressed JSON (SQL: govnews_record(record) for a "
            "self-contained one, govnews_record(record, base.record) for a delta)",
            "record_base": "The version whose record is this record's compression base (null: self-contained)",
        },
    ),
    "page_events": (
        "Page events",
        "The life of each page: first_seen, changed, gone, back, moved.",
        {
            "id": "The event's id",
            "url": "The page",
            "event": "first_seen, changed (a new version), gone (404/410), back (live again) or moved (redirects)",
            "at": "When (UTC)",
            "version_id": "The version it added (first_seen, changed)",
            "snapshot_id": "The fetch that showed it",
            "crawl_run_id": "The crawl",
            "detail": "HTTP status of a gone page, target of a move, 'reprocess' for a re-extraction",
        },
    ),
    "snapshots": (
        "Snapshots",
        "Every fetch: status, headers and the raw body (in bodies), so any page can be re-extracted.",
        {
            "id": "The fetch's id",
            "url": "Response URL (after redirects)",
            "request_url": "The URL that was requested",
            "site": "The crawl's site name",
            "fetched_at": "When it was fetched (UTC)",
            "status": "HTTP status",
            "headers": "Response headers (JSON)",
            "body_sha256": "sha256 of the raw body: its row in bodies",
            "body_size": "Uncompressed body size",
            "crawl_run_id": "The crawl that fetched it",
        },
    ),
    "bodies": (
        "Bodies",
        "Raw response bodies, once each (content-addressed), zstd-compressed, a capture often "
        "against an earlier capture of its page.",
        {
            "sha256": "sha256 of the uncompressed body",
            "size": "Uncompressed size",
            "compression": "Codec of data",
            "base_sha256": "The body data is compressed against (null: self-contained)",
            "data": "The compressed body",
            "dictionary_id": "The site dictionary data is compressed with (null: none)",
        },
    ),
    "dictionaries": (
        "Dictionaries",
        "zstd dictionaries trained on a site's first pages, which its later bodies are compressed with; "
        "never changed, so every body stays readable.",
        {
            "id": "The dictionary's id (bodies.dictionary_id)",
            "site": "The site whose pages it was trained on",
            "kind": "What it compresses (body: raw captures)",
            "created_at": "When it was trained (UTC)",
            "samples": "How many of the site's bodies it was trained on",
            "data": "The zstd dictionary",
        },
    ),
    "crawl_runs": (
        "Crawl runs",
        "One row per crawl of a site: when, what it fetched, what it added.",
        {
            "id": "The crawl's id",
            "spider": "Scrapy spider name",
            "site": "Site config name, or the start URL's host",
            "start_urls": "The list pages it started from (JSON)",
            "started_at": "Start (UTC)",
            "finished_at": "End (UTC)",
            "status": "Scrapy's finish reason (finished, closespider_…), running, or interrupted "
            "(stopped by SIGINT/SIGTERM: detail says which; or its process died: no finished_at)",
            "pages_fetched": "Article pages fetched and kept as snapshots",
            "articles": "Distinct article URLs fetched with a success status",
            "new_versions": "Versions this crawl added",
            "failures": "Failure rows this crawl added",
            "extractor_version": "The govnews version that ran it",
            "pid": "The crawl's process id (null for a crawl run by a queue worker)",
            "job": "The queue job of a crawl run by a worker (docs/scaling.md)",
            "detail": "Why the crawl stopped early: stopped by SIGINT or SIGTERM, a site refusing us, …",
            "list_links": "Article links its list pages gave (0 where earlier crawls found some: a broken list)",
            "new_articles": "Articles it archived for the first time",
            "weak_records": "New articles with no_title, no_date, empty_body or short_body",
            "warnings": "Each warning's count among its new articles (JSON)",
            "health": "The site's health once it finished: ok, warning or failing (docs/monitoring.md)",
            "health_reasons": "Why (JSON list of sentences)",
            "health_alert": "What the alert webhook said of the change of health, if there was one",
        },
    ),
    "failures": (
        "Failures",
        "Pages that could not be fetched or extracted; the snapshot is kept beside them.",
        {
            "id": "The failure's id",
            "url": "The page",
            "stage": "fetch, extract, normalize, enrich, archive, list, link, or ingest (a queue message the writer could not apply)",
            "error": "Why",
            "at": "When (UTC)",
            "snapshot_id": "The kept raw capture, when there was one",
            "crawl_run_id": "The crawl",
            "resolved_at": "When the page was archived after all (a later fetch gave its record); "
            "null while it is still not archived",
        },
    ),
    "ingested": (
        "Queue messages written",
        "What the queue's writer (govnews ingest) has applied: each stream message's key, and "
        "the id each name a worker gave a run or a snapshot stands for.",
        {"key": "A message's key, or a worker's name for a run or snapshot", "value": "The id it stands for"},
    ),
    "archive_meta": (
        "Archive settings",
        "Facts about the archive itself (which segmenter built the search index, …).",
        {"key": "Name", "value": "Value"},
    ),
    "pages_fts": (
        "Search index",
        "FTS5 index of each page's title and text as jieba-segmented words (the words inside "
        "long words too); contentless, its rowid is pages.page_id.",
        {"title": "The headline as space-separated words", "text": "The text as space-separated words"},
    ),
    "simhash_keys": (
        "SimHash keys",
        "Each page's SimHash under 36 block-pair keys: the index that finds near-duplicate pages.",
        {
            "key": "Block pair number × 65536 + the pair's bits",
            "page_id": "The page (pages.page_id)",
            "simhash": "The page's SimHash as a signed 64-bit integer (checked here without reading pages)",
        },
    ),
}

# Record fields that `versions` keeps as plain columns (the rest is in its record blob).
VERSION_RECORD_COLUMNS = VERSION_COLUMNS

HIDDEN = (
    "pages_fts",
    "pages_fts_data",
    "pages_fts_idx",
    "pages_fts_docsize",
    "pages_fts_config",
    "pages_fts_content",
    "simhash_keys",
    "bodies",
    "dictionaries",
    "archive_meta",
    "ingested",
)

TABLE_OPTIONS = {
    "pages": {
        "label_column": "title",
        "fts_table": "pages_fts",
        "fts_pk": "page_id",
        "sort_desc": "published_at",
        "sortable_columns": [
            "published_at",
            "title",
            "site",
            "status",
            "first_seen",
            "last_fetched",
            "last_changed",
            "version_count",
            "views",
            "published_month",
            "region_code",
            "doc_type",
            "duplicate_distance",
        ],
        "facets": ["site", {"array": "channel"}, "region_name", "doc_type", "published_month"],
        "facet_size": 5,  # the most frequent 5 of each, so the rows start in the first screen; "…" shows all
    },
    "versions": {
        "sort_desc": "id",
        "sortable_columns": [
            "id",
            "url",
            "version",
            "site",
            "fetched_at",
            "published_at",
            "extractor_version",
            "reason",
            "crawl_run_id",
        ],
        "facets": ["site", "reason", "extractor_version"],
    },
    "page_events": {
        "sort_desc": "at",
        "sortable_columns": ["id", "url", "event", "at", "crawl_run_id"],
        "facets": ["event"],
    },
    "snapshots": {
        "sort_desc": "id",
        "sortable_columns": ["id", "url", "site", "fetched_at", "status", "body_size", "crawl_run_id"],
        "facets": ["site", "status"],
        "units": {"body_size": "bytes"},
    },
    "bodies": {"units": {"size": "bytes"}},
    "crawl_runs": {
        "sort_desc": "id",
        "sortable_columns": [
            "id",
            "site",
            "started_at",
            "finished_at",
            "status",
            "pages_fetched",
            "articles",
            "new_versions",
            "failures",
        ],
    },
    "failures": {
        "sort_desc": "id",
        "sortable_columns": ["id", "url", "stage", "at", "crawl_run_id", "resolved_at"],
        "facets": ["stage"],
    },
}

QUERIES = {
    "page_versions": {
        "title": "Versions of a page",
        "description": "Every version of one page, oldest first, with what changed each time "
        "(removed words struck through in red, added words in green).",
        "sql": "select id, version, fetched_at, extractor_version, reason, title, diff\n"
        "from versions where url = :url order by version",
    },
    "recent_changes": {
        "title": "Changes in the last 7 days",
        "description": "Pages first seen, changed, gone, back or moved in the last seven days, newest first.",
        "sql": "select e.at, e.event, e.url, p.title, e.version_id, e.detail\n"
        "from page_events e left join pages p on p.url = e.url\n"
        "where e.event in ('changed', 'gone', 'back', 'moved', 'first_seen')\n"
        "  and datetime(e.at) >= datetime('now', '-7 days')\n"
        "order by e.at desc, e.id desc",
    },
    "withdrawn": {
        "title": "Pages withdrawn in a month",
        "description": "Pages that went gone (the site answered 404 or 410) in a month, given as YYYY-MM (2026-11).",
        "sql": "select e.at as gone_at, e.url, p.title, p.published_at, p.site, e.detail\n"
        "from page_events e left join pages p on p.url = e.url\n"
        "where e.event = 'gone' and substr(e.at, 1, 7) = :month\n"
        "order by e.at",
    },
    "person_mentions": {
        "title": "Pages naming a person",
        "description": "Pages whose people (names found with their titles) include this name, newest first.",
        "sql": "select url, title, published_at, site from pages\n"
        "where exists (select 1 from json_each(pages.people) where json_extract(value, '$.name') = :name)\n"
        "order by published_at desc",
    },
    "articles_by_region": {
        "title": "Articles of a region",
        "description": "Pages of a GB/T 2260 region and the regions inside it: a code of 2 digits "
        "(province), 4 (city) or 6 (410000, 411000 and 411002 work too).",
        "sql": "with q as (select case\n"
        "    when length(:code) = 6 and substr(:code, 3) = '0000' then substr(:code, 1, 2)\n"
        "    when length(:code) = 6 and substr(:code, 5) = '00' then substr(:code, 1, 4)\n"
        "    else :code end as prefix)\n"
        "select p.url, p.title, p.published_at, p.region_code, p.region_name, p.site\n"
        "from pages p, q where q.prefix != '' and substr(p.region_code, 1, length(q.prefix)) = q.prefix\n"
        "order by p.published_at desc",
    },
    "articles_per_month": {
        "title": "Articles per month",
        "description": "How many archived pages were published in each month (pages without a date left out).",
        "sql": "select published_month as month, count(*) as articles from pages\n"
        "where published_month is not null group by month order by month",
    },
    "site_health": {
        "title": "Site health",
        "description": "Each site as its latest crawl judged it (ok, warning, failing; docs/monitoring.md), "
        "worst first: the reasons, and that crawl's new articles, weak records, failures and list links. "
        "`govnews health` also says which sites are overdue.",
        "sql": "select r.site, r.health, r.health_reasons as reasons, r.started_at as last_crawl,\n"
        "  r.status, r.new_articles, r.weak_records, r.failures, r.list_links, r.health_alert\n"
        "from crawl_runs r\n"
        "where r.id = (select max(id) from crawl_runs where site = r.site and health is not null)\n"
        "order by case r.health when 'failing' then 0 when 'warning' then 1 else 2 end, r.site",
    },
    "weak_records_per_run": {
        "title": "Weak records per crawl",
        "description": "New articles of each crawl whose record lacks a title, a date or a body "
        "(no_title, no_date, empty_body, short_body): a rise is a changed template.",
        "sql": "select site || ' #' || id as run, weak_records, new_articles, started_at, health\n"
        "from crawl_runs where new_articles is not null order by id",
    },
    "search": {
        "title": "Search",
        "description": "Pages containing every word of what you type (Chinese is segmented with jieba: "
        "书记, 项目建设, 区委书记张书杰), best matches first, at most 50.",
        "sql": "select p.url, p.title, p.published_at, p.site\n"
        "from pages_fts f join pages p on p.page_id = f.rowid\n"
        "where pages_fts match govnews_fts(:q)\n"
        "order by bm25(pages_fts) limit 50",
    },
}

CHARTS = {
    "articles_per_month": {"x": "month", "y": "articles", "title": "Articles per month"},
    "weak_records_per_run": {"x": "run", "y": "weak_records", "title": "Weak records per crawl"},
}

# What a table's HTML view opens with (the plugin's reading view; ?_col= still picks any columns,
# and the JSON and CSV have every column): title links to the page's row, text is an excerpt.
READING_COLUMNS = {
    "pages": ["title", "published_at", "source", "site", "region_name", "text"],
}


def table_metadata(name: str) -> dict:
    title, description, columns = TABLES[name]
    if name == "pages":
        columns = {**FIELD_DESCRIPTIONS, **columns}
    elif name == "versions":
        record = {k: FIELD_DESCRIPTIONS[k] for k in VERSION_RECORD_COLUMNS}
        columns = {**record, **columns}
    meta: dict[str, object] = {"title": title, "description": description, "columns": dict(columns)}
    if name in HIDDEN:
        meta["hidden"] = True
    meta.update(json.loads(json.dumps(TABLE_OPTIONS.get(name, {}))))
    return meta


def metadata_for(db_path: str | Path = "archive.db") -> dict:
    tables = {name: table_metadata(name) for name in TABLES}
    for name in HIDDEN:
        tables.setdefault(name, {"hidden": True})
    return {
        "title": "govnews archive",
        "description": "Chinese local-government news, every version kept.",
        "license": "Content © the publishing governments; archive for research",
        "databases": {
            Path(db_path).stem: {
                "tables": tables,
                "queries": json.loads(json.dumps(QUERIES)),
                "plugins": {
                    "govnews": {
                        "charts": json.loads(json.dumps(CHARTS)),
                        "reading_columns": json.loads(json.dumps(READING_COLUMNS)),
                    }
                },
            }
        },
    }


# `govnews browse --public`: what a server other machines reach must not offer.
PUBLIC_SETTINGS = (
    ("default_allow_sql", "off"),  # no arbitrary SQL (canned queries and search still work)
    ("allow_download", "off"),  # no download of the whole database file
    ("allow_csv_stream", "off"),  # no CSV stream of every row of a table
)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
FOLDER_PREFIX = "govnews-browse-"
# Metadata folders of earlier runs older than this are removed (Datasette reads the file at start).
STALE_FOLDER_SECONDS = 24 * 3600


class BrowseError(ValueError):
    """The archive cannot be served: the message says why and what to do."""


def datasette_args(
    path: Path, *, host: str, port: int, live: bool, public: bool = False
) -> tuple[list[str], list[str]]:
    """The `datasette serve` command line for an archive, and notes for the person starting it.

    The archive is opened read-only (`Archive(path, read_only=True)`): nothing is created or
    upgraded, so a file that is not a govnews archive, or not SQLite, is refused with one line,
    and an older schema is served as it is.  Served immutable, its WAL is checkpointed first,
    since an immutable open reads the main file only; an archive on a read-only filesystem
    whose WAL still holds transactions cannot be checkpointed, and is served live instead
    (Datasette's read-only ``mode=ro``, which reads the WAL).  ``public`` adds `PUBLIC_SETTINGS`.

    The metadata is written to a new private folder (:func:`tempfile.mkdtemp`: mode 0700,
    created by this call, never an existing path another user could have planted or linked).
    `govnews browse` then *execs* Datasette, so nothing is left to remove the folder when
    Datasette stops: instead each run removes this user's folders of earlier runs older than
    a day (`remove_stale_folders`)."""
    from archive.store import Archive, ArchiveError, can_write

    try:
        archive = Archive(path, read_only=True)
    except ArchiveError as exc:
        raise BrowseError(str(exc)) from exc
    notes, read_only_file = archive.reading_notes(), not can_write(path)
    archive.close()
    wal = Path(f"{path}-wal")
    if not live and read_only_file and wal.is_file() and wal.stat().st_size:
        live = True
        notes.append(f"{path} cannot be written and its WAL holds transactions: serving it live (read-only)")
    elif not live and not read_only_file:
        with closing(sqlite3.connect(path, timeout=10)) as conn:
            busy, wal_pages, moved = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy or (wal_pages != -1 and moved < wal_pages):
            raise BrowseError(f"{path} is being written (its WAL could not be checkpointed): serve it with --live")
    remove_stale_folders()
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    metadata = folder / "metadata.json"
    descriptor = os.open(metadata, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(metadata_for(path), ensure_ascii=False))
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *([str(path)] if live else ["-i", str(path)]),
        "--metadata",
        str(metadata),
        "--host",
        host,
        "--port",
        str(port),
    ]
    for name, value in PUBLIC_SETTINGS if public else ():
        args += ["--setting", name, value]
    if public:
        notes.append("Public: no arbitrary SQL, no database download, no CSV streams")
    elif host not in LOOPBACK:
        notes.append(f"Serving beyond loopback ({host}) with arbitrary SQL and the database download on: see --public")
    notes.append(f"Serving {path} {'live' if live else 'immutable'} at http://{host}:{port}/{path.stem}")
    return args, notes


def remove_stale_folders(now: float | None = None) -> int:
    """Remove metadata folders of earlier `browse` runs: only real folders (not links) this
    user owns, private, older than `STALE_FOLDER_SECONDS`.  Returns how many went."""
    now = time.time() if now is None else now
    removed = 0
    root = Path(tempfile.gettempdir())
    try:
        candidates = list(root.glob(FOLDER_PREFIX + "*"))
    except OSError:
        return 0
    for folder in candidates:
        try:
            info = os.lstat(folder)
            if (
                not stat.S_ISDIR(info.st_mode)
                or info.st_uid != os.getuid()
                or info.st_mode & 0o077
                or now - info.st_mtime < STALE_FOLDER_SECONDS
            ):
                continue
            shutil.rmtree(folder)
            removed += 1
        except OSError:
            continue
    return removed


if __name__ == "__main__":
    print(json.dumps(metadata_for(), ensure_ascii=False, indent=2))
