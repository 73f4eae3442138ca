"""A file cache for tables built from large text files: a stage worker reads jieba's dictionary
and IDF table (11 MB of text, 600,000 entries) at every start, and a marshal file of what it
built loads in half the time.

A cache file is named after a digest of everything the table is built from (the text files, the
code that builds it, the Python version), so a changed input builds a new one; it holds a digest
of its own bytes, so a damaged or foreign file is built again rather than read. Where the cache
folder cannot be written (a service with ProtectHome=yes, a read-only home) the table is built
each time, as without a cache.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DIGEST_BYTES = 32  # sha256, at the head of a cache file
KEEP = 3  # cache files of a table kept, the newest


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/govnews, or ~/.cache/govnews."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "govnews"


def cached(name: str, inputs: Callable[[], Iterable[bytes]], build: Callable[[], Any]) -> Any:
    """`build()`, or what an earlier build from the same `inputs` left in the cache. `build`
    must return what marshal keeps as it is: dicts, tuples, str, float, int."""
    try:
        path = cache_dir() / f"{name}-{_key(inputs())}.marshal"
    except OSError:  # an input that cannot be read: the build will say so itself
        return build()
    table = _read(path)
    if table is None:
        table = build()
        _write(path, name, table)
    return table


def _key(inputs: Iterable[bytes]) -> str:
    digest = hashlib.sha256(f"{sys.version}/{marshal.version}".encode())
    for part in inputs:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    payload = data[DIGEST_BYTES:]
    if data[:DIGEST_BYTES] != hashlib.sha256(payload).digest():
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def _write(path: Path, name: str, table: Any) -> None:
    """Write the cache file whole: a reader never sees a part of it."""
    payload = marshal.dumps(table)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    _forget_old(path.parent, name)


def _forget_old(folder: Path, name: str) -> None:
    """Keep the KEEP newest cache files of a table: those of other inputs are not read again,
    unless other checkouts of the project share the folder (so a few stay)."""
    files = []
    for file in folder.glob(f"{name}-*.marshal"):
        try:
            files.append((file.stat().st_mtime_ns, file))
        except OSError:  # another process removed it meanwhile
            continue
    for _, file in sorted(files, reverse=True)[KEEP:]:
        try:
            file.unlink(missing_ok=True)
        except OSError:
            continue
