"""End to end over generated CMS sites: a real `scrapy crawl site -a url=LIST_URL` with no site
config must find every article of a TRS (UTF-8 and GBK), Hanweb (datastore + dataproxy.jsp POSTs),
ASP.NET `list.aspx?page=N` and sitemap/RSS site, and archive nothing else."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlite_utils
from conftest import finish, scrapy_crawl

from pipelines.enrich import simhash
from tests.support.cms import (
    HANWEB_PROXY,
    CmsServer,
    SiteSpec,
    build_feed_site,
    build_hanweb_site,
    build_paged_site,
    build_trs_site,
    demo_paragraphs,
    demo_sentences,
)

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

SITES = {
    "trs": lambda root: build_trs_site(root, 50, per_page=8),
    "trs-gbk": lambda root: build_trs_site(root, 45, per_page=10, encoding="gbk", pager="div"),
    "hanweb": lambda root: build_hanweb_site(root, 55, per_page=5),
    "paged": lambda root: build_paged_site(root, 48, per_page=4),
    "feed": lambda root: build_feed_site(root, 40, per_sitemap=15),
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Every generated site served and crawled once, each into its own fresh archive, in parallel."""
    base = tmp_path_factory.mktemp("cms")
    servers, processes = {}, {}
    try:
        for name, build in SITES.items():
            spec = build(base / name)
            servers[name] = CmsServer(spec).__enter__()
            # The pipelines run in the crawl's reactor thread and can hold it for many seconds on a
            # loaded machine; a 30 s download timeout would then refetch pages already answered.
            processes[name] = scrapy_crawl(
                "-a", f"url={servers[name].list_url}", "-s", "DOWNLOAD_TIMEOUT=300", db=base / f"{name}.db", wait=False
            )
        # Drain every crawl's output at once: a crawl whose log pipe fills up stalls, and its
        # requests time out and are retried (the server then sees them twice).
        with ThreadPoolExecutor(len(processes)) as pool:
            outputs = dict(zip(processes, pool.map(finish, processes.values())))
        yield {name: (servers[name], base / f"{name}.db", outputs[name]) for name in SITES}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
        for server in servers.values():
            server.stop()


def request(url: str, data: bytes | None = None, headers: dict | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {})) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("name", list(SITES))
def test_every_article_is_archived_with_its_title_and_nothing_else(crawled, name):
    server, db_path, _ = crawled[name]
    spec = server.spec
    db = sqlite_utils.Database(db_path)
    titles = {row["url"]: row["title"] for row in db.query("select url, title from pages")}
    expected = {server.url(path): title for path, title in spec.articles.items()}
    missing = sorted(set(expected) - set(titles))
    assert not missing, f"{len(missing)} of {len(expected)} articles not archived, e.g. {missing[:3]}"
    assert set(titles) == set(expected), sorted(set(titles) - set(expected))[:5]  # no list page became a page
    wrong = {url: (titles[url], title) for url, title in expected.items() if titles[url] != title}
    assert not wrong, list(wrong.items())[:3]
    assert db["versions"].count == len(expected)
    assert db["failures"].count == 0, list(db["failures"].rows)[:3]


@pytest.mark.parametrize("name", list(SITES))
def test_the_crawl_fetched_list_pages_and_articles_only(crawled, name):
    server, _, output = crawled[name]
    spec = server.spec
    fetched = set(server.hits)
    assert set(spec.articles) <= fetched
    # Every list page was asked for (the pagination was understood), nothing off the site's lists.
    stray = {
        target
        for target in fetched
        if target not in spec.articles
        and target not in spec.list_paths
        and target != "/robots.txt"
        and not target.startswith(HANWEB_PROXY)
    }
    assert not stray, sorted(stray)
    assert set(spec.list_paths) <= fetched
    twice = {path: server.hits[path] for path in spec.articles if server.hits[path] != 1}
    retries = [line for line in output.splitlines() if "Retrying" in line or "WARNING" in line]
    assert not twice, (twice, retries[:10])


def test_trs_pages_are_paged_by_the_create_page_html_script_only(crawled):
    server, _, _ = crawled["trs"]
    spec = server.spec
    assert spec.list_paths == ["/zwxx/xwdt/index.html", *(f"/zwxx/xwdt/index_{n}.html" for n in range(1, 7))]
    first = (spec.root / "zwxx/xwdt/index.html").read_text(encoding="utf-8")
    assert "index_1.html" not in first.replace('"index", "html"', "")  # no plain page links
    assert 'createPageHTML(countPage, currentPage, "index", "html")' in first


def test_the_gbk_site_is_gbk_declared_gb2312_and_archived_as_correct_chinese(crawled):
    server, db_path, _ = crawled["trs-gbk"]
    spec = server.spec
    status, headers, body = request(server.list_url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=gb2312"
    assert b'<meta charset="gb2312">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    db = sqlite_utils.Database(db_path)
    rows = {row["url"]: row for row in db.query("select url, title, text from pages")}
    gbk_only = [path for path, title in spec.articles.items() if "镕" in title]  # GBK has 镕, GB2312 not
    assert gbk_only
    assert "镕盛产业园".encode("gbk") in request(server.url(gbk_only[0]))[2]
    for path in gbk_only:
        assert rows[server.url(path)]["title"] == spec.articles[path]
    for row in rows.values():
        assert re.search(r"[\u4e00-\u9fff]{6}", row["title"])
        assert not re.search(r"[\ufffd]|锟斤拷|ï¿½|Ã", row["title"] + row["text"]), row["title"]


def test_hanweb_records_beyond_the_page_came_from_dataproxy_posts(crawled):
    server, db_path, _ = crawled["hanweb"]
    spec = server.spec
    posts = sorted(t for t in server.hits if t.startswith(HANWEB_PROXY))
    assert posts == [
        f"{HANWEB_PROXY}?startrecord={a}&endrecord={b}&perpage=5" for a, b in ((16, 30), (31, 45), (46, 55))
    ]
    list_page = (spec.root / spec.list_path.lstrip("/")).read_text(encoding="utf-8")
    later = list(spec.articles)[15:]
    assert later and not any(path in list_page for path in later)  # only dataproxy.jsp names them
    assert not any("dataproxy" in row["url"] for row in sqlite_utils.Database(db_path)["pages"].rows)


def test_paged_site_walked_its_own_pager_only(crawled):
    server, _, _ = crawled["paged"]
    assert server.hits["/news/list.aspx?page=12"] == 1
    assert not [t for t in server.hits if "tzgg" in t or "cat=" in t]


def test_feed_site_articles_came_from_rss_and_sitemaps(crawled):
    server, _, _ = crawled["feed"]
    spec = server.spec
    assert {"/rss.xml", "/sitemap.xml", "/sitemap_1.xml", "/sitemap_2.xml", "/sitemap_3.xml.gz"} <= set(server.hits)
    assert "/xwzx/index.html" not in server.hits  # in the sitemaps, but not an article
    status, headers, body = request(server.url("/sitemap_3.xml.gz"))  # gzipped as a file, not an encoding
    assert headers["Content-Type"] == "application/x-gzip" and "Content-Encoding" not in headers
    oldest = set(re.findall(r"<loc>http://[^/<]+(/xwzx/\d[^<]+)</loc>", gzip.decompress(body).decode("utf-8")))
    assert len(oldest) == 10  # the ten oldest articles are listed nowhere else
    status, headers, body = request(server.url("/rss.xml"))
    assert headers["Content-Type"].startswith("text/xml") and server.base_url.encode() in body
    in_feed = set(re.findall(r"<link>http://[^/<]+(/xwzx/[^<]+)</link>", body.decode("utf-8")))
    assert len(in_feed) == 20 and len(spec.articles) == 40  # the older half only in the sitemaps
    db = sqlite_utils.Database(crawled["feed"][1])
    assert db["pages"].count == 40


# --- the generators and the server on their own ------------------------------------------------------


def test_static_files_answer_304_to_etag_and_if_modified_since(tmp_path):
    spec = build_trs_site(tmp_path / "trs", 12, per_page=5)
    path = next(iter(spec.articles))
    with CmsServer(tmp_path / "trs") as server:  # the spec saved with the site
        status, headers, body = request(server.url(path))
        assert status == 200 and headers["ETag"] == f'"{hashlib.sha1(body).hexdigest()}"'
        assert request(server.url(path), headers={"If-None-Match": headers["ETag"]})[0] == 304
        assert request(server.url(path), headers={"If-None-Match": '"other", ' + headers["ETag"]})[0] == 304
        assert request(server.url(path), headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        # If-None-Match wins over If-Modified-Since.
        assert (
            request(
                server.url(path), headers={"If-None-Match": '"stale"', "If-Modified-Since": headers["Last-Modified"]}
            )[0]
            == 200
        )
        (spec.root / path.lstrip("/")).write_bytes(body.replace("区".encode(), "县".encode()))
        status, changed, _ = request(server.url(path), headers={"If-None-Match": headers["ETag"]})
        assert status == 200 and changed["ETag"] != headers["ETag"]
        assert request(server.url("/.cms/site.json"))[0] == 404
        assert request(server.url("/zwxx/"))[0] == 404  # no folder listings
        assert server.hits[path] == 6 and server.hits["/zwxx/"] == 1


def test_dataproxy_answers_the_asked_records_of_its_column_only(tmp_path):
    spec = build_hanweb_site(tmp_path / "hw", 20, per_page=5, group_size=2)
    with CmsServer(spec) as server:
        url = server.url(f"{HANWEB_PROXY}?startrecord=11&endrecord=20&perpage=5")
        form = {"col": "1", "appid": "1", "webid": "2", "path": "/", "columnid": "1201", "unitid": "5678"}
        status, headers, body = request(url, urllib.parse.urlencode(form).encode())
        assert status == 200 and headers["Content-Type"].startswith("text/xml")
        paths = re.findall(r'href="([^"]+)"', body.decode("utf-8"))
        assert paths == list(spec.articles)[10:20]
        assert "<totalrecord>20</totalrecord>" in body.decode("utf-8")
        wrong = urllib.parse.urlencode({**form, "columnid": "999"}).encode()
        assert "<record>" not in request(url, wrong)[2].decode("utf-8")
        assert server.hits[f"{HANWEB_PROXY}?startrecord=11&endrecord=20&perpage=5"] == 2


def test_builds_are_deterministic_and_a_rebuild_with_more_articles_keeps_the_old_pages(tmp_path):
    first = build_paged_site(tmp_path / "a", 30)
    again = build_paged_site(tmp_path / "b", 30)
    assert first.articles == again.articles
    detail = tmp_path / "a" / ".cms/aspx/detail_7.html"
    assert detail.read_bytes() == (tmp_path / "b" / ".cms/aspx/detail_7.html").read_bytes()
    before = detail.stat().st_mtime_ns
    more = build_paged_site(tmp_path / "a", 35)
    assert list(more.articles)[5:] == list(first.articles)  # new ones on top
    assert detail.stat().st_mtime_ns == before  # unchanged pages are not rewritten
    assert SiteSpec.load(tmp_path / "a").articles == more.articles


def test_article_texts_are_varied_real_sentences_and_not_near_duplicates(tmp_path):
    spec = build_trs_site(tmp_path / "trs", 30)
    pool = set(demo_sentences())
    assert len(pool) >= 100 and all(any(s in p for p in demo_paragraphs()) for s in pool)
    bodies = []
    for path in spec.articles:
        html = (spec.root / path.lstrip("/")).read_text(encoding="utf-8")
        paragraphs = re.findall(r'<p style="text-indent: 2em;">([^<]+)</p>', html)
        assert len(paragraphs) >= 4
        for paragraph in paragraphs[1:]:  # each a mosaic of real sentences
            assert set(re.findall(r"[^。！？；]+[。！？；]", paragraph)) <= pool and paragraph[-1] in "。！？；"
        for marker in ('class="TRS_Editor"', "发布时间：", "来源：", "字号", "打印", "关闭", "网站标识码"):
            assert marker in html
        bodies.append(tuple(paragraphs[1:]))
    assert len(set(bodies)) == len(bodies)
    assert len(set(spec.articles.values())) == len(spec.articles)
    # Real articles are not SimHash near-duplicates of each other (the archive's threshold: 7 bits).
    hashes = [int(simhash("\n".join(body)), 16) for body in bodies]
    assert min(bin(a ^ b).count("1") for a, b in itertools.combinations(hashes, 2)) > 7


def test_ten_thousand_articles_build_fast(tmp_path):
    started = time.monotonic()
    spec = build_hanweb_site(tmp_path / "big", 10_000)
    elapsed = time.monotonic() - started
    assert len(spec.articles) == 10_000 and len(set(spec.articles.values())) == 10_000
    assert elapsed < 40, elapsed
    assert sum(1 for _ in (tmp_path / "big" / "art").rglob("*.html")) == 10_000
    assert os.path.getsize(tmp_path / "big" / "col/col1201/index.html") < 100_000


# --- hostile list pages: a malformed link, a huge datastore, a 10 MB page ----------------------------


def _hostile_site(root, list_page: str, articles: int = 5):
    """A TRS site whose list page is replaced by `list_page` (its articles are the site's)."""
    spec = build_trs_site(root, articles, per_page=articles)
    (spec.root / spec.list_path.lstrip("/")).write_text(list_page, encoding="utf-8")
    return spec


def _crawl_timed(spec, db, *args):
    with CmsServer(spec) as server:
        started = time.monotonic()
        output = scrapy_crawl("-a", f"url={server.list_url}", *args, db=db)
        return server, output, time.monotonic() - started


def _links(spec) -> str:
    return "".join(f'<li><a href="{path}">{title}</a></li>' for path, title in spec.articles.items())


def test_a_malformed_link_is_a_failure_and_the_valid_articles_are_archived(tmp_path):
    spec = build_trs_site(tmp_path / "site", 6, per_page=6)
    links = list(spec.articles.items())
    rows = [f'<li><a href="{p}">{t}</a></li>' for p, t in links]
    rows.insert(3, '<li><a href="http://[zz/x.html">青林县召开安全生产工作会议</a></li>')
    (spec.root / spec.list_path.lstrip("/")).write_text(
        f"<html><body><ul>{''.join(rows)}</ul></body></html>", encoding="utf-8"
    )
    server, output, _ = _crawl_timed(spec, tmp_path / "a.db")
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert {row["url"] for row in db["pages"].rows} == {server.url(p) for p in spec.articles}
    failures = list(db.query("select url, stage, error, crawl_run_id from failures"))
    assert len(failures) == 1, failures
    assert failures[0]["url"] == "http://[zz/x.html" and failures[0]["stage"] == "link"
    assert failures[0]["error"] == f"bad link on {server.list_url}: Invalid IPv6 URL"
    assert failures[0]["crawl_run_id"] == next(db["crawl_runs"].rows)["id"]
    assert "'govnews/bad_links': 1" in output


def test_a_330_kb_hanweb_datastore_page_is_crawled_fast(tmp_path):
    spec = build_trs_site(tmp_path / "site", 5, per_page=5)
    (path, title), *_ = spec.articles.items()
    record = f'<record><![CDATA[<li><a href="{path}">{title}</a></li>]]>'  # never closed
    page = f"<html><body>{_links(spec)}<script type='text/xml'><datastore><recordset>{record * 3000}</recordset></datastore></script></body></html>"
    assert len(page.encode()) > 330_000
    (spec.root / spec.list_path.lstrip("/")).write_text(page, encoding="utf-8")
    server, output, elapsed = _crawl_timed(spec, tmp_path / "h.db")
    assert sqlite_utils.Database(tmp_path / "h.db")["pages"].count == 5
    assert re.search(rf"list {re.escape(server.list_url)}: 5 articles", output)
    assert elapsed < 10 + STARTUP, elapsed


# A `scrapy crawl` process's own start and stop (imports, the archive) on the 2-core test machine.
STARTUP = 15


def test_a_10_mb_list_page_with_200_000_links_is_crawled_fast(tmp_path):
    spec = build_trs_site(tmp_path / "site", 5, per_page=5)
    # 200,000 links to pages that are neither articles nor this list's pages, then the 5 articles.
    rows = "".join(f'<a href="/other/p{i}/">栏目{i}</a>\n' for i in range(200_000))
    page = f"<html><body>{rows}{_links(spec)}</body></html>"
    assert len(page.encode()) > 5_000_000
    page = page.replace("</body>", "<!--" + "x" * (10_500_000 - len(page.encode())) + "--></body>")
    assert len(page.encode()) > 10_000_000
    (spec.root / spec.list_path.lstrip("/")).write_text(page, encoding="utf-8")
    server, output, elapsed = _crawl_timed(spec, tmp_path / "b.db")
    assert sqlite_utils.Database(tmp_path / "b.db")["pages"].count == 5
    assert not [t for t in server.hits if t.startswith("/other/")]
    assert elapsed < 10 + STARTUP, elapsed
