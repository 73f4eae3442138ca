"""Chinese full-text search over the archive.

SQLite's FTS5 tokenizers do not segment Chinese (``trigram`` misses two-character words
such as 书记), so both sides are segmented with jieba before FTS5 sees them. The index,
``pages_fts``, holds each page's title and text as space-separated words, including
the shorter words inside long ones (区委书记 → 区委 书记 区委书记). A query is cut
into words the same way, and a page must contain all of them.

    >>> fts_query("张书杰 项目建设")
    '"张书杰" "项目建设"'

The index is contentless (the text already lives in ``pages``) and its rowid is
``pages.page_id``, which is what Datasette's search box joins on.  A contentless FTS5 row
is removed by repeating the words it was indexed with, so the index records which
segmenter built it (``archive_meta.fts_segmenter``) and is rebuilt when that changes:
removing with other words would corrupt it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
from pathlib import Path

import sqlite_utils

from pipelines.enrich import segment, segment_for_index

FTS_TABLE = "pages_fts"
WORD = re.compile(r"\w", re.UNICODE)
SEGMENTER_KEY = "fts_segmenter"


def segmenter_fingerprint() -> str:
    """Changes whenever segmentation may: the segmenter's version and the project dictionary."""
    terms = Path(__file__).resolve().parents[1] / "pipelines" / "data" / "gov_terms.txt"
    digest = hashlib.sha256(terms.read_bytes()).hexdigest()[:16]
    return f"rjieba-{importlib.metadata.version('rjieba')}-{digest}"


@functools.lru_cache(maxsize=64)  # a changed page is removed with the words it was added with
def index_terms(text: str | None) -> str:
    return " ".join(w for w in segment_for_index(text or "") if WORD.search(w))


def fts_query(query: str) -> str:
    """The FTS5 query for what a person typed: every word quoted, all of them required."""
    words = [w for w in segment(query.strip()) if WORD.search(w)]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def ensure_index(db: sqlite_utils.Database) -> None:
    """Create the index, or rebuild it when it is missing rows' words or another segmenter built it."""
    fingerprint = segmenter_fingerprint()
    built_by = next(db.query("select value from archive_meta where key = ?", [SEGMENTER_KEY]), {}).get("value")
    if FTS_TABLE in db.table_names() and built_by == fingerprint:
        return
    from archive.store import write_transaction

    with write_transaction(db):
        if next(db.query("select value from archive_meta where key = ?", [SEGMENTER_KEY]), {}).get(
                "value") == fingerprint and FTS_TABLE in db.table_names():
            return  # another process built it while we waited
        db.execute(f"drop table if exists {FTS_TABLE}")
        db.execute(f"create virtual table {FTS_TABLE} using fts5(title, text, content='', tokenize='unicode61')")
        for row in db.query("select page_id, title, text from pages where page_id is not null"):
            add_page(db, row["page_id"], row["title"], row["text"])
        db["archive_meta"].upsert({"key": SEGMENTER_KEY, "value": fingerprint}, pk="key")


def add_page(db: sqlite_utils.Database, page_id: int, title: str | None, text: str | None) -> None:
    db.execute(f"insert into {FTS_TABLE} (rowid, title, text) values (?, ?, ?)",
               [page_id, index_terms(title), index_terms(text)])


def remove_page(db: sqlite_utils.Database, page_id: int, title: str | None, text: str | None) -> None:
    """Remove what `add_page` indexed for these title and text."""
    db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) values ('delete', ?, ?, ?)",
               [page_id, index_terms(title), index_terms(text)])


def search(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict]:
    """Pages matching every word of `query`, best first: url, title, published_at, site."""
    match = fts_query(query)
    if not match:
        return []
    sql = (f"select p.url, p.title, p.published_at, p.site from {FTS_TABLE} f join pages p on p.page_id = f.rowid "
           f"where {FTS_TABLE} match ? order by bm25({FTS_TABLE}, 5.0, 1.0) limit ?")
    return list(db.query(sql, [match, limit]))
