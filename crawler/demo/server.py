"""Serve the bundled demo sites on 127.0.0.1, one port per site.

Each site is its own origin, as real sites are; a site's `charset` in
`demo.yaml` is what the server declares in Content-Type (weidu declares
gb2312 while its bytes are GBK, as many old government sites do).

`LoopbackServer` and `free_port` are the one loopback server base: the demo
sites here and the test sites (tests/support/) are all served by it.
"""

from __future__ import annotations

import functools
import random
import shutil
import socket
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

DEMO_DIR = Path(__file__).parent
SITES_DIR = DEMO_DIR / "sites"
MANIFEST = DEMO_DIR / "demo.yaml"
# Site N of the manifest listens on DEMO_PORT_BASE + N: the same URLs on every run, so a second
# demo run adds no versions; the bundled site configs (crawler/sites/NAME.yaml) name these URLs.
DEMO_PORT_BASE = 38701
BUNDLED_HOST = "127.0.0.1"


class DemoPortError(OSError):
    """A port of the demo sites is taken; the message names it and what to do."""


def load_manifest() -> list[dict]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["sites"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` right now (for a server started in another process)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_port_base(count: int, host: str = "127.0.0.1") -> int:
    """A port N such that N … N+count-1 are all free on `host` right now (for `govnews demo
    --port-base N` in tests that run beside other demos), below the ephemeral range."""
    for _ in range(200):
        base = random.randrange(20000, 32000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind((host, port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise OSError(f"no {count} consecutive free ports found on {host}")


class LoopbackServer:
    """A threading HTTP server on a loopback address, answering from a background thread:

        with LoopbackServer(handler) as server:   # or server.start() … server.stop()
            server.host, server.port, server.url("/index.html")

    `handler` is the request handler class (or a `functools.partial` of one); `port=0` takes
    any free port; `server_class` is the `ThreadingHTTPServer` (sub)class to listen with,
    reachable as `.server` once started.  Subclasses override `handler_class()` and
    `make_server()` when they build their handler or server from their own state.
    """

    server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer

    def __init__(
        self,
        handler=None,
        host: str = "127.0.0.1",
        port: int = 0,
        server_class: type[ThreadingHTTPServer] | None = None,
    ):
        self.handler = handler
        self._host, self._port = host, port
        if server_class is not None:
            self.server_class = server_class
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self):
        return self.handler

    def make_server(self) -> ThreadingHTTPServer:
        return self.server_class((self._host, self._port), self.handler_class())

    def start(self) -> LoopbackServer:
        """Listen (raises OSError when the port is taken) and serve in a daemon thread."""
        self.server = self.make_server()
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self.server.server_address[0] if self.server else self._host

    @property
    def port(self) -> int:
        """The port listened on (the one asked for, 0 for any, before `start`)."""
        return self.server.server_address[1] if self.server else self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "") -> str:
        return self.base_url + path


class _SiteHandler(SimpleHTTPRequestHandler):
    charset: str | None = None
    # TRS and Hanweb sites serve .shtml/.htm pages as HTML.
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".shtml": "text/html",
        ".htm": "text/html",
        ".html": "text/html",
    }

    def send_head(self):
        # A site's `.redirects` file ("OLD_PATH NEW_PATH" a line) moves pages, as CMS migrations do.
        target = self._redirects().get(self.path.split("?", 1)[0])
        if target:
            self.send_response(301)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()

    def _redirects(self) -> dict[str, str]:
        path = Path(self.directory) / ".redirects"
        if not path.exists():
            return {}
        pairs = (line.split() for line in path.read_text(encoding="utf-8").splitlines())
        return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}

    def guess_type(self, path):
        kind = super().guess_type(path)
        if kind == "text/html" and self.charset:
            return f"text/html; charset={self.charset}"
        return kind

    def log_message(self, format, *args):  # keep test and demo output quiet
        pass


@dataclass
class DemoSite:
    name: str
    root: Path
    list_path: str
    server: LoopbackServer
    manifest: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def list_url(self) -> str:
        return self.base_url + self.list_path

    def url(self, path: str) -> str:
        return self.base_url + path


class DemoServer:
    """Context manager: `with DemoServer() as demo: demo.sites["weidu"].list_url`.

    `root` is a folder holding one sub-folder per site (default: the bundled
    sites); tests pass a copy they can edit.
    """

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port_base: int | None = None):
        self.root = Path(root) if root else SITES_DIR
        self.host = host
        # With a port base, site N listens on port_base + N, or the start fails (DemoPortError):
        # other ports would give the same pages other URLs, archived a second time. Without one,
        # any free ports (tests).
        self.port_base = port_base
        self.sites: dict[str, DemoSite] = {}

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        try:
            for number, entry in enumerate(load_manifest()):
                site_root = self.root / entry["name"]
                handler = type(f"{entry['name']}Handler", (_SiteHandler,), {"charset": entry.get("charset")})
                server = self._listen(functools.partial(handler, directory=str(site_root)), number, entry["name"])
                self.sites[entry["name"]] = DemoSite(entry["name"], site_root, entry["list_path"], server, entry)
        except BaseException:
            self.stop()
            raise

    def _listen(self, handler, number: int, name: str) -> LoopbackServer:
        if self.port_base is None:
            return LoopbackServer(handler, self.host, 0).start()
        port = self.port_base + number
        try:
            return LoopbackServer(handler, self.host, port).start()
        except OSError as exc:
            raise DemoPortError(
                f"port {port} on {self.host} (demo site {name}) is in use ({exc.strerror}): "
                "another `govnews demo` running? Stop it, or give --port-base N for other ports"
            ) from exc

    def stop(self) -> None:
        for site in self.sites.values():
            site.server.stop()


def site_configs(port_base: int = DEMO_PORT_BASE) -> dict[str, dict]:
    """The bundled configs of the demo sites (crawler/sites/NAME.yaml), as mappings, with their
    URLs moved from the ports of DEMO_PORT_BASE to those of `port_base`."""
    from crawler.sites import BUNDLED_SITES_DIR

    configs = {}
    for number, entry in enumerate(load_manifest()):
        name = entry["name"]
        config = yaml.safe_load((BUNDLED_SITES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        bundled, moved = f"//{BUNDLED_HOST}:{DEMO_PORT_BASE + number}/", f"//{BUNDLED_HOST}:{port_base + number}/"
        config["start_urls"] = [url.replace(bundled, moved, 1) for url in config["start_urls"]]
        configs[name] = config
    return configs


def write_site_configs(folder: Path, port_base: int = DEMO_PORT_BASE) -> Path:
    """The demo sites' configs for `port_base`, written to `folder` (a GOVNEWS_SITES_DIRS folder)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, config in site_configs(port_base).items():
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def copy_sites(destination: Path) -> Path:
    """A writable copy of the bundled sites (for tests and for trying edits)."""
    shutil.copytree(SITES_DIR, destination, dirs_exist_ok=True)
    return destination
