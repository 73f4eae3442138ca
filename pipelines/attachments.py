"""Attachments (附件): the files an article links to, downloaded during the crawl and kept by digest.

The pipeline (between enrich and archive in ITEM_PIPELINES) is a thin adapter: for each of the
record's ``attachments`` it asks the engine for the file, through the downloader middlewares
(robots.txt, retries, redirects, politeness) and within ``GOVNEWS_ATTACHMENT_MAXSIZE`` (the
downloader cancels an oversize file, it is never read whole), then writes one ``attachments`` row
per article and file: the bytes in the content-addressed ``bodies`` table, or ``error`` saying why
not. The decisions are pure functions below (which links are attachments, a file's name from
Content-Disposition, which earlier rows need no new request), tested on their own.

Settings: ``GOVNEWS_ATTACHMENT_ENABLED`` (True), ``GOVNEWS_ATTACHMENT_MAXSIZE`` (bytes, 50 MB),
``GOVNEWS_ATTACHMENT_HOSTS`` (``site``: the article's site and its subdomains; ``any``),
``GOVNEWS_ATTACHMENT_REFRESH`` (False: a file the archive already has for a page is not fetched
again).
"""

from __future__ import annotations

import email.header
import logging
import re
from urllib.parse import unquote, unquote_to_bytes, urldefrag, urlsplit

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError, Deferred

from crawler.archive_run import ArchiveRun
from crawler.common import utcnow

logger = logging.getLogger(__name__)

STATS = "govnews/attachments"

# The file types Chinese government sites attach: Office and WPS (wps/et/dps), OFD (the national
# fixed-layout format), PDF, CEB/CAJ, archives, plain text and tables.
ATTACHMENT_EXTENSIONS = frozenset(
    {
        "pdf",
        "ofd",
        "ceb",
        "caj",
        "doc",
        "docx",
        "docm",
        "dot",
        "dotx",
        "rtf",
        "odt",
        "wps",
        "wpt",
        "xls",
        "xlsx",
        "xlsm",
        "xlt",
        "xltx",
        "csv",
        "ods",
        "et",
        "ett",
        "ppt",
        "pptx",
        "pps",
        "ppsx",
        "odp",
        "dps",
        "dpt",
        "zip",
        "rar",
        "7z",
        "tar",
        "gz",
        "tgz",
        "bz2",
        "txt",
    }
)
# Links that are web pages or media, never 附件 (a download script such as down.jsp?id= is tried).
NOT_ATTACHMENT_EXTENSIONS = frozenset(
    {
        "html",
        "htm",
        "shtml",
        "xhtml",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "webp",
        "svg",
        "ico",
        "css",
        "js",
        "mp4",
        "mp3",
        "avi",
        "flv",
        "mov",
        "wmv",
        "swf",
        "exe",
        "apk",
    }
)
ATTACHMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/ofd",
        "application/x-ofd",
        "application/msword",
        "application/rtf",
        "text/rtf",
        "application/kswps",
        "application/wps",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-works",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-zip",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-rar",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "text/csv",
        "text/plain",
    }
)
ATTACHMENT_TYPE_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-word.",
    "application/vnd.ms-excel.",
    "application/vnd.ms-powerpoint.",
    "application/wps-office.",
    "application/vnd.wps",
)
# Servers that send every download as generic bytes.
GENERIC_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/x-download",
        "application/force-download",
        "application/download",
        "application/x-msdownload",
        "application/unknown",
    }
)
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Download scripts: their name is no file name (``down.jsp`` serving a PDF is saved as ``down.pdf``).
SCRIPT_EXTENSIONS = frozenset({"jsp", "do", "action", "asp", "aspx", "php", "cgi", "ashx", "jspx"})
# What a file's name lacks when the link text is all there is.
TYPE_EXTENSIONS = {
    "application/pdf": "pdf",
    "application/ofd": "ofd",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/vnd.rar": "rar",
    "application/x-rar-compressed": "rar",
    "application/x-7z-compressed": "7z",
    "application/kswps": "wps",
    "application/rtf": "rtf",
    "text/plain": "txt",
    "text/csv": "csv",
}
# Leading bytes of the common attachment formats (a file a server mislabels as text/html).
MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"{\\rtf",
    b"\x1f\x8b",
)
# Link texts that say "download" rather than name the file.
GENERIC_LINK_TEXTS = re.compile(
    r"^(?:附件\d*|相关附件|附件下载|下载附件|下载|点击下载|点此下载|点击此处下载|立即下载|文件下载|原文下载|"
    r"查看|点击查看|查看附件|浏览|打开|download|file|attachment|pdf|pdf版|word版|excel版)[:：]?$",
    re.I,
)
MAX_FILENAME = 240

# `error` prefixes: answers that are final (a later crawl does not ask again) start with these.
TOO_LARGE = "too large"
NOT_AN_ATTACHMENT = "not an attachment"
ROBOTS = "forbidden by robots.txt"
FINAL_ERRORS = (TOO_LARGE, NOT_AN_ATTACHMENT, ROBOTS)


# --- pure helpers ----------------------------------------------------------------------------


def mime_type(content_type: str | bytes | None) -> str:
    """``application/pdf`` from ``Application/PDF; charset=binary``; "" for none."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";", 1)[0].strip().lower()


def name_extension(name: str | None) -> str:
    """The lower-case extension of a file name (``pdf``), "" when it has none."""
    name = (name or "").rstrip().rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def url_extension(url: str) -> str:
    """The extension of the last segment of a URL's path (the query is not looked at)."""
    return name_extension(unquote(urlsplit(url).path))


def is_attachment(url: str, content_type: str | bytes | None = None) -> bool:
    """Whether `url` (served as `content_type`, when known) is a 附件 rather than a page or image.

    A document or archive type says yes, a web page type says no (a soft-404 page served for a
    ``.pdf`` link is not the file), and otherwise the URL's extension decides; generic bytes
    (``application/octet-stream``) count for any URL that is not a page or an image.
    """
    mime = mime_type(content_type)
    if mime in ATTACHMENT_TYPES or mime.startswith(ATTACHMENT_TYPE_PREFIXES):
        return True
    if mime in PAGE_TYPES:
        return False
    extension = url_extension(url)
    if extension in ATTACHMENT_EXTENSIONS:
        return True
    return mime in GENERIC_TYPES and extension not in NOT_ATTACHMENT_EXTENSIONS


def worth_fetching(url: str) -> bool:
    """Whether a link the extractor listed may be a file: an attachment extension, or a URL
    without a page or image extension (a download script: ``down.jsp?fileid=…``)."""
    return urlsplit(url).scheme in ("http", "https") and (
        is_attachment(url) or url_extension(url) not in NOT_ATTACHMENT_EXTENSIONS
    )


def looks_like_file(body: bytes) -> bool:
    """The body starts like a PDF, an Office/WPS/ZIP/OLE document or an archive."""
    return body.startswith(MAGIC)


def same_site(url: str, page_url: str, allowed_domains=()) -> bool:
    """`url` is on the article's host, a host of the site, or a subdomain of either once a
    leading ``www.`` is set aside (``www.weidu.gov.cn`` keeps its files on ``file.weidu.gov.cn``)."""
    host = (urlsplit(url).hostname or "").lower()
    for domain in (urlsplit(page_url).hostname or "", *allowed_domains):
        domain = domain.lower().split(":", 1)[0]
        domain = domain[4:] if domain.startswith("www.") and domain.count(".") >= 2 else domain
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _decode_name(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when valid, else GB18030 (GBK sites), else Latin-1."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _percent_decoded(raw: bytes, plus_is_space: bool = False) -> str:
    if plus_is_space:
        raw = raw.replace(b"+", b" ")
    return _decode_name(unquote_to_bytes(raw))


_PARAM = re.compile(rb';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")


def parse_content_disposition(value: bytes | str | None) -> tuple[str, dict[str, bytes]]:
    """The disposition type (``attachment``/``inline``, lower case) and the raw parameter bytes
    (names lower case, quotes and backslash escapes removed)."""
    if value is None:
        return "", {}
    if isinstance(value, str):
        value = (
            value.encode("latin-1", errors="ignore")
            if value.isascii() or max(map(ord, value)) < 256
            else value.encode("utf-8")
        )
    kind, _, rest = value.partition(b";")
    params: dict[str, bytes] = {}
    for match in _PARAM.finditer(b";" + rest):
        name, raw = match[1].decode("latin-1").lower(), match[2].strip()
        if raw.startswith(b'"'):
            raw = re.sub(rb"\\(.)", rb"\1", raw[1:-1] if raw.endswith(b'"') and len(raw) > 1 else raw[1:])
        params.setdefault(name, raw)
    return kind.strip().decode("latin-1").lower(), params


def _extended_value(raw: bytes) -> str | None:
    """An RFC 5987 ``charset'language'percent-encoded`` value (``UTF-8''%E9%99%84…``)."""
    parts = raw.strip(b'"').split(b"'", 2)
    if len(parts) != 3:
        return _percent_decoded(raw) if raw else None
    charset = parts[0].decode("latin-1").strip() or "utf-8"
    data = unquote_to_bytes(parts[2])
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return _decode_name(data)


def _plain_value(raw: bytes) -> str:
    """A ``filename=`` value as servers send it: raw UTF-8 or GBK bytes, percent-encoded bytes
    (``URLEncoder`` style, ``+`` for a space), or MIME encoded words (``=?UTF-8?B?…?=``)."""
    if b"=?" in raw and b"?=" in raw:
        try:
            return str(email.header.make_header(email.header.decode_header(raw.decode("latin-1"))))
        except (ValueError, LookupError, UnicodeDecodeError, email.errors.HeaderParseError):
            pass
    if _PERCENT.search(raw):
        decoded = _percent_decoded(raw, plus_is_space=b" " not in raw)
        if decoded != raw.decode("latin-1"):
            return decoded
    return _decode_name(raw)


def clean_filename(name: str | None) -> str | None:
    """A name fit to save a file under: last path segment, no control characters, at most
    MAX_FILENAME characters (the extension kept); None when nothing is left."""
    if not name:
        return None
    name = re.split(r"[/\\]", name.replace("\x00", ""))[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return None
    if len(name) > MAX_FILENAME:
        extension = name_extension(name)
        keep = MAX_FILENAME - len(extension) - 1 if extension else MAX_FILENAME
        name = name[:keep] + ("." + extension if extension else "")
    return name


def content_disposition_filename(value: bytes | str | None) -> str | None:
    """The file name a Content-Disposition header gives: ``filename*`` (RFC 5987/6266) first,
    then ``filename`` in whatever encoding the server used; None when it names none."""
    _, params = parse_content_disposition(value)
    name = None
    if params.get("filename*"):
        name = _extended_value(params["filename*"])
    if not name and params.get("filename"):
        name = _plain_value(params["filename"])
    return clean_filename(name)


def attachment_filename(
    content_disposition: bytes | str | None, link_text: str | None, url: str, content_type: str | bytes | None = None
) -> str | None:
    """The attachment's name: from Content-Disposition, else the link text (unless it only says
    下载 and the like), else the URL's last segment; a name without a file extension gets the
    one of its URL or its content type."""
    name = content_disposition_filename(content_disposition)
    if name:
        return name
    extension = url_extension(url)
    if extension not in ATTACHMENT_EXTENSIONS:
        extension = TYPE_EXTENSIONS.get(mime_type(content_type), "")
    text = clean_filename(link_text)
    if text and not GENERIC_LINK_TEXTS.match(text):
        name = text
    else:
        name = clean_filename(_percent_decoded(urlsplit(url).path.rsplit("/", 1)[-1].encode("utf-8")))
        if name and extension and name_extension(name) in SCRIPT_EXTENSIONS:
            name = name.rsplit(".", 1)[0]
    if name and extension and name_extension(name) not in ATTACHMENT_EXTENSIONS:
        name = clean_filename(f"{name}.{extension}")
    return name


def settled(row: dict | None) -> bool:
    """Whether an earlier attachments row makes a new request pointless: its bytes are kept, or
    the answer was final (a 4xx other than 408/429, over the size limit, not a file, forbidden
    by robots.txt).
    Connection errors, timeouts and 5xx answers are tried again by the next crawl."""
    if not row:
        return False
    if row.get("sha256"):
        return True
    status = row.get("status") or 0
    if 400 <= status < 500 and status not in (408, 429):
        return True
    return (row.get("error") or "").startswith(FINAL_ERRORS)


# --- the pipeline ----------------------------------------------------------------------------


class AttachmentsPipeline:
    """Downloads each article's attachments with the engine and archives them by digest."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("GOVNEWS_ATTACHMENT_ENABLED"):
            raise NotConfigured("GOVNEWS_ATTACHMENT_ENABLED is off")
        self.crawler = crawler
        self.maxsize = settings.getint("GOVNEWS_ATTACHMENT_MAXSIZE")
        self.hosts = str(settings.get("GOVNEWS_ATTACHMENT_HOSTS")).strip().lower()
        if self.hosts not in ("site", "any"):
            raise ValueError(f"GOVNEWS_ATTACHMENT_HOSTS must be 'site' or 'any', not {self.hosts!r}")
        self.refresh = settings.getbool("GOVNEWS_ATTACHMENT_REFRESH")
        self.stats = crawler.stats
        # This crawl's answer for each attachment URL (no body: the bytes are in the archive),
        # and the articles waiting for a download another article started.
        self._outcomes: dict[str, dict] = {}
        self._waiting: dict[str, list[Deferred]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.archive = ArchiveRun.of(self.crawler).archive  # the connection the other stages share

    def _count(self, what: str) -> None:
        self.stats.inc_value(f"{STATS}/{what}")

    async def process_item(self, item):
        if item.failure is not None or item.record is None or not item.record.attachments:
            return item
        for link in item.record.attachments:
            try:
                await self._attachment(item, link)
            except Exception:  # a bug here must not lose the article
                logger.exception("attachment %s of %s failed", link, item.url)
                self._count("failed")
        return item

    def _skip(self, why: str) -> None:
        self._count("skipped")
        self._count(f"skipped/{why}")

    async def _attachment(self, item, link: dict) -> None:
        url = urldefrag((link.get("url") or "").strip())[0]
        if not worth_fetching(url):
            return self._skip("not_attachment")
        allowed = (item.site_config or {}).get("allowed_domains") or ()
        if self.hosts == "site" and not same_site(url, item.url, allowed):
            return self._skip("offsite")
        if not self.refresh and settled(self.archive.known_attachment(item.url, url)):
            return self._skip("known")
        where = {"page_url": item.url, "snapshot_id": item.snapshot_id, "crawl_run_id": item.crawl_run_id}
        outcome = self._outcomes.get(url)
        if outcome is None and url in self._waiting:  # another article is fetching it right now
            waiter: Deferred = Deferred()
            self._waiting[url].append(waiter)
            outcome = await maybe_deferred_to_future(waiter)
        if outcome is None and not self.refresh:
            outcome = self._stored_elsewhere(url)
        if outcome is not None:  # fetched already: a row for this article, no request
            if outcome.get("sha256"):
                self._count("reused")
            self._add_row(url, link, outcome, **where)
            return None
        self._waiting[url] = []
        shared = {"status": 0, "error": "not fetched: the download failed unexpectedly"}
        try:
            outcome, body = await self._download(url, item.url)
            digest = self._add_row(url, link, outcome, body=body, **where)
            shared = {**outcome, "sha256": digest, "size": len(body) if body is not None else None}
        finally:
            self._outcomes[url] = shared
            for waiter in self._waiting.pop(url, []):
                waiter.callback(shared)
        return None

    def _stored_elsewhere(self, url: str) -> dict | None:
        """The bytes of `url` kept by an earlier crawl for another article: no new request."""
        row = self.archive.stored_attachment(url)
        if row is None:
            return None
        # The name and time are those of the download the bytes came from.
        outcome = {k: row[k] for k in ("status", "content_type", "sha256", "size", "filename", "fetched_at")}
        self._outcomes[url] = outcome
        return outcome

    def _add_row(self, url: str, link: dict, outcome: dict, *, body: bytes | None = None, **where) -> str | None:
        filename = outcome.get("filename") or attachment_filename(
            outcome.get("content_disposition"), link.get("name"), url, outcome.get("content_type")
        )
        row = self.archive.add_attachment(
            url=url,
            filename=filename,
            body=body,
            content_type=outcome.get("content_type"),
            status=outcome.get("status"),
            sha256=outcome.get("sha256"),
            size=outcome.get("size"),
            fetched_at=outcome.get("fetched_at") or utcnow(),
            error=outcome.get("error"),
            **where,
        )
        if outcome.get("error"):
            self._count("failed")
            logger.info("attachment %s of %s not kept: %s", url, where["page_url"], outcome["error"])
        else:
            self._count("stored")
            # crawl_runs.attachments: the files this crawl archived (CapturePipeline reads it).
            self.stats.inc_value(STATS)
        return row["sha256"]

    async def _download(self, url: str, page_url: str) -> tuple[dict, bytes | None]:
        """The server's answer for `url` (status, type, name, error) and the bytes to keep, if any."""
        request = Request(
            url,
            headers={"Referer": page_url},  # RefererMiddleware is a spider middleware; servers check it
            meta={"download_maxsize": self.maxsize, "allow_offsite": True, "govnews_attachment": True},
        )
        self._count("requests")
        outcome: dict = {"status": 0, "fetched_at": utcnow()}
        try:
            response = await self.crawler.engine.download_async(request)
        except (DownloadCancelledError, CancelledError) as exc:
            # The downloader's size limit: cancelled on the Content-Length, or once past it.
            declared = re.search(r"receive (\d+) bytes", str(exc))
            outcome["error"] = (
                f"{TOO_LARGE}: "
                + (f"{declared[1]} bytes, " if declared else "")
                + f"over GOVNEWS_ATTACHMENT_MAXSIZE ({self.maxsize} bytes)"
            )
            return outcome, None
        except IgnoreRequest as exc:  # a downloader middleware said no
            if "robots.txt" in str(exc):
                outcome["error"] = ROBOTS
            elif "DOWNLOAD_MAXSIZE" in str(exc):  # larger than the limit once decompressed
                outcome["error"] = (
                    f"{TOO_LARGE}: over GOVNEWS_ATTACHMENT_MAXSIZE ({self.maxsize} bytes) once decompressed"
                )
            else:
                outcome["error"] = f"not fetched: {exc}"
            return outcome, None
        except Exception as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}"
            return outcome, None
        outcome["fetched_at"] = utcnow()
        outcome["status"] = response.status
        content_type = response.headers.get(b"Content-Type")
        outcome["content_type"] = content_type.decode("latin-1") if content_type else None
        disposition = response.headers.get(b"Content-Disposition")
        outcome["content_disposition"] = disposition
        if response.status >= 400:
            outcome["error"] = f"HTTP {response.status}"
            return outcome, None
        body = response.body
        if self.maxsize and len(body) > self.maxsize:  # a download handler that ignored the limit
            outcome["error"] = f"{TOO_LARGE}: {len(body)} bytes, over GOVNEWS_ATTACHMENT_MAXSIZE ({self.maxsize} bytes)"
            return outcome, None
        kind, _ = parse_content_disposition(disposition)
        named = content_disposition_filename(disposition)
        if not (
            is_attachment(response.url, content_type)
            or is_attachment(url, content_type)
            or kind == "attachment"
            or name_extension(named) in ATTACHMENT_EXTENSIONS
            or looks_like_file(body)
        ):
            outcome["error"] = f"{NOT_AN_ATTACHMENT}: served as {mime_type(content_type) or 'no type'}"
            return outcome, None
        return outcome, body
