"""Attachments (附件): which links are files, their names from Content-Disposition, and real
`scrapy crawl` runs against a site on 127.0.0.1 that serves articles with attachments, one of
them linked twice, one too large, one missing, one a web page, one whose connection drops."""

from __future__ import annotations

import asyncio
import io
import re
import threading
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlite_utils
from conftest import project_crawler, scrapy_crawl
from scrapy.exceptions import NotConfigured

from archive.store import Archive
from crawler.demo.server import LoopbackServer
from crawler.items import PageItem
from crawler.record import Record
from pipelines.attachment_files import (
    attachment_filename,
    clean_filename,
    content_disposition_filename,
    is_attachment,
    looks_like_file,
    parse_content_disposition,
    same_site,
    settled,
    worth_fetching,
)
from pipelines.attachments import AttachmentsPipeline

pytestmark = pytest.mark.e2e  # real servers and `scrapy crawl` processes on 127.0.0.1

FIXTURES = Path(__file__).parent / "fixtures" / "attachments"
LIMIT = 100_000  # -s GOVNEWS_ATTACHMENT_MAXSIZE for the crawls below


# --- which links are attachments -------------------------------------------------------------


@pytest.mark.parametrize(
    "url, content_type, expected",
    [
        ("http://a.gov.cn/files/P0201.pdf", None, True),
        ("http://a.gov.cn/files/%E9%99%84%E4%BB%B6.DOCX", None, True),
        ("http://a.gov.cn/files/plan.wps", None, True),
        ("http://a.gov.cn/files/table.et", None, True),
        ("http://a.gov.cn/files/slides.dps", None, True),
        ("http://a.gov.cn/files/doc.ofd", None, True),
        ("http://a.gov.cn/files/list.txt", None, True),
        ("http://a.gov.cn/files/pack.rar", None, True),
        ("http://a.gov.cn/art/t20240501_1.html", None, False),
        ("http://a.gov.cn/images/photo.jpg", None, False),
        ("http://a.gov.cn/down.jsp?id=7", None, False),
        # the type decides when there is one
        ("http://a.gov.cn/down.jsp?id=7", "application/pdf", True),
        ("http://a.gov.cn/down.do?id=7", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", True),
        ("http://a.gov.cn/down.do?id=7", "application/octet-stream", True),
        ("http://a.gov.cn/files/P0201.pdf", "Application/PDF; charset=binary", True),
        ("http://a.gov.cn/files/P0201.pdf", "text/html; charset=utf-8", False),  # a soft 404 page
        ("http://a.gov.cn/files/P0201.pdf", "application/octet-stream", True),
        ("http://a.gov.cn/news/1.html", "application/octet-stream", False),
        ("http://a.gov.cn/images/photo.png", "image/png", False),
    ],
)
def test_is_attachment_by_extension_or_content_type(url, content_type, expected):
    assert is_attachment(url, content_type) is expected


def test_links_worth_a_request():
    assert worth_fetching("http://a.gov.cn/files/P0201.pdf")
    assert worth_fetching("http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=1.pdf")
    assert worth_fetching("http://a.gov.cn/attach/0/abc")  # no extension: a download script
    assert not worth_fetching("http://a.gov.cn/art/t20240501_1.html")
    assert not worth_fetching("http://a.gov.cn/images/photo.jpg")
    assert not worth_fetching("ftp://a.gov.cn/files/P0201.pdf")
    assert not worth_fetching("")


def test_files_are_recognised_by_their_first_bytes():
    assert looks_like_file((FIXTURES / "notice.pdf").read_bytes())
    assert looks_like_file(_zip({"a.txt": "x"}))
    assert looks_like_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)  # doc, xls, wps, et
    assert not looks_like_file(b"<!DOCTYPE html><html><body>\xce\xc4\xbc\xfe\xb2\xbb\xb4\xe6\xd4\xda</body></html>")


def test_same_site_is_the_article_host_the_site_hosts_and_their_subdomains():
    page = "http://www.weidu.gov.cn/zwxx/wdyw/t20200430_1.html"
    assert same_site("http://www.weidu.gov.cn/files/a.pdf", page)
    assert same_site("http://file.weidu.gov.cn/files/a.pdf", page)  # www. set aside
    assert same_site("http://127.0.0.1:9000/a.pdf", "http://127.0.0.1:8000/t.html")  # ports aside
    assert not same_site("http://www.xuchang.gov.cn/files/a.pdf", page)
    assert not same_site("http://cdn.example.com/a.pdf", page)
    assert same_site("http://xxgk.weidu.gov.cn/a.pdf", page, ["xxgk.weidu.gov.cn"])
    assert not same_site("http://evilweidu.gov.cn/a.pdf", page)


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, expected",
    [
        # RFC 5987 / 6266: filename* wins over the ASCII fallback
        (
            b"attachment; filename=\"notice.pdf\"; filename*=UTF-8''%E5%85%B3%E4%BA%8E%E9%80%9A%E7%9F%A5.pdf",
            "关于通知.pdf",
        ),
        (b"attachment; filename*=utf-8''%E9%99%84%E4%BB%B6%201.docx", "附件 1.docx"),
        (b"attachment; filename*=GBK''%B8%BD%BC%FE.doc", "附件.doc"),
        (b"attachment; filename*=UTF-8'zh-CN'%E8%A1%A8.xlsx", "表.xlsx"),
        # raw bytes in the header, as GBK and UTF-8 servers send them
        ('attachment; filename="报名登记表.docx"'.encode("gbk"), "报名登记表.docx"),
        ('attachment; filename="报名登记表.docx"'.encode(), "报名登记表.docx"),
        ("attachment;filename=预算表.xls".encode("gb18030"), "预算表.xls"),
        # percent-encoded (Java URLEncoder: UTF-8 or GBK, "+" for a space)
        (b"attachment; filename=%E9%A2%84%E7%AE%97+%E8%A1%A8.xlsx", "预算 表.xlsx"),
        (b"attachment; filename=%CF%D6%B3%A1%D5%D5%C6%AC.zip", "现场照片.zip"),
        (b'attachment; filename="2024+plan.pdf"', "2024+plan.pdf"),  # no escapes: "+" is a plus
        # MIME encoded words
        (b'attachment; filename="=?UTF-8?B?6YCa55+lLnBkZg==?="', "通知.pdf"),
        # paths and quoting
        (b'attachment; filename="C:\\\\fakepath\\\\report.pdf"', "report.pdf"),
        (b'attachment; filename="../../etc/passwd"', "passwd"),
        (b"inline; filename=report.pdf", "report.pdf"),
        (b'attachment; filename="a \\"quoted\\" name.pdf"', 'a "quoted" name.pdf'),
        ("attachment; filename*=UTF-8''%E9%80%9A%E7%9F%A5.pdf", "通知.pdf"),  # str as well as bytes
        (b"attachment", None),
        (b'attachment; filename=""', None),
        (None, None),
    ],
)
def test_filename_from_content_disposition(header, expected):
    assert content_disposition_filename(header) == expected


def test_content_disposition_type_and_parameters():
    kind, params = parse_content_disposition(b'Attachment; FileName="a;b.pdf"; size=12')
    assert kind == "attachment"
    assert params == {"filename": b"a;b.pdf", "size": b"12"}


def test_filename_falls_back_to_the_link_text_then_the_url():
    url = "http://a.gov.cn/files/P020240501_budget.xlsx"
    cd = b"attachment; filename*=UTF-8''%E9%A2%84%E7%AE%97.xlsx"
    assert attachment_filename(cd, "附件3：部门预算表", url) == "预算.xlsx"
    assert attachment_filename(None, "附件3：部门预算表", url) == "附件3：部门预算表.xlsx"
    assert attachment_filename(None, "部门预算表.xlsx", url) == "部门预算表.xlsx"
    assert attachment_filename(None, "  点击下载 ", url) == "P020240501_budget.xlsx"
    assert attachment_filename(None, "附件：", url) == "P020240501_budget.xlsx"
    assert attachment_filename(None, None, "http://a.gov.cn/files/%E9%99%84%E4%BB%B6.pdf") == "附件.pdf"
    assert attachment_filename(None, "下载", "http://a.gov.cn/down.jsp?id=7", "application/pdf") == "down.pdf"
    assert attachment_filename(None, "实施方案", "http://a.gov.cn/down.do?id=7", "application/msword") == "实施方案.doc"


def test_clean_filename():
    assert clean_filename("a\x00b\r\n.pdf") == "ab.pdf"
    assert clean_filename("   ") is None
    long = clean_filename("长" * 400 + ".pdf")
    assert len(long) == 240 and long.endswith("长.pdf")


# --- which earlier rows spare a request ------------------------------------------------------


@pytest.mark.parametrize(
    "row, expected",
    [
        (None, False),
        ({"sha256": "ab" * 32, "status": 200, "error": None}, True),
        ({"sha256": None, "status": 404, "error": "HTTP 404"}, True),
        ({"sha256": None, "status": 410, "error": "HTTP 410"}, True),
        ({"sha256": None, "status": 0, "error": "too large: 300000 bytes, over GOVNEWS_ATTACHMENT_MAXSIZE"}, True),
        ({"sha256": None, "status": 200, "error": "not an attachment: served as text/html"}, True),
        ({"sha256": None, "status": 0, "error": "forbidden by robots.txt"}, True),
        ({"sha256": None, "status": 0, "error": "not fetched: max redirections reached"}, False),
        ({"sha256": None, "status": 429, "error": "HTTP 429"}, False),
        ({"sha256": None, "status": 503, "error": "HTTP 503"}, False),
        ({"sha256": None, "status": 0, "error": "DownloadConnectionRefusedError: refused"}, False),
        ({"sha256": None, "status": 0, "error": "DownloadTimeoutError: took longer than 30 seconds"}, False),
    ],
)
def test_settled_rows_are_not_fetched_again(row, expected):
    assert settled(row) is expected


# --- the pipeline as an adapter --------------------------------------------------------------


def _item(**changes) -> PageItem:
    item = PageItem(
        url="http://a.gov.cn/t20240501_1.html",
        status=200,
        headers={},
        body=b"<html>",
        fetched_at="2024-05-01T01:00:00+00:00",
        site="a",
        snapshot_id=1,
        crawl_run_id=1,
    )
    item.record = Record(url=item.url, title="通知", attachments=[{"name": "附件", "url": "http://a.gov.cn/a.pdf"}])
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def test_items_that_failed_or_have_no_record_pass_untouched():
    pipeline = AttachmentsPipeline.from_crawler(project_crawler())  # no archive opened: never touched
    failed = _item(failure={"stage": "extract", "error": "empty page"})
    assert asyncio.run(pipeline.process_item(failed)) is failed
    bare = _item(record=None)
    assert asyncio.run(pipeline.process_item(bare)) is bare
    assert failed.failure == {"stage": "extract", "error": "empty page"} and bare.failure is None


def test_an_attachment_that_breaks_never_loses_the_article():
    crawler = project_crawler()
    pipeline = AttachmentsPipeline.from_crawler(crawler)

    class BrokenArchive:
        def known_attachment(self, page_url, url):
            raise RuntimeError("disk full")

    pipeline.archive = BrokenArchive()
    item = _item()
    assert asyncio.run(pipeline.process_item(item)) is item
    assert item.failure is None
    assert crawler.stats.get_value("govnews/attachments/failed") == 1


def test_settings_are_checked():
    with pytest.raises(NotConfigured):
        AttachmentsPipeline.from_crawler(project_crawler(GOVNEWS_ATTACHMENT_ENABLED=False))
    with pytest.raises(ValueError, match="GOVNEWS_ATTACHMENT_HOSTS"):
        AttachmentsPipeline.from_crawler(project_crawler(GOVNEWS_ATTACHMENT_HOSTS="web"))


# --- end to end: real crawls against a site on 127.0.0.1 -------------------------------------


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


class FileSite(LoopbackServer):
    """A government site on 127.0.0.1: `routes` maps a path to (status, headers, body, send
    Content-Length); a path in `drops` gets its connection closed with no answer; anything else
    is a 404 page. Every request is counted by path."""

    def __init__(self):
        self.routes: dict[str, tuple[int, list[tuple[str, bytes | str]], bytes, bool]] = {}
        self.requests: Counter = Counter()
        self.drops: set[str] = set()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with site._lock:
                    site.requests[self.path] += 1
                if self.path in site.drops:
                    self.close_connection = True  # no status line at all: a connection error
                    return
                status, headers, body, length = site.routes.get(
                    self.path, (404, [("Content-Type", "text/html; charset=utf-8")], b"<h1>404</h1>", True)
                )
                try:
                    self.send_response(status)
                    for name, value in headers:
                        # http.server writes header values as Latin-1: raw GBK/UTF-8 bytes pass as they are
                        self.send_header(name, value.decode("latin-1") if isinstance(value, bytes) else value)
                    if length:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()  # HTTP/1.0: without Content-Length the body ends at the close
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the crawler cancelled an oversize file
                    pass

            def log_message(self, format, *args):
                pass

        super().__init__(Handler)

    @property
    def base(self) -> str:
        return self.base_url

    def add(self, path: str, body: bytes, content_type: str, *headers, length: bool = True, status: int = 200):
        self.routes[path] = (status, [("Content-Type", content_type), *headers], body, length)

    def file_requests(self) -> Counter:
        return Counter({path: n for path, n in self.requests.items() if path.startswith("/files/")})


PDF = (FIXTURES / "notice.pdf").read_bytes()
DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document>报名登记表</w:document>"})
XLSX = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook>统计表</workbook>"})
ZIP = _zip({"现场照片说明.txt": "检查现场照片", "notice.pdf": PDF.decode("latin-1")})
WPS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WPS文字 工作方案".encode("utf-16-le") * 40
OFFSITE = b"%PDF-1.4\n% linked from another host\n%%EOF\n"
BIG = b"%PDF-1.4\n" + b"0" * (3 * LIMIT)

DROPPED = "/files/P020240502_dropped.pdf"
FORBIDDEN = "/files/internal/P020240501_internal.pdf"  # robots.txt disallows it
NOTICE_NAME = "关于开展2024年安全生产大检查的通知.pdf"
OOXML = "application/vnd.openxmlformats-officedocument."


@pytest.fixture
def file_site():
    with FileSite() as site:
        site.drops.add(DROPPED)
        site.add("/robots.txt", b"User-agent: *\nDisallow: /files/internal/\n", "text/plain")
        site.add(FORBIDDEN, PDF, "application/pdf")
        site.add(
            "/files/P020240501_notice.pdf",
            PDF,
            "application/pdf",
            (
                "Content-Disposition",
                b"attachment; filename=\"notice.pdf\"; filename*=UTF-8''" + quote(NOTICE_NAME).encode(),
            ),
        )
        site.add(
            "/files/P020240501_form.docx",
            DOCX,
            OOXML + "wordprocessingml.document",
            ("Content-Disposition", 'attachment; filename="安全生产检查报名登记表.docx"'.encode("gbk")),
        )
        site.add("/files/P020240501_stats.xlsx", XLSX, OOXML + "spreadsheetml.sheet")
        site.add(
            "/files/P020240501_photos.zip",
            ZIP,
            "application/x-zip-compressed",
            ("Content-Disposition", b"attachment; filename=" + quote("现场照片.zip", encoding="gbk").encode()),
        )
        site.add("/files/P020240501_atlas.pdf", BIG, "application/pdf")  # Content-Length says too large
        site.add("/files/P020240502_video.zip", BIG, "application/zip", length=False)  # found too large
        site.add(
            "/files/P020240502_moved.pdf", "<html><body>文件不存在</body></html>".encode(), "text/html; charset=utf-8"
        )  # a soft 404: a web page where the file was
        site.add("/files/P020240502_plan.wps", WPS, "application/octet-stream")
        site.add("/files/offsite.pdf", OFFSITE, "application/pdf")
        template = (FIXTURES / "article.html").read_text(encoding="utf-8")
        links = {
            "/tzgg/202405/t20240501_101.html": (
                "关于开展2024年安全生产大检查的通知",
                "2024-05-01",
                [
                    ("/files/P020240501_notice.pdf", "附件1：通知原文.pdf"),
                    ("/files/P020240501_form.docx", "附件2：报名登记表.docx"),
                    ("/files/P020240501_stats.xlsx", "附件3：2024年安全生产检查统计表"),
                    ("/files/P020240501_photos.zip", "附件4：现场照片.zip"),
                    ("/files/P020240501_atlas.pdf", "附件5：检查图集（高清版）.pdf"),
                    ("/files/P020240501_missing.doc", "附件6：填报说明.doc"),
                    (FORBIDDEN, "附件7：内部资料.pdf"),
                ],
            ),
            "/tzgg/202405/t20240502_102.html": (
                "关于转发安全生产大检查通知的通知",
                "2024-05-02",
                [
                    ("/files/P020240501_notice.pdf", "关于开展2024年安全生产大检查的通知.pdf"),
                    ("/files/P020240502_video.zip", "检查视频.zip"),
                    ("/files/P020240502_moved.pdf", "整改清单.pdf"),
                    ("/files/P020240502_plan.wps", "下载"),
                    (f"http://localhost:{site.port}/files/offsite.pdf", "上级文件.pdf"),
                    (DROPPED, "补充材料.pdf"),
                ],
            ),
        }
        items = []
        for path, (title, date, files) in links.items():
            html = template.format(
                title=title,
                date=date,
                lead="为切实做好安全生产工作，",
                links="\n".join(f'<li><a href="{href}" target="_blank">{text}</a></li>' for href, text in files),
            )
            site.add(path, html.encode("utf-8"), "text/html; charset=utf-8")
            items.append(f'<li><a href="{path}">{title}</a><span>{date}</span></li>')
        listing = (FIXTURES / "list.html").read_text(encoding="utf-8").format(items="\n".join(items))
        site.add("/tzgg/index.html", listing.encode("utf-8"), "text/html; charset=utf-8")
        site.articles = [site.base + path for path in links]
        yield site


def _crawl(site: FileSite, db: Path, *settings: str) -> str:
    # Every article fetched again each crawl; retries (crawler/retry.py) wait a tenth of a second.
    args = [
        "-s",
        f"GOVNEWS_ATTACHMENT_MAXSIZE={LIMIT}",
        "-s",
        "GOVNEWS_INCREMENTAL=False",
        "-s",
        "GOVNEWS_RETRY_BACKOFF_BASE=0.1",
    ]
    for setting in settings:
        args += ["-s", setting]
    return scrapy_crawl("-a", f"url={site.base}/tzgg/index.html", *args, db=db)


def _stat(output: str, name: str) -> int | None:
    found = re.search(rf"'govnews/attachments/{name}': (\d+)", output)
    return int(found[1]) if found else None


def test_crawl_archives_attachments_by_digest_and_a_recrawl_asks_for_none_again(file_site, tmp_path):
    site, db_path = file_site, tmp_path / "archive.db"
    output = _crawl(site, db_path)
    db, archive = sqlite_utils.Database(db_path), Archive(db_path)
    first, second = site.articles

    # The articles are archived as ever.
    assert db["failures"].count == 0, list(db["failures"].rows)
    for url in site.articles:
        assert db["pages"].get(url)["version_count"] == 1

    rows = {(r["page_url"], r["url"].rsplit("/", 1)[-1]): r for r in db["attachments"].rows}
    assert len(rows) == 12  # 7 + 6 links, the off-site one not fetched
    assert (second, "offsite.pdf") not in rows
    assert site.requests["/files/offsite.pdf"] == 0

    def row(page, name):
        return rows[(page, name)]

    # Kept: the served bytes, read back by digest, with the names the server or the page gave.
    kept = {
        (first, "P020240501_notice.pdf"): (PDF, NOTICE_NAME),  # RFC 5987 filename*
        (first, "P020240501_form.docx"): (DOCX, "安全生产检查报名登记表.docx"),  # raw GBK bytes
        (first, "P020240501_stats.xlsx"): (XLSX, "附件3：2024年安全生产检查统计表.xlsx"),  # link text
        (first, "P020240501_photos.zip"): (ZIP, "现场照片.zip"),  # percent-encoded GBK
        (second, "P020240501_notice.pdf"): (PDF, NOTICE_NAME),
        (second, "P020240502_plan.wps"): (WPS, "P020240502_plan.wps"),  # link says 下载: the URL's name
    }
    for key, (body, filename) in kept.items():
        attachment = rows[key]
        assert attachment["error"] is None and attachment["status"] == 200, attachment
        assert archive.body(attachment["sha256"]) == body
        assert attachment["size"] == len(body)
        assert attachment["filename"] == filename
        assert attachment["crawl_run_id"] == 1 and attachment["fetched_at"]
        snapshot = db["snapshots"].get(attachment["snapshot_id"])
        assert snapshot["url"] == key[0]  # the capture of the article that links it
    assert row(first, "P020240501_form.docx")["content_type"] == OOXML + "wordprocessingml.document"

    # The pdf both articles link: fetched once, one body, two rows.
    shared = row(first, "P020240501_notice.pdf")["sha256"]
    assert row(second, "P020240501_notice.pdf")["sha256"] == shared
    assert db.execute("select count(*) from bodies where sha256 = ?", [shared]).fetchone()[0] == 1
    assert site.requests["/files/P020240501_notice.pdf"] == 1

    # Not kept: a row with the reason, no bytes.
    for key, error in [
        (
            (first, "P020240501_atlas.pdf"),
            f"too large: {len(BIG)} bytes, over GOVNEWS_ATTACHMENT_MAXSIZE ({LIMIT} bytes)",
        ),
        ((second, "P020240502_video.zip"), f"too large: over GOVNEWS_ATTACHMENT_MAXSIZE ({LIMIT} bytes)"),
        ((first, "P020240501_missing.doc"), "HTTP 404"),
        ((second, "P020240502_moved.pdf"), "not an attachment: served as text/html"),
        ((first, "P020240501_internal.pdf"), "forbidden by robots.txt"),
    ]:
        assert rows[key]["error"] == error and rows[key]["sha256"] is None, rows[key]
    assert row(first, "P020240501_missing.doc")["status"] == 404
    assert row(first, "P020240501_missing.doc")["filename"] == "附件6：填报说明.doc"
    dropped = row(second, "P020240502_dropped.pdf")
    assert dropped["status"] == 0 and dropped["sha256"] is None
    assert dropped["error"].startswith("DownloadFailedError"), dropped["error"]

    asked = site.file_requests()
    assert asked.pop(DROPPED) == 3  # retried twice (RETRY_TIMES) by the downloader middleware
    assert FORBIDDEN not in asked  # never requested: the robots.txt middleware saw it first
    assert all(n == 1 for n in asked.values()), asked
    assert _stat(output, "stored") == 6 and _stat(output, "failed") == 6
    assert _stat(output, "requests") == 11 and _stat(output, "skipped") == 1
    assert db["crawl_runs"].get(1)["attachments"] == 6

    # A second crawl fetches the articles again, but no attachment it has an answer for:
    # only the dropped connection is tried again.
    bodies, article_requests = db["bodies"].count, site.requests["/tzgg/202405/t20240501_101.html"]
    output = _crawl(site, db_path)
    assert site.requests["/tzgg/202405/t20240501_101.html"] == article_requests + 1
    asked = site.file_requests()
    assert asked.pop(DROPPED) == 6
    assert all(n == 1 for n in asked.values()), asked
    new = list(db.query("select url, error from attachments where crawl_run_id = 2"))
    assert [r["url"] for r in new] == [site.base + DROPPED]
    assert db["bodies"].count == bodies
    assert _stat(output, "skipped") == 12 and _stat(output, "requests") == 1

    # GOVNEWS_ATTACHMENT_REFRESH fetches everything again, the same bytes are not stored twice;
    # GOVNEWS_ATTACHMENT_HOSTS=any also fetches the file on another host.
    _crawl(site, db_path, "GOVNEWS_ATTACHMENT_REFRESH=True", "GOVNEWS_ATTACHMENT_HOSTS=any")
    assert site.requests["/files/P020240501_notice.pdf"] == 2
    assert site.requests["/files/offsite.pdf"] == 1
    assert db["bodies"].count == bodies + 1  # only the off-site file is new
    third = {
        (r["page_url"], r["url"].rsplit("/", 1)[-1]): r
        for r in db.query("select * from attachments where crawl_run_id = 3")
    }
    assert len(third) == 13
    assert FORBIDDEN not in site.requests
    assert third[(second, "P020240501_notice.pdf")]["sha256"] == shared
    assert archive.body(third[(second, "offsite.pdf")]["sha256"]) == OFFSITE
    assert db["pages"].count == 2 and db["versions"].count == 2
