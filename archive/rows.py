"""SQL primitives and row codecs of the archive: plain inserts and updates inside the caller's
transaction, the write lock, records as columns and compressed blobs, raw bodies kept once.

`archive.store` (the `Archive`), `archive.migrations` and `archive.search` all build on these;
this module imports none of them."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import cast

import sqlite_utils

from archive import blobs
from archive.diff import record_diff
from archive.schema import JSON_FIELDS, VERSION_COLUMNS
from crawler import __version__
from crawler.record import Record

EXTRACTOR_VERSION = __version__
GONE_STATUSES = (404, 410)


def insert(db: sqlite_utils.Database, table: str, row: dict) -> int:
    """Insert one row with plain SQL (no commit of its own, unlike sqlite-utils' insert)."""
    columns = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    cursor = db.execute(f"insert into [{table}] ({columns}) values ({marks})", list(row.values()))
    return cast(int, cursor.lastrowid)  # an int once an insert has run (None only before any)


def update(db: sqlite_utils.Database, table: str, key: str, value, row: dict) -> None:
    sets = ", ".join(f"[{c}] = ?" for c in row)
    db.execute(f"update [{table}] set {sets} where [{key}] = ?", [*row.values(), value])


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE: take the write lock up front, waiting (busy_timeout) for other crawls.

    A deferred transaction that reads first and writes later fails at once with "database is
    locked" when another process wrote in between; several crawls share one archive."""
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint inside the caller's transaction
            yield
        return
    db.conn.execute("begin immediate")
    try:
        yield
        db.conn.execute("commit")
    except BaseException:
        db.rollback()  # also when the commit itself failed: never leave the transaction open
        raise


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
    if data.get("text_original") is None:  # pages keep it only where it differs from text
        data["text_original"] = data.get("text") or ""
    return Record.from_dict(data)


def encode_record(record: Record) -> bytes:
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_record_blob(blob: bytes, base: bytes | None = None, max_size: int | None = None) -> dict:
    """A version's record (as a dict) from its `record` blob and, for a delta, its base's JSON;
    with ``max_size``, a blob that would decompress larger raises (see `blobs.decompress`)."""
    return json.loads(blobs.decompress(blob, base, max_output_size=max_size))


def read_blob(
    db: sqlite_utils.Database, table: str, key: str, data: str, base: str, value, dictionary: str | None = None
) -> bytes:
    """A stored blob, decompressed against its base row's blob when it is a delta (bodies, records),
    with the dictionary its row (column `dictionary`) names when it was compressed with one."""
    row = _blob_row(db, table, key, data, base, value, dictionary)
    if row is None:
        raise KeyError(f"no {table} row {value}")
    blob, base_value, trained = row
    if base_value is None:
        return blobs.decompress(blob, dictionary=trained)
    base_blob, _, base_trained = _blob_row(db, table, key, data, base, base_value, dictionary)
    return blobs.decompress(blob, blobs.decompress(base_blob, dictionary=base_trained))


def _blob_row(db: sqlite_utils.Database, table: str, key: str, data: str, base: str, value, dictionary: str | None):
    """(blob, base key, dictionary data or None) of one row."""
    if dictionary is None:
        row = db.execute(f"select [{data}], [{base}] from [{table}] where [{key}] = ?", [value]).fetchone()
        return None if row is None else (*row, None)
    return db.execute(
        f"select t.[{data}], t.[{base}], d.data from [{table}] t left join dictionaries d on d.id = t.[{dictionary}] "
        f"where t.[{key}] = ?",
        [value],
    ).fetchone()


def page_columns(record: Record) -> dict:
    """The `pages` columns derived from a record, beside the record's own."""
    row = record_row(record)
    if row["text_original"] == row["text"]:
        row["text_original"] = None
    region = record.region or {}
    names = [region.get(k) for k in ("province", "city", "county")]
    row.update(
        published_month=record.published_at[:7] if record.published_at else None,
        region_code=region.get("code"),
        region_name="".join(dict.fromkeys(n for n in names if n)) or None,
    )
    return row


def store_body(db: sqlite_utils.Database, url: str, body: bytes, dictionary: tuple[int, bytes] | None = None) -> str:
    """Keep a raw body once (content-addressed); returns its sha256.  `dictionary` is the
    (id, data) of the site's dictionary, for a body stored as a keyframe."""
    digest = hashlib.sha256(body).hexdigest()
    if db.execute("select 1 from bodies where sha256 = ?", [digest]).fetchone():
        return digest
    # The page's newest self-contained body is the base a new capture is compressed against.
    base = db.execute(
        "select b.sha256, b.data, d.data from snapshots s join bodies b on b.sha256 = s.body_sha256 "
        "left join dictionaries d on d.id = b.dictionary_id "
        "where s.url = ? and b.base_sha256 is null order by s.id desc limit 1",
        [url],
    ).fetchone()
    base_body = blobs.decompress(base[1], dictionary=base[2]) if base else None
    data, delta = blobs.compress_against(body, base_body, dictionary[1] if dictionary else None)
    insert(
        db,
        "bodies",
        {
            "sha256": digest,
            "size": len(body),
            "compression": blobs.CODEC,
            "base_sha256": base[0] if delta else None,
            "data": data,
            "dictionary_id": dictionary[0] if dictionary and not delta else None,
        },
    )
    return digest


def add_version(
    db: sqlite_utils.Database,
    record: Record,
    *,
    version: int,
    previous: dict | None,
    reason: str,
    extractor_version: str = EXTRACTOR_VERSION,
    **meta,
) -> int:
    """Insert a version: the record compressed (against the page's newest self-contained version
    when that pays), its main fields plain, and its diff from `previous` (a record dict)."""
    keyframe = None
    if previous is not None:
        keyframe = db.execute(
            "select id, record from versions where url = ? and record_base is null order by id desc limit 1",
            [record.url],
        ).fetchone()
    base = blobs.decompress(keyframe[1]) if keyframe else None
    blob, delta = blobs.compress_against(encode_record(record), base, level=blobs.RECORD_LEVEL)
    record_base = None
    if delta:
        assert keyframe is not None  # a delta is made only against a base: the keyframe's record
        record_base = keyframe[0]
    return insert(
        db,
        "versions",
        {
            "url": record.url,
            "version": version,
            **{k: v for k, v in record_row(record).items() if k in VERSION_COLUMNS},
            **meta,
            "extractor_version": extractor_version,
            "reason": reason,
            "diff": record_diff(previous, record.to_dict()),
            "record": blob,
            "record_base": record_base,
        },
    )
