"""Reading the archive in Datasette as a person does: `govnews browse` of the demo archive (with
one page edited and one deleted by a second real crawl), looked at in a real Chromium with
a CJK font.  The pages table opens with the columns one reads, the first titles in the first
screen and drawn in Chinese glyphs; a page's row holds its whole text and links to its
versions and its timeline; the index page says what the archive holds."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import urllib.parse
from contextlib import closing

import pytest
import test_datasette as served
from test_datasette import SEED, canned, fetch, get_json

from archive.datasette import READING_COLUMNS, TABLE_OPTIONS, metadata_for
from archive.datasette_plugin.reading import EXCERPT_LENGTH, excerpt, reading_order
from archive.schema import tables

# The served archive of tests/test_datasette.py (its fixtures, a fresh instance for this module).
archive, server, browser, page = served.archive, served.server, served.browser, served.page

READING = READING_COLUMNS["pages"]
VIEWPORT = {"width": 1280, "height": 900}
HAN = re.compile(r"[\u4e00-\u9fff]")


def rows_of(server, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)) as conn:
        return conn.execute(sql, params).fetchall()


def row_address(server, url: str) -> str:
    from datasette.utils import tilde_encode

    return f"{server['db_url']}/pages/{tilde_encode(url)}"


# --- the pieces -----------------------------------------------------------------------------
def test_reading_columns_are_columns_of_pages_and_the_label_is_among_them():
    columns = tables()["pages"][0]
    assert READING == ["title", "published_at", "source", "site", "region_name", "text"]
    assert all(name in columns for name in READING)
    assert TABLE_OPTIONS["pages"]["label_column"] in READING
    plugin = metadata_for("x.db")["databases"]["x"]["plugins"]["govnews"]
    assert plugin["reading_columns"] == READING_COLUMNS


def test_excerpt_is_one_short_line():
    text = "区委书记张书杰主持会议。\n\n会议要求尽快推进项目建设，" + "抓好落实。" * 40
    short = excerpt(text)
    assert "\n" not in short and short.startswith("区委书记张书杰主持会议。 会议要求")
    assert short.endswith(" …") and len(short) == EXCERPT_LENGTH + 2
    assert excerpt("短文。") == "短文。" and excerpt("") == "" and excerpt(None) == ""


def test_reading_order_gives_way_to_columns_a_person_picks():
    names = ["url", "page_id", "site", "title", "published_at", "text"]
    assert reading_order(names, READING, {}, "table") == [3, 4, 2, 5]
    assert reading_order(names, READING, {"_col": ["site"]}, "table") is None
    assert reading_order(names, None, {}, "table") is None
    assert reading_order(names, READING, {}, "query") is None
    assert reading_order(names, READING, {}, "row") == [3, 4, 2, 5, 0, 1]


def test_reading_table_links_the_title_and_escapes_what_pages_say():
    from markupsafe import Markup

    from archive.datasette_plugin.reading import reading_table

    columns = [{"name": n} for n in ("url", "title", "site", "text")]
    pk = {"column": "url", "value": Markup('<a href="/x">u</a>'), "raw": "http://a.gov.cn/1.html", "value_type": "pk"}
    cells = [
        pk,
        {"column": "title", "value": "<script>x</script>标题", "raw": "<script>x</script>标题", "value_type": "str"},
        {"column": "site", "value": "a", "raw": "a", "value_type": "str"},
        {"column": "text", "value": "<b>正文</b>" * 30, "raw": "<b>正文</b>" * 30, "value_type": "str"},
    ]
    untitled = [pk, {**cells[1], "value": "", "raw": None}, cells[2], cells[3]]
    order = reading_order([c["name"] for c in columns], ["title", "site", "text"], {}, "table")
    shown, rows = reading_table(columns, [cells, untitled], order, lambda pk: "/db/pages/" + pk, "title")
    assert [c["name"] for c in shown] == ["title", "site", "text"]
    title, site, text = (str(c["value"]) for c in rows[0])
    assert title == '<a href="/db/pages/http://a.gov.cn/1.html">&lt;script&gt;x&lt;/script&gt;标题</a>'
    assert "<b>" not in text and text.startswith('<span class="govnews-excerpt">&lt;b&gt;正文')
    assert str(rows[1][0]["value"]).endswith(">http://a.gov.cn/1.html</a>")  # no title: the address
    # Without the label column (?_nocol=title) the primary key's cell links to the row, as in Datasette.
    order = reading_order([c["name"] for c in columns], ["site", "text"], {}, "table")
    shown, rows = reading_table(columns, [cells], order, lambda pk: "/db/pages/" + pk, "title")
    assert [c["name"] for c in shown] == ["url", "site", "text"] and rows[0][0] is pk
    # A row view keeps every cell as Datasette drew it, only in the reading order.
    assert reading_table(columns, [cells], [1, 0, 2, 3], None, "title")[1][0][0] is cells[1]


# --- the pages table, in Chromium -------------------------------------------------------------
@pytest.mark.e2e
@pytest.mark.browser
def test_pages_table_opens_with_the_reading_columns_and_titles_in_the_first_screen(server, page):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{server['db_url']}/pages")
    table = page.locator("table.rows-and-columns")
    assert table.locator("thead th").evaluate_all("ths => ths.map(th => th.dataset.column)") == READING
    # The newest page first, as the metadata sorts; its title within the first screen, whole.
    newest = get_json(f"{server['db_url']}/pages.json", _shape="array", _sort_desc="published_at", _size=3)
    titles = table.locator("tbody td.col-title a")
    assert titles.count() == rows_of(server, "select count(*) from pages")[0][0]
    first = titles.first
    assert first.inner_text() == newest[0]["title"]
    box = first.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= VIEWPORT["width"] and box["y"] + box["height"] <= VIEWPORT["height"], box
    # A row is a line or three, not the whole body: the text is an excerpt of the page's text.
    heights = table.locator("tbody tr").evaluate_all("trs => trs.map(tr => tr.getBoundingClientRect().height)")
    assert max(heights) < 150, heights
    cells = table.locator("tbody td.col-text").all_inner_texts()
    assert cells[0] == excerpt(newest[0]["text"]) and len(cells[0]) <= EXCERPT_LENGTH + 2
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]  # nothing off to the right
    # The title opens the page's row.
    first.click()
    page.wait_for_url("**/pages/**")
    assert page.locator("table.govnews-row tr.col-url td").inner_text() == newest[0]["url"]


@pytest.mark.e2e
@pytest.mark.browser
def test_column_descriptions_are_folded_until_asked_for(server, page):
    for table, column in (("pages", "published_at"), ("versions", "diff")):
        page.goto(f"{server['db_url']}/{table}")
        folded = page.locator("details.govnews-column-descriptions")
        assert folded.count() == 1 and folded.get_attribute("open") is None
        descriptions = folded.locator("dl.column-descriptions")
        assert not descriptions.is_visible()
        assert page.locator("dl.column-descriptions").count() == 1  # not also listed unfolded
        folded.locator("summary").click()
        assert descriptions.is_visible()
        assert column in descriptions.locator("dt").all_inner_texts()
    page.goto(f"{server['db_url']}/pages")
    suggested = page.locator("details.suggested-facets")
    assert suggested.count() == 1 and suggested.get_attribute("open") is None


@pytest.mark.e2e
@pytest.mark.browser
def test_titles_are_drawn_in_a_cjk_font(server, page):
    """Chromium draws a character no installed font has as an empty box: the title would be in
    the first screen, and unreadable.  Which fonts drew the title, as the browser reports them,
    must be fonts that have its characters (fontconfig says which); and its characters drawn
    in that font must be ink, each different (missing glyphs are all the same box)."""
    page.goto(f"{server['db_url']}/pages")
    title = page.locator("table.rows-and-columns tbody td.col-title a").first
    text = title.inner_text()
    han = sorted(set(HAN.findall(text)))
    assert len(han) >= 4, text
    charset = " ".join(f"{ord(c):x}" for c in han)
    listed = subprocess.run(["fc-list", f":charset={charset}", "family"], capture_output=True, text=True).stdout
    covering = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    assert covering, f"no font has the characters of {text!r}: run `make fonts` (Debian fonts-wqy-zenhei)"

    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "table.rows-and-columns tbody td.col-title a"})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    cjk = [f for f in fonts if f["familyName"] in covering]
    assert cjk, f"{text!r} was drawn in {fonts}, none of which has its characters"
    assert sum(f["glyphCount"] for f in cjk) >= len(HAN.findall(text))

    glyphs = title.evaluate(
        """(el, chars) => {
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 64;
            const ctx = canvas.getContext("2d", {willReadFrequently: true});
            ctx.font = getComputedStyle(el).fontSize + " " + getComputedStyle(el).fontFamily;
            return chars.map(c => {
                ctx.clearRect(0, 0, 64, 64);
                ctx.fillText(c, 8, 40);
                const data = ctx.getImageData(0, 0, 64, 64).data;
                let ink = 0, bits = "";
                for (let i = 3; i < data.length; i += 4) { ink += data[i] > 128; bits += data[i] > 128 ? 1 : 0; }
                return [ink, bits];
            });
        }""",
        han,
    )
    assert all(ink > 10 for ink, _ in glyphs), [ink for ink, _ in glyphs]
    assert len({bits for _, bits in glyphs}) == len(han)  # each character its own glyph, no boxes
    shot = title.screenshot()
    assert len(shot) > 500  # a PNG of the drawn title (kept for a person to look at when this fails)


@pytest.mark.e2e
@pytest.mark.browser
def test_search_facets_and_column_choices_still_work_in_the_reading_view(server, page):
    page.goto(f"{server['db_url']}/pages")
    page.fill("input[name=_search]", "区委书记张书杰")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=**")
    assert page.locator("table.rows-and-columns tbody td.col-title").all_inner_texts() == [SEED["title"]]
    # A facet value narrows the rows and keeps the reading columns.
    page.goto(f"{server['db_url']}/pages")
    value = page.locator(".facet-info[data-column=site] li a").first
    site = value.inner_text()
    value.click()
    page.wait_for_url("**site=**")
    sites = page.locator("table.rows-and-columns tbody td.col-site").all_inner_texts()
    assert sites and set(sites) == {site}
    assert page.locator("table.rows-and-columns thead th").count() == len(READING)
    # ?_nocol= takes a column out of the reading ones; ?_col= shows what it names.
    page.goto(f"{server['db_url']}/pages?_nocol=source")
    columns = page.locator("thead th").evaluate_all("ths => ths.map(th => th.dataset.column)")
    assert columns == [c for c in READING if c != "source"]
    page.goto(f"{server['db_url']}/pages?_col=status&_col=version_count")
    columns = page.locator("thead th").evaluate_all("ths => ths.map(th => th.dataset.column)")
    assert columns == ["url", "status", "version_count"]
    # "Show every column", from a filtered view: every column, the filter kept.
    page.goto(f"{server['db_url']}/pages?" + urllib.parse.urlencode({"site": site}))
    page.locator("a", has_text="Show every column").click()
    page.wait_for_load_state("load")
    columns = page.locator("thead th").evaluate_all("ths => ths.map(th => th.dataset.column)")
    assert columns == [name for (name,) in rows_of(server, "select name from pragma_table_info('pages') order by cid")]
    assert set(page.locator("tbody td.col-site").all_inner_texts()) == {site}


@pytest.mark.e2e
def test_the_json_of_pages_is_unchanged(server):
    """The reading view is the HTML page's: the JSON has every column, the text whole."""
    rows = get_json(f"{server['db_url']}/pages.json", _shape="array", _size=100)
    stored = dict(rows_of(server, "select url, text from pages"))
    columns = [name for (name,) in rows_of(server, "select name from pragma_table_info('pages') order by cid")]
    assert rows and all(list(row) == columns for row in rows)
    assert {row["url"]: row["text"] for row in rows} == stored


# --- a page's row ---------------------------------------------------------------------------
@pytest.mark.e2e
@pytest.mark.browser
def test_row_page_holds_the_whole_text_and_links_versions_and_timeline(server, page):
    url = server["edited_url"]
    (text, title) = rows_of(server, "select text, title from pages where url = ?", url)[0]
    page.goto(row_address(server, url))
    shown = page.locator("table.govnews-row tr th").all_inner_texts()
    assert shown[: len(READING)] == READING  # the reading columns first, then every other one
    assert len(shown) == len(rows_of(server, "select name from pragma_table_info('pages')"))
    assert page.locator("table.govnews-row tr.col-title td").inner_text() == title
    assert page.locator("table.govnews-row tr.col-text td").inner_text() == text  # whole, paragraphs kept
    assert "5月7日下午" in text

    versions = page.locator(".govnews-page-links a", has_text="versions")
    assert versions.inner_text().startswith("2 versions")
    versions.click()
    page.wait_for_url("**/page_versions?**")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["url"] == [url]
    diff = page.locator("table.rows-and-columns .govnews-diff")
    assert diff.locator("ins").all_inner_texts() == ["下午"] and diff.locator("del").all_inner_texts() == ["上午"]

    page.go_back()
    timeline = page.locator(".govnews-page-links a", has_text="timeline")
    events = rows_of(server, "select event from page_events where url = ? order by at, id", url)
    assert timeline.inner_text() == f"timeline: {len(events)} events"
    timeline.click()
    page.wait_for_url("**/page_events?**")
    assert page.locator("tbody td.col-event").all_inner_texts() == [e for (e,) in events] == ["first_seen", "changed"]
    assert all(cell.endswith(url) for cell in page.locator("tbody td.col-url").all_inner_texts())  # "title url"


@pytest.mark.e2e
def test_a_gone_page_links_its_timeline_with_the_gone_event(server):
    status, _, body = fetch(row_address(server, server["gone_url"]))
    html = body.decode("utf-8")
    assert status == 200 and "1 version," in html and "timeline: 2 events" in html
    events = canned(server, "recent_changes")
    assert ("gone", server["gone_url"]) in {(e["event"], e["url"]) for e in events}


# --- the index page -------------------------------------------------------------------------
@pytest.mark.e2e
@pytest.mark.browser
def test_index_page_says_what_the_archive_holds(server, page):
    ((pages, sites, earliest, latest),) = rows_of(
        server, "select count(*), count(distinct site), min(published_at), max(published_at) from pages"
    )
    ((site, started, finished, status),) = rows_of(
        server, "select site, started_at, finished_at, status from crawl_runs order by id desc limit 1"
    )
    page.goto(f"{server['base']}/")
    summary = page.locator(f".govnews-summary[data-database={server['name']}]")
    assert summary.locator(".govnews-pages").inner_text() == f"{pages:,}" and pages == 20
    assert summary.locator(".govnews-sites").inner_text() == str(sites) and sites == 5
    assert summary.locator(".govnews-earliest").inner_text() == earliest[:10]
    assert summary.locator(".govnews-latest").inner_text() == latest[:10]
    crawl = summary.locator(".govnews-last-crawl").inner_text()
    assert crawl.startswith(f"{site}, started {started}") and status in crawl and finished in crawl
    assert summary.bounding_box()["y"] < VIEWPORT["height"]
    summary.locator("a").first.click()
    page.wait_for_url(f"**/{server['name']}/pages")
