"""`govnews export`: the archive as JSON Lines (pages or versions), as WARC (every capture, for
replay in pywb and other web-archive tools) with a CDXJ index, or as WACZ.

WARC layout, per row of ``snapshots`` in id order (docs/export.md has the whole table):

- ``response`` status line + stored headers + the body exactly as stored; a capture whose body
  was already written (same bytes, any URL) is a ``revisit`` instead (identical-payload-digest
  profile: its own status line and headers, ``WARC-Refers-To-*`` the first response).  Scrapy
  stores the body already decoded (no gzip, no chunking), so ``Content-Encoding`` and
  ``Transfer-Encoding`` become ``X-Archive-Orig-*`` headers and ``Content-Length`` is set to the
  stored body's length (a differing original kept as ``X-Archive-Orig-Content-Length``).
- ``request``  ``GET`` of the URL that answered, with ``Host`` and the crawl run's User-Agent: what
  the archive knows was sent (``WARC-Concurrent-To`` the response).  ``request_url`` is the first
  URL asked for, before any redirects; when it differs it goes in the metadata.
- ``metadata`` under ``urn:govnews:capture:ID`` (never the page's URI, or replay would serve the
  JSON): govnews facts, ``WARC-Refers-To`` the response.
- the attachments (附件) of the capture: ``response`` (or ``revisit``) + ``request`` + ``metadata``
  (``urn:govnews:attachment:ID``) for each download whose bytes the archive keeps.
- a page rendered by Chromium (``render = browser``): the DOM as a ``conversion`` record, which
  replay tools do not index: the server's own bytes are the capture that replays.

Then a ``revisit`` (server-not-modified profile) for each 304 recheck the archive knows of: the
archive keeps no snapshot of a 304, only ``pages.last_checked``, so it is each page's latest
recheck whose time no snapshot of the page has.

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

import base64
import functools
import hashlib
import json
import os
import sys
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO, StringIO
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
REVISIT_PROFILES = {
    "identical": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
    "not-modified": "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
}


@dataclass
class WarcCounts:
    records: int = 0  # WARC records written, warcinfo included
    captures: int = 0  # rows of `snapshots`
    responses: int = 0  # captures written as response (or revisit) + request + metadata
    revisits: int = 0  # of those, identical payloads written as revisit records
    no_response: int = 0  # status-0 captures: metadata record only
    rendered: int = 0  # DOMs rendered by Chromium, as conversion records
    attachments: int = 0  # attachment downloads written (response or revisit + request + metadata)
    not_modified: int = 0  # 304 rechecks, as server-not-modified revisit records

    def summary(self, where: str) -> str:
        """The line `govnews export` prints."""
        line = f"Wrote {self.records} WARC records for {self.captures} captures to {where}"
        extra = [
            (self.attachments, "attachments"),
            (self.revisits, "identical payloads as revisits"),
            (self.not_modified, "304 rechecks as revisits"),
            (self.rendered, "rendered DOMs as conversions"),
            (self.no_response, "failed fetches as metadata only"),
        ]
        said = [f"{n} {what}" for n, what in extra if n]
        return line + (f" ({', '.join(said)})" if said else "")


@dataclass
class _Written:
    """A full response record already in the WARC, which a revisit of the same bytes refers to."""

    uri: str
    date: str
    record_id: str
    digest: str  # WARC-Payload-Digest: sha1, base32, as warcio computes it


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio computes: ``sha1:`` and the base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def export_warc(archive, out: BinaryIO, gzip: bool = True, filename: str | None = None) -> WarcCounts:
    """Write every capture of the archive to the binary file ``out`` as WARC records."""
    from warcio.warcwriter import WARCWriter  # imported here: every govnews command loads this module

    writer = WARCWriter(out, gzip=gzip)
    counts = WarcCounts()

    def write(*records) -> None:
        for record in records:
            writer.write_record(record)
        counts.records += len(records)

    write(_warcinfo(writer, archive, filename))
    made_from = _made_from(archive)
    user_agents = _user_agents(archive)
    attachments = _attachment_downloads(archive)
    written: dict[str, _Written] = {}  # body sha256 → its first response record
    responses: dict[int, _Written] = {}  # snapshot id → its response or revisit record
    for capture in archive.captures():
        counts.captures += 1
        facts = _facts(capture, made_from)
        if not capture["status"]:
            write(_metadata(writer, _capture_urn(capture["id"]), capture["fetched_at"], facts, None))
            counts.no_response += 1
            continue
        body = archive.snapshot_body(capture["id"])
        date = warc_date(capture["fetched_at"])
        if capture["render"] == "browser":
            conversion = _conversion(writer, capture, body, responses.get(capture["server_snapshot_id"]))
            conversion_id = conversion.rec_headers.get_header("WARC-Record-ID")
            write(
                conversion, _metadata(writer, _capture_urn(capture["id"]), capture["fetched_at"], facts, conversion_id)
            )
            counts.rendered += 1
            continue
        http = response_headers(capture["status"], capture["headers"] or {}, len(body))
        response, holder = _response_or_revisit(
            writer, capture["url"], date, http, body, capture["body_sha256"], written
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        # what a later 304 of this page refers to: this capture's own record, with its payload's digest
        responses[capture["id"]] = _Written(capture["url"], date, response_id, holder.digest)
        user_agent = user_agents.get(capture["crawl_run_id"]) or DEFAULT_USER_AGENT
        write(
            response,
            _request(writer, capture["url"], date, user_agent, response_id),
            _metadata(writer, _capture_urn(capture["id"]), capture["fetched_at"], facts, response_id),
        )
        counts.responses += 1
        counts.revisits += response.rec_type == "revisit"
        for download in attachments.pop(capture["id"], []):
            _write_attachment(writer, write, archive, download, written, user_agents, counts)
    for downloads in attachments.values():  # attachments whose article capture is not in `snapshots`
        for download in downloads:
            _write_attachment(writer, write, archive, download, written, user_agents, counts)
    for recheck in not_modified_rechecks(archive):
        original = responses.get(recheck["snapshot_id"])
        if original is None:
            continue
        revisit = _not_modified(writer, recheck, original)
        revisit_id = revisit.rec_headers.get_header("WARC-Record-ID")
        user_agent = user_agents.get(recheck["crawl_run_id"]) or DEFAULT_USER_AGENT
        date = warc_date(recheck["checked_at"])
        validators = [
            (k, v)
            for k, v in (("If-None-Match", recheck["etag"]), ("If-Modified-Since", recheck["last_modified"]))
            if v
        ]
        write(revisit, _request(writer, recheck["url"], date, user_agent, revisit_id, validators))
        counts.not_modified += 1
    return counts


def _capture_urn(snapshot_id: int) -> str:
    return f"urn:govnews:capture:{snapshot_id}"


def _response_or_revisit(writer, uri: str, date: str, http, body: bytes, sha256: str | None, written):
    """A response record for bytes not yet written, else a revisit of the first response that held
    them (identical-payload-digest); the record, and the response that holds the payload."""
    earlier = written.get(sha256) if sha256 and body else None  # an empty body: nothing to refer to
    if earlier is not None:
        revisit = writer.create_revisit_record(
            uri,
            earlier.digest,
            earlier.uri,
            earlier.date,
            http_headers=http,
            warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": earlier.record_id},
        )
        revisit.rec_headers.replace_header("WARC-Profile", REVISIT_PROFILES["identical"])
        return revisit, earlier
    response = writer.create_warc_record(
        uri,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )
    holder = _Written(uri, date, response.rec_headers.get_header("WARC-Record-ID"), payload_digest(body))
    if sha256 and body:
        written[sha256] = holder
    return response, holder


def _request(writer, url: str, date: str, user_agent: str, concurrent_to: str, extra: list | None = None):
    """The request as far as the archive knows it: the request line, Host, the crawl's User-Agent
    (and, for a recheck, the validators the crawl sends); nothing it cannot know."""
    from warcio.statusandheaders import StatusAndHeaders

    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), ("User-Agent", user_agent), *(extra or [])]
    return writer.create_warc_record(
        url,
        "request",
        payload=BytesIO(),
        length=0,
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True),
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
    )


def _metadata(writer, urn: str, fetched_at: str, facts: dict, refers_to: str | None):
    payload = json.dumps(facts, ensure_ascii=False, indent=1).encode("utf-8")
    warc_headers = {"WARC-Date": warc_date(fetched_at)}
    if refers_to:
        warc_headers.update({"WARC-Concurrent-To": refers_to, "WARC-Refers-To": refers_to})
    return writer.create_warc_record(
        urn,
        "metadata",
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type="application/json",
        warc_headers_dict=warc_headers,
    )


def _conversion(writer, capture: dict, body: bytes, server: _Written | None):
    """The DOM Chromium rendered: a conversion of the server's response, not a response itself."""
    content_type = next(
        (str(v).split("\n")[-1] for k, v in (capture["headers"] or {}).items() if k.lower() == "content-type"),
        "text/html",
    )
    warc_headers = {"WARC-Date": warc_date(capture["fetched_at"])}
    if server is not None:
        warc_headers["WARC-Refers-To"] = server.record_id
    return writer.create_warc_record(
        capture["url"],
        "conversion",
        payload=BytesIO(body),
        length=len(body),
        warc_content_type=content_type,
        warc_headers_dict=warc_headers,
    )


def _write_attachment(writer, write, archive, download: dict, written, user_agents, counts: WarcCounts) -> None:
    """One download of an attachment: what the `attachments` rows keep of its response (status,
    Content-Type, the bytes) and of its request (the article as Referer)."""
    body = archive.body(download["sha256"])
    date = warc_date(download["fetched_at"])
    headers = [("Content-Type", download["content_type"])] if download["content_type"] else []
    headers.append(("Content-Length", str(len(body))))
    http = _raw_headers()(_status_line(download["status"]), headers, protocol="HTTP/1.1")
    response, _ = _response_or_revisit(writer, download["url"], date, http, body, download["sha256"], written)
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    user_agent = user_agents.get(download["crawl_run_id"]) or DEFAULT_USER_AGENT
    facts = {k: download[k] for k in ("url", "sha256", "size", "status", "content_type", "fetched_at", "crawl_run_id")}
    facts["linked_from"] = download["linked_from"]
    write(
        response,
        _request(writer, download["url"], date, user_agent, response_id, [("Referer", download["page_url"])]),
        _metadata(writer, f"urn:govnews:attachment:{download['id']}", download["fetched_at"], facts, response_id),
    )
    counts.attachments += 1
    counts.revisits += response.rec_type == "revisit"


def _attachment_downloads(archive) -> dict[int | None, list[dict]]:
    """article snapshot id → the attachment downloads whose bytes are kept, each once: rows that
    reuse an earlier download (same URL, time and bytes) are that download's `linked_from`."""
    if "attachments" not in archive.db.table_names():
        return {}
    downloads: dict[tuple, dict] = {}
    rows = archive.db.query(
        "select * from attachments where sha256 is not null and status between 1 and 599 order by id"
    )
    for row in rows:
        key = (row["url"], row["fetched_at"], row["sha256"])
        link = {
            "attachment_id": row["id"],
            "page_url": row["page_url"],
            "snapshot_id": row["snapshot_id"],
            "filename": row["filename"],
        }
        if key in downloads:
            downloads[key]["linked_from"].append(link)
        else:
            downloads[key] = {**row, "linked_from": [link]}
    by_capture: dict[int | None, list[dict]] = {}
    for download in downloads.values():
        by_capture.setdefault(download["snapshot_id"], []).append(download)
    return by_capture


def not_modified_rechecks(archive) -> list[dict]:
    """The 304 rechecks the archive knows of.  A 304 leaves no snapshot: it sets `pages.last_checked`
    (as does a fetch that found the same content, but that one has a snapshot at that time), so
    only each page's latest 304 is known.  Each with the page's last 2xx capture before it (the one
    whose validators were sent) and the crawl run that was going on."""
    if "last_checked" not in archive.db["pages"].columns_dict:
        return []
    rows = archive.db.query(
        """
        select p.url, p.last_checked as checked_at,
          (select s.id from snapshots s where s.url = p.url and s.status = 200
             and s.fetched_at <= p.last_checked order by s.id desc limit 1) as snapshot_id,
          (select r.id from crawl_runs r where r.started_at <= p.last_checked
             and (r.finished_at is null or r.finished_at >= p.last_checked)
             order by r.started_at desc limit 1) as crawl_run_id
        from pages p
        where p.last_checked is not null
          and not exists (select 1 from snapshots s where s.url = p.url and s.fetched_at = p.last_checked)
        order by p.last_checked, p.url
        """
    )
    rechecks = []
    for row in rows:
        if row["snapshot_id"] is None:
            continue
        rechecks.append({**row, **_validators(archive, row["snapshot_id"])})
    return rechecks


def _validators(archive, snapshot_id: int) -> dict:
    """The ETag and Last-Modified of a capture: the validators a recheck sends (crawler/incremental.py,
    from `Archive.known_page`); a header sent twice, the last value."""
    stored = archive.db.execute("select headers from snapshots where id = ?", [snapshot_id]).fetchone()[0]
    headers = {k.lower(): stored_values(v)[-1] for k, v in json.loads(stored or "{}").items()}
    return {"etag": headers.get("etag"), "last_modified": headers.get("last-modified")}


def _not_modified(writer, recheck: dict, original: _Written):
    """A 304 recheck: the status line is all the archive knows of the answer (no headers are kept)."""
    from warcio.statusandheaders import StatusAndHeaders

    revisit = writer.create_revisit_record(
        recheck["url"],
        original.digest,
        original.uri,
        original.date,
        http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": warc_date(recheck["checked_at"]), "WARC-Refers-To": original.record_id},
    )
    revisit.rec_headers.replace_header("WARC-Profile", REVISIT_PROFILES["not-modified"])
    return revisit


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


# --- CDXJ and WACZ -------------------------------------------------------------
def write_cdxj(warc_path: str | Path, out: BinaryIO) -> int:
    """The CDXJ index (sorted, as pywb reads it) of a WARC file, to the binary file ``out``; the
    lines.  Each line names the WARC by its file name, as a pywb collection's archive/ holds it."""
    from cdxj_indexer.main import CDXJIndexer

    buffer = StringIO()
    CDXJIndexer(buffer, [str(warc_path)], sort=True).process_all()
    text = buffer.getvalue()
    out.write(text.encode("utf-8"))
    return text.count("\n")


def page_list(archive) -> list[dict]:
    """pages.jsonl of a WACZ: its header line, then each article page (`pages`) with its title."""
    lines: list[dict] = [{"format": "json-pages-1.0", "id": "pages", "title": "govnews articles"}]
    for row in archive.db.query("select url, title from pages order by first_seen, url"):
        lines.append({"url": row["url"], "title": row["title"] or row["url"]})
    return lines


def export_wacz(archive, output: str) -> WarcCounts:
    """Write the archive's WARC, its index and pages.jsonl as a WACZ (py-wacz) to the file ``output``,
    which appears under its name only once complete."""
    import tempfile

    from wacz.main import main as wacz_main

    with tempfile.TemporaryDirectory(prefix="govnews-wacz-") as folder:
        warc = Path(folder) / "data.warc.gz"
        with open(warc, "wb") as out:
            counts = export_warc(archive, out, gzip=True, filename=warc.name)
        pages = Path(folder) / "pages.jsonl"
        pages.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in page_list(archive)), "utf-8")
        partial = f"{output}.partial"
        try:
            with redirect_stdout(StringIO()) as said:  # py-wacz prints its progress on stdout
                code = wacz_main(["create", "-o", partial, "-p", str(pages), str(warc)])
            if code:
                raise RuntimeError(f"wacz create failed: {said.getvalue().strip()}")
            os.replace(partial, output)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return counts
