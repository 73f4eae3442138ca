"""Archive writes as data: what a queued crawl sends its one writer, and how the writer applies it.

A crawl that runs on a queue worker holds no archive. It makes the same calls a one-process
crawl makes (`start_run`, `add_snapshot`, `add_record` …), but as *operations*: the method's
name and its keyword arguments. A call whose answer later calls need (the id of a run or of a
snapshot) gets a *ref* instead, a name the worker makes up (``run:…``, ``snap:…``), and later
operations pass that ref where they would pass the id. The writer (`govnews ingest`) applies
a message's operations with the very methods a one-process crawl calls, and keeps, in the same
transaction, the message's key and the id each ref stood for (table ``ingested``). So a message
applied twice (the writer killed between its commit and its acknowledgement) changes nothing
the second time, and a ref resolves to the same id in whichever batch it is used.

    >>> ops = [Operation("add_failure", {"url": "http://a.example/x", "stage": "link", "error": "bad"})]
    >>> decode(encode("m1", ops)) == ("m1", ops)
    True
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import zstandard

from crawler.record import Record

# The Archive methods a crawl calls to write, and the arguments that name ids.
METHODS = frozenset(
    {
        "start_run",
        "finish_run",
        "add_snapshot",
        "add_failure",
        "note_redirect",
        "mark_checked",
        "mark_gone",
        "add_record",
        "add_attachment",
    }
)
ID_ARGUMENTS = ("run_id", "crawl_run_id", "snapshot_id", "server_snapshot_id")
REF_PREFIXES = ("run:", "snap:")
_HEADER = struct.Struct(">I")


class OplogError(ValueError):
    """A message that is not a list of archive operations (corrupt, or from another program)."""


@dataclass
class Operation:
    method: str
    kwargs: dict
    ref: str | None = None  # the name later operations use for this call's answer
    args: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"method": self.method, "args": self.args, "kwargs": self.kwargs, "ref": self.ref}


def encode(key: str, ops: list[Operation]) -> bytes:
    """One message: a JSON header (key, operations) and the bytes arguments after it, zstd'd."""
    blobs: list[bytes] = []

    def lift(value):
        if isinstance(value, bytes):
            blobs.append(value)
            return {"$bytes": len(blobs) - 1}
        if isinstance(value, Record):
            return {"$record": value.to_dict()}
        if isinstance(value, tuple):
            return {"$tuple": [lift(v) for v in value]}
        if isinstance(value, dict):
            return {k: lift(v) for k, v in value.items()}
        if isinstance(value, list):
            return [lift(v) for v in value]
        return value

    header = {
        "key": key,
        "ops": [lift(op.to_json()) for op in ops],
        "blobs": [],
    }
    header["blobs"] = [len(b) for b in blobs]
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return zstandard.ZstdCompressor(level=3).compress(_HEADER.pack(len(head)) + head + b"".join(blobs))


def decode(message: bytes) -> tuple[str, list[Operation]]:
    try:
        raw = zstandard.ZstdDecompressor().decompress(message)
        (size,) = _HEADER.unpack_from(raw)
        header = json.loads(raw[_HEADER.size : _HEADER.size + size])
        offset, blobs = _HEADER.size + size, []
        for length in header["blobs"]:
            blobs.append(raw[offset : offset + length])
            offset += length

        def lower(value):
            if isinstance(value, dict):
                if "$bytes" in value:
                    return blobs[value["$bytes"]]
                if "$record" in value:
                    return Record.from_dict(value["$record"])
                if "$tuple" in value:
                    return tuple(lower(v) for v in value["$tuple"])
                return {k: lower(v) for k, v in value.items()}
            if isinstance(value, list):
                return [lower(v) for v in value]
            return value

        ops = [Operation(**lower(op)) for op in header["ops"]]
        key = header["key"]
    except (ValueError, KeyError, TypeError, IndexError, struct.error, zstandard.ZstdError) as exc:
        raise OplogError(f"not a govnews archive message: {type(exc).__name__}: {exc}") from exc
    for op in ops:
        if op.method not in METHODS:
            raise OplogError(f"not an archive write: {op.method!r}")
    return key, ops


def is_ref(value) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIXES)


def applied(archive, key: str) -> bool:
    return archive.db.execute("select 1 from ingested where key = ?", [key]).fetchone() is not None


def apply(archive, key: str, ops: list[Operation], observe=None) -> bool:
    """Apply one message's operations in one savepoint; False when it was applied before.
    `observe(op, result)`, when given, is called with each operation applied and its answer."""
    db = archive.db
    with archive.batch():
        if applied(archive, key):
            return False
        for op in ops:
            kwargs = dict(op.kwargs)
            for name in ID_ARGUMENTS:
                if is_ref(kwargs.get(name)):
                    kwargs[name] = resolve(archive, kwargs[name])
            args = [resolve(archive, a) if is_ref(a) else a for a in op.args]
            result = getattr(archive, op.method)(*args, **kwargs)
            if observe is not None:
                observe(op, result)
            if op.ref is not None:
                db.execute("insert or replace into ingested (key, value) values (?, ?)", [op.ref, result])
        db.execute("insert into ingested (key, value) values (?, null)", [key])
    return True


def resolve(archive, ref: str) -> int | None:
    """The id a ref stands for; None for a ref whose message never arrived (its row keeps no link)."""
    row = archive.db.execute("select value from ingested where key = ?", [ref]).fetchone()
    return row[0] if row else None
