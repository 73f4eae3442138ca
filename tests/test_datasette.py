"""The archive in Datasette, for real: `govnews browse` serving a copy of the demo archive
(real `scrapy crawl` runs, one page edited and one deleted before a second crawl), read
through the JSON API and through a real Chromium typing into the search box."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import BIN, expected_records, scrapy_crawl

from archive.datasette_plugin import bar_chart, render_diff
from archive.search import fts_query
from crawler.demo.server import free_port

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


@pytest.fixture(scope="module")
def server(archive):
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "govnews"), "browse", "--db", str(archive["db"]), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"govnews browse did not start:\n{process.stdout.read()}")
                time.sleep(0.1)
        assert archive["wal"].stat().st_size == 0  # checkpointed: an immutable open sees it all
        yield {**archive, "base": base, "db_url": f"{base}/{archive['name']}"}
    finally:
        process.terminate()
        process.wait(timeout=10)


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
