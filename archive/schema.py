"""The archive's tables, and the migrations that bring an older archive up to date.

The schema version is SQLite's ``PRAGMA user_version``: 0 is an archive written by
govnews 0.1 (or a new, empty file), 2 is govnews 0.2, 3 is govnews 0.3 (3 only adds
tables and columns: attachments, crawl-run counters, browser renders), 4 is govnews 0.4
(per-site zstd dictionaries: the ``dictionaries`` table, ``bodies.dictionary_id``).  Opening an archive runs the
migrations it lacks, in one transaction each, so an interrupted upgrade leaves the
archive as it was.  Columns for new Record fields are added in place on every open.
"""

from __future__ import annotations

import re
import types
import typing
from typing import cast

import sqlite_utils
from sqlite_utils.db import Table

from crawler.record import Record

SCHEMA_VERSION = 4

# Record fields kept as plain columns of `versions` (the whole record is in its `record` blob).
VERSION_COLUMNS = ("title", "published_at", "source", "author", "editor", "channel", "content_hash")


def _field_kinds() -> tuple[dict[str, type], set[str]]:
    """SQLite column types of the Record fields, and which of them are stored as JSON."""
    columns: dict[str, type] = {}
    json_fields: set[str] = set()
    for name, hint in typing.get_type_hints(Record).items():
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint) or hint
        if origin in (list, dict):
            json_fields.add(name)
            columns[name] = str
        else:
            columns[name] = hint if hint in (str, int, float) else str
    return columns, json_fields


RECORD_COLUMNS, JSON_FIELDS = _field_kinds()


def tables() -> dict[str, tuple[dict, str | tuple, list]]:
    """name → (columns, primary key, foreign keys) of the current schema version."""
    record = {k: v for k, v in RECORD_COLUMNS.items() if k != "url"}
    return {
        "crawl_runs": (
            {
                "id": int,
                "spider": str,
                "site": str,
                "start_urls": str,
                "started_at": str,
                "finished_at": str,
                "status": str,
                "pages_fetched": int,
                "articles": int,
                "new_versions": int,
                "failures": int,
                "extractor_version": str,
                "list_pages": int,
                "skipped_known": int,
                "not_modified": int,
                "browser_pages": int,
                "attachments": int,
                "user_agent": str,
                "pid": int,
                "job": str,
                "detail": str,
                # Article links the list pages gave (crawl stat govnews/list_links): 0 where
                # earlier runs found some is a list page that broke (archive/health.py).
                "list_links": int,
                # The run's first versions (new articles), those with a weak warning
                # (crawler/record.py WEAK_WARNINGS), and every warning's count among them (JSON).
                "new_articles": int,
                "weak_records": int,
                "warnings": str,
                # The site's health once the run finished (crawler/health.py): ok, warning or
                # failing, its reasons (JSON list of sentences), and what the alert webhook said.
                "health": str,
                "health_reasons": str,
                "health_alert": str,
            },
            "id",
            [],
        ),
        "bodies": (
            {
                "sha256": str,
                "size": int,
                "compression": str,
                "base_sha256": str,
                "data": bytes,
                # The site dictionary `data` is compressed with (null: none; a delta never has one).
                "dictionary_id": int,
            },
            "sha256",
            [("dictionary_id", "dictionaries", "id")],
        ),
        # zstd dictionaries, one per site and kind of blob, trained on the site's first pages
        # (archive/dictionaries.py): never changed nor deleted, since blobs name them.
        "dictionaries": (
            {"id": int, "site": str, "kind": str, "created_at": str, "samples": int, "data": bytes},
            "id",
            [],
        ),
        "snapshots": (
            {
                "id": int,
                "url": str,
                "request_url": str,
                "site": str,
                "fetched_at": str,
                "status": int,
                "headers": str,
                "body_sha256": str,
                "body_size": int,
                "crawl_run_id": int,
                # A page rendered by the browser: its DOM is this snapshot's body; the bytes the
                # server sent, where the browser exposed them, are the snapshot `server_snapshot_id`.
                "render": str,
                "server_snapshot_id": int,
            },
            "id",
            [
                ("crawl_run_id", "crawl_runs", "id"),
                ("body_sha256", "bodies", "sha256"),
                ("server_snapshot_id", "snapshots", "id"),
            ],
        ),
        "versions": (
            {
                "id": int,
                "url": str,
                "version": int,
                "site": str,
                "fetched_at": str,
                **{k: RECORD_COLUMNS[k] for k in VERSION_COLUMNS},
                "extractor_version": str,
                "reason": str,
                "snapshot_id": int,
                "crawl_run_id": int,
                "diff": str,
                "record": bytes,
                "record_base": int,
            },
            "id",
            [("url", "pages", "url"), ("snapshot_id", "snapshots", "id"), ("crawl_run_id", "crawl_runs", "id")],
        ),
        "pages": (
            {
                "url": str,
                "page_id": int,
                "site": str,
                "status": str,
                "first_seen": str,
                "last_fetched": str,
                "last_checked": str,
                "last_changed": str,
                "gone_at": str,
                "moved_to": str,
                "version_count": int,
                "latest_version_id": int,
                "published_month": str,
                "region_code": str,
                "region_name": str,
                **record,
                "duplicate_of": str,
                "duplicate_distance": int,
            },
            "url",
            [("latest_version_id", "versions", "id")],
        ),
        "page_events": (
            {
                "id": int,
                "url": str,
                "event": str,
                "at": str,
                "version_id": int,
                "snapshot_id": int,
                "crawl_run_id": int,
                "detail": str,
            },
            "id",
            [("url", "pages", "url"), ("version_id", "versions", "id"), ("snapshot_id", "snapshots", "id")],
        ),
        "attachments": (
            {
                "id": int,
                "url": str,
                "page_url": str,
                "snapshot_id": int,
                "filename": str,
                "content_type": str,
                "size": int,
                "sha256": str,
                "status": int,
                "fetched_at": str,
                "crawl_run_id": int,
                "error": str,
            },
            "id",
            [("snapshot_id", "snapshots", "id"), ("sha256", "bodies", "sha256"), ("crawl_run_id", "crawl_runs", "id")],
        ),
        "simhash_keys": ({"key": int, "page_id": int, "simhash": int}, ("key", "page_id"), []),
        "archive_meta": ({"key": str, "value": str}, "key", []),
        # What the writer of a queued crawl has applied (archive/oplog.py): each stream message's
        # key, and the ids the archive gave the runs and snapshots the workers named.
        "ingested": ({"key": str, "value": int}, "key", []),
        "failures": (
            {
                "id": int,
                "url": str,
                "stage": str,
                "error": str,
                "at": str,
                "snapshot_id": int,
                "crawl_run_id": int,
                # When the page was archived after all (a later fetch gave its record, or a 304):
                # the row stays, as history; null while the page is still not archived.
                "resolved_at": str,
            },
            "id",
            [("snapshot_id", "snapshots", "id"), ("crawl_run_id", "crawl_runs", "id")],
        ),
    }


INDEXES = (
    ("versions", ["url", "id"]),
    ("versions", ["crawl_run_id"]),
    ("snapshots", ["url"]),
    ("snapshots", ["crawl_run_id"]),
    ("snapshots", ["body_sha256"]),
    ("snapshots", ["site"]),
    ("dictionaries", ["site", "kind"]),
    ("failures", ["url"]),
    ("failures", ["crawl_run_id"]),  # a run's failures (site health reads them per run)
    ("crawl_runs", ["site"]),  # a site's runs (the schedule, site health)
    ("attachments", ["page_url"]),
    ("attachments", ["url"]),
    ("attachments", ["sha256"]),
    ("pages", ["site"]),
    ("pages", ["duplicate_of"]),
    ("pages", ["published_month"]),
    ("pages", ["region_code"]),
    ("page_events", ["url", "at"]),
    ("page_events", ["event", "at"]),
)


def create_sql(db: sqlite_utils.Database, name: str) -> str:
    """CREATE TABLE with its references written in directly: pages and versions refer to each
    other, so neither can wait for the other to exist (sqlite-utils checks that it does)."""
    columns, pk, foreign_keys = tables()[name]
    sql = db.create_table_sql(name, columns, pk=pk)
    for column, other, other_column in foreign_keys:
        declaration = re.compile(rf'^(\s*"{column}" \w+)(,?)$', re.MULTILINE)
        sql, found = declaration.subn(rf'\1 REFERENCES "{other}"("{other_column}")\2', sql)
        assert found == 1, (name, column)
    return sql.rstrip().rstrip(";") + (" WITHOUT ROWID" if isinstance(pk, tuple) else "")


def create_tables(db: sqlite_utils.Database) -> None:
    for name in tables():
        table = db[name]
        if not table.exists():
            db.execute(create_sql(db, name))
    cast(Table, db["pages"]).create_index(["page_id"], unique=True, if_not_exists=True)
    for name, columns in INDEXES:
        cast(Table, db[name]).create_index(columns, if_not_exists=True)


def add_missing_columns(db: sqlite_utils.Database) -> None:
    """A Record field added since the archive was made becomes a new column of `pages`."""
    for name, (columns, _, _) in tables().items():
        table = cast(Table, db[name])  # the archive's tables(), none of them a view
        existing = table.columns_dict
        for column, column_type in columns.items():
            if column not in existing:
                table.add_column(column, column_type)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("pragma user_version").fetchone()[0]


def set_schema_version(db: sqlite_utils.Database, version: int) -> None:
    db.execute(f"pragma user_version = {int(version)}")
