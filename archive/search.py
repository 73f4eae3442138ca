"""Chinese full-text search over the archive.

SQLite's FTS5 tokenizers do not segment Chinese (``trigram`` misses two-character words
such as 书记), so both sides are segmented with jieba before FTS5 sees them. The index,
``pages_fts``, holds each page's title and text as space-separated words, including
the shorter words inside long ones (区委书记 → 区委 书记 区委书记). A query is cut
into words the same way, and a page must contain all of them.

    >>> fts_query("张书杰 项目建设")
    '"张书杰" "项目建设"'
"""
from __future__ import annotations

import re

import sqlite_utils

from pipelines.enrich import segment, segment_for_index

FTS_TABLE = "pages_fts"
WORD = re.compile(r"\w", re.UNICODE)


def index_terms(text: str | None) -> str:
    return " ".join(w for w in segment_for_index(text or "") if WORD.search(w))


def fts_query(query: str) -> str:
    """The FTS5 query for what a person typed: every word quoted, all of them required."""
    words = [w for w in segment(query.strip()) if WORD.search(w)]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def ensure_index(db: sqlite_utils.Database) -> None:
    """Create the index; fill it from `pages` when it is new (an archive made before it existed)."""
    if FTS_TABLE in db.table_names():
        return
    db.execute(f"create virtual table {FTS_TABLE} using fts5(url unindexed, title, text, tokenize='unicode61')")
    for row in db.query("select url, title, text from pages"):
        index_page(db, row["url"], row["title"], row["text"])


def index_page(db: sqlite_utils.Database, url: str, title: str | None, text: str | None) -> None:
    db.execute(f"delete from {FTS_TABLE} where url = ?", [url])
    db.execute(f"insert into {FTS_TABLE} (url, title, text) values (?, ?, ?)",
               [url, index_terms(title), index_terms(text)])


def search(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict]:
    """Pages matching every word of `query`, best first: url, title, published_at, site."""
    match = fts_query(query)
    if not match:
        return []
    sql = (f"select p.url, p.title, p.published_at, p.site from {FTS_TABLE} f join pages p on p.url = f.url "
           f"where {FTS_TABLE} match ? order by bm25({FTS_TABLE}, 0, 5.0, 1.0) limit ?")
    return list(db.query(sql, [match, limit]))
