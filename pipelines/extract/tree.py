"""The page as a tree, read back as lines, and the vocabulary of its chrome and containers.

The tree is the one a browser builds (pipelines/parse.py).

:func:`block_lines` gives one line per block element, table rows as ``cell | cell``,
images and caption elements as marker lines; beside it, the vocabulary of government
pages that the other modules share: block and dropped tags, the class/id words of page
chrome, the content containers of the common CMSes, and caption classes.
"""

from __future__ import annotations

import re

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
