"""Chinese search for the govnews Datasette plugin: the SQL functions that segment what a
person types, and the rewrite of ``?_search_COLUMN=`` for tables whose index is joined on
``fts_pk`` (see the package docstring).

What is typed goes through `archive.search.fts_query`, which normalizes it exactly as the
normalize stage did the pages (Traditional → Simplified, width, pinyin annotations) before
segmenting it: 書記 in the search box finds the pages that say 书记.  In ``escape_fts`` each
whitespace-separated chunk is normalized on its own, after its ``COLUMN:`` prefix is taken off."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import parse_qsl, urlencode

from datasette.utils import tilde_decode

FTS_TABLE = "pages_fts"
NO_MATCH = '""'  # an FTS5 query that matches nothing (an empty MATCH string is a syntax error)
COLUMN_PREFIX = re.compile(r"^(\w+):(.+)$", re.UNICODE)
# What a person types into a search box is short; the segmenter is not cut off by SQLite's time
# limit, so a longer argument is refused (an SQL error) rather than segmented.
MAX_QUERY_LENGTH = 1000
TABLE_PATH = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/.]+)(?:\.(?P<format>\w+))?$")


def _checked(query) -> str:
    text = str(query)
    if len(text) > MAX_QUERY_LENGTH:
        raise ValueError(f"a search of {len(text):,} characters: at most {MAX_QUERY_LENGTH:,}")
    return text


def fts_match(query: str | None) -> str:
    """The FTS5 MATCH string for what a person typed; `NO_MATCH` when it holds no word.
    More than `MAX_QUERY_LENGTH` characters raise ValueError (in SQL: an error)."""
    from archive.search import fts_query

    return fts_query(_checked(query or "")) or NO_MATCH


def segmenting_escape_fts(columns: frozenset[str]):
    """Datasette's escape_fts(), segmenting Chinese: every word quoted and required, a chunk
    ``COLUMN:words`` restricted to that column of the index; at most `MAX_QUERY_LENGTH`
    characters, like `fts_match`."""
    from archive.search import fts_query

    def escape_fts(query):
        if query is None:
            return None
        parts = []
        for chunk in _checked(query).split():
            column = COLUMN_PREFIX.match(chunk)
            if column and column.group(1).lower() in columns:
                words = fts_query(column.group(2))
                if words:
                    parts.append(f"{column.group(1).lower()} : ({words})")
            else:
                words = fts_query(chunk)
                if words:
                    parts.append(f"({words})")
        return " AND ".join(parts) or NO_MATCH

    return escape_fts


def _fts_columns(conn: sqlite3.Connection) -> frozenset[str] | None:
    """The columns of the archive's search index, or None when this database has none."""
    try:
        if not conn.execute("select 1 from sqlite_master where name = ?", [FTS_TABLE]).fetchone():
            return None
        return frozenset(row[1].lower() for row in conn.execute(f"pragma table_info({FTS_TABLE})"))
    except sqlite3.DatabaseError:
        return None


async def rewrite_column_search(datasette, scope: dict) -> dict:
    """``?_search_title=X`` → ``?_search=title:X`` on a table whose index rowid is not its own rowid."""
    match = TABLE_PATH.match(scope.get("path", ""))
    if not match:
        return scope
    database, table = tilde_decode(match["database"]), tilde_decode(match["table"])
    metadata = datasette.table_metadata(database, table) or {}
    fts_table, fts_pk = metadata.get("fts_table"), metadata.get("fts_pk")
    if not fts_table or not fts_pk or fts_pk == "rowid":
        return scope
    try:
        columns = set(await datasette.get_database(database).table_columns(fts_table))
    except KeyError:  # no such database: Datasette answers that itself
        return scope
    pairs = parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
    # Only columns of the index: anything else is left for Datasette to refuse.
    column_search = [(k, v) for k, v in pairs if k.startswith("_search_") and k[len("_search_") :] in columns]
    if not column_search:
        return scope
    raw = dict(pairs).get("_searchmode") == "raw"
    terms = [v for k, v in pairs if k == "_search" and v.strip()]
    for key, value in column_search:
        column = key[len("_search_") :]
        if not value.strip():
            continue
        terms += [f"{column} : ({value})"] if raw else [f"{column}:{word}" for word in value.split()]
    kept = [(k, v) for k, v in pairs if k != "_search" and (k, v) not in column_search]
    query_string = urlencode(kept + ([("_search", " ".join(terms))] if terms else [])).encode("ascii")
    return {**scope, "query_string": query_string}
