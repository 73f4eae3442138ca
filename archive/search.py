"""Chinese full-text search over the archive.

SQLite's FTS5 tokenizers do not segment Chinese (``trigram`` misses two-character words
such as 书记), so both sides are segmented with jieba before FTS5 sees them. The index,
``pages_fts``, holds each page's title and text as space-separated words, including
the shorter words inside long ones (区委书记 → 区委 书记 区委书记). A query is cut
into words the same way, and a page must contain all of them.

Pages are indexed as the normalize stage left them: Simplified script, half-width digits and
Latin letters, no pinyin annotations.  A query is normalized by the same function first
(`pipelines.normalize.clean_text`), so what a person types in Traditional script, or with
full-width digits, finds the same pages:

    >>> fts_query("张书杰 书记")
    '"张书杰" AND "书记"'
    >>> fts_query("張書杰 書記") == fts_query("张书杰 书记")
    True

The index is contentless (the text already lives in ``pages``) and its rowid is
``pages.page_id``, which is what Datasette's search box joins on.  A contentless FTS5 row
is removed by repeating the words it was indexed with, so the index records which
segmenter built it (``archive_meta.fts_segmenter``) and is rebuilt when that changes:
removing with other words would corrupt it.
"""

from __future__ import annotations

import re
from typing import cast

import sqlite_utils
from sqlite_utils.db import Table

from archive.rows import write_transaction
from pipelines.normalize import clean_text
from pipelines.segment import index_terms, page_terms, segment, segment_for_index, segmenter_fingerprint

FTS_TABLE = "pages_fts"
WORD = re.compile(r"\w", re.UNICODE)
SEGMENTER_KEY = "fts_segmenter"


def normalize_query(query: str) -> str:
    """What a person typed, normalized as the pages' text was (`clean_text`: Traditional →
    Simplified with OpenCC, pinyin annotations removed, width and spacing): each part between
    the spaces typed on its own, so those spaces stay where words are cut (the normalize
    stage removes a space between two Han characters)."""
    return " ".join(filter(None, (clean_text(part).replace("\n", " ") for part in query.split())))


def fts_query(query: str) -> str:
    """The FTS5 query for what a person typed, normalized as pages are (`normalize_query`):
    every word required.

    A long word may be cut otherwise in the page's context (项目建设 inside 重点项目建设 is
    indexed as 重点 项目 重点项目 建设), so it also matches as its own pieces standing close
    together: ``("项目建设" OR NEAR("项目" "建设", 1))``. The other way round, a word typed
    alone that jieba breaks into single characters (初心 → 初 心, while 不忘初心 holds 初心)
    matches as one word or as those characters side by side: ``("初心" OR "初 心")``."""
    terms = []
    for word in _typed_words(normalize_query(query)):
        if isinstance(word, tuple):  # single characters side by side
            terms.append(f"({_quote(''.join(word))} OR {_quote(' '.join(word))})")
        elif len(pieces := _cover(word)) >= 2:
            near = " ".join(_quote(p) for p in pieces)
            terms.append(f"({_quote(word)} OR NEAR({near}, {NEAR_GAP * (len(pieces) - 1)}))")
        else:
            terms.append(_quote(word))
    return " AND ".join(terms)  # FTS5 takes no implicit AND before a parenthesis


def _typed_words(query: str) -> list:
    """The query's words; characters that jieba left single, one after another, as a tuple."""
    words: list = []
    run: list[str] = []
    for word in [*segment(query), " "]:  # the trailing space ends the last run
        if len(word) == 1 and WORD.match(word):
            run.append(word)
            continue
        words += [tuple(run)] if len(run) > 1 else run
        run = []
        if WORD.search(word):
            words.append(word)
    return words


# Index tokens allowed between two pieces: the index holds overlapping pieces between them
# (重点 项目 重点项目 建设), while punctuation is no token at all.
NEAR_GAP = 1


def _cover(word: str) -> list[str]:
    """The word as consecutive shorter words of the index (longest first), or [] when there are none."""
    pieces = {p for p in segment_for_index(word) if p != word and len(p) >= 2}
    cover, position = [], 0
    while position < len(word):
        here = [p for p in pieces if word.startswith(p, position)]
        if not here:
            return []
        cover.append(max(here, key=len))
        position += len(cover[-1])
    return cover


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def mark_stale(db: sqlite_utils.Database) -> None:
    """Forget who built the index: the next `ensure_index` rebuilds it (bulk loads skip upkeep)."""
    db.execute("delete from archive_meta where key = ?", [SEGMENTER_KEY])


def index_is_current(db: sqlite_utils.Database) -> bool:
    """Whether the index exists and the current segmenter built it (read only)."""
    if FTS_TABLE not in db.table_names() or "archive_meta" not in db.table_names():
        return False
    built_by = next(db.query("select value from archive_meta where key = ?", [SEGMENTER_KEY]), {}).get("value")
    return built_by == segmenter_fingerprint()


def ensure_index(db: sqlite_utils.Database) -> None:
    """Create the index, or rebuild it when it is missing, stale or another segmenter built it."""
    fingerprint = segmenter_fingerprint()
    built_by = next(db.query("select value from archive_meta where key = ?", [SEGMENTER_KEY]), {}).get("value")
    if FTS_TABLE in db.table_names() and built_by == fingerprint:
        return

    with write_transaction(db):
        if (
            next(db.query("select value from archive_meta where key = ?", [SEGMENTER_KEY]), {}).get("value")
            == fingerprint
            and FTS_TABLE in db.table_names()
        ):
            return  # another process built it while we waited
        db.execute(f"drop table if exists {FTS_TABLE}")
        db.execute(f"create virtual table {FTS_TABLE} using fts5(title, text, content='', tokenize='unicode61')")
        # Removing a changed page leaves its words as delete markers until segments merge; merging
        # two segments at a time (not 4) keeps the index near its optimized size as pages change.
        db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}, rank) values ('automerge', 2)")
        for row in db.query("select page_id, title, text from pages where page_id is not null"):
            add_page(db, row["page_id"], row["title"], row["text"])
        cast(Table, db["archive_meta"]).upsert({"key": SEGMENTER_KEY, "value": fingerprint}, pk="key")


def add_page(
    db: sqlite_utils.Database, page_id: int, title: str | None, text: str | None, terms: tuple[str, str] | None = None
) -> None:
    db.execute(
        f"insert into {FTS_TABLE} (rowid, title, text) values (?, ?, ?)", [page_id, *(terms or page_terms(title, text))]
    )


def remove_page(db: sqlite_utils.Database, page_id: int, title: str | None, text: str | None) -> None:
    """Remove what `add_page` indexed for these title and text."""
    db.execute(
        f"insert into {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) values ('delete', ?, ?, ?)",
        [page_id, index_terms(title), index_terms(text)],
    )


def search(db: sqlite_utils.Database, query: str, limit: int = 20, order: str = "newest") -> list[dict]:
    """Pages matching every word of `query`: url, title, published_at, site.

    ``order="newest"`` (the most recently archived pages first) reads only as many index
    entries as it returns, so a word on half the archive costs no more than a rare one;
    ``order="relevance"`` ranks every match by BM25 (title words count five times)."""
    match = fts_query(query)
    if not match:
        return []
    if order == "relevance":
        ranked = (
            f"select rowid, bm25({FTS_TABLE}, 5.0, 1.0) as score from {FTS_TABLE} "
            f"where {FTS_TABLE} match ? order by score limit ?"
        )
        sort = "f.score"
    elif order == "newest":
        ranked = f"select rowid from {FTS_TABLE} where {FTS_TABLE} match ? order by rowid desc limit ?"
        sort = "f.rowid desc"
    else:
        raise ValueError(f"order must be 'newest' or 'relevance', not {order!r}")
    sql = (
        f"select p.url, p.title, p.published_at, p.site from ({ranked}) f "
        f"join pages p on p.page_id = f.rowid order by {sort}"
    )
    return list(db.query(sql, [match, limit]))
