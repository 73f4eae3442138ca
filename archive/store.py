"""The archive: every fetch, every distinct version, every failure, in one SQLite file.

Tables (names later work relies on):

- ``snapshots``  every fetch: raw body (zlib), status, headers, when; written first.
- ``versions``   one row per distinct content version of a page (all record fields).
- ``pages``      one row per URL, carrying its latest version's fields.
- ``failures``   url, stage, error, when — beside a kept snapshot.
- ``crawl_runs`` one row per crawl: start, end, counts.
- ``pages_fts``   FTS5 index of each page's jieba-segmented title and text (archive/search.py).
- ``simhash_bands`` eight 8-bit bands of each page's SimHash, to find near-duplicates
  (syndicated copies) without comparing every page: two texts within
  ``DUPLICATE_DISTANCE`` bits share at least one band.

The record columns of ``versions`` and ``pages`` are derived from
:class:`crawler.record.Record`, so a new record field becomes a new column
(added in place to an older archive) without touching this module.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
import types
import typing
import zlib
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from archive import search as search_index
from crawler import __version__
from crawler.record import Record, compute_content_hash

EXTRACTOR_VERSION = __version__
# Measured on the labeled corpus and the demo sites (55 articles): different articles are 14 or
# more bits apart, a syndicated copy (a source line added, a paragraph dropped, punctuation
# changed) 0–8 bits from its original, mostly ≤ 7. Eight bands guarantee a shared band at ≤ 7.
DUPLICATE_DISTANCE = 7
SIMHASH_BANDS = 8


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _field_kinds() -> tuple[dict[str, type], set[str]]:
    """SQLite column types of the Record fields, and which of them are stored as JSON."""
    columns, json_fields = {}, set()
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


def record_row(record: Record) -> dict:
    """A record as archive columns: lists and dicts as JSON text."""
    row = record.to_dict()
    for name in JSON_FIELDS:
        if row[name] is not None:
            row[name] = json.dumps(row[name], ensure_ascii=False)
    return row


def row_record(row: dict) -> Record:
    data = dict(row)
    for name in JSON_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    return Record.from_dict(data)


class Archive:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        for attempt in range(10):
            try:
                self.db.enable_wal()
                ensure_schema(self.db)
                search_index.ensure_index(self.db)
                break
            except sqlite3.OperationalError as exc:
                # Crawls started together on a new archive race to create it: the loser sees
                # "already exists" / "duplicate column"; the schema step is idempotent, so retry.
                if attempt == 9 or not re.search(r"already exists|duplicate column|locked", str(exc)):
                    raise
                time.sleep(0.1 * (attempt + 1))

    def close(self) -> None:
        self.db.close()

    # --- crawl runs --------------------------------------------------------
    def start_run(self, spider: str, site: str | None, start_urls: list[str]) -> int:
        table = self.db["crawl_runs"]
        table.insert(
            {
                "spider": spider,
                "site": site,
                "start_urls": json.dumps(start_urls, ensure_ascii=False),
                "started_at": utcnow(),
                "status": "running",
                "extractor_version": EXTRACTOR_VERSION,
            }
        )
        return table.last_pk

    def finish_run(self, run_id: int, status: str) -> dict:
        counts = self.run_counts(run_id)
        self.db["crawl_runs"].update(run_id, {"finished_at": utcnow(), "status": status, **counts})
        return counts

    def run_counts(self, run_id: int) -> dict:
        def count(sql: str) -> int:
            return self.db.execute(sql, [run_id]).fetchone()[0]

        return {
            "pages_fetched": count("select count(*) from snapshots where crawl_run_id = ?"),
            "articles": count(
                "select count(distinct url) from snapshots where crawl_run_id = ? and status < 400"
            ),
            "new_versions": count("select count(*) from versions where crawl_run_id = ?"),
            "failures": count("select count(*) from failures where crawl_run_id = ?"),
        }

    # --- captures ----------------------------------------------------------
    def add_snapshot(
        self,
        *,
        url: str,
        status: int,
        headers: dict,
        body: bytes,
        fetched_at: str | None = None,
        request_url: str | None = None,
        site: str | None = None,
        crawl_run_id: int | None = None,
    ) -> int:
        table = self.db["snapshots"]
        table.insert(
            {
                "url": url,
                "request_url": request_url or url,
                "site": site,
                "fetched_at": fetched_at or utcnow(),
                "status": status,
                "headers": json.dumps(headers, ensure_ascii=False),
                "body": zlib.compress(body, 6),
                "body_compression": "zlib",
                "body_size": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "crawl_run_id": crawl_run_id,
            }
        )
        return table.last_pk

    def snapshot_body(self, snapshot_id: int) -> bytes:
        row = self.db["snapshots"].get(snapshot_id)
        return zlib.decompress(row["body"])

    def add_failure(
        self,
        *,
        url: str,
        stage: str,
        error: str,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
    ) -> int:
        table = self.db["failures"]
        table.insert(
            {
                "url": url,
                "stage": stage,
                "error": error,
                "at": utcnow(),
                "snapshot_id": snapshot_id,
                "crawl_run_id": crawl_run_id,
            }
        )
        return table.last_pk

    # --- versions ----------------------------------------------------------
    def add_record(
        self,
        record: Record,
        *,
        fetched_at: str | None = None,
        site: str | None = None,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
    ) -> int | None:
        """Archive a record; returns the new version's id, or None when the page is unchanged."""
        fetched_at = fetched_at or utcnow()
        if record.content_hash is None:
            record.content_hash = compute_content_hash(record)
        pages = self.db["pages"]
        with self.db.conn:
            current = next(
                self.db.query(
                    "select content_hash, version_count from pages where url = ?", [record.url]
                ),
                None,
            )
            if current and current["content_hash"] == record.content_hash:
                pages.update(record.url, {"last_fetched": fetched_at})
                return None
            row = record_row(record)
            version_number = (current["version_count"] if current else 0) + 1
            versions = self.db["versions"]
            versions.insert(
                {
                    **row,
                    "version": version_number,
                    "site": site,
                    "fetched_at": fetched_at,
                    "snapshot_id": snapshot_id,
                    "crawl_run_id": crawl_run_id,
                    "extractor_version": EXTRACTOR_VERSION,
                }
            )
            version_id = versions.last_pk
            page = {
                **row,
                "site": site,
                "last_fetched": fetched_at,
                "last_changed": fetched_at,
                "latest_version_id": version_id,
                "version_count": version_number,
            }
            if current:
                pages.update(record.url, page)
            else:
                pages.insert({**page, "first_seen": fetched_at})
            self._link_duplicate(record.url, record.simhash)
            search_index.index_page(self.db, record.url, record.title, record.text)
        return version_id

    def search(self, query: str, limit: int = 20) -> list[dict]:
        return search_index.search(self.db, query, limit)

    def _link_duplicate(self, url: str, simhash: str | None) -> None:
        """Index the page's SimHash bands and point `duplicate_of` at the earliest near-identical page."""
        bands = self.db["simhash_bands"]
        bands.delete_where("url = ?", [url])
        duplicate, distance = None, None
        if simhash:
            value = int(simhash, 16)
            keys = [(band, value >> (8 * band) & 0xFF) for band in range(SIMHASH_BANDS)]
            bands.insert_all([{"url": url, "band": b, "value": v} for b, v in keys])
            where = " or ".join("(b.band = ? and b.value = ?)" for _ in keys)
            candidates = self.db.query(
                f"select distinct p.url, p.simhash, p.first_seen from simhash_bands b join pages p on p.url = b.url "
                f"where b.url != ? and p.duplicate_of is null and ({where})",
                [url, *[x for key in keys for x in key]],
            )
            best = None
            for row in candidates:
                bits = bin(value ^ int(row["simhash"], 16)).count("1") if row["simhash"] else 64
                if bits <= DUPLICATE_DISTANCE and (best is None or (bits, row["first_seen"]) < best[:2]):
                    best = (bits, row["first_seen"], row["url"])
            if best:
                distance, duplicate = best[0], best[2]
        self.db["pages"].update(url, {"duplicate_of": duplicate, "duplicate_distance": distance})

    def latest_record(self, url: str) -> Record | None:
        row = next(self.db.query("select * from pages where url = ?", [url]), None)
        return row_record(row) if row else None


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the tables, or add the columns a newer Record has to an older archive."""
    record_columns = dict(RECORD_COLUMNS)
    tables = {
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
            },
            "id",
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
                "body": bytes,
                "body_compression": str,
                "body_size": int,
                "body_sha256": str,
                "crawl_run_id": int,
            },
            "id",
        ),
        "versions": (
            {
                "id": int,
                "url": str,
                "version": int,
                "site": str,
                "fetched_at": str,
                **{k: v for k, v in record_columns.items() if k != "url"},
                "snapshot_id": int,
                "crawl_run_id": int,
                "extractor_version": str,
            },
            "id",
        ),
        "pages": (
            {
                "url": str,
                "site": str,
                "first_seen": str,
                "last_fetched": str,
                "last_changed": str,
                "version_count": int,
                "latest_version_id": int,
                **{k: v for k, v in record_columns.items() if k != "url"},
                "duplicate_of": str,
                "duplicate_distance": int,
            },
            "url",
        ),
        "simhash_bands": ({"url": str, "band": int, "value": int}, None),
        "failures": (
            {
                "id": int,
                "url": str,
                "stage": str,
                "error": str,
                "at": str,
                "snapshot_id": int,
                "crawl_run_id": int,
            },
            "id",
        ),
    }
    foreign_keys = {
        "snapshots": [("crawl_run_id", "crawl_runs", "id")],
        "versions": [
            ("snapshot_id", "snapshots", "id"),
            ("crawl_run_id", "crawl_runs", "id"),
        ],
        "pages": [("latest_version_id", "versions", "id")],
        "failures": [
            ("snapshot_id", "snapshots", "id"),
            ("crawl_run_id", "crawl_runs", "id"),
        ],
    }
    for name, (columns, pk) in tables.items():
        table = db[name]
        if not table.exists():
            table.create(columns, pk=pk, foreign_keys=foreign_keys.get(name)) if pk else table.create(columns)
        else:
            existing = table.columns_dict
            for column, column_type in columns.items():
                if column not in existing:
                    table.add_column(column, column_type)
    for table, columns in (
        ("versions", ["url", "id"]),
        ("snapshots", ["url"]),
        ("snapshots", ["crawl_run_id"]),
        ("failures", ["url"]),
        ("versions", ["crawl_run_id"]),
        ("pages", ["site"]),
        ("pages", ["duplicate_of"]),
        ("simhash_bands", ["band", "value"]),
        ("simhash_bands", ["url"]),
    ):
        db[table].create_index(columns, if_not_exists=True)
