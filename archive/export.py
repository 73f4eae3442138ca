"""`govnews export`: the archive as JSON Lines (pages or versions) or as WARC (every capture).

WARC layout, per row of ``snapshots`` in id order:

- ``response``  status line + stored headers + the body exactly as stored.  Scrapy stores the
  body already decoded (no gzip, no chunking), so ``Content-Encoding`` and ``Transfer-Encoding``
  become ``X-Archive-Orig-*`` headers and ``Content-Length`` is set to the stored body's length
  (a differing original kept as ``X-Archive-Orig-Content-Length``).
- ``request``   a reconstructed ``GET`` for the capture's URL (WARC-Concurrent-To the response).  That
  is the request this response answered: ``request_url`` is the first URL asked for, before any
  redirects, so when it differs it goes in the metadata, not in the request record.
- ``metadata``  ``application/json`` govnews facts (WARC-Concurrent-To and WARC-Refers-To the
  response): site, crawl run, fetched_at, body hash, and the versions and failures made from it.

Header values are written as the bytes that came: the crawl stores each header decoded as
latin-1 (byte for byte, spiders/site.py), a header sent several times a value per line, so the
export splits a value at ``"\n"`` only (never at ``\r``, ``\x85``, ``\u2028`` … which a raw
UTF-8 ``Content-Disposition`` may hold) and encodes it back to latin-1, the bytes received.
A value holding a character latin-1 cannot encode (stored by another route) is written as
UTF-8.  warcio's own serialization would %-encode anything non-ASCII: `RawHeaders` replaces it.

A capture with status 0 (the fetch failed, nothing was received) gets only its metadata record:
there is no response to write, but the archive knows the attempt was made.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from crawler import __version__

if TYPE_CHECKING:
    from warcio.statusandheaders import StatusAndHeaders

DEFAULT_USER_AGENT = "govnews"
# The stored body is the decoded payload, so these no longer describe it.
ENCODING_HEADERS = ("content-encoding", "transfer-encoding")
# Written when the archive's `pages` table has them (gone_at, status and moved_to came later).
PAGE_FIELDS = (
    "site",
    "status",
    "first_seen",
    "last_fetched",
    "last_changed",
    "version_count",
    "gone_at",
    "moved_to",
)


# --- JSON Lines ----------------------------------------------------------------
def export_jsonl(archive, out: BinaryIO, what: str = "pages") -> int:
    """Write one UTF-8 JSON object per line to the binary file ``out``; returns the line count."""
    lines = {"pages": _page_lines, "versions": _version_lines}[what](archive)
    count = 0
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def _page_lines(archive):
    """Each page's latest record, with the page's archive facts."""
    fields = [f for f in PAGE_FIELDS if f in archive.db["pages"].columns_dict]
    rows = archive.db.query(f"select url, {', '.join(fields)} from pages order by first_seen, url")
    for row in rows:
        yield {**archive.latest_record(row["url"]).to_dict(), **{f: row[f] for f in fields}}


def _version_lines(archive):
    for version in archive.iter_versions():
        facts = {k: v for k, v in version.items() if k != "record"}
        yield {**facts, "record": version["record"].to_dict()}


# --- WARC ----------------------------------------------------------------------
@dataclass
class WarcCounts:
    records: int = 0  # WARC records written, warcinfo included
    captures: int = 0  # rows of `snapshots`
    responses: int = 0  # captures written as request + response + metadata
    no_response: int = 0  # status-0 captures: metadata record only


def export_warc(archive, out: BinaryIO, gzip: bool = True, filename: str | None = None) -> WarcCounts:
    """Write every capture of the archive to the binary file ``out`` as WARC records."""
    from warcio.warcwriter import WARCWriter  # imported here: every govnews command loads this module

    writer = WARCWriter(out, gzip=gzip)
    counts = WarcCounts()
    writer.write_record(_warcinfo(writer, archive, filename))
    counts.records += 1
    made_from = _made_from(archive)
    user_agents = _user_agents(archive)
    for capture in archive.captures():
        counts.captures += 1
        facts = _facts(capture, made_from)
        if not capture["status"]:
            writer.write_record(_metadata(writer, capture, facts, concurrent_to=None))
            counts.records += 1
            counts.no_response += 1
            continue
        response = _response(writer, capture, archive.snapshot_body(capture["id"]))
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        user_agent = user_agents.get(capture["crawl_run_id"]) or DEFAULT_USER_AGENT
        for record in (
            response,
            _request(writer, capture, user_agent, response_id),
            _metadata(writer, capture, facts, concurrent_to=response_id),
        ):
            writer.write_record(record)
        counts.records += 3
        counts.responses += 1
    return counts


def warc_date(fetched_at: str) -> str:
    """The archive's ISO 8601 time as a WARC-Date (UTC, ``Z``); a naive time is taken as UTC."""
    moment = datetime.fromisoformat(fetched_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def response_headers(status: int, headers: dict, body_length: int) -> StatusAndHeaders:
    """The stored response headers, made true of the stored (already decoded) body."""
    kept, original_length = [], None
    for name, stored in headers.items():
        # A header sent several times (Set-Cookie) is stored a value per line: one line each again.
        for value in stored_values(stored):
            lowered = name.lower()
            if lowered in ENCODING_HEADERS:
                kept.append((f"X-Archive-Orig-{name}", value))
            elif lowered == "content-length":
                original_length = value
            else:
                kept.append((name, value))
    if original_length is not None and original_length.strip() != str(body_length):
        kept.append(("X-Archive-Orig-Content-Length", original_length))
    kept.append(("Content-Length", str(body_length)))
    return _raw_headers()(_status_line(status), kept, protocol="HTTP/1.1")


def stored_values(stored) -> list[str]:
    """The values of one stored header: one a line, split at "\n" only."""
    return str(stored).split("\n")


def header_bytes(text: str) -> bytes:
    """A stored (latin-1 decoded) header text as the bytes that came."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


@functools.lru_cache(maxsize=1)
def _raw_headers():
    from warcio.statusandheaders import StatusAndHeaders

    class RawHeaders(StatusAndHeaders):
        """Status line and headers serialized byte for byte (`header_bytes`), not %-encoded."""

        def to_ascii_bytes(self, filter_func=None):
            lines = [header_bytes(" ".join(p for p in (self.protocol, self.statusline) if p))]
            for header in self.headers:
                header = filter_func(header) if filter_func else header
                if header:
                    lines.append(header_bytes(": ".join(header)))
            return b"\r\n".join(lines) + b"\r\n\r\n"

    return RawHeaders


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _response(writer, capture: dict, body: bytes):
    return writer.create_warc_record(
        capture["url"],
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=response_headers(capture["status"], capture["headers"] or {}, len(body)),
        warc_headers_dict={"WARC-Date": warc_date(capture["fetched_at"])},
    )


def _request(writer, capture: dict, user_agent: str, response_id: str):
    url = capture["url"]
    parts = urlsplit(url)
    from warcio.statusandheaders import StatusAndHeaders

    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), ("User-Agent", user_agent)]
    return writer.create_warc_record(
        url,
        "request",
        payload=BytesIO(),
        length=0,
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True),
        warc_headers_dict={
            "WARC-Date": warc_date(capture["fetched_at"]),
            "WARC-Concurrent-To": response_id,
        },
    )


def _metadata(writer, capture: dict, facts: dict, concurrent_to: str | None):
    payload = json.dumps(facts, ensure_ascii=False, indent=1).encode("utf-8")
    warc_headers = {"WARC-Date": warc_date(capture["fetched_at"])}
    if concurrent_to:
        warc_headers.update({"WARC-Concurrent-To": concurrent_to, "WARC-Refers-To": concurrent_to})
    return writer.create_warc_record(
        capture["url"],
        "metadata",
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type="application/json",
        warc_headers_dict=warc_headers,
    )


def _facts(capture: dict, made_from: dict) -> dict:
    made = made_from.get(capture["id"], {})
    return {
        "snapshot_id": capture["id"],
        "url": capture["url"],
        "request_url": capture["request_url"],
        "site": capture["site"],
        "crawl_run_id": capture["crawl_run_id"],
        "fetched_at": capture["fetched_at"],
        "status": capture["status"],
        "body_sha256": capture["body_sha256"],
        "body_size": capture["body_size"],
        "version_ids": made.get("versions", []),
        "failure_ids": made.get("failures", []),
        "headers": capture["headers"] or {},  # as stored, before the response record's changes
    }


def _made_from(archive) -> dict[int, dict[str, list[int]]]:
    """snapshot id → ids of the versions and failures made from that capture."""
    made: dict[int, dict[str, list[int]]] = {}
    for table in ("versions", "failures"):
        rows = archive.db.execute(f"select snapshot_id, id from {table} where snapshot_id is not null order by id")
        for snapshot_id, row_id in rows:
            made.setdefault(snapshot_id, {}).setdefault(table, []).append(row_id)
    return made


def _user_agents(archive) -> dict[int, str]:
    """crawl run id → the User-Agent it sent, where the archive recorded one."""
    if "user_agent" not in archive.db["crawl_runs"].columns_dict:
        return {}
    return dict(archive.db.execute("select id, user_agent from crawl_runs where user_agent is not null"))


def _warcinfo(writer, archive, filename: str | None):
    return writer.create_warcinfo_record(
        filename,
        {
            "software": f"govnews/{__version__}",
            "format": f"WARC File Format {writer.warc_version.split('/')[1]}",
            "description": f"Captures exported from the govnews archive {Path(archive.path).name}",
        },
    )


@contextmanager
def open_output(output: str):
    """stdout as bytes, or a file that appears under its name only once it is complete."""
    if output == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    partial = f"{output}.partial"
    try:
        with open(partial, "wb") as out:
            yield out
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
