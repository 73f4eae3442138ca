"""Sites that need the browser, served for real on 127.0.0.1 from a copy of a demo site:

- ``challenge``: every request without the clearance cookie answers 412 with a script that
  sets the cookie and reloads (the shape of the common Chinese anti-bot services);
  ``refuse=True`` answers 412 whatever the cookie;
- ``scripted``: the list page is a shell whose links a script fetches from JSON, and one
  extra article is a shell whose headline and paragraphs a script writes in.
"""

from __future__ import annotations

import collections
import functools
import json
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from crawler.demo.server import LoopbackServer

CLEARANCE = "__jsl_clearance_s"
CHALLENGE_PAGE = (
    "<html><head><meta charset='utf-8'></head><body>"
    f"<script>document.cookie='{CLEARANCE}=1700000000.123|0|abc; path=/';location.reload();</script>"
    "</body></html>"
).encode()

SHELL_LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>要闻动态</title></head>
<body><div class="header">晋城市人民政府</div><ul id="list"></ul><div id="pager"></div>
<script>
fetch('/api/list.json').then(r => r.json()).then(items => {
  const list = document.getElementById('list');
  for (const item of items) {
    const li = document.createElement('li');
    li.innerHTML = '<a href="' + item.url + '">' + item.title + '</a><span>' + item.date + '</span>';
    list.appendChild(li);
  }
});
</script></body></html>"""

SHELL_ARTICLE_PATH = "/zwgk/jcyw/202005/t20200515_1132000.shtml"
SHELL_ARTICLE = {
    "title": "市政府召开常务会议研究部署安全生产工作",
    "date": "2020-05-15 10:30",
    "source": "晋城市人民政府办公室",
    "paragraphs": [
        "5月15日上午，市长主持召开市政府常务会议，研究部署当前安全生产工作。",
        "会议强调，各级各部门要牢固树立安全发展理念，压紧压实安全生产责任，全面排查整治各类风险隐患。",
        "会议还研究了其他事项。各县（市、区）政府和市直有关部门主要负责同志列席会议。",
    ],
}
SHELL_ARTICLE_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>晋城市人民政府</title></head>
<body><div class="header"><img src="/images/logo.png" alt="晋城市人民政府"></div><div id="article"></div>
<script>
try { new WebSocket('ws://' + location.host + '/live'); } catch (e) {}  // on the site: let through
fetch('/api/article_1132000.json').then(r => r.json()).then(a => {
  const box = document.getElementById('article');
  box.innerHTML = '<h1>' + a.title + '</h1><div class="info">发布时间：' + a.date + ' 来源：' + a.source + '</div>'
    + '<div class="TRS_Editor">' + a.paragraphs.map(p => '<p>' + p + '</p>').join('') + '</div>';
});
</script></body></html>"""


class _Handler(SimpleHTTPRequestHandler):
    mode = "challenge"
    refuse = False
    hits: collections.Counter
    challenges: collections.Counter
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".shtml": "text/html; charset=utf-8"}

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        self.hits[path] += 1
        if self.mode == "challenge" and (self.refuse or CLEARANCE not in (self.headers.get("Cookie") or "")):
            self.challenges[path] += 1
            return self._send(412, CHALLENGE_PAGE, "text/html; charset=utf-8")
        if self.mode == "scripted":
            dynamic = self._scripted(path)
            if dynamic is not None:
                return self._send(200, *dynamic)
        return super().do_GET()

    def _scripted(self, path: str):
        if path.endswith("/index.shtml") and path.startswith("/zwgk/jcyw/"):
            return SHELL_LIST.encode(), "text/html; charset=utf-8"
        if path == "/api/list.json":
            return json.dumps(self.server.listing, ensure_ascii=False).encode(), "application/json"
        if path == SHELL_ARTICLE_PATH:
            return SHELL_ARTICLE_HTML.encode(), "text/html; charset=utf-8"
        if path == "/api/article_1132000.json":
            return json.dumps(SHELL_ARTICLE, ensure_ascii=False).encode(), "application/json"
        return None

    def _send(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class BrowserSite(LoopbackServer):
    """``with BrowserSite(root, "challenge") as site: site.list_url, site.hits``."""

    def __init__(self, root: Path, mode: str, *, refuse: bool = False, articles: list[str] = ()):
        self.hits: collections.Counter = collections.Counter()
        self.challenges: collections.Counter = collections.Counter()
        handler = type(
            "Handler", (_Handler,), {"mode": mode, "refuse": refuse, "hits": self.hits, "challenges": self.challenges}
        )
        super().__init__(functools.partial(handler, directory=str(root)))
        self.listing = [
            {"url": path, "title": f"文章{n}", "date": "2020-05-01"}
            for n, path in enumerate([*articles, SHELL_ARTICLE_PATH])
        ]

    def make_server(self):
        server = super().make_server()
        server.listing = self.listing  # the scripted list's JSON, read by the handler
        return server

    @property
    def list_url(self) -> str:
        return self.url("/zwgk/jcyw/index.shtml")
