"""A query in Traditional script finds what its Simplified form finds: queries are normalized
by the normalize stage's own function (Traditional → Simplified, width, pinyin annotations)
before they are segmented, in `govnews search` and in Datasette's search box.

Against the demo archive (real `scrapy crawl` runs of the five demo sites), whose two
Traditional sites, daguan and fanwen, are indexed in Simplified."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from conftest import BIN

from archive.search import fts_query, normalize_query
from tests.support.browse import browse as browse_db

TRADITIONAL_SITES = ("daguan", "fanwen")
# (typed in Traditional, the Simplified the pages are indexed in)
QUERIES = [
    ("書記", "书记"),
    ("區(qū)委書記", "区委书记"),  # with a pinyin annotation, as the content farm writes it
    ("安全生產 工作會議", "安全生产 工作会议"),
    ("２０２４年 招聘", "2024年 招聘"),  # full-width digits
]


# --- the query, as the index sees it --------------------------------------------------------
@pytest.mark.parametrize(("traditional", "simplified"), QUERIES)
def test_a_query_is_normalized_as_pages_are(traditional, simplified):
    assert normalize_query(traditional) == simplified
    assert fts_query(traditional) == fts_query(simplified)


def test_the_spaces_typed_stay_word_boundaries():
    # the normalize stage removes a space between Han characters; a query keeps it
    assert normalize_query("區委  書記") == "区委 书记"
    assert fts_query("區委 書記") == '"区委" AND "书记"' != fts_query("區委書記")
    assert normalize_query("") == "" and fts_query("   ") == ""


# --- govnews search ---------------------------------------------------------------------------
def govnews(*args):
    return subprocess.run([str(BIN / "govnews"), *args], capture_output=True, text=True, timeout=300)


def page_sites(demo_archive) -> dict[str, str]:
    """url → the demo site it is a page of (the crawls were given list URLs, not site names)."""
    hosts = {urllib.parse.urlsplit(site.list_url).netloc: name for name, site in demo_archive["server"].sites.items()}
    with sqlite3.connect(f"file:{demo_archive['db']}?mode=ro", uri=True) as conn:
        urls = [row[0] for row in conn.execute("select url from pages")]
    conn.close()
    return {url: hosts[urllib.parse.urlsplit(url).netloc] for url in urls}


@pytest.mark.e2e
@pytest.mark.parametrize("rank", [False, True])
@pytest.mark.parametrize(("traditional", "simplified"), QUERIES)
def test_govnews_search_in_traditional_finds_what_simplified_finds(demo_archive, traditional, simplified, rank):
    db = str(demo_archive["db"])
    options = ["--limit", "100", *(["--rank"] if rank else [])]
    typed = govnews("search", traditional, "--db", db, *options)
    plain = govnews("search", simplified, "--db", db, *options)
    assert plain.returncode == 0, plain.stderr
    assert typed.returncode == 0, typed.stderr
    assert typed.stdout == plain.stdout  # the same pages, in the same order


@pytest.mark.e2e
def test_both_traditional_demo_sites_are_found_by_a_traditional_query(demo_archive):
    sites = page_sites(demo_archive)
    found = govnews("search", "書記", "--db", str(demo_archive["db"]), "--limit", "100")
    assert found.returncode == 0, found.stderr
    urls = [line.split()[-1] for line in found.stdout.splitlines()]
    assert {sites[url] for url in urls} >= set(TRADITIONAL_SITES)


# --- Datasette's search box -------------------------------------------------------------------
@contextmanager
def browse(db):
    with browse_db(db) as server:
        yield server.db_url


@pytest.fixture(scope="module")
def datasette(demo_archive, tmp_path_factory):
    """`govnews browse` of a copy of the demo archive (browse checkpoints what it serves)."""
    db = tmp_path_factory.mktemp("traditional") / "archive.db"
    with sqlite3.connect(demo_archive["db"]) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    shutil.copy(demo_archive["db"], db)
    with browse(db) as address:
        yield {"address": address, "sites": page_sites(demo_archive)}


def get_json(address: str, **params):
    with urllib.request.urlopen(f"{address}?{urllib.parse.urlencode(params)}", timeout=30) as response:
        return json.load(response)


def searched(datasette, **params) -> list[str]:
    rows = get_json(f"{datasette['address']}/pages.json", _shape="array", _col="url", _size="max", **params)
    return [row["url"] for row in rows]


@pytest.mark.e2e
@pytest.mark.parametrize(("traditional", "simplified"), QUERIES)
def test_the_search_box_in_traditional_finds_what_simplified_finds(datasette, traditional, simplified):
    plain = searched(datasette, _search=simplified)
    assert plain
    assert searched(datasette, _search=traditional) == plain
    assert searched(datasette, _search=traditional, _searchmode="escaped") == plain
    canned = get_json(f"{datasette['address']}/search.json", _shape="array", q=simplified)
    assert get_json(f"{datasette['address']}/search.json", _shape="array", q=traditional) == canned


@pytest.mark.e2e
def test_the_search_box_finds_both_traditional_sites_and_searches_one_column(datasette):
    sites = datasette["sites"]
    assert {sites[url] for url in searched(datasette, _search="書記")} >= set(TRADITIONAL_SITES)
    titles = searched(datasette, _search="title:書記")
    assert titles and titles == searched(datasette, _search="title:书记")
    assert searched(datasette, _search_title="書記") == titles  # ?_search_COLUMN= goes the same way
