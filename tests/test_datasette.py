"""The archive in Datasette, for real: `govnews browse` serving a copy of the demo archive
(real `scrapy crawl` runs, one page edited and one deleted before a second crawl), read
through the JSON API and through a real Chromium typing into the search box."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import expected_records, scrapy_crawl

from archive.datasette_plugin import bar_chart, render_diff
from archive.search import fts_query
from tests.support.browse import browse as browse_db

pytestmark = [pytest.mark.e2e, pytest.mark.browser]  # real servers on 127.0.0.1 and a real Chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEED = next(e for e in expected_records() if e["seed"] == "000")  # 魏都区: 我区召开全区领导干部会议
EDITED = "004"  # jincheng's seed: "5月7日上午" becomes "5月7日下午" before the second crawl


def copy_db(source, target):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{source}{suffix}"):
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target


@pytest.fixture(scope="module")
def archive(demo_archive, tmp_path_factory):
    """A copy of the demo archive, plus a second crawl of jincheng after an edit and a deletion.

    The second crawl must reach the same URLs, so it fetches from the session's demo server:
    its files are changed for that crawl only and put back at once.  A connection held open
    meanwhile keeps the crawl's writes in the WAL (the last connection to close would move
    them into the file), as when a crawl has just run: `govnews browse` must checkpoint them."""
    db = copy_db(demo_archive["db"], tmp_path_factory.mktemp("browse") / "archive.db")
    holder = sqlite3.connect(db)
    holder.execute("select count(*) from pages").fetchall()
    site = demo_archive["server"].sites["jincheng"]
    edited = site.root / site.manifest["seeds"][EDITED].lstrip("/")
    deleted_path = next(p for p in site.manifest["articles"] if p != site.manifest["seeds"][EDITED])
    deleted = site.root / deleted_path.lstrip("/")
    html, removed = edited.read_bytes(), deleted.read_bytes()
    try:
        edited.write_bytes(html.decode("utf-8").replace("5月7日上午", "5月7日下午", 1).encode("utf-8"))
        deleted.unlink()
        # Every known article rechecked (the demo articles are years old: outside the window).
        scrapy_crawl("-a", f"url={site.list_url}", "-s", "GOVNEWS_RECHECK_DAYS=100000", db=db)
    finally:
        edited.write_bytes(html)
        deleted.write_bytes(removed)
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0
    yield {
        "db": db,
        "wal": wal,
        "name": db.stem,
        "edited_url": site.url(site.manifest["seeds"][EDITED]),
        "gone_url": site.url(deleted_path),
        "seed_url": demo_archive["server"].sites["weidu"].url(SEED["path"]),
    }
    holder.close()


@contextmanager
def browse(archive, *options):
    """`govnews browse` of the archive on a free port, until the block ends."""
    with browse_db(archive["db"], *options) as server:
        yield {**archive, "base": server.base, "db_url": f"{server.base}/{archive['name']}"}


@pytest.fixture(scope="module")
def server(archive):
    with browse(archive) as running:
        assert archive["wal"].stat().st_size == 0  # checkpointed: an immutable open sees it all
        yield running


@pytest.fixture(scope="module")
def public_server(server):
    with browse(server, "--public") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def get_json(address: str, /, **params):
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{address}?{query}" if query else address, timeout=30) as response:
        return json.load(response)


def search_titles(server, **params) -> list[str]:
    rows = get_json(f"{server['db_url']}/pages.json", _shape="array", _col="title", **params)
    return [row["title"] for row in rows]


def canned(server, name: str, /, **params) -> list[dict]:
    return get_json(f"{server['db_url']}/{name}.json", _shape="array", **params)


# --- the JSON API -------------------------------------------------------------------------
@pytest.mark.parametrize("words", ["书记", "项目建设", "区委书记张书杰", "张书杰 项目建设"])
def test_search_finds_unsegmented_chinese(server, words):
    assert SEED["title"] in search_titles(server, _search=words)


@pytest.mark.parametrize("words", ["航天飞机", "。，", "书记 航天飞机"])
def test_search_for_what_no_page_says_finds_nothing(server, words):
    assert search_titles(server, _search=words) == []


def test_search_in_one_column_joins_on_page_id(server):
    # Datasette's own ?_search_title= joins on rowid; the plugin routes it through fts_pk.
    assert search_titles(server, _search_title="领导干部") == [SEED["title"]]
    assert SEED["title"] not in search_titles(server, _search_title="项目建设")
    assert SEED["title"] in search_titles(server, _search_text="项目建设")
    assert search_titles(server, _search="title:领导干部") == [SEED["title"]]


def test_search_in_a_column_the_index_lacks_is_refused(server):
    with pytest.raises(urllib.error.HTTPError) as error:
        search_titles(server, _search_url="书记")
    assert error.value.code == 400


def test_raw_search_mode_is_left_to_fts5(server):
    assert SEED["title"] in search_titles(server, _search="书记 AND 项目建设", _searchmode="raw")
    # raw: the words as the index holds them (领导干部会议 is indexed as 领导 干部 … 领导干部会议)
    assert search_titles(server, _search_title="领导 干部", _searchmode="raw") == [SEED["title"]]
    assert search_titles(server, _search_title="领导干部", _searchmode="raw") == []


def test_canned_search_ranks_with_the_same_segmentation(server):
    rows = canned(server, "search", q="区委书记张书杰")
    assert rows and rows[0]["url"] == server["seed_url"] and rows[0]["title"] == SEED["title"]
    assert canned(server, "search", q="航天飞机") == []
    assert canned(server, "search", q="") == []


def test_page_versions_shows_the_edit(server):
    rows = canned(server, "page_versions", url=server["edited_url"])
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["diff"] is None
    assert "[-上午-]{+下午+}" in rows[1]["diff"]


def test_recent_changes_and_withdrawn(server):
    events = {(r["event"], r["url"]) for r in canned(server, "recent_changes")}
    assert ("changed", server["edited_url"]) in events
    assert ("gone", server["gone_url"]) in events
    assert ("first_seen", server["seed_url"]) in events
    gone = get_json(f"{server['db_url']}/page_events.json", _shape="array", event="gone")
    assert [g["url"] for g in gone] == [server["gone_url"]]
    withdrawn = canned(server, "withdrawn", month=gone[0]["at"][:7])
    assert [r["url"] for r in withdrawn] == [server["gone_url"]] and withdrawn[0]["title"]
    assert canned(server, "withdrawn", month="1999-01") == []


def test_person_and_region_queries(server):
    assert server["seed_url"] in {r["url"] for r in canned(server, "person_mentions", name="张书杰")}
    weidu = {r["url"] for r in canned(server, "articles_by_region", code="411002")}
    assert server["seed_url"] in weidu
    for code in ("41", "4110", "411000", "410000"):  # the city and the province hold the county
        assert weidu <= {r["url"] for r in canned(server, "articles_by_region", code=code)}, code
    assert not weidu & {r["url"] for r in canned(server, "articles_by_region", code="14")}
    assert canned(server, "articles_by_region", code="") == []


def test_articles_per_month_counts_every_dated_page(server):
    rows = canned(server, "articles_per_month")
    dated = get_json(
        f"{server['db_url']}.json",
        _shape="array",
        sql="select count(*) as n from pages where published_month is not null",
    )[0]["n"]
    assert rows and sum(r["articles"] for r in rows) == dated
    assert [r["month"] for r in rows] == sorted(r["month"] for r in rows)
    assert "2020-04" in {r["month"] for r in rows}  # seed 000


def test_record_blobs_decode_in_sql(server):
    sql = (
        "select v.id, v.title, json_extract(govnews_record(v.record, b.record), '$.title') as record_title, "
        "json_extract(govnews_record(v.record, b.record), '$.url') as record_url, v.url "
        "from versions v left join versions b on b.id = v.record_base"
    )
    rows = get_json(f"{server['db_url']}.json", _shape="array", sql=sql)
    assert len(rows) > 20
    for row in rows:
        assert row["record_title"] == row["title"] and row["record_url"] == row["url"], row["id"]
    deltas = get_json(
        f"{server['db_url']}.json",
        _shape="array",
        sql="select url, govnews_record(record) as alone from versions where record_base is not null",
    )
    assert [d["url"] for d in deltas] == [server["edited_url"]]  # the edit is stored as a delta
    assert deltas[0]["alone"] is None  # without its base it cannot be read: NULL, not garbage
    assert get_json(f"{server['db_url']}.json", _shape="array", sql="select govnews_fts('区委书记张书杰') as q")[0][
        "q"
    ] == fts_query("区委书记张书杰")


def test_pages_metadata_facets_and_hidden_tables(server):
    data = get_json(f"{server['db_url']}/pages.json", _size=1)
    assert {"site", "channel", "region_name", "doc_type", "published_month"} <= set(data["facet_results"])
    tables = {t["name"]: t for t in get_json(f"{server['db_url']}.json")["tables"]}
    for name in ("pages_fts", "simhash_keys", "bodies", "pages_fts_data"):
        assert tables[name]["hidden"], name
    assert not tables["pages"]["hidden"] and not tables["versions"]["hidden"]


# --- a real browser -------------------------------------------------------------------------
@pytest.mark.parametrize("words", ["书记", "项目建设"])
def test_typing_into_the_search_box(server, page, words):
    page.goto(f"{server['db_url']}/pages")
    page.fill("input[name=_search]", words)
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=**")
    table = page.locator("table.rows-and-columns")
    assert SEED["title"] in table.inner_text()
    assert page.input_value("input[name=_search]") == words  # what was typed, not its segmentation


def test_page_versions_renders_the_diff(server, page):
    page.goto(f"{server['db_url']}/page_versions?" + urllib.parse.urlencode({"url": server["edited_url"]}))
    diff = page.locator("table.rows-and-columns .govnews-diff")
    assert diff.count() == 1
    assert diff.locator("ins").all_inner_texts() == ["下午"]
    assert diff.locator("del").all_inner_texts() == ["上午"]
    assert diff.locator("ins").first.is_visible()


def test_versions_table_folds_the_record(server, page):
    page.goto(f"{server['db_url']}/versions?" + urllib.parse.urlencode({"url": server["edited_url"]}))
    summaries = page.locator("details.govnews-record summary").all_inner_texts()
    assert len(summaries) == 2 and all(s.startswith("record (") for s in summaries)
    page.locator("details.govnews-record summary").first.click()
    assert "5月7日下午" in page.locator("details.govnews-record pre").first.inner_text()  # newest first
    # record_base left out of the columns: the delta is still read against its base
    page.goto(
        f"{server['db_url']}/versions?"
        + urllib.parse.urlencode(
            [("url", server["edited_url"]), ("_col", "version"), ("_col", "record"), ("_sort", "version")]
        )
    )
    records = page.locator("details.govnews-record pre").all_text_contents()
    assert len(records) == 2 and "5月7日上午" in records[0] and "5月7日下午" in records[1]


def test_articles_per_month_chart(server, page, tmp_path):
    rows = canned(server, "articles_per_month")
    page.goto(f"{server['db_url']}/articles_per_month")
    chart = page.locator("figure.govnews-chart svg")
    chart.wait_for(state="visible")
    bars = chart.locator("rect")
    assert bars.count() == len(rows) == page.locator("table.rows-and-columns tbody tr").count()
    assert [bars.nth(i).get_attribute("data-label") for i in range(len(rows))] == [r["month"] for r in rows]
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    tallest = max(range(len(rows)), key=lambda i: rows[i]["articles"])
    assert bars.nth(tallest).bounding_box()["height"] > 50
    assert "Articles per month" in chart.inner_html()
    shot = tmp_path / "articles_per_month.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_site_health_and_weak_records_per_crawl(server, page):
    """Each crawl stored its verdict (crawler/health.py): one row a site, and a bar a crawl."""

    def one(sql: str) -> list[dict]:
        return get_json(f"{server['db_url']}.json", _shape="array", sql=sql)

    health = canned(server, "site_health")
    sites = [r["site"] for r in one("select distinct site from crawl_runs order by site")]
    assert len(sites) == 5 and sorted(r["site"] for r in health) == sites
    assert {(r["health"], r["reasons"]) for r in health} == {("ok", "[]")}
    # jincheng's second crawl (an edit, a deletion) is its latest: nothing new, still ok
    assert sorted(r["new_articles"] for r in health)[0] == 0
    runs = canned(server, "weak_records_per_run")
    assert len(runs) == 6 and sum(r["new_articles"] for r in runs) == one("select count(*) as n from pages")[0]["n"]
    page.goto(f"{server['db_url']}/weak_records_per_run")
    chart = page.locator("figure.govnews-chart svg")
    chart.wait_for(state="visible")
    bars = chart.locator("rect")
    assert [bars.nth(i).get_attribute("data-label") for i in range(bars.count())] == [r["run"] for r in runs]
    assert "Weak records per crawl" in chart.inner_html()


# --- the pieces, directly -------------------------------------------------------------------
def test_render_diff_escapes_and_marks_every_kind_of_line():
    html = str(
        render_diff("@ title: 旧<b>标题 → 新标题\n- 删去<script>x</script>\n+ 新增 & 段\n~ 他[-尽快-]{+倒排工期+}。")
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "旧&lt;b&gt;标题" in html
    assert "<del>旧&lt;b&gt;标题</del> → <ins>新标题</ins>" in html
    assert "<ins>新增 &amp; 段</ins>" in html
    assert "他<del>尽快</del><ins>倒排工期</ins>。" in html
    assert html.count('<div class="diff-') == 4


def test_bar_chart_draws_one_rect_per_row():
    svg = bar_chart([("2024-01", 3), ("2024-02", 0), ("2024-03", 7)], "A <title>")
    assert svg.count("<rect") == 3 and "A &lt;title&gt;" in svg and "<text" in svg


# --- hardening ------------------------------------------------------------------------------
def fetch(address: str):
    """(status, headers, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(address, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_every_response_carries_the_security_headers(server):
    for address in (
        f"{server['base']}/",
        f"{server['db_url']}/pages",
        f"{server['db_url']}/pages.json",
        f"{server['base']}/-/static-plugins/govnews/govnews.css",
        f"{server['base']}/-/static/app.css",
        f"{server['db_url']}/no_such_table",  # a 404
    ):
        status, headers, _ = fetch(address)
        assert status in (200, 404), address
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert len(headers.get_all("Content-Security-Policy")) == 1


def test_pages_work_under_the_content_security_policy(server, page):
    """Datasette's own scripts and the plugin's (search, SQL editor, column menus, the chart)
    run in Chromium with the policy on, and the browser reports no violation."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    seen = []
    for address in (
        f"{server['base']}/",
        f"{server['db_url']}",
        f"{server['db_url']}/pages?_search=书记",
        f"{server['db_url']}/page_versions?" + urllib.parse.urlencode({"url": server["edited_url"]}),
        f"{server['db_url']}/versions?" + urllib.parse.urlencode({"url": server["edited_url"]}),
        f"{server['db_url']}/articles_per_month",
        f"{server['db_url']}?" + urllib.parse.urlencode({"sql": "select count(*) from pages"}),
    ):
        response = page.goto(address)
        assert response.status == 200 and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        seen += page.evaluate("window.__csp")
    assert seen == [] and violations == []
    # What the scripts do still happens: the chart is drawn, the SQL editor is CodeMirror,
    # the column menu opens.
    page.goto(f"{server['db_url']}/articles_per_month")
    page.locator("figure.govnews-chart svg").wait_for(state="visible")
    page.goto(f"{server['db_url']}?" + urllib.parse.urlencode({"sql": "select count(*) from pages"}))
    page.locator(".CodeMirror, .cm-editor").first.wait_for(state="visible")
    page.goto(f"{server['db_url']}/pages")
    page.locator("th .dropdown-menu-icon, th svg").first.click()
    page.locator(".dropdown-menu").first.wait_for(state="visible")
    assert page.evaluate("window.__csp") == [] and violations == []


def test_an_overlong_search_is_an_error_not_minutes_of_segmenting(server):
    from archive.datasette_plugin.search import MAX_QUERY_LENGTH

    longest = "书" * MAX_QUERY_LENGTH
    assert get_json(f"{server['db_url']}.json", _shape="array", sql="select govnews_fts(:q) as q", q=longest)
    started = time.monotonic()
    status, _, body = fetch(
        f"{server['db_url']}.json?"
        + urllib.parse.urlencode({"sql": "select govnews_fts(:q) as q", "q": "书" * (MAX_QUERY_LENGTH + 1)})
    )
    assert status == 400 and b"user-defined function raised exception" in body
    status, _, _ = fetch(f"{server['db_url']}/pages.json?" + urllib.parse.urlencode({"_search": "书记" * 3000}))
    assert status >= 400
    assert canned(server, "search", q="区委书记张书杰")  # still answering, at once
    assert time.monotonic() - started < 5


def test_a_record_bomb_is_refused_before_it_is_allocated():
    import resource

    import zstandard

    from archive.datasette_plugin.render import MAX_RECORD_SIZE, decode_record

    bomb = zstandard.ZstdCompressor(level=3).compress(b"[" * (1 << 30))  # states 1 GB
    unstated = zstandard.ZstdCompressor(level=3, write_content_size=False).compress(b"[" * (64 << 20))
    assert len(bomb) < 64 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    assert decode_record(bomb) is None and decode_record(unstated) is None
    assert decode_record(b"{}", bomb) is None  # a bomb as the base too
    assert time.monotonic() - started < 1
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 2 * MAX_RECORD_SIZE // 1024
    good = zstandard.ZstdCompressor().compress(json.dumps({"title": "标题"}).encode())
    assert json.loads(decode_record(good)) == {"title": "标题"}


def test_typed_markers_are_not_rendered_as_edits():
    from archive.diff import paragraph_diff, text_diff

    old, new = "通知[-删去-]与{+新增+}均为原文。", "通知[-删去-]与{+新增+}均为原文，见附件。"
    line = paragraph_diff(old, new)
    assert line == "通知\\[-删去-\\]与\\{+新增+\\}均为原文{+，见附件+}。"
    html = str(render_diff("~ " + line))
    assert html.count("<ins>") == 1 and "<del>" not in html
    assert "<ins>，见附件</ins>" in html and "通知[-删去-]与{+新增+}均为原文" in html
    # A typed marker in a removed or added paragraph is its text, as ever.
    html = str(render_diff(text_diff("甲。", "甲。\n{+乙+}")))
    assert "<ins>{+乙+}</ins>" in html


def test_public_browse_turns_off_sql_and_downloads(public_server):
    server = public_server
    status, _, _ = fetch(f"{server['db_url']}.json?" + urllib.parse.urlencode({"sql": "select 1"}))
    assert status == 403
    status, _, _ = fetch(f"{server['db_url']}.db")
    assert status in (403, 404)
    status, _, _ = fetch(f"{server['db_url']}/pages.csv?_stream=on")
    assert status >= 400
    settings = get_json(f"{server['base']}/-/settings.json")
    assert settings["default_allow_sql"] is False and settings["allow_download"] is False
    # What the archive is for still works: tables, search, canned queries.
    assert SEED["title"] in search_titles(server, _search="区委书记张书杰")
    assert canned(server, "search", q="区委书记张书杰")[0]["title"] == SEED["title"]


def test_private_browse_keeps_sql_and_download(server):
    assert fetch(f"{server['db_url']}.json?" + urllib.parse.urlencode({"sql": "select 1"}))[0] == 200
    assert fetch(f"{server['db_url']}.db")[0] == 200


def test_browse_writes_its_metadata_in_a_private_folder_of_its_own(tmp_path, monkeypatch):
    from archive.datasette import FOLDER_PREFIX, PUBLIC_SETTINGS, datasette_args
    from archive.store import Archive

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    db = tmp_path / "archive.db"
    Archive(db).close()
    # What the old code would have used: a predictable folder another user could create or link.
    planted_target = tmp_path / "elsewhere"
    planted_target.mkdir()
    for name in ("govnews-browse-0123456789ab", FOLDER_PREFIX + "planted"):
        (temp / name).symlink_to(planted_target, target_is_directory=True)

    args, notes = datasette_args(db, host="127.0.0.1", port=8001, live=False)
    again, _ = datasette_args(db, host="127.0.0.1", port=8001, live=False)
    metadata = Path(args[args.index("--metadata") + 1])
    assert metadata != Path(again[again.index("--metadata") + 1])  # a new folder each run
    folder = metadata.parent
    assert folder.parent == temp and folder.name.startswith(FOLDER_PREFIX) and not folder.is_symlink()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and folder.stat().st_uid == os.getuid()
    assert stat.S_IMODE(metadata.stat().st_mode) == 0o600
    assert json.loads(metadata.read_text(encoding="utf-8"))["databases"]["archive"]["tables"]["pages"]
    assert list(planted_target.iterdir()) == []  # nothing written through the links
    assert "--setting" not in args and not any("Public" in n for n in notes)

    public, notes = datasette_args(db, host="0.0.0.0", port=8001, live=False, public=True)
    settings = [public[i + 1 : i + 3] for i, a in enumerate(public) if a == "--setting"]
    assert settings == [list(s) for s in PUBLIC_SETTINGS]
    assert ["default_allow_sql", "off"] in settings and ["allow_download", "off"] in settings
    _, notes = datasette_args(db, host="0.0.0.0", port=8001, live=False)
    assert any("see --public" in n for n in notes)


def test_browse_removes_its_own_stale_folders_only(tmp_path, monkeypatch):
    from archive.datasette import FOLDER_PREFIX, STALE_FOLDER_SECONDS, remove_stale_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    (old / "metadata.json").write_text("{}")
    fresh = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    shared = tmp_path / (FOLDER_PREFIX + "shared")
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / (FOLDER_PREFIX + "link")
    link.symlink_to(target, target_is_directory=True)
    long_ago = time.time() - 2 * STALE_FOLDER_SECONDS
    for path in (old, shared, target):
        os.utime(path, (long_ago, long_ago))
    os.utime(link, (long_ago, long_ago), follow_symlinks=False)
    assert remove_stale_folders() == 1
    assert not old.exists() and fresh.exists() and shared.exists() and link.is_symlink()
    assert (target / "keep").exists()
