"""What an attachment (附件) is and what it is called: the pure half of the attachments pipeline.

Which links are attachments (file types Chinese government sites attach, by extension and by
Content-Type), which are worth a request, whether a body is a file, whether a host is the
article's site, a file's name from Content-Disposition (RFC 6266/5987, and the raw GBK or UTF-8
bytes servers send), and which earlier outcomes need no new request. No Scrapy here: tested on its
own, used by `pipelines/attachments.py`.
"""

from __future__ import annotations

import email.header
import re
from urllib.parse import unquote, unquote_to_bytes, urlsplit

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
    """A name fit to save a file under: last path segment, no control or bidi characters, at most
    MAX_FILENAME characters (the extension kept); None when nothing is left."""
    if not name:
        return None
    name = re.split(r"[/\\]", name.replace("\x00", ""))[-1]
    # control characters, and the bidi controls that make a name read as another (invoice\u202efdp.exe)
    name = re.sub(r"[\x00-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", name)
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
