"""Bring an archive written by an older govnews up to the current schema, in place.

``upgrade(db)`` runs on every open.  A new file gets the current tables; an archive of
schema 0 (govnews 0.1: raw bodies inside ``snapshots``, every record field a plain
column of ``versions``, a search index keyed by URL) is rewritten inside one
transaction, so a crash or a full disk mid-upgrade leaves it as it was:

- every snapshot body moves to ``bodies``, stored once per sha256 (delta-compressed);
- every version keeps its id, number, dates and extractor version; its record moves
  into the compressed ``record`` blob and gains the diff from the version before;
- pages gain ``page_id`` (the search index's rowid), state and the facet columns;
- ``page_events`` is filled from the history: first_seen and changed from the versions,
  gone and back from 404/410 captures of pages the archive had.

Schemas 2 and 3 gain what came later in place (`schema.create_tables`,
`schema.add_missing_columns`): schema 3's attachments and counters, and schema 4's
per-site dictionaries (the ``dictionaries`` table, ``bodies.dictionary_id``, an index of
``snapshots`` by site).  Bodies stored before 4 are not rewritten: their
``dictionary_id`` is null, which reads as it always did (zstd alone, or a delta against
a base); a site's dictionary is trained from them when it next gets a capture.
"""

from __future__ import annotations

import zlib

import sqlite_utils

from archive import schema
from archive.near_duplicates import pair_keys, signed
from archive.rows import GONE_STATUSES, add_version, insert, page_columns, row_record, store_body, update

OLD_TABLES = ("snapshots", "versions", "pages")


def upgrade(db: sqlite_utils.Database) -> None:
    version = schema.schema_version(db)
    if version < 2 and "pages" in db.table_names():
        migrate_0_to_2(db)
    schema.create_tables(db)
    schema.add_missing_columns(db)
    if schema.schema_version(db) < schema.SCHEMA_VERSION:
        schema.set_schema_version(db, schema.SCHEMA_VERSION)


def _create(db: sqlite_utils.Database, name: str) -> None:
    db.execute(schema.create_sql(db, name))


def migrate_0_to_2(db: sqlite_utils.Database) -> None:
    conn = db.conn
    conn.execute("pragma legacy_alter_table = on")  # renaming must not rewrite other tables' references
    conn.execute("begin immediate")
    try:
        if schema.schema_version(db) >= 2:  # another process upgraded it while we waited
            conn.execute("rollback")
            return
        old = [name for name in OLD_TABLES if name in db.table_names()]
        _add_old_columns(db, old)
        conn.execute("drop table if exists pages_fts")
        conn.execute("drop table if exists simhash_bands")  # 0.1's 8-bit bands: replaced by simhash_keys
        for name in old:
            conn.execute(f"alter table [{name}] rename to [_old_{name}]")
        for name in schema.tables():
            if name not in db.table_names():
                _create(db, name)
        _add_new_columns(db, ("crawl_runs", "failures"))
        for name in old:
            MOVES[name](db)
        _replay_events(db)
        _index_simhashes(db)
        for name in old:
            conn.execute(f"drop table [_old_{name}]")
        schema.set_schema_version(db, 2)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    finally:
        conn.execute("pragma legacy_alter_table = off")


def _columns(db: sqlite_utils.Database, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"pragma table_info([{table}])")}


def _add_old_columns(db: sqlite_utils.Database, tables: list[str]) -> None:
    """The very first 0.1 archives lack columns later 0.1 releases added: add them empty."""
    wanted = {
        "snapshots": ["request_url", "site", "headers", "body_compression", "body_size", "body_sha256", "crawl_run_id"],
        "versions": ["site", "fetched_at", "snapshot_id", "crawl_run_id", "extractor_version", *schema.RECORD_COLUMNS],
        "pages": [
            "site",
            "first_seen",
            "last_fetched",
            "last_changed",
            "version_count",
            "latest_version_id",
            *schema.RECORD_COLUMNS,
        ],
    }
    for table in tables:
        columns = wanted[table]
        have = _columns(db, table)
        for column in columns:
            if column not in have:
                db.execute(f"alter table [{table}] add column [{column}]")


def _add_new_columns(db: sqlite_utils.Database, names) -> None:
    for name in names:
        have = _columns(db, name)
        for column in schema.tables()[name][0]:
            if column not in have:
                db.execute(f"alter table [{name}] add column [{column}]")


def _move_snapshots(db: sqlite_utils.Database) -> None:

    for row in list(db.query("select * from _old_snapshots order by id")):
        body = row["body"] or b""
        if row["body_compression"] == "zlib":
            body = zlib.decompress(body)
        digest = store_body(db, row["url"], body)
        insert(
            db,
            "snapshots",
            {
                "id": row["id"],
                "url": row["url"],
                "request_url": row["request_url"] or row["url"],
                "site": row["site"],
                "fetched_at": row["fetched_at"],
                "status": row["status"],
                "headers": row["headers"],
                "body_sha256": digest,
                "body_size": len(body),
                "crawl_run_id": row["crawl_run_id"],
            },
        )


def _move_versions(db: sqlite_utils.Database) -> None:

    previous: dict[str, dict] = {}
    for row in list(db.query("select * from _old_versions order by url, version, id")):
        record = row_record(row)
        add_version(
            db,
            record,
            version=row["version"],
            previous=previous.get(row["url"]),
            reason="crawl",
            extractor_version=row["extractor_version"],
            id=row["id"],
            site=row["site"],
            fetched_at=row["fetched_at"],
            snapshot_id=row["snapshot_id"],
            crawl_run_id=row["crawl_run_id"],
        )
        previous[row["url"]] = record.to_dict()


def _move_pages(db: sqlite_utils.Database) -> None:

    for page_id, row in enumerate(list(db.query("select * from _old_pages order by rowid")), start=1):
        insert(
            db,
            "pages",
            {
                **page_columns(row_record(row)),
                "page_id": page_id,
                "status": "live",
                **{
                    k: row.get(k)
                    for k in (
                        "site",
                        "first_seen",
                        "last_fetched",
                        "last_changed",
                        "version_count",
                        "latest_version_id",
                        "duplicate_of",
                        "duplicate_distance",
                    )
                },
            },
        )


def _index_simhashes(db: sqlite_utils.Database) -> None:

    rows = [
        (page_id, int(simhash, 16))
        for page_id, simhash in db.execute("select page_id, simhash from pages where simhash is not null")
    ]
    db.conn.executemany(
        "insert or ignore into simhash_keys (key, page_id, simhash) values (?, ?, ?)",
        [(key, page_id, signed(value)) for page_id, value in rows for key in pair_keys(value)],
    )


MOVES = {"snapshots": _move_snapshots, "versions": _move_versions, "pages": _move_pages}


def _replay_events(db: sqlite_utils.Database) -> None:
    """The timeline the old archive implies: versions, then 404/410 and recoveries between them."""

    happenings = db.query(
        "select url, fetched_at as at, 'version' as kind, id as version_id, snapshot_id, crawl_run_id, "
        "version, null as status from versions "
        "union all select url, fetched_at, 'fetch', null, id, crawl_run_id, null, status from snapshots "
        "order by url, at, kind desc"
    )
    state: dict[str, str] = {}
    for h in list(happenings):
        url, seen = h["url"], state.get(h["url"])
        common = {"url": url, "at": h["at"], "snapshot_id": h["snapshot_id"], "crawl_run_id": h["crawl_run_id"]}
        if h["kind"] == "version":
            event = "first_seen" if h["version"] == 1 else "changed"
            if seen == "gone":
                insert(db, "page_events", {**common, "event": "back"})
            insert(db, "page_events", {**common, "event": event, "version_id": h["version_id"]})
            state[url] = "live"
        elif seen == "live" and h["status"] in GONE_STATUSES:
            insert(db, "page_events", {**common, "event": "gone", "detail": f"HTTP {h['status']}"})
            state[url] = "gone"
            update(db, "pages", "url", url, {"status": "gone", "gone_at": h["at"]})
        elif seen == "gone" and h["status"] and h["status"] < 400:
            insert(db, "page_events", {**common, "event": "back"})
            state[url] = "live"
            update(db, "pages", "url", url, {"status": "live", "gone_at": None})
