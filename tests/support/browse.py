"""`govnews browse` for a test: a real Datasette on a free 127.0.0.1 port, until the block ends."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.demo.server import free_port

BIN = Path(sys.executable).parent


@dataclass
class Browsing:
    base: str  # http://127.0.0.1:PORT
    db_url: str  # the archive's database page
    log: object  # the server's output so far (a file: seek(0) and read)


@contextmanager
def browse(db: Path, *options: str):
    port = free_port()
    command = [str(BIN / "govnews"), "browse", "--db", str(db), "--port", str(port), "--host", "127.0.0.1"]
    # The log goes to a file, not a pipe: nobody reads it while the server runs, so a pipe could fill.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([*command, *options], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        process.kill()
                        log.seek(0)
                        pytest.fail(f"govnews browse did not start:\n{log.read().decode(errors='replace')}")
                    time.sleep(0.1)
            yield Browsing(base, f"{base}/{Path(db).stem}", log)
        finally:
            process.terminate()
            process.wait(timeout=10)
