"""The govnews Datasette plugin: Chinese search, rendered diffs, version records, charts.

Registered as the Datasette entry point ``govnews`` (pyproject.toml), so it is active in
any Datasette run where govnews is installed; `govnews browse` starts one.

**Search box.**  ``pages`` is searched through ``pages_fts`` (metadata ``fts_table`` and
``fts_pk: page_id``): Datasette's table view asks for
``page_id in (select rowid from pages_fts where pages_fts match escape_fts(:search))``.
SQLite's tokenizer does not cut Chinese into words, so on a govnews archive this plugin
replaces the ``escape_fts()`` SQL function Datasette registers with one that segments the
query with jieba exactly as the index was built (:func:`archive.search.fts_query`): 区委书记张书杰
becomes ``"区委书记" "张书杰"``.  The search box, the JSON API (``?_search=``) and
``_searchmode=escaped`` all go through it; ``_searchmode=raw`` passes FTS5 syntax untouched.
A word written ``title:书记`` only matches in that column of the index.  Datasette's
``?_search_title=`` joins on ``rowid`` instead of ``fts_pk``, which is not ``page_id``, so the
ASGI wrapper turns ``_search_COLUMN=X`` into ``_search=COLUMN:X`` for such tables.

**SQL functions** (every connection): ``govnews_fts(q)`` is the MATCH string for what a person
typed (``where pages_fts match govnews_fts(:q)``); ``govnews_record(record [, base])`` is the
JSON of a version's compressed record (``base`` is the compressed record of its record_base
version when it is a delta).

**Cells.**  A ``diff`` column (table ``versions`` or any query result) is shown line by line,
removed text in ``<del>``, added text in ``<ins>``; a ``record`` blob as its JSON, folded.

**Charts.**  Canned queries listed in the plugin config ``charts`` (metadata
``databases.DB.plugins.govnews.charts.QUERY = {x, y, title}``) get an inline SVG bar chart of
their rows above the result table; no JavaScript library, nothing fetched.
"""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

PLUGIN = "govnews"
FTS_TABLE = "pages_fts"
NO_MATCH = '""'  # an FTS5 query that matches nothing (an empty MATCH string is a syntax error)
COLUMN_PREFIX = re.compile(r"^(\w+):(.+)$", re.UNICODE)
TABLE_PATH = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/.]+)(?:\.(?P<format>\w+))?$")
EDIT_MARK = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)
CSS_PATH = "/-/govnews.css"

CSS = """
.govnews-diff { font-size: 0.9em; line-height: 1.5; min-width: 24em; max-width: 60em; }
.govnews-diff > div { margin: 0 0 0.3em 0; padding: 0.1em 0.4em; border-left: 3px solid #ccc; white-space: pre-wrap; }
.govnews-diff .diff-removed { border-color: #d33; background: #fff0f0; }
.govnews-diff .diff-added { border-color: #2a2; background: #f0fff0; }
.govnews-diff .diff-edited { border-color: #d90; }
.govnews-diff .diff-field { border-color: #36c; background: #f3f6ff; }
.govnews-diff del { background: #ffd7d5; color: #82071e; text-decoration: line-through; }
.govnews-diff ins { background: #ccffd8; color: #055d20; text-decoration: none; }
.govnews-diff .diff-sign { color: #888; user-select: none; margin-right: 0.3em; }
.govnews-record pre { max-height: 24em; max-width: 40em; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: 0.85em; }
.govnews-chart { margin: 1em 0; max-width: 100%; overflow-x: auto; }
.govnews-chart svg { display: block; }
.govnews-chart .bar { fill: #4a7ebb; }
.govnews-chart .bar:hover { fill: #2b5a8f; }
.govnews-chart text { font: 11px sans-serif; fill: #333; }
.govnews-chart .chart-title { font-size: 15px; font-weight: bold; }
.govnews-chart .axis { stroke: #999; stroke-width: 1; }
"""


# --- search ---------------------------------------------------------------------------
def fts_match(query: str | None) -> str:
    """The FTS5 MATCH string for what a person typed; `NO_MATCH` when it holds no word."""
    from archive.search import fts_query

    return fts_query(query or "") or NO_MATCH


def segmenting_escape_fts(columns: frozenset[str]):
    """Datasette's escape_fts(), segmenting Chinese: every word quoted and required, a chunk
    ``COLUMN:words`` restricted to that column of the index."""
    from archive.search import fts_query

    def escape_fts(query):
        if query is None:
            return None
        parts = []
        for chunk in str(query).split():
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


# --- version records ----------------------------------------------------------------------
def decode_record(blob, base=None) -> str | None:
    """JSON text of a compressed version record; ``base`` is its base version's compressed
    record when it was compressed against one.  NULL for anything that is not a record."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return None
    from archive import blobs
    from archive.store import decode_record_blob

    try:
        base_json = blobs.decompress(bytes(base)) if base is not None else None
        record = decode_record_blob(bytes(blob), base_json)
    except Exception:  # a delta read without its base, or not a record at all
        return None
    return json.dumps(record, ensure_ascii=False)


@hookimpl(trylast=True)  # after datasette.sql_functions, so our escape_fts replaces its own
def prepare_connection(conn, database, datasette):
    conn.create_function("govnews_fts", 1, fts_match, deterministic=True)
    conn.create_function("govnews_record", 1, decode_record, deterministic=True)
    conn.create_function("govnews_record", 2, decode_record, deterministic=True)
    columns = _fts_columns(conn)
    if columns is not None:
        conn.create_function("escape_fts", 1, segmenting_escape_fts(columns), deterministic=True)


@hookimpl
def startup(datasette):
    async def warm_segmenter():
        # jieba's dictionary takes a moment to load: do it before the first search, not during.
        await asyncio.get_running_loop().run_in_executor(None, fts_match, "书记")

    return warm_segmenter


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
    column_search = [(k, v) for k, v in pairs if k.startswith("_search_") and k[len("_search_"):] in columns]
    if not column_search:
        return scope
    raw = dict(pairs).get("_searchmode") == "raw"
    terms = [v for k, v in pairs if k == "_search" and v.strip()]
    for key, value in column_search:
        column = key[len("_search_"):]
        if not value.strip():
            continue
        terms += [f"{column} : ({value})"] if raw else [f"{column}:{word}" for word in value.split()]
    kept = [(k, v) for k, v in pairs if k != "_search" and (k, v) not in column_search]
    query_string = urlencode(kept + ([("_search", " ".join(terms))] if terms else [])).encode("ascii")
    return {**scope, "query_string": query_string}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def govnews_asgi(scope, receive, send):
            if scope.get("type") == "http" and b"_search_" in scope.get("query_string", b""):
                scope = await rewrite_column_search(datasette, scope)
            await app(scope, receive, send)

        return govnews_asgi

    return wrap


# --- cells --------------------------------------------------------------------------------
def render_diff(diff: str) -> Markup:
    """A versions.diff as HTML: a block a line, removed text in <del>, added text in <ins>."""
    blocks = []
    for line in diff.splitlines():
        sign, rest = line[:2], line[2:]
        if sign == "- ":
            blocks.append(Markup('<div class="diff-removed"><span class="diff-sign">−</span><del>{}</del></div>').format(rest))
        elif sign == "+ ":
            blocks.append(Markup('<div class="diff-added"><span class="diff-sign">+</span><ins>{}</ins></div>').format(rest))
        elif sign == "~ ":
            blocks.append(Markup('<div class="diff-edited"><span class="diff-sign">~</span>{}</div>').format(_inline_edits(rest)))
        elif sign == "@ " and ": " in rest:
            field, change = rest.split(": ", 1)
            if " → " in change:
                old, new = change.split(" → ", 1)
                body = Markup("<b>{}</b>: <del>{}</del> → <ins>{}</ins>").format(field, old, new)
            else:
                body = Markup("<b>{}</b>: {}").format(field, change)
            blocks.append(Markup('<div class="diff-field">{}</div>').format(body))
        elif line.strip():
            blocks.append(Markup("<div>{}</div>").format(line))
    return Markup('<div class="govnews-diff">{}</div>').format(Markup("").join(blocks))


def _inline_edits(paragraph: str) -> Markup:
    out, position = [], 0
    for mark in EDIT_MARK.finditer(paragraph):
        out.append(escape(paragraph[position:mark.start()]))
        removed, added = mark.groups()
        out.append(Markup("<del>{}</del>").format(removed) if removed is not None else Markup("<ins>{}</ins>").format(added))
        position = mark.end()
    out.append(escape(paragraph[position:]))
    return Markup("").join(out)


def render_record(record_json: str | None, size: int) -> Markup:
    if record_json is None:
        return Markup('<span class="govnews-record">record ({:,} bytes, compressed)</span>').format(size)
    pretty = json.dumps(json.loads(record_json), ensure_ascii=False, indent=1)
    return Markup(
        '<details class="govnews-record"><summary>record ({:,} chars)</summary><pre>{}</pre></details>'
    ).format(len(record_json), pretty)


def _row_value(row, key):
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "diff" and table in (None, "versions") and isinstance(value, str):
        return render_diff(value)
    if column == "record" and table in (None, "versions") and isinstance(value, bytes):
        base_id, version_id = _row_value(row, "record_base"), _row_value(row, "id")

        async def record_cell():
            db = datasette.get_database(database)
            base = None
            if base_id is not None:
                found = (await db.execute("select record from versions where id = ?", [base_id])).first()
                base = found[0] if found else None
            elif version_id is not None and table == "versions":  # record_base left out of the columns
                found = (await db.execute("select b.record from versions v join versions b on b.id = v.record_base "
                                          "where v.id = ?", [version_id])).first()
                base = found[0] if found else None
            return render_record(decode_record(value, base), len(value))

        return record_cell
    return None


@hookimpl
def register_routes(datasette):
    from datasette.utils.asgi import Response

    async def stylesheet():
        return Response(CSS, content_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600"})

    return [(r"^/-/govnews\.css$", stylesheet)]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(CSS_PATH)]


# --- charts ---------------------------------------------------------------------------------
def bar_chart(rows: list[tuple[str, float]], title: str, width: int = 720, height: int = 300) -> str:
    """An SVG bar chart: one <rect class="bar"> a row, labels under the bars, the largest value
    on the axis. No other <rect>, so the bars can be counted."""
    left, right, top, bottom = 48, 12, 36, 56
    count = len(rows)
    slot = max(6.0, min(48.0, (width - left - right) / max(count, 1)))
    width = int(left + right + slot * count) if count else width
    plot_h = height - top - bottom
    peak = max((v for _, v in rows), default=0) or 1
    label_every = max(1, int(round(40 / slot)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="govnews-bar-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{left}" y="20">{escape(title)}</text>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{_number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(rows):
        bar_h = plot_h * (value or 0) / peak
        x = left + i * slot + slot * 0.15
        y = top + plot_h - bar_h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
            f'data-label="{escape(label)}" data-value="{_number(value)}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        if i % label_every == 0:
            cx, cy = x + slot * 0.35, top + plot_h + 12
            parts.append(f'<text class="label" x="{cx:.1f}" y="{cy}" text-anchor="end" '
                         f'transform="rotate(-45 {cx:.1f} {cy})">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value) -> str:
    value = value or 0
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def _chart_config(datasette, database: str | None, name: str | None) -> dict | None:
    if not database or not name:
        return None
    charts = (datasette.plugin_config(PLUGIN, database=database) or {}).get("charts") or {}
    return charts.get(name)


@hookimpl
def extra_body_script(template, database, table, columns, view_name, request, datasette):
    if request is None or not template.startswith("query"):
        return None
    name = request.url_vars.get("table")
    name = tilde_decode(name) if name else None
    config = _chart_config(datasette, database, name)
    if not config:
        return None

    async def chart_script():
        query = await datasette.get_canned_query(database, name, request.actor)
        if not query:
            return ""
        params = {p: request.args.get(p, "") for p in query.get("params") or []}
        for p in re.findall(r"(?<!:):(\w+)", query["sql"]):
            params.setdefault(p, request.args.get(p, ""))
        results = await datasette.get_database(database).execute(query["sql"], params, truncate=True)
        x, y = config.get("x", "month"), config.get("y", "count")
        rows = [(str(r[x]), r[y] or 0) for r in results.rows]
        svg = bar_chart(rows, config.get("title") or query.get("title") or name)
        return CHART_SCRIPT.replace("SVG_JSON", json.dumps(svg).replace("</", "<\\/"))

    return chart_script


CHART_SCRIPT = """
(function () {
  var svg = SVG_JSON;
  var figure = document.createElement("figure");
  figure.className = "govnews-chart";
  figure.innerHTML = svg;
  var results = document.querySelector(".table-wrapper") || document.querySelector("table.rows-and-columns");
  if (results) { results.parentNode.insertBefore(figure, results); }
  else { (document.querySelector(".content") || document.body).appendChild(figure); }
})();
"""
