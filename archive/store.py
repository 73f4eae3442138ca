"""The archive: every fetch, every distinct version, every failure, in one SQLite file.

Tables (names later work relies on; the README's "Schema" section has every column):

- ``snapshots``   every fetch: url, status, headers, when, and the digest of its raw body.
- ``bodies``      raw bodies, stored once per sha256, zstd-compressed with their site's
                  dictionary or as a delta against an earlier body of the same page
                  (archive/blobs.py, archive/dictionaries.py).
- ``dictionaries`` the per-site zstd dictionaries bodies name.
- ``versions``    one row per distinct content version of a page: the main fields plain,
                  the whole record as a compressed blob, and a readable diff from the
                  version before (archive/diff.py).
- ``pages``       one row per URL, carrying its latest version's fields and its state
                  (live, gone, moved).
- ``page_events`` each page's timeline: first_seen, changed, gone, back, moved.
- ``failures``    url, stage, error, when — beside a kept snapshot.
- ``crawl_runs``  one row per crawl: start, end, counts.
- ``pages_fts``   FTS5 index of each page's jieba-segmented title and text (archive/search.py).
- ``simhash_keys`` each page's SimHash under 36 block-pair keys, to find near-duplicates
  (syndicated copies) without comparing every page (archive/near_duplicates.py).

``Archive(path)`` is the writer's open: it creates the file, upgrades an older schema and
rebuilds a stale search index.  ``Archive(path, read_only=True)`` is the reader's (stats,
search, export, browse): SQLite's ``mode=ro``, or ``immutable=1`` where the file or its folder
cannot be written (a read-only mount), no table created, no migration run; a path that is not
a govnews archive raises `ArchiveError` with the one line that says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import sqlite_utils
from sqlite_utils.db import Table

from archive import migrations, near_duplicates
from archive import search as search_index
from archive.dictionaries import SiteDictionaries
from archive.rows import (
    EXTRACTOR_VERSION,
    add_version,
    insert,
    page_columns,
    read_blob,
    row_record,
    store_body,
    update,
    write_transaction,
)
from archive.schema import SCHEMA_VERSION, schema_version
from crawler.common import parse_time, pid_alive, utcnow
from crawler.record import WEAK_WARNINGS, Record, compute_content_hash

DUPLICATE_DISTANCE = near_duplicates.DISTANCE
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
# The oldest schema the current code reads as it is: 0.1's (schema 0) must be upgraded first.
OLDEST_READABLE_SCHEMA = 2


class ArchiveError(ValueError):
    """A path that cannot be read as a govnews archive: the message is one line saying why."""


def can_write(path: str | Path) -> bool:
    """Whether this process may write the file at `path` and its folder (False on a read-only
    mount, for root too)."""
    path = Path(path)
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def _read_only_uri(path: Path) -> tuple[str, bool]:
    """The URI a reader opens `path` with, and whether it is immutable.

    ``mode=ro`` sees what a writer is committing (through the WAL and its index, the -shm
    file); where the file or its folder cannot be written (a read-only mount) SQLite could not
    use the -shm file, so the file is opened ``immutable=1``, unless a WAL and its index are
    there to read: then ``mode=ro`` reads them as they are (SQLite 3.22 and later)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if can_write(path) or (wal.is_file() and wal.stat().st_size and shm.is_file()):
        return uri, False
    return uri + "&immutable=1", True


def open_read_only(path: str | Path) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to the govnews archive at `path`, and whether it is immutable;
    ArchiveError, with the one line that says why, when `path` is missing, not SQLite, or an
    SQLite file without a pages table."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}: run `govnews demo` or `govnews crawl` first")
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if header and header != SQLITE_HEADER:
        raise ArchiveError(f"{path} is not an SQLite file")
    uri, immutable = _read_only_uri(path)
    wal = Path(f"{path}-wal")
    if not immutable and not (wal.is_file() and wal.stat().st_size):
        # Looked at immutable first: SQLite then creates no WAL index beside the file, so a file
        # that is no archive (a WAL-mode one too) is left exactly as it was, and nothing beside it.
        probe = _connect(path.resolve().as_uri() + "?mode=ro&immutable=1", path)
        try:
            _archive_schema(probe, path)
        finally:
            probe.close()
    conn = _connect(uri, path)
    try:
        _archive_schema(conn, path)
    except ArchiveError:
        conn.close()
        raise
    return conn, immutable


def _connect(uri: str, path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot read {path} as SQLite: {exc}") from exc
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"cannot read {path} as SQLite: {exc}") from exc
    return conn


def archive_schema(path: str | Path) -> int:
    """The schema version of the govnews archive at `path`, read without changing it;
    ArchiveError when `path` is no govnews archive (missing, not SQLite, no pages table)."""
    conn, _ = open_read_only(path)
    try:
        return _archive_schema(conn, Path(path))
    finally:
        conn.close()


def _archive_schema(conn: sqlite3.Connection, path: Path) -> int:
    try:
        pages = conn.execute("select 1 from sqlite_master where type = 'table' and name = 'pages'").fetchone()
        version = conn.execute("pragma user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot read {path} as SQLite: {exc}") from exc
    if not pages:
        raise ArchiveError(f"{path} is not a govnews archive (no pages table)")
    return version


def upgrade_note(path: str | Path) -> str | None:
    """The line a command that writes the archive says before it upgrades it; None when it
    will not (a current archive, or no archive yet)."""
    try:
        version = archive_schema(path)
    except ArchiveError:
        return None
    if version >= SCHEMA_VERSION:
        return None
    return f"Upgrading {path} from schema {version} to {SCHEMA_VERSION} (in place, once)"


class Archive:
    _index_paused = False
    read_only = False
    immutable = False
    # Schema 4's per-site dictionaries (bodies.dictionary_id): an older archive read as it is has none.
    _body_dictionary: str | None = "dictionary_id"

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        if read_only:
            self._open_read_only()
            return
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        # With WAL, NORMAL loses no committed transaction on a crash of the process (only on
        # power loss), and spares an fsync per page.
        self.db.execute("PRAGMA synchronous = NORMAL")
        # The writer's B-trees (simhash keys, the search index) are updated at random places:
        # a 32 MB page cache instead of SQLite's 2 MB keeps their upper levels in memory.
        self.db.execute("PRAGMA cache_size = -32768")
        for attempt in range(10):
            try:
                self.db.enable_wal()
                migrations.upgrade(self.db)
                search_index.ensure_index(self.db)
                break
            except sqlite3.OperationalError as exc:
                # Crawls started together on a new archive race to create it: the loser sees
                # "already exists" / "duplicate column"; the schema step is idempotent, so retry.
                if attempt == 9 or not re.search(r"already exists|duplicate column|locked", str(exc)):
                    raise
                time.sleep(0.1 * (attempt + 1))
        self._dictionaries = SiteDictionaries(self.db)
        self.schema_version = schema_version(self.db)

    def _open_read_only(self) -> None:
        """Open for reading only: nothing created, nothing upgraded, nothing rebuilt."""
        path = self.path
        conn, self.immutable = open_read_only(path)
        try:
            self.schema_version = _archive_schema(conn, path)
        except ArchiveError:
            conn.close()
            raise
        self.read_only = True
        self.db = sqlite_utils.Database(conn)
        if self.schema_version < OLDEST_READABLE_SCHEMA:
            self.close()
            raise ArchiveError(
                f"{path} is an archive of schema {self.schema_version} (govnews 0.1): "
                f"upgrade it with a command that writes it (`govnews reprocess --db {path}`)"
            )
        if "dictionary_id" not in self.db["bodies"].columns_dict:
            self._body_dictionary = None
        self._dictionaries = SiteDictionaries(self.db)

    def reading_notes(self) -> list[str]:
        """What a reader should know of an archive opened read-only as it is: an older schema,
        a search index another segmenter built (one line each)."""
        notes = []
        if self.schema_version < SCHEMA_VERSION:
            notes.append(
                f"{self.path} is of schema {self.schema_version}, read as it is "
                f"(a command that writes it, such as `govnews reprocess`, upgrades it to {SCHEMA_VERSION})"
            )
        if not search_index.index_is_current(self.db):
            notes.append(
                f"the search index of {self.path} was built by another segmenter (or not finished): "
                f"searches may miss pages until a command that writes the archive rebuilds it"
            )
        return notes

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def batch(self):
        """Group many writes in one transaction (each call inside is a savepoint): imports and
        re-extractions write many times faster; a crash loses only the open batch."""
        with write_transaction(self.db):
            yield self

    @contextlib.contextmanager
    def bulk_load(self):
        """Load many versions without keeping the search index in step page by page; it is
        rebuilt once from `pages` at the end. Marked stale first, so a crash mid-load leaves
        an index the next open rebuilds, never a wrong one."""
        search_index.mark_stale(self.db)
        self._index_paused = True
        try:
            yield self
        finally:
            self._index_paused = False
        search_index.ensure_index(self.db)

    # --- crawl runs --------------------------------------------------------
    def start_run(
        self,
        spider: str,
        site: str | None,
        start_urls: list[str],
        *,
        user_agent: str | None = None,
        started_at: str | None = None,
        job: str | None = None,
    ) -> int:
        """A new `running` row. A queued crawl (`job`: the queue's job id) ran in another process,
        maybe on another machine: its row has no pid, and an earlier run of the same job that
        never finished (its worker died and the job runs again) becomes `interrupted`."""
        with write_transaction(self.db):
            self._close_dead_runs()
            if job is not None:
                for (run_id,) in self.db.execute(
                    "select id from crawl_runs where job = ? and status = 'running'", [job]
                ).fetchall():
                    update(self.db, "crawl_runs", "id", run_id, {"status": "interrupted", **self.run_counts(run_id)})
            return insert(
                self.db,
                "crawl_runs",
                {
                    "spider": spider,
                    "site": site,
                    "start_urls": json.dumps(start_urls, ensure_ascii=False),
                    "started_at": started_at or utcnow(),
                    "status": "running",
                    "extractor_version": EXTRACTOR_VERSION,
                    "user_agent": user_agent,
                    "pid": None if job is not None else os.getpid(),
                    "job": job,
                },
            )

    def _close_dead_runs(self) -> None:
        """Runs still `running` whose process is gone (killed, crashed) become `interrupted`."""
        for row in self.db.query(
            "select id, pid, started_at from crawl_runs where status = 'running' and pid is not null"
        ):
            if not pid_alive(row["pid"], parse_time(row["started_at"])):  # a reused pid is not the crawl
                update(self.db, "crawl_runs", "id", row["id"], {"status": "interrupted", **self.run_counts(row["id"])})

    def previous_run_status(self, site: str, run_id: int | None = None) -> str | None:
        """How the site's latest crawl before run `run_id` ended (finished, interrupted …)."""
        row = self.db.execute(
            "select status from crawl_runs where site = ? and id != ? order by id desc limit 1", [site, run_id or -1]
        ).fetchone()
        return row[0] if row else None

    def failed_in_previous_run(self, site: str, run_id: int | None = None) -> list[str]:
        """Articles that failed in the site's crawl before run `run_id` and are still not archived
        (list pages and malformed links, stages `list` and `link`, are not articles to ask for)."""
        return [
            row[0]
            for row in self.db.execute(
                """select distinct url from failures
               where crawl_run_id = (select max(id) from crawl_runs where site = ? and id != ?)
                 and stage not in ('list', 'link') and url not in (select url from pages)""",
                [site, run_id or -1],
            )
        ]

    def known_page(self, url: str) -> dict | None:
        """An archived page's state and its last 200 capture's validators (`etag`, `last_modified`)."""
        row = next(
            self.db.query("select url, status, first_seen, published_at, last_fetched from pages where url = ?", [url]),
            None,
        )
        if row is None:
            return None
        capture = self.db.execute(
            "select headers from snapshots where url = ? and status = 200 order by id desc limit 1", [url]
        ).fetchone()
        # A header sent twice is stored a value per line ("\n" only: a value may hold \x85, \u2028 …);
        # the last is the one that holds.
        headers = (
            {k.lower(): str(v).split("\n")[-1] for k, v in json.loads(capture[0] or "{}").items()} if capture else {}
        )
        return {**row, "etag": headers.get("etag"), "last_modified": headers.get("last-modified")}

    def finish_run(
        self, run_id: int, status: str, counters: dict | None = None, *, finished_at: str | None = None
    ) -> dict:
        """Close a run with its counts; `counters` are the crawl's own (list pages, skipped …)."""
        counts = {**self.run_counts(run_id), **(counters or {})}
        with write_transaction(self.db):
            update(
                self.db,
                "crawl_runs",
                "id",
                run_id,
                {"finished_at": finished_at or utcnow(), "status": status, **counts},
            )
        return counts

    def run_counts(self, run_id: int) -> dict:
        def count(sql: str) -> int:
            return self.db.execute(sql, [run_id]).fetchone()[0]

        return {
            "pages_fetched": count("select count(*) from snapshots where crawl_run_id = ?"),
            "articles": count(
                "select count(distinct url) from snapshots where crawl_run_id = ? and status between 1 and 399"
            ),
            "new_versions": count("select count(*) from versions where crawl_run_id = ?"),
            "failures": count("select count(*) from failures where crawl_run_id = ?"),
            **self._new_article_counts(run_id),
        }

    def _new_article_counts(self, run_id: int) -> dict:
        """The run's new articles (first versions), how many carry a weak warning, and each
        warning's count among them (read from `pages`, which holds those versions' records
        while the run finishes)."""
        warnings: dict[str, int] = {}
        new = weak = 0
        for (text,) in self.db.execute(
            "select p.warnings from versions v join pages p on p.url = v.url "
            "where v.crawl_run_id = ? and v.version = 1",
            [run_id],
        ):
            found = json.loads(text or "[]")
            new += 1
            weak += any(w in WEAK_WARNINGS for w in found)
            for warning in found:
                warnings[warning] = warnings.get(warning, 0) + 1
        return {
            "new_articles": new,
            "weak_records": weak,
            "warnings": json.dumps(dict(sorted(warnings.items())), ensure_ascii=False),
        }

    def set_run_health(self, run_id: int, health: str, reasons: list[str], alert: str | None = None) -> None:
        """The site's health as judged when run `run_id` finished (crawler/health.py)."""
        with write_transaction(self.db):
            update(
                self.db,
                "crawl_runs",
                "id",
                run_id,
                {"health": health, "health_reasons": json.dumps(reasons, ensure_ascii=False), "health_alert": alert},
            )

    def previous_health(self, site: str, run_id: int) -> str | None:
        """The health stored with the site's latest run before `run_id` that has one."""
        row = self.db.execute(
            "select health from crawl_runs where site = ? and id < ? and health is not null order by id desc limit 1",
            [site, run_id],
        ).fetchone()
        return row[0] if row else None

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
        render: str | None = None,
        server_snapshot_id: int | None = None,
    ) -> int:
        with write_transaction(self.db):
            dictionary = self._dictionaries.dictionary(site)
            digest = store_body(self.db, url, body, dictionary)
            snapshot_id = insert(
                self.db,
                "snapshots",
                {
                    "url": url,
                    "request_url": request_url or url,
                    "site": site,
                    "fetched_at": fetched_at or utcnow(),
                    "status": status,
                    "headers": json.dumps(headers, ensure_ascii=False),
                    "body_sha256": digest,
                    "body_size": len(body),
                    "crawl_run_id": crawl_run_id,
                    "render": render,
                    "server_snapshot_id": server_snapshot_id,
                },
            )
            if dictionary is None:
                self._dictionaries.stored(site, body, status)
            return snapshot_id

    def body(self, digest: str) -> bytes:
        return read_blob(self.db, "bodies", "sha256", "data", "base_sha256", digest, dictionary=self._body_dictionary)

    def snapshot_body(self, snapshot_id: int) -> bytes:
        row = self.db.execute("select body_sha256 from snapshots where id = ?", [snapshot_id]).fetchone()
        if row is None:
            raise KeyError(f"no snapshot {snapshot_id}")
        return self.body(row[0])

    def captures(self) -> Iterator[dict]:
        """Every snapshot row in fetch order, headers as a dict (bodies through `snapshot_body`)."""
        for row in self.db.query("select * from snapshots order by id"):
            row["headers"] = json.loads(row["headers"] or "{}")
            yield row

    def add_failure(
        self,
        *,
        url: str,
        stage: str,
        error: str,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
        at: str | None = None,
    ) -> int:
        table = cast(Table, self.db["failures"])
        table.insert(
            {
                "url": url,
                "stage": stage,
                "error": error,
                "at": at or utcnow(),
                "snapshot_id": snapshot_id,
                "crawl_run_id": crawl_run_id,
            }
        )
        return cast(int, table.last_pk)  # the rowid of the row just inserted

    # --- page events -------------------------------------------------------
    def _event(self, url: str, event: str, at: str, **fields) -> None:
        insert(self.db, "page_events", {"url": url, "event": event, "at": at, **fields})

    def mark_gone(
        self,
        url: str,
        *,
        status: int,
        fetched_at: str | None = None,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
    ) -> bool:
        """A 404/410 for a page the archive has: mark it gone (never deleted). False if unknown."""
        fetched_at = fetched_at or utcnow()
        with write_transaction(self.db):
            page = next(self.db.query("select status from pages where url = ?", [url]), None)
            if page is None:
                return False
            update(self.db, "pages", "url", url, {"last_fetched": fetched_at})
            if page["status"] != "gone":
                update(self.db, "pages", "url", url, {"status": "gone", "gone_at": fetched_at})
                self._event(
                    url, "gone", fetched_at, snapshot_id=snapshot_id, crawl_run_id=crawl_run_id, detail=f"HTTP {status}"
                )
        return True

    def mark_checked(self, url: str, *, fetched_at: str | None = None) -> bool:
        """A conditional fetch answered 304 (or found the same content): the page was seen as it was."""
        fetched_at = fetched_at or utcnow()
        with write_transaction(self.db):
            cursor = self.db.execute(
                "update pages set last_fetched = ?, last_checked = ? where url = ?", [fetched_at, fetched_at, url]
            )
            if cursor.rowcount > 0:
                self._resolve_failures(url, fetched_at)
        return cursor.rowcount > 0

    def _resolve_failures(self, url: str, at: str) -> None:
        """The page is archived: its earlier failures are resolved (kept, as history)."""
        self.db.execute("update failures set resolved_at = ? where url = ? and resolved_at is null", [at, url])

    def note_redirect(
        self,
        request_url: str,
        url: str,
        *,
        fetched_at: str | None = None,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
    ) -> bool:
        """An archived page that now redirects elsewhere has moved; True when that is news."""
        if request_url == url:
            return False
        fetched_at = fetched_at or utcnow()
        with write_transaction(self.db):
            page = next(self.db.query("select moved_to from pages where url = ?", [request_url]), None)
            if page is None or page["moved_to"] == url:
                return False
            update(
                self.db, "pages", "url", request_url, {"moved_to": url, "status": "moved", "last_fetched": fetched_at}
            )
            self._event(
                request_url, "moved", fetched_at, snapshot_id=snapshot_id, crawl_run_id=crawl_run_id, detail=url
            )
        return True

    # --- versions ----------------------------------------------------------
    def add_record(
        self,
        record: Record,
        *,
        fetched_at: str | None = None,
        site: str | None = None,
        snapshot_id: int | None = None,
        crawl_run_id: int | None = None,
        reason: str = "crawl",
        index_terms: tuple[str, str] | None = None,
    ) -> int | None:
        """Archive a record; returns the new version's id, or None when the page is unchanged.

        `reason="reprocess"` is a re-extraction of a stored capture: it may add a version but
        says nothing about the page being live, so it leaves the page's state alone.
        `index_terms` are `archive.search.page_terms(record.title, record.text)`, when the
        caller has them already (a crawl's stage workers do): else they are computed here.
        """
        fetched_at = fetched_at or utcnow()
        if record.content_hash is None:
            record.content_hash = compute_content_hash(record)
        fetched = reason == "crawl"
        with write_transaction(self.db):
            self._resolve_failures(record.url, fetched_at)
            current = next(self.db.query("select * from pages where url = ?", [record.url]), None)
            if current and fetched and current["status"] in ("gone", "moved"):
                update(self.db, "pages", "url", record.url, {"status": "live", "gone_at": None, "moved_to": None})
                self._event(record.url, "back", fetched_at, snapshot_id=snapshot_id, crawl_run_id=crawl_run_id)
            if current and current["content_hash"] == record.content_hash:
                if fetched:
                    update(
                        self.db, "pages", "url", record.url, {"last_fetched": fetched_at, "last_checked": fetched_at}
                    )
                return None
            version_id = self._add_version(
                record,
                current,
                fetched_at=fetched_at,
                site=site,
                snapshot_id=snapshot_id,
                crawl_run_id=crawl_run_id,
                reason=reason,
            )
            self._update_page(
                record, current, version_id, fetched_at=fetched_at, site=site, fetched=fetched, index_terms=index_terms
            )
            self._event(
                record.url,
                "changed" if current else "first_seen",
                fetched_at,
                version_id=version_id,
                snapshot_id=snapshot_id,
                crawl_run_id=crawl_run_id,
                detail="reprocess" if reason == "reprocess" else None,
            )
        return version_id

    def refresh_page(self, record: Record) -> bool:
        """Bring the derived columns of a page whose content is unchanged (keywords, people, region,
        disclosure fields, views, …) up to `record`, a re-extraction of its capture, without a new
        version: versions keep what the page said, this is what the current code reads from it.
        True when a column changed."""
        if record.content_hash is None:
            record.content_hash = compute_content_hash(record)
        with write_transaction(self.db):
            current = next(self.db.query("select * from pages where url = ?", [record.url]), None)
            if current is None or current["content_hash"] != record.content_hash:
                return False
            changed = {name: value for name, value in page_columns(record).items() if current.get(name) != value}
            if not changed:
                return False
            update(self.db, "pages", "url", record.url, changed)
            if "simhash" in changed:
                self._link_duplicate(current["page_id"], record.url, record.simhash, current["simhash"])
        return True

    def _add_version(self, record: Record, current: dict | None, *, reason: str, **meta) -> int:
        return add_version(
            self.db,
            record,
            reason=reason,
            **meta,
            version=(current["version_count"] if current else 0) + 1,
            previous=row_record(current).to_dict() if current else None,
        )

    def _update_page(
        self,
        record: Record,
        current: dict | None,
        version_id: int,
        *,
        fetched_at: str,
        site: str | None,
        fetched: bool,
        index_terms: tuple[str, str] | None = None,
    ) -> None:
        page = {
            **page_columns(record),
            "site": site,
            "last_changed": fetched_at,
            "latest_version_id": version_id,
            "version_count": (current["version_count"] if current else 0) + 1,
        }
        if fetched:
            page["last_fetched"] = fetched_at
        if current:
            page_id = current["page_id"]
            update(self.db, "pages", "url", record.url, page)
            if not self._index_paused:
                search_index.remove_page(self.db, page_id, current["title"], current["text"])
        else:
            page_id = self.db.execute("select coalesce(max(page_id), 0) + 1 from pages").fetchone()[0]
            insert(
                self.db,
                "pages",
                {**page, "page_id": page_id, "status": "live", "first_seen": fetched_at, "last_fetched": fetched_at},
            )
        if not self._index_paused:
            search_index.add_page(self.db, page_id, record.title, record.text, terms=index_terms)
        self._link_duplicate(page_id, record.url, record.simhash, current["simhash"] if current else None)

    def version_record(self, version_id: int) -> Record:
        return Record.from_dict(json.loads(read_blob(self.db, "versions", "id", "record", "record_base", version_id)))

    def iter_versions(self) -> Iterator[dict]:
        """Every version in id order: its metadata and its `record` (a Record)."""
        columns = "id, url, version, fetched_at, site, snapshot_id, crawl_run_id, extractor_version, reason"
        for row in self.db.query(f"select {columns} from versions order by id"):
            row["version_id"] = row.pop("id")
            row["record"] = self.version_record(row["version_id"])
            yield row

    def search(self, query: str, limit: int = 20, order: str = "newest") -> list[dict]:
        return search_index.search(self.db, query, limit, order)

    def _link_duplicate(self, page_id: int, url: str, simhash: str | None, old_simhash: str | None) -> None:
        """Index the page's SimHash keys and point `duplicate_of` at the nearest, earliest page."""
        conn = self.db.conn
        if old_simhash:
            conn.executemany(
                "delete from simhash_keys where key = ? and page_id = ?",
                [(k, page_id) for k in near_duplicates.pair_keys(int(old_simhash, 16))],
            )
        duplicate, distance = None, None
        if simhash:
            value = int(simhash, 16)
            keys = near_duplicates.pair_keys(value)
            stored = near_duplicates.signed(value)
            conn.executemany(
                "insert or ignore into simhash_keys (key, page_id, simhash) values (?, ?, ?)",
                [(k, page_id, stored) for k in keys],
            )
            # Candidates are checked inside the key index (it holds each page's SimHash): pages
            # sharing a key can be many where texts share vocabulary, and their rows are large.
            marks = ", ".join("?" for _ in keys)
            near = {
                other: bits
                for other, other_simhash in conn.execute(
                    f"select page_id, simhash from simhash_keys where key in ({marks}) and page_id != ?",
                    [*keys, page_id],
                )
                if (bits := near_duplicates.distance(value, other_simhash)) <= DUPLICATE_DISTANCE
            }
            # The nearest, then the earliest (page ids are given in first-seen order) that is not
            # itself a copy: usually the first one looked at, however many pages are near.
            for other, bits in sorted(near.items(), key=lambda item: (item[1], item[0])):
                original = conn.execute(
                    "select url from pages where page_id = ? and duplicate_of is null", [other]
                ).fetchone()
                if original:
                    duplicate, distance = original[0], bits
                    break
        update(self.db, "pages", "url", url, {"duplicate_of": duplicate, "duplicate_distance": distance})

    def latest_record(self, url: str) -> Record | None:
        row = next(self.db.query("select * from pages where url = ?", [url]), None)
        return row_record(row) if row else None

    # --- attachments (附件) --------------------------------------------------
    def add_attachment(
        self,
        *,
        url: str,
        page_url: str,
        body: bytes | None = None,
        sha256: str | None = None,
        size: int | None = None,
        snapshot_id: int | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        status: int | None = None,
        fetched_at: str | None = None,
        crawl_run_id: int | None = None,
        error: str | None = None,
    ) -> dict:
        """One attachment of one article: its bytes (`body`) kept once by digest in `bodies`, or
        `sha256` of bytes already kept, or neither and the `error` that says why; the row written."""
        with write_transaction(self.db):
            if body is not None:
                sha256, size = store_body(self.db, url, body), len(body)
            row = {
                "url": url,
                "page_url": page_url,
                "snapshot_id": snapshot_id,
                "filename": filename,
                "content_type": content_type,
                "size": size,
                "sha256": sha256,
                "status": status,
                "fetched_at": fetched_at or utcnow(),
                "crawl_run_id": crawl_run_id,
                "error": error,
            }
            row["id"] = insert(self.db, "attachments", row)
        return row

    def known_attachment(self, page_url: str, url: str) -> dict | None:
        """The newest attachments row of `url` linked from `page_url`, or None."""
        return next(
            self.db.query(
                "select * from attachments where page_url = ? and url = ? order by id desc limit 1", [page_url, url]
            ),
            None,
        )

    def stored_attachment(self, url: str) -> dict | None:
        """The newest attachments row of `url` (from any page) whose bytes are kept, or None."""
        return next(
            self.db.query(
                "select * from attachments where url = ? and sha256 is not null order by id desc limit 1", [url]
            ),
            None,
        )

    def attachments_of(self, page_url: str) -> list[dict]:
        """Every attachments row of a page, oldest first (the bytes through `body(sha256)`)."""
        return list(self.db.query("select * from attachments where page_url = ? order by id", [page_url]))
