"""The page as a tree: the HTML parsed as a browser parses it, as an lxml tree, and read back as lines.

lxml's libxml2 parser (huge_tree, one parser a thread) builds the tree, except where it
would build another tree than a browser: a page with content after a ``</body>`` or
``</html>`` end tag (an included header that closes the document, then the article)
loses it in libxml2, so such a page is parsed by lexbor, an HTML5 parser, first.

:func:`block_lines` gives one line per block element, table rows as ``cell | cell``,
images and caption elements as marker lines; beside it, the vocabulary of government
pages that the other modules share: block and dropped tags, the class/id words of page
chrome, the content containers of the common CMSes, and caption classes.
"""

from __future__ import annotations

import re
import threading

import lxml.etree
import lxml.html
from selectolax.lexbor import LexborHTMLParser

from pipelines.errors import ExtractionError

BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "tbody",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "center",
    "form",
    "header",
    "footer",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "hr",
    "main",
    "address",
    "caption",
}
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "object",
    "embed",
    "template",
    "svg",
    "canvas",
    "select",
    "button",
    "input",
    "textarea",
    "map",
    "audio",
    "video",
)
# Class/id words of page chrome around the article (never the article itself).
CHROME_WORDS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|header|top-?bar|footer|foot|bottom|copyright|share|bdshare|"
    r"print|qrcode|ewm|erweima|breadcrumb|crumbs?|location|position|dqwz|weizhi|sidebar|side|"
    r"related|relate|recommend|tuijian|hot|rank|paging|pager|pagination|prev|next|sxp|"
    r"font-?size|zihao|toolbar|tools|comment|login|search|friend-?links?|links?-?box|ad|ads|banner|"
    r"fenxiang|guanbi|dayin)(?:$|[-_\s\d])",
    re.I,
)
# Content containers of the common government CMSes, most specific first: (class tokens, ids).
CONTAINER_MARKS = [
    ({"TRS_Editor"}, set()),
    ({"TRS_UEDITOR"}, set()),
    ({"Custom_UnionStyle"}, set()),
    (set(), {"zoom", "Zoom", "ZOOM", "fontzoom", "UCAP-CONTENT", "ucapcontent"}),
    (
        set(),
        {
            "js_content",
            "artibody",
            "article_content",
            "articleContent",
            "newsContent",
            "news_content",
            "info_content",
            "contentText",
            "content_text",
            "BodyLabel",
            "vsb_content",
            "detailContent",
        },
    ),
    (
        {
            "article-content",
            "article_content",
            "articleContent",
            "news_content",
            "news-content",
            "pages_content",
            "wzcon",
            "view",
            "detail-content",
            "content-text",
            "entry-content",
            "post-content",
            "art_con",
            "xl_content",
        },
        set(),
    ),
]
HAN_RE = re.compile(r"[\u3400-\u9fff]")
IMG_MARK = "\x00img:"
CAPTION_MARK = "\x00caption"
CAPTION_LINE = "\x00cap:"  # the text of a caption element (figcaption, class pic-desc …)
CAPTION_CLASS = re.compile(
    r"(?:caption|pic-?desc|img-?desc|pic_?txt|img_?txt|pic-?text|img-?text|tpsm|imgtitle|"
    r"pic-?title|img-?title|photo-?desc|tuzhu)",
    re.I,
)


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


def _parse(html: str) -> lxml.html.HtmlElement:
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    if ends_before_its_content(html):
        html = browser_serialization(html)
    try:
        root = lxml.html.document_fromstring(html, parser=_huge_parser())
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}") from exc
    return root


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
_SELF_CLOSED = re.compile(
    r"<(?!(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)\b)([A-Za-z][\w:-]*)"
    r"""(\s[^<>]*?[\s"'])?/>"""
)


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def nests_deeper_than(root, depth: int) -> bool:
    """Whether the tree nests more than ``depth`` levels (the root is 1; a comment or PI is a level,
    as a child in lxml's iteration), asked of libxml2: one XPath step a level, in C, not a Python
    step an element. The path goes depth - 1 element steps below the root, then to any child but text."""
    return depth < 1 or bool(root.xpath("boolean(" + "*/" * (depth - 1) + "node()[not(self::text())])"))


def _is_hidden(element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or element.get("hidden") is not None


def block_lines(element, images: list | None = None) -> list[str]:
    """The element's text as lines: one per block element, table rows as ``cell | cell``.

    Images become marker lines (``\\x00img:N``, N indexing ``images``) so that a
    caption right after an image can be told apart from the text.
    """
    lines: list[str] = []
    current: list[str] = []

    def flush():
        line = " ".join("".join(current).split()) if current else ""
        # Keep full-width indentation out, but keep the spacing inside the line as the page had it.
        raw = "".join(current).strip(" \t\r\n\u3000\u00a0")
        if line:
            lines.append(re.sub(r"[\r\n\t]+", " ", raw))
        current.clear()

    # An explicit stack, not recursion: a page of a thousand unclosed <span>s nests that deep.
    # Entries are (element, None) to enter an element, (element, kind) to finish it after its children.
    stack: list[tuple] = [(child, None) for child in reversed(element)]
    if element.text:
        current.append(element.text)
    while stack:
        el, kind = stack.pop()
        if kind is not None:  # the element's children are done
            if kind == "layout_row":
                flush()
                if el.tail:  # the row's tail, taken once by the row and once as any element's
                    current.append(el.tail)
            elif kind == "nested_row" or kind == "block" or el.tag == "br":
                flush()
            if el.tail:
                current.append(el.tail)
            continue
        if not isinstance(el.tag, str):  # comments (CMS markers such as <!--<$[信息内容]>begin-->), PIs
            if el.tail:
                current.append(el.tail)
            continue
        tag = el.tag
        if tag in DROP_TAGS or (tag and _is_hidden(el)):
            if el.tail:
                current.append(el.tail)
            continue
        if _is_caption_element(el):
            flush()
            caption = _text(el)
            if caption:
                lines.append(CAPTION_LINE + caption)
        elif tag == "img" and images is not None:
            flush()
            images.append(el)
            lines.append(f"{IMG_MARK}{len(images) - 1}")
        elif tag == "tr" and _is_layout_row(el):
            flush()
            if el.text:
                current.append(el.text)
            stack.append((el, "layout_row"))
            stack.extend((child, None) for child in reversed(el))
            continue
        elif tag == "tr":
            flush()
            if next(el.iterdescendants("table"), None) is not None:
                stack.append((el, "nested_row"))
                stack.extend((child, None) for child in reversed(el))
                continue
            cells = [_text(c) for c in el if isinstance(c.tag, str) and c.tag in ("td", "th")]
            row = " | ".join(c for c in cells if c)
            if row:
                lines.append(row)
            for img in el.iterdescendants("img"):
                if images is not None:
                    images.append(img)
                    lines.append(f"{IMG_MARK}{len(images) - 1}")
        else:
            block = tag in BLOCK_TAGS
            if block:
                flush()
            if el.text:
                current.append(el.text)
            stack.append((el, "block" if block else "inline"))
            stack.extend((child, None) for child in reversed(el))
            continue
        if el.tail:
            current.append(el.tail)
    flush()
    return lines


LAYOUT_CELL_CONTENT = "p", "div", "br", "table", "ul", "ol", "h1", "h2", "h3", "h4", "center", "dl"


def _is_layout_row(row) -> bool:
    """A table row used for page layout (one cell, or cells holding paragraphs), not a data row."""
    cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if len(cells) <= 1:
        return True
    # One walk of each cell in C, stopping at the first such tag (a find per tag walked it once a tag).
    return any(next(c.iterdescendants(*LAYOUT_CELL_CONTENT), None) is not None for c in cells)


def _is_caption_element(el) -> bool:
    return el.tag == "figcaption" or (
        el.tag in ("p", "div", "span", "td") and bool(CAPTION_CLASS.search(el.get("class", "")))
    )
