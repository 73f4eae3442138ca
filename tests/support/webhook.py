"""A chat webhook on 127.0.0.1 that keeps every JSON body POSTed to it (for the health alerts).

with WebhookServer() as hook:
    hook.hook_url, hook.bodies, hook.answer = (200, b'{"errcode": 0}')
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from crawler.demo.server import LoopbackServer


class WebhookServer(LoopbackServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.bodies: list = []
        self.answer: tuple[int, bytes] = (200, b'{"errcode": 0, "ok": true}')
        self._lock = threading.Lock()

    @property
    def hook_url(self) -> str:
        return self.base_url + "/hook"

    def handler_class(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    owner.bodies.append(json.loads(data.decode("utf-8")))
                    status, answer = owner.answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # keep test output quiet
                pass

        return Handler
