"""Decoding: a page's raw bytes as text — BOM, HTTP charset, ``<meta>`` charset, then what decodes cleanly.

Declared charsets are often wrong on these sites (GBK bytes declared gb2312, or utf-8
declared for GBK), so a declaration whose decoding is full of replacement characters
loses to one that decodes cleanly; an empty or binary body (an image, a PDF, an archive)
raises :class:`ExtractionError` with the reason.
"""

from __future__ import annotations

import re

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
)

from pipelines.errors import ExtractionError

BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"Rar!",
    b"\x1f\x8b",
    b"\xd0\xcf\x11\xe0",
    b"7z\xbc\xaf",
    b"BM",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
)
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "utf8": "utf-8",
}


def decode_page(body: bytes | str, headers: dict | None = None) -> str:
    """The page as text: BOM, HTTP charset, <meta> charset, then what decodes cleanly.

    Declared charsets are often wrong on these sites (GBK bytes declared gb2312,
    or utf-8 declared for GBK): a declaration whose decoding is full of
    replacement characters loses to one that decodes cleanly.
    """
    if isinstance(body, str):
        return body
    if not body or not body.strip():
        raise ExtractionError("empty page: no content in the response body")
    head = body[:16].lstrip()
    if head.startswith(BINARY_MAGIC) or body[:4096].count(b"\x00") > 8:
        raise ExtractionError("not an HTML page: the body is binary data")
    content_type = _header(headers, "content-type") or ""
    declared = [http_content_type_encoding(content_type), html_body_declared_encoding(body[:4096])]
    tried: list[tuple[str, str]] = []
    for encoding in [*declared, "utf-8", "gb18030", "big5hkscs"]:
        if not encoding:
            continue
        encoding = CHARSET_ALIASES.get(encoding.lower(), encoding.lower())
        if encoding in (e for e, _ in tried):
            continue
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        tried.append((encoding, text))
        if bad <= max(2, len(text) // 5000):
            return text.lstrip("\ufeff")
    if tried:
        return min(tried, key=lambda pair: pair[1].count("\ufffd"))[1].lstrip("\ufeff")
    return html_to_unicode(content_type, body)[1]


# C0 control characters but tab, newline and carriage return: lxml refuses strings holding them
# ("All strings must be XML compatible"), and the body's line markers start with NUL.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]+")


def strip_controls(text: str) -> str:
    """The decoded page without C0 control characters (tab, newline and CR stay); the raw capture keeps them."""
    return _CONTROLS.sub("", text)


def _header(headers: dict | None, name: str) -> str | None:
    """A stored header's value; of one sent several times (stored a value per line), the last."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value).split("\n")[-1]  # at "\n" only: a value may hold \x85 or U+2028
    return None
