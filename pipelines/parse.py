"""The HTML parsed as a browser parses it, into an lxml tree: for the article's extraction and
for the links of a list page alike.

lxml's libxml2 parser (huge_tree, one parser a thread) builds the tree, except where it would
build another tree than a browser:

- a page with content after a ``</body>`` or ``</html>`` end tag (an included header that closes
  the document, then the article or the list) loses it in libxml2, so such a page is parsed by
  lexbor, an HTML5 parser, first;
- libxml2 stops building the tree at 2,048 levels of nesting (a page of unclosed ``<div>`` or
  ``<font>`` tags): everything after that point is lost. A browser keeps it: Blink puts the
  elements past 512 levels beside the deepest one. Such a page is parsed again with the elements
  past BROWSER_MAX_DEPTH emptied, so that their content follows them at that level, as in Blink.
"""

from __future__ import annotations

import re
import threading

import lxml.etree
import lxml.html
from selectolax.lexbor import LexborHTMLParser

from pipelines.errors import ExtractionError

# huge_tree: libxml2 otherwise drops everything after 10 MB of one text or attribute (an inline
# data: image); pages are capped at MAX_PAGE_BYTES anyway. One parser a thread: lxml parsers
# are not to be shared between threads.
_parsers = threading.local()


def _huge_parser() -> lxml.html.HTMLParser:
    if not hasattr(_parsers, "html"):
        _parsers.html = lxml.html.HTMLParser(huge_tree=True)
        # HtmlElement for every element, chosen in C: lxml.html's own lookup is Python code that runs
        # for every element object made (half a million a hundred pages, in our walks and in
        # trafilatura's), to give <form>, <input>, <select> … form classes this project never uses.
        _parsers.html.set_element_class_lookup(
            lxml.etree.ElementDefaultClassLookup(
                element=lxml.html.HtmlElement,
                comment=lxml.html.HtmlComment,
                pi=lxml.html.HtmlProcessingInstruction,
                entity=lxml.html.HtmlEntity,
            )
        )
    return _parsers.html


def parse_html(html: str) -> lxml.html.HtmlElement:
    """The page's tree, as a browser builds it (see the module's docstring)."""
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    if ends_before_its_content(html):
        html = browser_serialization(html)
    root = _libxml2_tree(html)
    if _too_deep_for_libxml2():
        root = _libxml2_tree(flatten_deep_nesting(html))
    return root


def _libxml2_tree(html: str) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(html, parser=_huge_parser())
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}") from exc


def _too_deep_for_libxml2() -> bool:
    """Whether the last parse reached libxml2's depth limit, where it stops building the tree."""
    return any("Excessive depth" in error.message for error in _huge_parser().error_log)


# </body> and </html>; libxml2 stops at the first </html> (what follows is lost) and puts what
# follows a </body> beside the body, where a browser goes on with the body (HTML5 "after body":
# any content reopens it).
_DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.I)
# What changes nothing in a browser's body: comments, scripts, styles, end tags, a doctype, space.
_INERT = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)|</[^>]*(?:>|\Z)|<![^>]*(?:>|\Z)|&nbsp;|\s+", re.I | re.S
)


def ends_before_its_content(html: str) -> bool:
    """Whether a </body> or </html> end tag comes before more of the page (text or elements),
    outside comments and scripts: there libxml2's tree would lose or misplace that content."""
    end = _DOCUMENT_END.search(html)
    if end is None or not _holds_content(html, end.end()):
        return False  # no end tag, or nothing but scripts, comments and end tags after it: the usual page
    # An end tag inside a script (document.write("</body>")) or a comment does not count: look again
    # with those removed. Only pages with something after their first end tag pay for this.
    live = re.sub(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", "", html, flags=re.I | re.S)
    end = _DOCUMENT_END.search(live)
    return end is not None and _holds_content(live, end.end())


def _holds_content(html: str, start: int) -> bool:
    """Whether ``html[start:]`` holds anything but comments, scripts, end tags and space; stops at the first."""
    pos = start
    for inert in _INERT.finditer(html, start):
        if inert.start() > pos:
            return True
        pos = inert.end()
    return pos < len(html)


# lexbor's tree construction costs a walk of the open elements per tag (as a browser's does): quadratic
# in the depth, 0.5 s at 20,000 nested tags. A page with more tags than this is not given to it.
LEXBOR_MAX_TAGS = 20_000
_START_TAG = re.compile(r"<[A-Za-z]")


def browser_serialization(html: str) -> str:
    """The page as an HTML5 parser (lexbor) builds it, serialized again: one html, head and body,
    whatever end tags came early; libxml2 parses that into the same tree.

    A page of more than LEXBOR_MAX_TAGS tags loses its </body> and </html> end tags instead (linear),
    which is what they amount to in a browser when content follows them: the body goes on."""
    if sum(1 for _ in zip(range(LEXBOR_MAX_TAGS + 1), _START_TAG.finditer(html))) > LEXBOR_MAX_TAGS:
        return _DOCUMENT_END.sub("", html)
    return LexborHTMLParser(_SELF_CLOSED.sub(r"<\1\2></\1>", html)).html or html


# XHTML's self-closed elements (<a name="top"/>, <div class="clear"/>): libxml2 closes them, an HTML5
# parser opens them, and an <a> left open would make the whole article link text. Both parsers are
# given them closed, as their authors meant (XHTML quotes its attributes: <a href=/xw/> is an HTML link).
VOID_ELEMENTS = (
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
)
_SELF_CLOSED = re.compile(rf"<(?!(?:{'|'.join(VOID_ELEMENTS)})\b)([A-Za-z][\w:-]*)" r"""(\s[^<>]*?[\s"'])?/>""")


# Blink's kMaximumHTMLParserDOMTreeDepth: deeper elements are attached beside the deepest open one.
BROWSER_MAX_DEPTH = 512
# A tag, or what holds no tags (a comment, a script, a style …), kept as it is. `[^<>]`, not `[^>]`:
# a `<` with no `>` after it then costs one step, not a scan to the end of the page.
_TAG_OR_RAW_TEXT = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp|noscript)\b[^<>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([A-Za-z][^\s/<>]*)([^<>]*)>",
    re.I | re.S,
)
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
# An end tag closes the nearest open element of its name among the innermost few; further out it
# is left to the parser (a bound, so that a run of stray end tags costs linear time).
_END_TAG_REACH = 16


def flatten_deep_nesting(html: str, max_depth: int = BROWSER_MAX_DEPTH) -> str:
    """The page with every element that opens deeper than ``max_depth`` emptied (``<div>`` becomes
    ``<div></div>``, and its end tag goes): its content follows it at that depth, as a browser
    attaches it. Linear in the page's size; the depth is counted as the tags open and close."""
    out: list[str] = []
    kept_until = 0
    open_elements: list[tuple[str, bool]] = []  # (name, whether its end tag is kept)
    for match in _TAG_OR_RAW_TEXT.finditer(html):
        name = (match.group(3) or "").lower()
        if not name or name in VOID_ELEMENTS or match.group(4).endswith("/"):
            continue
        if match.group(2):  # an end tag
            innermost = len(open_elements) - 1
            for i in range(innermost, max(-1, innermost - _END_TAG_REACH), -1):
                if open_elements[i][0] == name:
                    kept = open_elements[i][1]
                    del open_elements[i:]
                    if not kept:
                        out.append(html[kept_until : match.start()])
                        kept_until = match.end()
                    break
            continue
        if name in ("p", "li") and open_elements and open_elements[-1][0] == name:
            open_elements.pop()  # <p> closes an open <p>, <li> an open <li>
        if len(open_elements) < max_depth:
            open_elements.append((name, True))
        else:
            out.append(html[kept_until : match.end()] + f"</{name}>")
            kept_until = match.end()
            open_elements.append((name, False))
    out.append(html[kept_until:])
    return "".join(out)
