"""A real `scrapy crawl` of a list whose items carry ids of no known shape: the one with a
hexadecimal id is archived with its numbered siblings (spiders/links/context.py)."""

from __future__ import annotations

import functools
from http.server import BaseHTTPRequestHandler

import pytest
import sqlite_utils
from conftest import scrapy_crawl
from test_links import HEADLINES, _rendered_list

from crawler.demo.server import LoopbackServer

pytestmark = pytest.mark.e2e  # a real server and a real `scrapy crawl` process on 127.0.0.1

IDS = [f"{n:010d}" for n in range(1, 8)] + ["9d81c2f0a1"]


def _article(n: int) -> str:
    paragraphs = "".join(
        f"<p>{HEADLINES[n]}。第{k + 1}项工作已按计划推进，相关部门将持续跟踪落实情况，确保各项措施落到实处。</p>"
        for k in range(4)
    )
    return (
        f"<html><head><meta charset='utf-8'><title>{HEADLINES[n]}</title></head><body>"
        f"<h1>{HEADLINES[n]}</h1><div class='info'>发布时间：2024-05-0{n + 1} 09:30 来源：市新闻中心</div>"
        f"<div class='article-content'>{paragraphs}</div></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self):
        body = self.pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


def test_a_crawl_follows_the_hexadecimal_id_among_numbered_siblings(tmp_path):
    pages = {"/list/yaowen": _rendered_list(IDS)} | {f"/a/{ident}": _article(n) for n, ident in enumerate(IDS)}
    handler = type("Handler", (_Handler,), {"pages": pages})
    with LoopbackServer(functools.partial(handler)) as server:
        scrapy_crawl("-a", f"url={server.url('/list/yaowen')}", db=tmp_path / "archive.db")
    db = sqlite_utils.Database(tmp_path / "archive.db")
    archived = {row["url"].rsplit("/", 1)[-1]: row["title"] for row in db["pages"].rows}
    assert archived == {ident: HEADLINES[n] for n, ident in enumerate(IDS)}
