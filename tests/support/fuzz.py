"""Hostile inputs for the pure extract → normalize → enrich path, made from the real pages.

`hostile_inputs(seed, count)` yields ``(name, body, url, headers)``: a page of the labeled
corpus (tests/fixtures/corpus/pages) or of the bundled demo sites (crawler/demo/sites) with
one to three mutations applied — random bytes, truncation, byte flips, duplicated tags, NULs
and C0 controls, lying charsets in the headers and in ``<meta>``, hostile URLs in
``href``/``src``/``<base>``/attachment links, deep nesting of unclosed tags and
100k-character lines.  The same seed gives the same inputs (one `random.Random(seed)`).
Used by tests/test_fuzz.py and benchmarks/fuzz.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE_DIRS = (REPO / "tests" / "fixtures" / "corpus" / "pages", REPO / "crawler" / "demo" / "sites")

# URLs that urljoin/urlsplit refuse or that change under NFKC, and plain odd ones.
HOSTILE_URLS = (
    "http://[zz/x.html",
    "http://[::1/x.pdf",
    "http://[::1]]/x.pdf",
    "https://[v1.fe]:80/a.pdf",
    "http://a＃@b/x.pdf",
    "http://a／@b/x.doc",
    "http://ex\uff0fample.com/x.pdf",
    "http://a%@b/x.pdf",
    "http://user:pa:ss@host:99999/x.pdf",
    "http://host:port/x.xlsx",
    "//[/x.pdf",
    "javascript:void(0)",
    "data:image/png;base64,AAAA",
    "\x00http://x/\x01.pdf",
    "http://x/\ud800.pdf",
    "   ",
    "http://" + "a" * 5000 + ".pdf",
    "../" * 200 + "x.pdf",
    "mailto:a@b.c",
    "http://例子.测试/文件.pdf",
    "http://xn--/x.pdf",
    "http://a.b/%zz%.pdf",
    "file:///etc/passwd.pdf",
)
CHARSETS = ("utf-8", "gbk", "gb2312", "big5", "utf-16", "utf-32", "latin-1", "shift_jis", "x-nonsense", "", "utf-7")
C0 = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"]
INLINE_TAGS = ("span", "b", "i", "font", "a", "em", "strong", "u", "small")
TAG_RE = re.compile(rb"<[a-zA-Z][^<>]{0,200}>")


def load_pages() -> list[tuple[str, bytes]]:
    """The real pages, as (url, bytes), in a fixed order."""
    pages = []
    for directory in PAGE_DIRS:
        for path in sorted(directory.rglob("*.htm*")):
            rel = path.relative_to(directory).as_posix()
            pages.append((f"http://www.fuzz.gov.cn/{directory.name}/{rel}", path.read_bytes()))
    return pages


def _at(rng: random.Random, body: bytes) -> int:
    return rng.randrange(len(body) + 1)


def _insert(rng: random.Random, body: bytes, piece: bytes) -> bytes:
    i = _at(rng, body)
    return body[:i] + piece + body[i:]


def _in_body(rng: random.Random, body: bytes, piece: bytes) -> bytes:
    """Insert after a random tag (most often inside the body), else anywhere."""
    tags = [m.end() for m in TAG_RE.finditer(body)]
    i = rng.choice(tags) if tags else _at(rng, body)
    return body[:i] + piece + body[i:]


def random_bytes(rng: random.Random, body: bytes, headers: dict) -> bytes:
    junk = rng.randbytes(rng.randrange(1, 20000))
    return rng.choice((junk, b"<html><body>" + junk, body[: _at(rng, body)] + junk))


def truncate(rng: random.Random, body: bytes, headers: dict) -> bytes:
    return body[: _at(rng, body)]


def flip_bytes(rng: random.Random, body: bytes, headers: dict) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randrange(1, 200)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def duplicate_tags(rng: random.Random, body: bytes, headers: dict) -> bytes:
    tags = list(TAG_RE.finditer(body))
    if not tags:
        return body
    for _ in range(rng.randrange(1, 6)):
        m = rng.choice(tags)
        body = body[: m.end()] + m.group() * rng.randrange(2, 300) + body[m.end() :]
        tags = list(TAG_RE.finditer(body))
    return body


def control_chars(rng: random.Random, body: bytes, headers: dict) -> bytes:
    for _ in range(rng.randrange(1, 40)):
        body = _insert(rng, body, rng.choice(C0).encode() * rng.randrange(1, 4))
    return body


def lying_charset(rng: random.Random, body: bytes, headers: dict) -> bytes:
    charset = rng.choice(CHARSETS)
    if rng.random() < 0.6:
        headers["Content-Type"] = f"text/html; charset={charset}"
    if rng.random() < 0.6:
        meta = rng.choice(CHARSETS).encode()
        body = re.sub(rb"charset=[\"']?[\w-]+", b"charset=" + meta, body, count=1)
        if rng.random() < 0.5:
            body = b'<meta charset="' + meta + b'">' + body
    if rng.random() < 0.2:  # re-encode, so that the declaration really lies
        try:
            body = body.decode("utf-8", "replace").encode(
                rng.choice(("utf-16", "gb18030", "big5", "utf-32")), "replace"
            )
        except LookupError:
            pass
    return body


def hostile_urls(rng: random.Random, body: bytes, headers: dict) -> bytes:
    for _ in range(rng.randrange(1, 5)):
        url = rng.choice(HOSTILE_URLS).encode("utf-8", "surrogatepass")
        piece = rng.choice(
            (
                b'<base href="' + url + b'">',
                b'<a href="' + url + b'">\xe9\x99\x84\xe4\xbb\xb6</a>',
                b'<a href="' + url + b'.pdf">attachment</a>',
                b'<img src="' + url + b'">',
                b'<img data-src="' + url + b'" alt="x">',
                b'<p><img src="' + url + b'"></p><p>\xe5\x9b\xbe\xe7\x89\x87</p>',
            )
        )
        body = _in_body(rng, body, piece) if b"base" not in piece[:6] else _insert(rng, body, piece)
    return body


def deep_nesting(rng: random.Random, body: bytes, headers: dict) -> bytes:
    depth = rng.choice((300, 1000, 1500, 3000, 6000))
    tags = rng.choice((INLINE_TAGS, ("div",), ("p", "span"), ("table", "tr", "td"), ("ul", "li")))
    opening = b"".join(f"<{rng.choice(tags)}>".encode() for _ in range(depth))
    return _in_body(rng, body, opening + "正文".encode() * rng.randrange(1, 50))


def long_line(rng: random.Random, body: bytes, headers: dict) -> bytes:
    unit = rng.choice(("字", "a", "发布时间：2020-04-30 ", "<br>", "&nbsp;", "（记者 ", "| "))
    line = (unit * (100_000 // len(unit) + 1))[:100_000]
    return _in_body(rng, body, line.encode("utf-8"))


MUTATIONS: tuple[Callable[[random.Random, bytes, dict], bytes], ...] = (
    random_bytes,
    truncate,
    flip_bytes,
    duplicate_tags,
    control_chars,
    lying_charset,
    hostile_urls,
    deep_nesting,
    long_line,
)


def hostile_inputs(
    seed: int, count: int, pages: list[tuple[str, bytes]] | None = None
) -> Iterator[tuple[str, bytes, str, dict]]:
    """``count`` inputs ``(name, body, url, headers)``, the same ones for the same seed."""
    pages = pages or load_pages()
    rng = random.Random(seed)
    for n in range(count):
        url, body = rng.choice(pages)
        headers: dict = {}
        applied = []
        for mutation in rng.sample(MUTATIONS, rng.choice((1, 1, 2, 3))):
            body = mutation(rng, body, headers)
            applied.append(mutation.__name__)
        yield f"#{n} {url} {'+'.join(applied)}", body, url, headers
