"""A hostile site on 127.0.0.1 and "another host" on 127.0.0.2 that records every request it gets.

The hostile site tries every way a crawl can be made to leave it: links and redirects to the other
host, an attachment that redirects there, one that meta-refreshes there, one whose URL reads as
the other host to a browser (a backslash before ``@``), a challenge page whose script fetches from
there, and a script shell that navigates there, loads its images and iframes, fetches from it, opens
a WebSocket and a window to it and registers a service worker that fetches from it.
It also has one valid article and a malformed link on its list page, and a list page whose
response headers never end.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from crawler.demo.server import LoopbackServer

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<h1>{title}</h1><div class="info">发布时间：2024-05-06 10:00 来源：区政府办公室</div>
<div class="TRS_Editor"><p>5月6日上午，区政府召开常务会议，研究部署安全生产和防汛工作。会议强调，各级各部门要压实责任，
全面排查整治风险隐患，确保人民群众生命财产安全。</p><p>会议还研究了其他事项，区政府领导班子成员出席会议。</p>
{extra}</div></body></html>"""

SHELL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>区人民政府</title></head><body>
<div id="article"></div><img src="{other}/img.png"><iframe src="{other}/frame.html"></iframe>
<script>
fetch('{other}/api').catch(() => null);
new Image().src = '{other}/beacon.gif';
try {{ new WebSocket('{other_ws}/socket'); }} catch (e) {{}}
window.open('{other}/popup.html');
if (navigator.serviceWorker) navigator.serviceWorker.register('/sw.js').catch(() => null);
setTimeout(() => {{ location = '{other}/evil.html'; }}, 50);
</script></body></html>"""
# A service worker's requests pass beside the page's routes.
SERVICE_WORKER = "self.addEventListener('install', () => fetch('{other}/sw-fetch'));"


class OtherHost(LoopbackServer):
    """127.0.0.2: answers every request with a page that would be archivable, and logs it."""

    def __init__(self):
        self.requests: list[str] = []
        lock = threading.Lock()
        log = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    log.append(self.path)
                body = ARTICLE.format(title="别处的文章", extra="").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        super().__init__(Handler, host="127.0.0.2")


class HostileSite(LoopbackServer):
    """127.0.0.1: every page tries to send the crawl to `other`."""

    def __init__(self, other: OtherHost):
        self.other = other
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, headers, body = site.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler, host="127.0.0.1")

    def answer(self, path: str) -> tuple[int, dict, bytes]:
        other = self.other.base_url
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/flood/index.html":  # headers without end: the fetch must fail, not grow the crawl
            return 200, {**html, **{f"X-Flood-{n}": "x" * 40 for n in range(5000)}}, b"<html></html>"
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/news/index.html":
            links = [
                "/news/202405/t20240506_1.html",  # the valid article, with hostile attachments
                "/news/202405/t20240506_2.html",  # redirects to the other host
                "/news/202405/t20240506_3.html",  # a script shell that navigates and fetches off-site
                "/news/202405/t20240506_4.html",  # a challenge whose script goes off-site
                f"{other}/news/202405/t20240506_9.html",  # a plain off-site link
                "http://[zz/news/202405/t20240506_5.html",  # malformed
            ]
            items = "".join(
                f'<li><a href="{u}">区政府召开第{n}次常务会议</a><span>2024-05-06</span></li>'
                for n, u in enumerate(links, 1)
            )
            body = f'<html><head><meta charset="utf-8"><title>要闻</title></head><body><ul>{items}</ul></body></html>'
            return 200, html, body.encode()
        if path == "/news/202405/t20240506_1.html":
            host = f"127.0.0.2:{self.other.port}"
            extra = (
                '<p>附件：<a href="/files/redirect.pdf">通知.pdf</a> <a href="/files/refresh.pdf">名单.pdf</a> '
                f'<a href="http://{host}\\@127.0.0.1:{self.port}/files/ambiguous.pdf">表格.pdf</a> '
                f'<a href="{other}/files/direct.pdf">方案.pdf</a></p><p><img src="{other}/photo.jpg"></p>'
            )
            return 200, html, ARTICLE.format(title="区政府召开常务会议", extra=extra).encode()
        if path == "/news/202405/t20240506_2.html":
            return 302, {"Location": f"{other}/news/202405/t20240506_2.html"}, b""
        if path == "/news/202405/t20240506_3.html":
            return 200, html, SHELL.format(other=other, other_ws=other.replace("http:", "ws:", 1)).encode()
        if path == "/sw.js":
            return 200, {"Content-Type": "application/javascript"}, SERVICE_WORKER.format(other=other).encode()
        if path == "/news/202405/t20240506_4.html":
            script = f"<script>fetch('{other}/challenge.js');document.cookie='x=1';location.reload();</script>"
            return 412, html, f"<html><body>{script}</body></html>".encode()
        if path == "/files/redirect.pdf":
            return 302, {"Location": f"{other}/files/evil.pdf"}, b""
        if path == "/files/refresh.pdf":
            refresh = f'<html><head><meta http-equiv="refresh" content="0;url={other}/files/evil.pdf"></head></html>'
            return 200, html, refresh.encode()
        return 404, html, b"<html><body>not here</body></html>"
