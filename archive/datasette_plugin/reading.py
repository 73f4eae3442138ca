"""Reading the archive in Datasette: the pages table opens with the columns a person reads
(title, date, source, site, region, an excerpt), a page's row shows its text in full with
links to its versions and its timeline, and the index page says what the archive holds.

The columns come from the metadata (``plugins.govnews.reading_columns`` of a database:
``{"pages": ["title", "published_at", …]}``); the templates in ``templates/`` draw them.
Nothing here changes what a query returns: the JSON, CSV and ``?_col=`` views are Datasette's.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from datasette.database import QueryInterrupted
from datasette.utils import urlsafe_components
from markupsafe import Markup

PLUGIN = "govnews"  # its plugin config: databases.DB.plugins.govnews
EXCERPT_LENGTH = 60
# The index page's numbers must not hold it up on a large archive: each query at most this (ms).
SUMMARY_TIME_LIMIT_MS = 500
_SPACE = re.compile(r"\s+")


def excerpt(text, length: int = EXCERPT_LENGTH) -> str:
    """The beginning of a text on one line: whitespace and paragraph breaks become one
    space, cut after ``length`` characters with "…".

    >>> excerpt("区委书记张书杰主持会议。\\n会议要求尽快推进项目建设。", 12)
    '区委书记张书杰主持会议。 …'
    >>> excerpt("  短文。  ")
    '短文。'
    >>> excerpt(None)
    ''
    """
    if not isinstance(text, str):
        return ""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= length:
        return flat
    return flat[:length].rstrip() + " …"


def reading_order(names: list[str], reading: list[str] | None, args, view_name: str) -> list[int] | None:
    """Which of a table's displayed columns (``names``, in Datasette's order) to draw, as
    indexes, or None for all of them as Datasette has them.

    - table view: the reading columns alone, in their order, unless the request names its
      columns itself (``?_col=``); ``?_nocol=`` takes columns out of the reading ones;
    - row view: every column, the reading ones first;
    - any other view, or a table without reading columns: None.

    >>> reading_order(["url", "site", "title", "text"], ["title", "site", "text"], {}, "table")
    [2, 1, 3]
    >>> reading_order(["url", "title"], ["title", "site"], {"_col": ["title"]}, "table") is None
    True
    >>> reading_order(["url", "site", "title"], ["title"], {}, "row")
    [2, 0, 1]
    """
    if not reading or view_name not in ("table", "row"):
        return None
    if view_name == "table" and "_col" in args:
        return None
    first = [names.index(name) for name in reading if name in names]
    if view_name == "table":
        return first
    return first + [i for i in range(len(names)) if i not in first]


def reading_table(display_columns: list, display_rows: list, order: list[int] | None, row_url=None, link=None):
    """Datasette's displayed columns and rows in the reading ``order`` (see `reading_order`).

    For a table view (``row_url``: the address of a row from its primary key) the ``link``
    column's cells link to their row, standing in for the primary key's column, which is left
    out (kept first when ``?_nocol=`` took the label column out), and ``text`` is shown as an
    `excerpt`.  Unchanged when ``order`` is None."""
    if order is None:
        return display_columns, display_rows
    if row_url is not None and link not in [display_columns[i]["name"] for i in order] and display_columns:
        order = [0, *order]  # the label column taken out (?_nocol=title): the primary key links instead
    columns = [display_columns[i] for i in order]
    rows = []
    for row in display_rows:
        cells = list(row)
        pk = next((c["raw"] for c in cells if c.get("value_type") == "pk"), None)
        picked = []
        for i in order:
            cell = cells[i]
            if row_url is not None and pk is not None:
                if cell["column"] == link:
                    shown = cell["value"] if cell["raw"] not in (None, "") else pk
                    cell = {**cell, "value": Markup('<a href="{}">{}</a>').format(row_url(pk), shown)}
                elif cell["column"] == "text":
                    shown = excerpt(cell["raw"])
                    cell = {**cell, "value": Markup('<span class="govnews-excerpt">{}</span>').format(shown)}
            picked.append(cell)
        rows.append(type(row)(picked) if hasattr(row, "cells") else picked)
    return columns, rows


def reading_columns(datasette, database: str | None, table: str | None) -> list[str] | None:
    """The reading columns of a table (metadata ``plugins.govnews.reading_columns``), or None."""
    if not database or not table:
        return None
    config = datasette.plugin_config(PLUGIN, database=database) or {}
    columns = (config.get("reading_columns") or {}).get(table)
    return list(columns) if columns else None


async def all_columns_url(datasette, database: str, table: str, request) -> str:
    """The table view of the request with every column (``?_col=`` each one), its search,
    filters and sort kept."""
    db = datasette.get_database(database)
    pks = await db.primary_keys(table)
    kept = [
        (key, value)
        for key in request.args
        if key not in ("_col", "_nocol", "_next")
        for value in request.args.getlist(key)
    ]
    every = [("_col", name) for name in await db.table_columns(table) if name not in pks]
    return request.path + "?" + urlencode(kept + every)


async def archive_summary(db) -> dict | None:
    """What a govnews archive holds, for the index page: pages, sites, the published date
    range, the last crawl.  None for a database that is not an archive."""
    if not await db.table_exists("pages"):
        return None

    async def one(sql: str):
        try:
            row = (await db.execute(sql, custom_time_limit=SUMMARY_TIME_LIMIT_MS)).first()
        except QueryInterrupted:
            return None
        return tuple(row) if row else None

    pages = await one("select count(*) from pages")
    sites = await one("select count(distinct site) from pages")
    # published_month is indexed: the first and last month first, then the days inside them.
    earliest = await one(
        "select min(published_at) from pages where published_month = (select min(published_month) from pages)"
    )
    latest = await one(
        "select max(published_at) from pages where published_month = (select max(published_month) from pages)"
    )
    crawl = None
    if await db.table_exists("crawl_runs"):
        crawl = await one("select site, started_at, finished_at, status from crawl_runs order by id desc limit 1")
    return {
        "pages": pages[0] if pages else None,
        "sites": sites[0] if sites else None,
        "earliest": earliest[0] if earliest else None,
        "latest": latest[0] if latest else None,
        "last_crawl": dict(zip(("site", "started_at", "finished_at", "status"), crawl)) if crawl else None,
    }


async def page_links(datasette, database: str, pks: str) -> dict:
    """Where a page's row links to: its versions with their diffs (the canned query
    page_versions) and its timeline (page_events, oldest first), with how many of each."""
    url = urlsafe_components(pks)[0]
    db = datasette.get_database(database)
    versions = (await db.execute("select count(*) from versions where url = ?", [url])).first()[0]
    events = (await db.execute("select count(*) from page_events where url = ?", [url])).first()[0]
    return {
        "versions": versions,
        "versions_url": datasette.urls.query(database, "page_versions") + "?" + urlencode({"url": url}),
        "events": events,
        "events_url": datasette.urls.table(database, "page_events") + "?" + urlencode({"url": url, "_sort": "at"}),
    }
