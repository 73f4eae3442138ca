"""A misbehaving government site on 127.0.0.1, for the fault matrix (tests/test_faults.py).

One list page links one article per fault, plus a healthy article (the timeout fault has a
list page of its own, SLOW_LIST_PATH). Every request is logged
(monotonic time, method, path, headers), so tests can count hits per path, read the
User-Agent and check how far apart retries were.

    with FaultServer() as server:
        scrapy crawl site -a url=server.list_url
        server.hits(server.path("timeout"))

Faults (name → what the server does; `FAULTS` holds them in list order):

  healthy           a normal article, setting two cookies (two Set-Cookie headers)
  e500              500 on every request
  e503_once         503 on the first request, then the article
  e503_retry_after  503 with `Retry-After: 1` on the first request, then the article
  e503_come_back    503 with `Retry-After: 3600`, always (not to be retried in this crawl)
  e429_retry_after  429 with `Retry-After: 1` on the first request, then the article
  e504              504 on every request (a status the crawl does not keep as a page)
  timeout           headers only after longer than the crawl's DOWNLOAD_TIMEOUT
  reset_headers     half the status line and headers, then a TCP reset
  reset_body        headers and part of the body, then a TCP reset
  truncated         Content-Length larger than the body sent, then a clean close
  huge              a real article padded to 10 MB (a 10 MB inline image in its body)
  png               PNG bytes served as text/html
  zip               zip bytes served as text/html
  wrong_charset     declares charset=utf-8 (header and <meta>), bytes are GBK
  redirect_loop     a → b → a → …
  redirect_chain    a redirect to a new URL, forever
  robots            disallowed by robots.txt: never to be fetched
  missing           404 (an article the archive never saw)

The list page also links two calendar-style list traps, each day linking the next as 下一页,
forever: the list itself by date (`index.html?date=YYYY-MM-DD`) and a day archive
(`index_YYYYMMDD.html`, which looks like numbered pagination: only the crawl's cap on list
pages stops it).
"""

from __future__ import annotations

import base64
import re
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from crawler.demo.server import LoopbackServer

LIST_PATH = "/xwzx/index.html"
# The timeout fault has a list of its own: a crawl testing it runs with a 1 s DOWNLOAD_TIMEOUT,
# too short for a crawl whose first article makes the process load jieba (seconds of CPU).
SLOW_LIST_PATH = "/xwzx/slow/index.html"
SLOW_FAULTS = ("timeout",)
DAY_ARCHIVE = "/xwzx/index_"  # + YYYYMMDD.html
ARTICLE_DIR = "/xwzx/2024/05/06/"
HUGE_SIZE = 10 * 1024 * 1024
HEALTHY_COOKIES = ("JSESSIONID=0A1B2C; Path=/; HttpOnly", "lb=web2; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/")
TIMEOUT_SLEEP = 2.5  # seconds before a `timeout` article answers (tests use DOWNLOAD_TIMEOUT=1)

# name → (article number, headline). Article URLs are dated-folder CMS URLs the link finder knows.
FAULTS: dict[str, tuple[int, str]] = {
    "healthy": (1000, "区政府召开常务会议研究部署当前重点工作"),
    "e500": (1001, "区人大常委会召开主任会议审议有关事项"),
    "e503_once": (1002, "区委理论学习中心组开展专题学习研讨"),
    "e503_retry_after": (1003, "区政协召开专题协商会议听取意见建议"),
    "e503_come_back": (1018, "区统计局发布一季度经济运行情况"),
    "e429_retry_after": (1004, "区住建局部署城镇老旧小区改造工作"),
    "e504": (1005, "区发改委召开重点项目推进会议"),
    "timeout": (1006, "区应急管理局开展安全生产大检查行动"),
    "reset_headers": (1007, "区教育局召开全区教育工作会议"),
    "reset_body": (1008, "区卫健委部署夏季爱国卫生运动"),
    "truncated": (1009, "区市场监管局开展食品安全专项整治"),
    "huge": (1010, "区农业农村局召开全区春耕生产工作会议"),
    "png": (1011, "区文旅局举办非遗文化展示活动"),
    "zip": (1012, "区财政局公布年度预算执行情况报告"),
    "wrong_charset": (1013, "区人民政府关于做好防汛抗旱工作的通知"),
    "redirect_loop": (1014, "区水利局召开河长制工作推进会议"),
    "redirect_chain": (1015, "区交通运输局部署道路交通安全整治"),
    "robots": (1016, "区审计局召开审计工作会议部署任务"),
    "missing": (1017, "区民政局召开养老服务体系建设推进会"),
}
CALENDAR_START = date(2024, 5, 1)
DAY_PAGE = re.compile(r"^/xwzx/index_(\d{8})\.html$")
CHAIN_STEP = re.compile(r"/redirect-chain-\d+_\d+\.html$")


def article_path(name: str, suffix: str = "") -> str:
    number = FAULTS[name][0]
    return f"{ARTICLE_DIR}{name.replace('_', '-')}{suffix}_{number}.html"


def article_html(title: str, *, charset: str = "utf-8", padding: str = "") -> str:
    """A TRS-style district article page: header, breadcrumb, info bar, body, footer."""
    body = (
        "<p>5月6日上午，有关部门召开会议，传达学习上级有关会议精神，研究部署近期重点工作。</p>"
        "<p>会议强调，要坚持问题导向，压实工作责任，细化工作举措，确保各项任务落到实处、见到实效。</p>"
        f"{padding}"
        "<p>会议要求，各部门要加强协调配合，形成工作合力，以实际行动推动全区经济社会高质量发展。</p>"
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="{charset}" />
<title>{title}_某某区人民政府</title>
<meta name="ArticleTitle" content="{title}" />
<meta name="PubDate" content="2024-05-06 09:30" />
<meta name="ContentSource" content="某某区人民政府办公室" />
</head>
<body>
<div class="header"><a href="/">首页</a> <a href="/xwzx/index.html">政务要闻</a></div>
<div class="location">当前位置: <a href="/">首页</a> &gt; <a href="/xwzx/index.html">政务要闻</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info">发布时间：2024-05-06 09:30 来源：某某区人民政府办公室 字号：[大 中 小] 打印</div>
<div id="zoom" class="TRS_Editor">{body}</div>
<div class="editor">责任编辑：王小明</div>
</div>
<div class="footer">主办：某某区人民政府办公室 网站标识码：1234000001</div>
</body>
</html>
"""


def list_html(names, traps: bool = True) -> str:
    items = "".join(
        f'<li><a href="{article_path(name)}" target="_blank">{FAULTS[name][1]}</a><span>2024-05-06</span></li>\n'
        for name in names
    )
    traps_html = (
        f'<div class="calendar">按日期浏览：<a href="{LIST_PATH}?date={CALENDAR_START.isoformat()}">下一页</a></div>\n'
        f'<div class="archive">往日归档：<a href="{day_archive_path(CALENDAR_START)}">下一页</a></div>'
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8" /><title>政务要闻_某某区人民政府</title></head>
<body>
<div class="location">当前位置: <a href="/">首页</a> &gt; 政务要闻</div>
<ul class="list">
{items}</ul>
{traps_html if traps else ""}
</body></html>
"""


def day_archive_path(day: date) -> str:
    return f"{DAY_ARCHIVE}{day:%Y%m%d}.html"


def calendar_html(day: date, next_href: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8" /><title>{day.isoformat()} 政务要闻</title></head>
<body><h2>{day.year}年{day.month}月{day.day}日</h2><p>当日无信息。</p>
<div class="page"><a href="{next_href}">下一页</a></div>
</body></html>
"""


def png_bytes(width: int = 64, height: int = 64) -> bytes:
    """A real (grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("附件1.txt", "预算执行情况表\n" * 200)
    return buffer.getvalue()


def huge_html() -> bytes:
    """A real article whose body carries a 10 MB inline (data: URI) image, as pasted by UEditor."""
    page = article_html(FAULTS["huge"][1], padding='<p><img src="data:image/png;base64,PAD" /></p>')
    room = HUGE_SIZE - len(page.encode("utf-8")) + len("PAD")
    png = png_bytes()
    filler = base64.b64encode(png * (room * 3 // 4 // len(png) + 1)).decode("ascii")[:room]
    return page.replace("PAD", filler).encode("utf-8")


@dataclass
class Hit:
    at: float  # time.monotonic() when the request line was read
    method: str
    path: str  # with its query
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        self.server.record(Hit(time.monotonic(), "GET", self.path, dict(self.headers.items())))
        try:
            self._answer()
        except OSError:  # the client hung up (a timeout, a reset of our own): nothing to do
            self.close_connection = True

    # --- plain answers ---------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", headers={"Location": location})

    def _article(self, name: str) -> None:
        self._send(200, article_html(FAULTS[name][1]).encode("utf-8"))

    def _reset(self, data: bytes) -> None:
        """Send `data`, then abort the connection with a TCP RST (SO_LINGER 0)."""
        self.wfile.write(data)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    # --- the site ----------------------------------------------------------------------------
    def _answer(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/robots.txt":
            robots = f"User-agent: *\nDisallow: {article_path('robots')}\n"
            return self._send(200, robots.encode(), "text/plain")
        if path == LIST_PATH and "date=" in parts.query:
            day = date.fromisoformat(parse_qs(parts.query)["date"][0])
            following = f"{LIST_PATH}?date={day + timedelta(days=1)}"
            return self._send(200, calendar_html(day, following).encode("utf-8"))
        if path == LIST_PATH:
            return self._send(200, list_html([n for n in FAULTS if n not in SLOW_FAULTS]).encode("utf-8"))
        if path == SLOW_LIST_PATH:
            return self._send(200, list_html(SLOW_FAULTS, traps=False).encode("utf-8"))
        if DAY_PAGE.match(path):
            day = datetime.strptime(DAY_PAGE.match(path)[1], "%Y%m%d").date()
            following = day_archive_path(day + timedelta(days=1))
            return self._send(200, calendar_html(day, following).encode("utf-8"))
        if path.startswith("/xwzx/polite/"):
            return self._polite(path)
        name = self.server.names.get(path)
        if name is None and CHAIN_STEP.search(path):
            name = "redirect_chain"
        if name is None:
            return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")
        getattr(self, f"_fault_{name}", lambda: self._article(name))()

    def _fault_healthy(self):
        body = article_html(FAULTS["healthy"][1]).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for cookie in HEALTHY_COOKIES:  # as load balancers and CMSes both set one
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def _fault_e500(self):
        self._send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")

    def _first_fails(self, status: int, headers: dict | None = None, name: str = "") -> None:
        if self.server.hits(self.path) == 1:
            self._send(status, f"<html><body><h1>{status}</h1></body></html>".encode(), headers=headers)
        else:
            self._article(name)

    def _fault_e503_once(self):
        self._first_fails(503, name="e503_once")

    def _fault_e503_retry_after(self):
        self._first_fails(503, {"Retry-After": "1"}, name="e503_retry_after")

    def _fault_e503_come_back(self):
        self._send(503, b"<html><body><h1>503</h1></body></html>", headers={"Retry-After": "3600"})

    def _fault_e429_retry_after(self):
        self._first_fails(429, {"Retry-After": "1"}, name="e429_retry_after")

    def _fault_e504(self):
        self._send(504, b"<html><body><h1>504 Gateway Time-out</h1></body></html>")

    def _fault_timeout(self):
        time.sleep(TIMEOUT_SLEEP)
        self._article("timeout")

    def _fault_reset_headers(self):
        self._reset(b"HTTP/1.1 200 OK\r\nContent-Type: text/ht")

    def _fault_reset_body(self):
        page = article_html(FAULTS["reset_body"][1], padding="<p>" + "工作" * 20000 + "</p>").encode("utf-8")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(page)}\r\n\r\n"
        self._reset(head.encode() + page[: len(page) // 3])

    def _fault_truncated(self):
        page = article_html(FAULTS["truncated"][1]).encode("utf-8")
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(page) + 5000}\r\n\r\n"
        )
        self.wfile.write(head.encode() + page)
        self.connection.shutdown(socket.SHUT_WR)  # a clean FIN, 5000 bytes short
        self.close_connection = True

    def _fault_huge(self):
        self._send(200, self.server.huge)

    def _fault_png(self):
        self._send(200, png_bytes())

    def _fault_zip(self):
        self._send(200, zip_bytes())

    def _fault_wrong_charset(self):
        page = article_html(FAULTS["wrong_charset"][1], charset="utf-8")
        self._send(200, page.encode("gbk"), "text/html; charset=utf-8")

    def _fault_redirect_loop(self):
        if self.path == article_path("redirect_loop"):
            self._redirect(article_path("redirect_loop", "-b"))
        else:
            self._redirect(article_path("redirect_loop"))

    def _fault_redirect_chain(self):
        match = re.search(r"-(\d+)_\d+\.html$", self.path)
        step = int(match[1]) + 1 if match else 1
        self._redirect(article_path("redirect_chain", f"-{step}"))

    def _fault_missing(self):
        self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")

    # --- a well-behaved site, for the politeness test -----------------------------------------
    def _polite(self, path: str) -> None:
        if path == "/xwzx/polite/index.html":
            items = "".join(
                f'<li><a href="/xwzx/polite/2024/05/06/polite_{2000 + n}.html">区政府召开第{n + 1}次常务会议研究部署工作</a></li>'
                for n in range(self.server.polite_articles)
            )
            return self._send(200, f"<html><body><ul>{items}</ul></body></html>".encode())
        self._send(200, article_html("区政府召开常务会议研究部署工作").encode("utf-8"))


# The redirect loop's second URL belongs to the same fault.
def _paths() -> dict[str, str]:
    paths = {article_path(name): name for name in FAULTS}
    paths[article_path("redirect_loop", "-b")] = "redirect_loop"
    return paths


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler=_Handler):
        super().__init__(address, handler)
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        self.names = _paths()
        self.huge = huge_html()
        self.polite_articles = 6

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.log.append(hit)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.log if hit.path == path)

    def hits_under(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for hit in self.log if hit.path.startswith(prefix))

    def handle_error(self, request, client_address):  # a client that hung up is no server error
        pass


class FaultServer(LoopbackServer):
    """Context manager serving the faulty site on 127.0.0.1 (any free port)."""

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__(_Handler, host, 0, server_class=_Server)

    @property
    def list_url(self) -> str:
        return self.base_url + LIST_PATH

    @property
    def slow_list_url(self) -> str:
        return self.base_url + SLOW_LIST_PATH

    @property
    def polite_list_url(self) -> str:
        return self.base_url + "/xwzx/polite/index.html"

    def url(self, name: str, suffix: str = "") -> str:
        return self.base_url + article_path(name, suffix)

    @staticmethod
    def path(name: str, suffix: str = "") -> str:
        return article_path(name, suffix)

    @property
    def log(self) -> list[Hit]:
        with self.server._lock:
            return list(self.server.log)

    def hits(self, path: str) -> list[Hit]:
        return [hit for hit in self.log if hit.path == path]

    def hits_under(self, prefix: str) -> list[Hit]:
        return [hit for hit in self.log if hit.path.startswith(prefix)]


if __name__ == "__main__":  # serve it by hand: python -m tests.support.fault_server
    with FaultServer() as running:
        print("list page:", running.list_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
