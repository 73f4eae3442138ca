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

**Reading.**  A table with reading columns (metadata
``databases.DB.plugins.govnews.reading_columns.TABLE``: pages) opens with those alone, its
label column linking to the row, ``text`` as an excerpt; its row page shows one column a line,
the text whole, and a page links to its versions (``page_versions``) and its timeline
(``page_events``).  Column descriptions are folded in a ``<details>``; the index page says what
each archive holds.  The templates are ``templates/`` (each extends Datasette's own), the work
:mod:`.reading`.

**Security headers** (every response, through the ASGI wrapper): `SECURITY_HEADERS`, a
Content-Security-Policy that lets a page load scripts, styles, images and data from this
server only (inline scripts and styles allowed: Datasette's own templates and this plugin's
chart use them), no frames of it anywhere (``frame-ancestors 'none'``, ``X-Frame-Options:
DENY``), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.  A
header the response already has is left as it is.

**Caps.**  SQLite's time limit does not stop a Python SQL function, so these refuse large
input instead: ``govnews_fts`` and ``escape_fts`` at most
:data:`~.search.MAX_QUERY_LENGTH` characters, ``govnews_record`` at most
:data:`~.render.MAX_RECORD_SIZE` bytes of decompressed record (a zstd bomb is refused before
it is allocated; the function returns NULL).  A record cell is decoded and formatted in a
worker thread, not on the event loop.

**Layout.**  This package holds every hook implementation, so the entry point
``archive.datasette_plugin`` registers them all; the work is done in :mod:`.search` (the
Chinese search), :mod:`.render` (cells, version records), :mod:`.charts` (the SVG chart) and
:mod:`.reading` (the reading columns, the row's links, the index's summary).  Those four import nothing from each other nor from this package.  The stylesheet is
``static/govnews.css``, which Datasette serves at ``/-/static-plugins/govnews/govnews.css``.
"""

from __future__ import annotations

import asyncio
import json
import re

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode

from archive.datasette_plugin.charts import CHART_SCRIPT, bar_chart
from archive.datasette_plugin.reading import (
    all_columns_url,
    archive_summary,
    page_links,
    reading_columns,
    reading_order,
    reading_table,
)
from archive.datasette_plugin.render import decode_record, render_diff, render_record
from archive.datasette_plugin.search import (
    _fts_columns,
    fts_match,
    rewrite_column_search,
    segmenting_escape_fts,
)

PLUGIN = "govnews"
CSS_FILE = "govnews.css"  # static/govnews.css


# --- search ---------------------------------------------------------------------------
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
        # jieba's dictionary, OpenCC's tables and pypinyin's readings (a query is normalized as
        # pages are) take a moment to load: do it before the first search, not during.
        await asyncio.get_running_loop().run_in_executor(None, fts_match, "區(qū)委書記")

    return warm_segmenter


# --- security headers ---------------------------------------------------------------------
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


def with_security_headers(headers) -> list:
    """A response's ASGI headers with `SECURITY_HEADERS` added where it lacks them."""
    headers = list(headers or [])
    present = {bytes(name).lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def govnews_asgi(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if b"_search_" in scope.get("query_string", b""):
                scope = await rewrite_column_search(datasette, scope)

            async def secured_send(message):
                if message.get("type") == "http.response.start":
                    message = {**message, "headers": with_security_headers(message.get("headers"))}
                await send(message)

            await app(scope, receive, secured_send)

        return govnews_asgi

    return wrap


# --- cells --------------------------------------------------------------------------------
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
                found = (
                    await db.execute(
                        "select b.record from versions v join versions b on b.id = v.record_base where v.id = ?",
                        [version_id],
                    )
                ).first()
                base = found[0] if found else None
            # Decompressing and formatting a record of megabytes is work: not on the event loop.
            return await asyncio.get_running_loop().run_in_executor(None, _record_markup, value, base)

        return record_cell
    return None


def _record_markup(value: bytes, base):
    return render_record(decode_record(value, base), len(value))


# --- stylesheet -----------------------------------------------------------------------------
@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins(PLUGIN, CSS_FILE)]


# --- charts ---------------------------------------------------------------------------------
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


# --- reading ---------------------------------------------------------------------------------
@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    reading = reading_columns(datasette, database, table)
    args = request.args if request is not None else {}
    link = datasette.table_metadata(database, table).get("label_column") if reading else None

    def row_url(pk) -> str:
        return datasette.urls.table(database, table) + "/" + tilde_encode(str(pk))

    def govnews_reading(display_columns, display_rows):
        order = reading_order([c["name"] for c in display_columns], reading, args, view_name)
        return reading_table(display_columns, display_rows, order, row_url if view_name == "table" else None, link)

    async def template_vars():
        found: dict[str, object] = {"govnews_reading": govnews_reading, "govnews_reading_columns": reading}
        if view_name == "index":
            found["govnews_summaries"] = {
                name: summary
                for name, db in datasette.databases.items()
                if name != "_internal" and (summary := await archive_summary(db)) is not None
            }
        elif view_name == "table" and reading and request is not None:
            found["govnews_all_columns_url"] = await all_columns_url(datasette, database, table, request)
        elif view_name == "row" and table == "pages" and request is not None and "pks" in request.url_vars:
            found["govnews_page_links"] = await page_links(datasette, database, request.url_vars["pks"])
        return found

    return template_vars
