"""Extract an article record from a page's raw bytes (a pure function: no Scrapy, no network).

    record = extract(body_bytes, "http://www.example.gov.cn/zwxx/t20200430_1.html",
                     headers={"Content-Type": "text/html; charset=gb2312"})

Government sites share a handful of CMS families (TRS WCM, Hanweb JCMS, the
provincial intensive platforms, old ASP/PHP systems) and their conventions, so
the rules below come first and trafilatura is the general fallback:

* **metadata, in order of trust** — the CMS ``<meta>`` tags (``ArticleTitle``,
  ``PubDate``, ``ContentSource``, ``SiteName``, ``SiteIDCode`` …), then the
  labelled info bar (``发布时间：… 来源：… 浏览：…``, Simplified or Traditional,
  any colon, ``【】`` brackets), then end-of-body bylines (``（撰稿：程立胜）``),
  then the date in the URL; a field the page does not state stays None;
* **body** — the CMS content container (``TRS_Editor``, ``#zoom`` …) when the page
  has one, else trafilatura on the page with navigation, share, print and footer
  blocks removed; then the line rules: 字号/打印/关闭/分享到/扫一扫/上一篇/推荐阅读/
  footers never reach ``text``, image captions go to ``images``, bylines to
  their fields, a repeated headline is dropped.

``provenance`` says which method found each field; ``warnings`` flags weak records.
A page that cannot give a record raises :class:`ExtractionError` with the reason.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

from crawler.record import Record
from pipelines.dates import date_from_url, parse_date
from pipelines.errors import ExtractionError
from pipelines.chinese import detect_script, remove_pinyin_annotations, to_simplified

MAX_PAGE_BYTES = 12 * 1024 * 1024  # a larger "page" is not an article: refuse it with a reason

# --- decoding ---------------------------------------------------------------------------------

BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"Rar!", b"\x1f\x8b",
                b"\xd0\xcf\x11\xe0", b"7z\xbc\xaf", b"BM", b"RIFF", b"\x00\x00\x01\x00", b"OggS", b"ID3")
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
                   "big5": "big5hkscs", "utf8": "utf-8"}


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
    tried = []
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


def _header(headers: dict | None, name: str) -> str | None:
    """A stored header's value; of one sent several times (stored a value per line), the last."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            lines = str(value).splitlines()
            return lines[-1] if lines else ""
    return None


# --- the page as a tree -------------------------------------------------------------------------

BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "tbody", "section", "article", "h1", "h2",
              "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "dl", "center", "form", "header",
              "footer", "nav", "aside", "figure", "figcaption", "hr", "main", "address", "caption"}
DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "canvas",
             "select", "button", "input", "textarea", "map", "audio", "video")
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
    (set(), {"js_content", "artibody", "article_content", "articleContent", "newsContent", "news_content",
             "info_content", "contentText", "content_text", "BodyLabel", "vsb_content", "detailContent"}),
    ({"article-content", "article_content", "articleContent", "news_content", "news-content", "pages_content",
      "wzcon", "view", "detail-content", "content-text", "entry-content", "post-content", "art_con",
      "xl_content"}, set()),
]
HAN_RE = re.compile(r"[\u3400-\u9fff]")
IMG_MARK = "\x00img:"
CAPTION_MARK = "\x00caption"
CAPTION_LINE = "\x00cap:"  # the text of a caption element (figcaption, class pic-desc …)
CAPTION_CLASS = re.compile(r"(?:caption|pic-?desc|img-?desc|pic_?txt|img_?txt|pic-?text|img-?text|tpsm|imgtitle|"
                           r"pic-?title|img-?title|photo-?desc|tuzhu)", re.I)


# huge_tree: libxml2 otherwise drops everything after 10 MB of one text or attribute (an inline
# data: image); pages are capped at MAX_PAGE_BYTES anyway. One parser a thread: lxml parsers
# are not to be shared between threads.
_parsers = threading.local()


def _huge_parser() -> lxml.html.HTMLParser:
    if not hasattr(_parsers, "html"):
        _parsers.html = lxml.html.HTMLParser(huge_tree=True)
    return _parsers.html


def _parse(html: str) -> lxml.html.HtmlElement:
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    try:
        root = lxml.html.document_fromstring(html, parser=_huge_parser())
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}") from exc
    return root


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


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

    def walk(el):
        if not isinstance(el.tag, str):  # comments (CMS markers such as <!--<$[信息内容]>begin-->), PIs
            if el.tail:
                current.append(el.tail)
            return
        tag = el.tag
        if tag in DROP_TAGS or (tag and _is_hidden(el)):
            if el.tail:
                current.append(el.tail)
            return
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
            walk_children(el)
        elif tag == "tr":
            flush()
            cells = [_text(c) for c in el if isinstance(c.tag, str) and c.tag in ("td", "th")]
            nested = el.xpath(".//table")
            if nested:
                for child in el:
                    walk(child)
                flush()
            else:
                row = " | ".join(c for c in cells if c)
                if row:
                    lines.append(row)
                for img in el.xpath(".//img"):
                    if images is not None:
                        images.append(img)
                        lines.append(f"{IMG_MARK}{len(images) - 1}")
        else:
            block = tag in BLOCK_TAGS
            if block:
                flush()
            if el.text:
                current.append(el.text)
            for child in el:
                walk(child)
            if block or tag == "br":
                flush()
        if el.tail:
            current.append(el.tail)

    def walk_children(el):
        flush()
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
        flush()
        if el.tail:
            current.append(el.tail)

    if element.text:
        current.append(element.text)
    for child in element:
        walk(child)
    flush()
    return lines


LAYOUT_CELL_CONTENT = "p", "div", "br", "table", "ul", "ol", "h1", "h2", "h3", "h4", "center", "dl"


def _is_layout_row(row) -> bool:
    """A table row used for page layout (one cell, or cells holding paragraphs), not a data row."""
    cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if len(cells) <= 1:
        return True
    return any(c.find(".//" + tag) is not None for c in cells for tag in LAYOUT_CELL_CONTENT)


# --- metadata ----------------------------------------------------------------------------------

META_NAMES = {
    "title": ("ArticleTitle", "og:title", "twitter:title"),
    "published_at": ("PubDate", "pubdate", "publishdate", "article:published_time", "og:release_date",
                     "firstpublishedtime", "publish_time", "ptime"),
    "source": ("ContentSource", "source", "og:article:source"),
    "author": ("Author", "article:author", "author"),
    "channel": ("ColumnName",),
    "site_name": ("SiteName", "og:site_name"),
    "site_code": ("SiteIDCode",),
    "keywords": ("Keywords",),
    "description": ("Description",),
}

# Info-bar labels, Simplified (lines are converted before matching), longest first.
LABELS = {
    "published_at": ["发布时间", "发布日期", "发表时间", "发表日期", "信息时间", "信息日期", "更新时间", "上传时间",
                     "录入时间", "发稿时间", "发表于", "发布于", "更新于", "日期", "时间"],
    "written_at": ["成文日期", "成文时间"],
    "source": ["信息来源", "文章来源", "稿件来源", "新闻来源", "来源", "出处"],
    "author": ["撰稿人", "撰稿", "作者", "记者", "通讯员", "供稿", "摄影", "文字"],
    "editor": ["责任编辑", "责编", "编辑"],
    "reviewer": ["审核人", "审核", "终审", "审签", "校对"],
    "views": ["阅读次数", "浏览次数", "点击次数", "访问次数", "阅读量", "浏览量", "点击量", "点击数", "阅读", "浏览",
              "点击", "访问量", "人气"],
    "index_no": ["索引号"],
    "issuer": ["发布机构", "发文机关", "发文单位", "发布单位"],
    "doc_no": ["发文字号", "文号"],
    "topic": ["主题分类", "主题词"],
    "validity": ["有效性", "时效性"],
    "_fontsize": ["字号", "字体"],
    "_other": ["分类", "栏目", "字数", "评论数", "评论", "所属栏目", "文章分类"],
}
_LABEL_FIELD = {label: name for name, labels in LABELS.items() for label in labels}
LABEL_RE = re.compile(
    r"(?P<label>" + "|".join(sorted(_LABEL_FIELD, key=len, reverse=True)) + r")"
    r"\s*(?:[:：]|(?=\s*[\[【\]】])|(?=\s*(?:19|20)\d{2}\s*[-/.年]))"  # 发布时间 2005/05/17 needs no colon
)
LABEL_ONLY = re.compile(r"[【\[]?\s*(?P<label>" + "|".join(sorted(_LABEL_FIELD, key=len, reverse=True)) + r")\s*[:：]?\s*[】\]]?")
# Labels too common in body text (会议时间：…) to mark an info bar on their own.
WEAK_LABELS = {"时间", "日期", "文字", "阅读", "浏览", "点击", "出处", "人气", "编辑", "供稿"}
VALUE_STOP = re.compile(r"[【】\[\]|｜]|\s{2,}|\u3000|\s*(?=(?:阅读|浏览|点击|评论|人气)\s*[:：]?\s*\d)")
# Bylines: （撰稿：程立胜）, (撰稿人:李明月 审核人:王燦), （记者 唐晓 罗佳）, 本报讯（通讯员 吴静）.
NAME = r"[\u4e00-\u9fff·]{2,4}"
# Whose reporter: 本报, 新华社, 光明日报, 总台, 新华网黑龙江频道 (reposted news names the newsroom).
NEWSROOM = r"(?:本报|本网|本台|[\u4e00-\u9fff·]{0,10}?(?:报|台|网|社|频道|客户端))"
RANK = r"(?:特约|见习|实习|首席)"
# Words that follow 记者 in column names (记者调查, 记者手记 in a menu), never a reporter's name.
NOT_A_NAME = r"(?!(?:调查|观察|手记|连线|视角|专栏|在线|走基层|节|证|站|之家)(?![\u4e00-\u9fff]))"
ROLE_NO_COLON = rf"(?:{NEWSROOM}\s*)?{RANK}?(?:记者|通讯员)|实习生"  # these take names without a colon
# 北京报道, 山东冠县报道: where the report was filed, after the names.
REPORTED_FROM = r"[\u4e00-\u9fff]{2,8}?报道"
BYLINE_ROLE = (rf"撰稿人?|作者|(?:{NEWSROOM}\s*)?{RANK}?记者|通讯员|实习生|供稿|文|图|摄影|"
               r"责任编辑|编辑|责编|审核人?|审稿|校对|信息来源|来源")
BYLINE_BODY = (rf"(?:(?:{BYLINE_ROLE})\s*[:：][^（()）]{{1,80}}"
               rf"|(?:{ROLE_NO_COLON})\s*{NOT_A_NAME}{NAME}(?:\s+{NAME}){{0,5}}"
               rf"(?:\s+(?:{ROLE_NO_COLON})\s*{NAME}(?:\s+{NAME}){{0,5}})*(?:\s+{REPORTED_FROM})?)")
# In parentheses a byline may also be names and a place alone: （姚峰 上海报道）.
BYLINE_PAREN = re.compile(rf"[（(]\s*({BYLINE_BODY}|{NAME}(?:\s+{NAME}){{0,3}}\s+{REPORTED_FROM})\s*[)）]\s*$")
# 本报讯（记者 王五）, 据新华社拉萨电（记者 格桑边觉）.
LEAD_BYLINE = re.compile(rf"^\s*(?:[^\s，。（(]{{0,12}}[讯电]\s*)?[（(]\s*({BYLINE_BODY})\s*[)）]")
BYLINE_LABEL_FIELD = {"撰稿": "author", "撰稿人": "author", "作者": "author", "记者": "author", "通讯员": "author",
                      "实习生": "author", "供稿": "author", "文": "author", "编辑": "editor", "责任编辑": "editor",
                      "责编": "editor", "审核": "reviewer", "审核人": "reviewer", "审稿": "reviewer",
                      "校对": "reviewer", "来源": "source", "信息来源": "source", "摄影": "_photo", "图": "_photo"}
BYLINE_PART = re.compile(
    rf"(?:(?:{NEWSROOM}\s*)?{RANK}?(?=记者))?({BYLINE_ROLE})\s*[:：]"
    rf"|(?:^|(?<=[\s（(、，,;；?？]))(?:{NEWSROOM}\s*)?{RANK}?(记者|通讯员|实习生)(?=\s*[\u4e00-\u9fff])"
)
BYLINE_LINE = re.compile(rf"[（(【\[]?\s*({BYLINE_BODY})\s*[)）】\]]?")
ROLE_PREFIX = re.compile(rf"^(?:(?:{NEWSROOM}\s*)?{RANK}?(?:记者|通讯员)|实习生|撰稿人?|作者)\s*[:：]?\s*")
# A byline without a role: names, then where they reported from.
NAMES_REPORTING = re.compile(rf"({NAME}(?:\s+{NAME}){{0,3}})\s+{REPORTED_FROM}")
NON_NAME = re.compile(r"\d|[:：@/\\]|https?|www\.|\.com")


LEADING_DATE = re.compile(
    r"^\s*[【\[]?\s*(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|[〇零一二三四五六七八九]{4}年[〇零一二三四五六七八九十]{1,2}月"
    r"[〇零一二三四五六七八九十]{1,3}日)(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*(?:更新|发布|发表)?\s*[】\]|｜/·]?\s*$"
)


@lru_cache(maxsize=4096)  # lines repeat within a site (labels, footers), not across a crawl
def _probe(line: str) -> str:
    """A line in the form labels are matched in: no pinyin annotations, Simplified."""
    return to_simplified(remove_pinyin_annotations(line)[0])


def labelled_fields(line: str) -> dict[str, str]:
    """``发布时间：2020-04-30 来源：区委宣传部 浏览：150次`` → {field: value} ('' when blank)."""
    found: dict[str, str] = {}
    if " | " in line:  # a table row: 索引号： | 1144…/2021-00123 | 发布机构： | 丰安市人民政府办公室
        cells = [c.strip() for c in line.split(" | ")]
        for i, cell in enumerate(cells):
            label = LABEL_ONLY.fullmatch(cell)
            if label and i + 1 < len(cells) and not LABEL_ONLY.fullmatch(cells[i + 1]):
                found.setdefault(_LABEL_FIELD[label["label"]], cells[i + 1].strip())
            elif not label:
                for name, value in labelled_fields(cell).items():
                    found.setdefault(name, value)
        return found
    matches = list(LABEL_RE.finditer(line))
    if matches and LEADING_DATE.match(line[: matches[0].start()]):
        found["published_at"] = line[: matches[0].start()].strip(" |｜/·")  # 2021-09-28 07:52 来源：… 作者：…
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[match.end():end]
        value = VALUE_STOP.split(value.strip(), maxsplit=1)[0].strip(" :：,，;；")
        name = _LABEL_FIELD[match["label"]]
        found.setdefault(name, value)
    return found


def _clean_person(value: str | None) -> str | None:
    """``记者 黄一鸣`` → ``黄一鸣``; ``许诺 王可`` stays two names; stops at what is not a name."""
    if not value:
        return None
    value = re.split(r"[?？|｜【】\[\]()（）]", value)[0]
    names = []
    for token in re.split(r"[\s、，,;；/]+", value.strip(" ：:，,。;；")):
        token = ROLE_PREFIX.sub("", token).strip(" ：:，,。;；")
        if names and token.endswith("报道"):
            break  # 彭冲 山东冠县报道: the place the report came from
        token = re.sub(r"(?:摄|报道|整理)$", "", token) if len(token) > 3 else token
        if not token:
            continue
        if NON_NAME.search(token) or len(token) > 12 or LABEL_RE.search(token) or LABEL_ONLY.fullmatch(token):
            break  # not a name, or the next label of the info bar (作者：张三 阅读 12)
        names.append(token)
        if len(names) == 6:
            break
    return " ".join(names) or None


def _views(value: str | None) -> int | None:
    match = re.search(r"\d[\d,]*", value or "")
    return int(match.group(0).replace(",", "")) if match else None


def _metas(root) -> dict[str, str]:
    metas: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop")
        content = (meta.get("content") or "").strip()
        if key and content:
            metas.setdefault(key.lower(), content)
    return metas


# CMS vendors that sign every page they serve: <meta name="Author" content="大汉网络"> on a Hanweb site.
CMS_VENDOR = re.compile(r"大汉|拓尔思|trs|hanweb|开普云|网站群|dedecms|phpcms|wordpress", re.I)
NOT_A_PERSON = re.compile(r"https?:|www\.|\.(?:com|cn|net|org)\b|[/@\d]", re.I)


def _meta_author_is_a_person(value: str | None, metas: dict) -> bool:
    """A meta author that names the page's writer, not a URL, an account id (L_104485) or the CMS."""
    if not value or NOT_A_PERSON.search(value) or CMS_VENDOR.search(value):
        return False
    generator = metas.get("generator", "")
    return not (generator and value[:2] == generator[:2])  # 大汉网络 beside Generator 大汉版通


def _meta(metas: dict, field: str) -> str | None:
    for name in META_NAMES[field]:
        if metas.get(name.lower()):
            return metas[name.lower()]
    return None


TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜—–]+|\s[-_|]\s)\s*")


def _title_candidates(root) -> list[tuple[str, str]]:
    found = []
    for el in root.xpath("//h1|//h2|//h3|//*[contains(translate(@class,'TITLE','title'),'title') or "
                         "contains(translate(@id,'TITLE','title'),'title')]"):
        if any(a is not el and a.tag in ("a",) for a in el.iterancestors()):
            continue
        text = _text(el)
        if 4 <= len(text) <= 120:
            found.append((el.tag, text))
    return found


def find_title(root, metas: dict, page_title: str) -> tuple[str | None, str]:
    meta_title = _meta(metas, "title")
    if meta_title and len(meta_title) >= 4:
        return meta_title.strip(), "meta"
    head = " ".join(page_title.split())
    candidates = _title_candidates(root)
    best, best_score = None, 0.0
    for tag, text in candidates:
        if labelled_fields(_probe(text)) and len(LABEL_RE.findall(_probe(text))) >= 1 and len(text) < 60:
            continue  # an info bar, not a headline
        score = 0.0
        if head and text in head:
            score += 3 + len(text) / max(len(head), 1)
        elif head and head in text:
            score += 2
        if tag == "h1":
            score += 1.5
        elif tag in ("h2", "h3"):
            score += 0.5
        if len(HAN_RE.findall(text)) >= 5:
            score += 1
        if score > best_score:
            best, best_score = text, score
    if best and best_score >= 2.5:
        return best, "heading"
    if head:
        parts = [p for p in TITLE_SPLIT.split(head) if p]
        if parts:
            return max(parts[:2], key=len) if len(parts) > 1 and len(parts[0]) < 6 else parts[0], "html_title"
    if best:
        return best, "heading"
    return None, "none"


def find_channel(root) -> list[str]:
    """The breadcrumb (当前位置: 首页 > 政务信息 > 魏都要闻) as a list, home excluded."""
    crumbs = root.xpath(
        "//*[contains(translate(@class,'BREADCRUMLOIN','breadcrumloin'),'crumb') or "
        "contains(translate(@class,'LOCATION','location'),'location') or "
        "contains(translate(@class,'POSITION','position'),'position') or @class='dqwz' or @id='dqwz' or"
        " contains(translate(@id,'BREADCRUMLOIN','breadcrumloin'),'crumb') or "
        "contains(translate(@id,'LOCATION','location'),'location') or "
        "contains(translate(@id,'POSITION','position'),'position')]"
    )
    for el in root.iter():
        if isinstance(el.tag, str) and el.text and "位置" in el.text[:40] and re.match(
            r"\s*(?:当前位置|您的位置|您现在的位置|你的位置|当前的位置|所在位置|现在位置)", _probe(el.text[:40])
        ):
            crumbs.insert(0, el.getparent() if len(_text(el)) < 8 and el.getparent() is not None else el)
    for el in crumbs:
        text = _probe(_text(el))
        if not text or len(text) > 200:
            continue
        text = re.sub(r"^.*?(?:位置)\s*[:：]?\s*", "", text)
        parts = [p.strip() for p in re.split(r"\s*(?:>>|>|»|›|→|/|＞|\\)\s*", text) if p.strip()]
        parts = [p for p in parts if p not in ("首页", "首頁", "网站首页", "網站首頁", "主页", "Home", "home", "正文")]
        if parts:
            return parts
    return []


# --- body ----------------------------------------------------------------------------------------

TAIL_HEADINGS = re.compile(
    r"^[【\[]?\s*(?:推荐阅读|相关阅读|相关新闻|相关链接|相关文章|热点文章|热点文章阅读|热门文章|相关热词搜索|延伸阅读|"
    r"猜你喜欢|热门推荐|精彩推荐|更多阅读|往期回顾|相关稿件|热词|相关附件|网友评论)\s*[】\]]?\s*[:：]?"
)
BOILERPLATE_LINE = re.compile(
    r"^(?:[【\[]?\s*(?:字号|字体)\s*[:：]?.{0,12}$"
    r"|.*[【\[]\s*(?:字号|打印|我要打印|关闭|关闭窗口)\s*"
    r"|(?:[【\[]\s*)?(?:打印本页|打印文章|我要打印|打印|关闭窗口|关闭本页|关闭|返回顶部|返回|收藏|纠错|分享)\s*[】\]]?$"
    r"|(?:大|中|小|\s|【|】|\[|\])+$"
    r"|分享到.{0,40}$|.*扫一扫.{0,30}$|.{0,10}(?:微信|手机)(?:扫描|扫码).{0,20}$|请打开微信.*$"
    r"|上一篇.*|下一篇.*|上一条.*|下一条.*"
    r"|(?:文章|新闻)?图片$|点击(?:查看)?大图$|image$"
    r"|当前位置.*|您的位置.*|您现在的位置.*"
    r"|[【\[]?(?:免责)?声明[】\]:：].*|.*(?:转载此文|转载请注明|不代表本(?:网|站)观点|版权归原作者).*"
    r"|.*(?:下载(?:Word|WORD|word|PDF|pdf|本文|文档)|复制全文|温馨提示[:：]).*"
    r"|(?:通讯|联系)?地址\s*[:：][^。]{0,60}(?:电话|邮编|邮政编码|传真)\s*[:：][^。]*$|.{2,20}(?:办公室|中心|局|公司|政府|委员会|网站)(?:制作|建设)?维护$"
    r"|.*(?:建议使用|推荐使用).{0,30}(?:分辨率|浏览器).*"
    r"|.*(?:ICP\s*备|公网安备|网站标识码|网站地图|版权所有|Copyright|©).*"
    # 主办单位：… alone may be a line of an event notice; beside another footer item it is the footer.
    r"|.*(?:主办单位|承办单位|主办\s*[:：]|承办\s*[:：]|技术支持\s*[:：]|联系我们).*"
    r"(?:主办单位|承办单位|主办\s*[:：]|承办\s*[:：]|技术支持\s*[:：]|联系我们|联系电话|地址\s*[:：]|邮编).*"
    r")",
    re.I,
)
PLACEHOLDER_CAPTIONS = {"文章图片", "图片", "image", "img", "点击查看大图", "查看大图", "图"}


def _find_container(root):
    """The CMS content container with the most text, from the most specific kind that has one."""
    found: dict[int, list] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        classes, ident = el.get("class"), el.get("id")
        if not classes and not ident:
            continue
        tokens = set(classes.split()) if classes else set()
        for rank, (class_marks, id_marks) in enumerate(CONTAINER_MARKS):
            if tokens & class_marks or ident in id_marks:
                found.setdefault(rank, []).append(el)
                break
    for rank in sorted(found):
        best = max(found[rank], key=lambda el: len(HAN_RE.findall(el.text_content())))
        if len(HAN_RE.findall(best.text_content())) >= 20:
            return best
    return None


INLINE_TAGS = {"span", "font", "strong", "b", "em", "i", "u", "sub", "sup", "small", "big", "label", "img",
               "br", "abbr", "cite", "code", "q", "s", "strike", "ins", "del", "mark", "time", "nobr", "o:p"}
DENSITY_CANDIDATES = {"div", "td", "article", "section", "main", "body", "form", "center", "blockquote"}


def _flow_han(el) -> int:
    """Han characters that flow directly in `el`: its own text and inline children, links excluded."""
    count = len(HAN_RE.findall(el.text or ""))
    for child in el:
        if isinstance(child.tag, str) and child.tag in INLINE_TAGS and not _is_hidden(child):
            count += sum(len(HAN_RE.findall(t)) for t in child.xpath(".//text()[not(ancestor::a)]"))
        count += len(HAN_RE.findall(child.tail or ""))
    return count


def _densest_container(root):
    """The element whose paragraphs hold the most non-link text (old table layouts, unknown CMSes).

    Scores each element by the text flowing in it plus in its direct block children
    (``<td>`` with ``<br>`` lines, ``<div>`` of ``<p>``s), then climbs to the parent
    while that adds little (a headline, a date line) rather than another column.
    """
    flow = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag not in INLINE_TAGS and el.tag != "a":
            flow[el] = _flow_han(el)
    best, best_score = None, 0
    for el in flow:
        if el.tag not in DENSITY_CANDIDATES:
            continue
        score = flow[el] + sum(flow.get(child, 0) for child in el if child.tag in ("p", "div", "section", "center",
                                                                                  "blockquote", "h2", "h3", "h4",
                                                                                  "ul", "ol", "li", "table"))
        if score > best_score:
            best, best_score = el, score
    if best is None or best_score < 20:
        return None
    own = _nonlink_han(best)
    node = best.getparent()
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in DENSITY_CANDIDATES and _nonlink_han(node) <= own * 1.15 + 20:
            best = node
        elif _nonlink_han(node) > own * 1.15 + 20:
            break
        node = node.getparent()
    return best


CHROME_SHARE_LIMIT = 0.3  # above it, trafilatura's output is the whole page rather than an article


def _chrome_share(root, lines: list[str]) -> float:
    """The share of the text in `lines` that is page chrome: whole link texts (navigation, lists),
    boilerplate lines (当前位置, 打印, footers) and stray brackets."""
    links = {" ".join(_text(a).split()) for a in root.iter("a")}
    total = sum(len(line) for line in lines)
    chrome = sum(len(line) for line in lines
                 if line in links or len(line.strip("[]【】|>» ")) == 0 or BOILERPLATE_LINE.match(_probe(line)))
    return chrome / total if total else 0.0


def _nonlink_han(el) -> int:
    return sum(len(HAN_RE.findall(t)) for t in el.xpath(".//text()[not(ancestor::a)]"))


def _is_caption_element(el) -> bool:
    return el.tag == "figcaption" or (el.tag in ("p", "div", "span", "td") and bool(CAPTION_CLASS.search(el.get("class", ""))))


def _lift_captions(root) -> tuple[list, dict[int, str]]:
    """Take caption elements out of the tree (for trafilatura), as captions of the image before them."""
    images = list(root.iter("img"))
    position = {img: i for i, img in enumerate(images)}
    captions: dict[int, str] = {}
    for el in [e for e in root.iter() if isinstance(e.tag, str) and _is_caption_element(e)]:
        text = _text(el)
        image = el.xpath("preceding::img[1]")
        if text and image and image[0] in position:
            captions.setdefault(position[image[0]], text)
        if el.getparent() is not None:
            el.drop_tree()
    return images, captions


def _unwrap_layout_tables(root) -> None:
    """Old sites lay pages out with tables; trafilatura reads those as data and keeps
    navigation and article as table rows. Layout tables become divs, data tables stay."""
    for table in list(root.iter("table")):
        parts = [el for el in table.iter("tbody", "thead", "tfoot", "tr", "td", "th")
                 if next(el.iterancestors("table"), None) is table]
        rows = [el for el in parts if el.tag == "tr"]
        if rows and any(_is_layout_row(row) for row in rows):
            for el in [table, *parts]:
                el.tag = "div"


def _strip_chrome(root) -> None:
    """Remove navigation, share/print/QR blocks, footers and the like (never an ancestor of text-rich content)."""
    for el in list(root.iter(*DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter("nav", "footer", "header", "aside")):
        if el.getparent() is not None and len(HAN_RE.findall(el.text_content())) < 400:
            el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body"):
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if marks.strip() and CHROME_WORDS.search(marks):
            if len(HAN_RE.findall(el.text_content())) < 300:
                el.drop_tree()


def _trafilatura_lines(root, url: str) -> list[str]:
    import trafilatura

    try:
        text = trafilatura.extract(
            root, url=url, include_comments=False, include_tables=True, include_images=False,
            include_formatting=False, deduplicate=False, favor_recall=True, output_format="txt",
        )
    except Exception:  # trafilatura bugs on odd pages must not lose the page
        text = None
    lines = []
    for line in (text or "").split("\n"):
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):  # its table rows: | a | b | → a | b
            line = " | ".join(c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ") if c.strip())
        if line:
            lines.append(line)
    return lines


@lru_cache(maxsize=4096)
def _squash(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", _probe(text))


def _same_text(a: str, b: str) -> bool:
    return bool(a and b) and abs(len(a) - len(b)) < max(len(a), len(b)) and _squash(a) == _squash(b)


def _is_date_line(probe: str) -> bool:
    """A short line that is a date and little else (a site name, a URL, a view count)."""
    if len(probe) > 80 or not parse_date(probe):
        return False
    rest = re.sub(r"https?://\S+|www\.\S+|\d+|" + LABEL_RE.pattern, "", probe)
    return len(HAN_RE.findall(rest)) <= 10 and not re.search(r"[。！？]", probe)


def _is_text_line(line: str) -> bool:
    """A sentence or a salutation (各单位：), not a headline-like line."""
    return len(line) > 60 or bool(re.search(r"[。！？：:；]\s*$", line))


def _lead_chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines if not line.startswith(IMG_MARK))


def clean_body(lines: list[str], title: str | None, record: Record, image_elements: list, base_url: str,
               from_container: bool, lifted_captions: dict[int, str] | None = None) -> list[str]:
    """Apply the government-page line rules; fills bylines, images and info-bar fields into `record`."""
    kept: list[str] = []
    captions: dict[int, str | None] = dict(lifted_captions or {})
    alts = {a for a in ((img.get("alt") or "").strip() for img in image_elements) if len(a) >= 8}
    text_lines, text_started = 0, False  # until a sentence comes, date lines belong to the info bar
    for i, line in enumerate(lines):
        if line.startswith((IMG_MARK, CAPTION_LINE)):
            kept.append(line)
            continue
        probe = _probe(line)
        if TAIL_HEADINGS.match(probe) and (from_container or i >= len(lines) * 0.3):
            break  # recommended/related lists: everything after is not the article
        if BOILERPLATE_LINE.match(probe):
            continue
        first_label = LABEL_RE.search(probe) if len(line) < 160 else None
        if first_label and (first_label.start() <= 3 or LEADING_DATE.match(probe[: first_label.start()])) and (
            first_label["label"] not in WEAK_LABELS or len(LABEL_RE.findall(probe)) >= 2
        ):
            # A line that starts with a label (发布时间：…, 【来源：…】, 责任编辑：…) is an info bar.
            _take_info_fields(record, labelled_fields(probe), "info_bar_in_body")
            continue
        if lifted_captions is not None and any(_same_text(line, alt) for alt in alts):
            continue  # an image's alt text repeated as its caption, outside any caption element
        if not text_started and _is_date_line(probe):
            if not record.published_at:  # 2005-07-18 13:03:17 / http://www.x.com 2005-07-18 above the text
                record.published_at, record.provenance["published_at"] = parse_date(probe), "body_top"
            continue
        if title and _same_text(line, title) and _lead_chars(kept) < 80:
            continue  # the headline repeated at the top of the body (maybe below a lead image)
        kept.append(line)
        text_lines += 1
        text_started = text_started or text_lines > 2 or _is_text_line(line)

    # Image markers: a caption element, the image's alt text, or a short line right after an image
    # is its caption; captions go to `images`, never to the body.
    out: list[str] = []
    last_image = None
    for i, line in enumerate(kept):
        if line == CAPTION_MARK:
            continue
        if line.startswith(CAPTION_LINE):
            if last_image is not None and not captions.get(last_image):
                captions[last_image] = line[len(CAPTION_LINE):]
            continue
        if line.startswith(IMG_MARK):
            index = last_image = int(line[len(IMG_MARK):])
            caption = None
            if i + 1 < len(kept) and not kept[i + 1].startswith((IMG_MARK, CAPTION_LINE)):
                nxt = kept[i + 1].strip()
                alt = (image_elements[index].get("alt") or "").strip()
                if (len(nxt) <= 40 and not re.search(r"[。！？!?]$", nxt)) or (alt and _same_text(nxt, alt)):
                    caption = nxt
                    kept[i + 1] = CAPTION_MARK
            captions[index] = caption or captions.get(index)
            continue
        if line.strip() in PLACEHOLDER_CAPTIONS:
            continue
        out.append(line)

    for index, el in enumerate(image_elements):
        src = el.get("src") or el.get("data-src") or el.get("data-original") or ""
        if not src or src.startswith("data:") or re.search(r"(?:qrcode|ewm|erweima|logo|icon|share|blank|spacer)", src, re.I):
            continue
        caption = captions.get(index)
        alt = (el.get("alt") or el.get("title") or "").strip()
        if caption in PLACEHOLDER_CAPTIONS:
            caption = None
        if not caption and alt and alt not in PLACEHOLDER_CAPTIONS and not re.search(r"\.\w{3,4}$", alt):
            caption = alt
        image = {"url": urljoin(base_url, src.strip()), "caption": caption}
        if image not in record.images:
            record.images.append(image)

    # End-of-body bylines: （撰稿：程立胜）, (撰稿人:李明月 审核人:王燦), 责任编辑：x as the last lines.
    while out:
        probe = _probe(out[-1])
        match = BYLINE_PAREN.search(probe)
        if match:
            _take_byline(record, match.group(1))
            stripped = out[-1][: _original_offset(out[-1], probe, match.start())].rstrip()
            if stripped:
                out[-1] = stripped
                break
            out.pop()
            continue
        line_match = BYLINE_LINE.fullmatch(probe.strip()) if len(probe) < 80 else None
        if line_match:
            _take_byline(record, line_match.group(1))
            out.pop()
            continue
        break
    # A leading byline stays in the text (it is part of the lead) but fills the author: 本报讯（记者 王五）…,
    # or a byline line among the first three: 【新春走基层】 / 光明日报记者 王建宏 张文攀 / the lead.
    if out and not record.author:
        match = LEAD_BYLINE.match(_probe(out[0]))
        if match:
            _take_byline(record, match.group(1))
        for line in out[:3] if not match else ():
            probe = _probe(line).strip()
            if len(probe) < 60 and (byline := BYLINE_LINE.fullmatch(probe)):
                _take_byline(record, byline.group(1))
                break
    return out


def _original_offset(original: str, probe: str, probe_offset: int) -> int:
    """Where `probe_offset` of the probe falls in the original line (the probe drops pinyin)."""
    if len(original) == len(probe):
        return probe_offset
    tail = len(probe) - probe_offset
    # The byline sits at the end; count back the same number of non-annotation characters.
    cleaned = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)", lambda m: "\x01" * len(m.group(0)), original)
    count, pos = 0, len(original)
    while pos > 0 and count < tail:
        pos -= 1
        if cleaned[pos] != "\x01":
            count += 1
    return pos


def _take_byline(record: Record, text: str) -> None:
    """（记者 许诺 通讯员 王可）: every name of one role group goes to its field, in order."""
    parts = list(BYLINE_PART.finditer(text))
    found: dict[str, list[str]] = {}
    if not parts and (reporting := NAMES_REPORTING.fullmatch(text.strip())):
        found["author"] = reporting.group(1).split()
    for i, part in enumerate(parts):
        end = parts[i + 1].start() if i + 1 < len(parts) else len(text)
        field = BYLINE_LABEL_FIELD.get(part.group(1) or part.group(2))
        value = _clean_person(text[part.end():end])
        if field and not field.startswith("_") and value:
            found.setdefault(field, []).extend(n for n in value.split() if n not in found.get(field, []))
    for field, names in found.items():
        if not getattr(record, field):
            setattr(record, field, " ".join(names) if field != "source" else names[0])
            record.provenance[field] = "byline"


def _take_info_fields(record: Record, fields: dict, method: str) -> None:
    for name, value in fields.items():
        if name.startswith("_"):
            continue
        if name in ("published_at", "written_at"):
            parsed = parse_date(value)
            if parsed and not getattr(record, name):
                setattr(record, name, parsed)
                record.provenance[name] = method
        elif name == "views":
            if record.views is None and "views" not in record.provenance:
                record.views = _views(value)
                record.provenance["views"] = method
        elif name in ("author", "editor", "reviewer"):
            value = _clean_person(value)
            if value and not getattr(record, name):
                setattr(record, name, value)
                record.provenance[name] = method
        else:
            value = value.strip()
            if value and not getattr(record, name):
                setattr(record, name, value)
                record.provenance[name] = method


def _date_near_title(page_lines: list[str], title: str | None) -> str | None:
    """A complete date on a short line just below the headline (``2005年03月21日 11:21 《理财周刊》``)."""
    if not title:
        return None
    seen = 0
    for i, line in enumerate(page_lines):
        if _same_text(line, title) or (len(title) >= 6 and title in line and len(line) <= 150):
            after_title = line[line.find(title) + len(title):] if title in line else ""
            for nearby in [after_title, *page_lines[max(0, i - 2):i], *page_lines[i + 1:i + 9]]:
                if len(nearby) <= 120:
                    found = parse_date(_probe(nearby))
                    if found:
                        return found
            seen += 1
            if seen == 3:  # the headline, the breadcrumb, the <h1>: further copies are related lists
                break
    return None


def _line_index(page_lines: list[str], line: str) -> int:
    probe = line.strip()[:20]
    return next((i for i, page_line in enumerate(page_lines) if probe and probe in page_line), len(page_lines))


def _date_before_body(page_lines: list[str], first_body_line: str) -> str | None:
    """A complete date on a short line in the few lines above the body (the info bar's place)."""
    probe = first_body_line[:20]
    for i, line in enumerate(page_lines):
        if probe and probe in line:
            for above in reversed(page_lines[max(0, i - 8):i]):
                if len(" ".join(above.split())) <= 80:
                    found = parse_date(_probe(above))
                    if found:
                        return found
            return None
    return None


def _attachments(root, base_url: str) -> list[dict]:
    found, seen = [], set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        path = urlsplit(href).path.lower()
        if re.search(r"\.(?:pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|et|pptx?)$", path):
            url = urljoin(base_url, href)
            if url in seen:
                continue
            seen.add(url)
            name = _text(a) or a.get("title") or path.rsplit("/", 1)[-1]
            found.append({"name": name.strip(), "url": url})
    return found


# --- the whole page -----------------------------------------------------------------------------

def extract(body: bytes | str, url: str, *, headers: dict | None = None) -> Record:
    """The record of one page (title, time, source, people of the byline, body, …), not yet normalized."""
    if isinstance(body, bytes) and len(body) > MAX_PAGE_BYTES:
        raise ExtractionError(f"page too large: {len(body)} bytes (limit {MAX_PAGE_BYTES})")
    html = decode_page(body, headers)
    if not html.strip():
        raise ExtractionError("empty page: no content in the response body")
    root = _parse(html)
    base = root.xpath("//base/@href")
    base_url = urljoin(url, base[0]) if base else url
    record = Record(url=url)
    metas = _metas(root)
    page_title = _text(root.find(".//title")) if root.find(".//title") is not None else ""

    # Metadata from the CMS <meta> tags: the most trustworthy source when present.
    for name in ("source", "author", "site_name", "site_code"):
        value = _meta(metas, name)
        if name == "author" and not _meta_author_is_a_person(value, metas):
            continue
        label = LABEL_RE.match(value.strip()) if value else None
        if label and _LABEL_FIELD[label["label"]] == name:  # content="来源：新华日报"
            value = value.strip()[label.end():]
        if value:
            setattr(record, name, value.strip())
            record.provenance[name] = "meta"
    meta_date = parse_date(_meta(metas, "published_at"))
    if meta_date:
        record.published_at = meta_date
        record.provenance["published_at"] = "meta"

    record.title, record.provenance["title"] = find_title(root, metas, page_title)
    record.channel = find_channel(root)
    if record.channel:
        record.provenance["channel"] = "breadcrumb"
    elif _meta(metas, "channel"):
        record.channel = [_meta(metas, "channel")]
        record.provenance["channel"] = "meta"
    record.attachments = _attachments(root, base_url)

    # The info bar: labelled fields on the page outside the article body.
    container = _find_container(root)
    if container is not None:
        container.set("data-govnews-body", "1")
    page_lines = block_lines(root.find("body") if root.find("body") is not None else root)
    body_text_lines = set(block_lines(container)) if container is not None else set()
    info_dates: list[tuple[int, str]] = []  # (page line, date): chosen once the body's place is known
    for index, line in enumerate(page_lines):
        compact = " ".join(line.split())
        if len(compact) > 200 or line in body_text_lines:
            continue
        probe = _probe(line)
        fields = labelled_fields(probe)
        strong = [m for m in LABEL_RE.finditer(probe) if m["label"] not in WEAK_LABELS]
        if fields and (len(fields) >= 2 or len(compact) < 40 or (strong and len(compact) < 100)):
            found = parse_date(fields.pop("published_at", None))
            if found:
                info_dates.append((index, found))
            _take_info_fields(record, fields, "info_bar")
        elif len(probe) < 60 and (byline := BYLINE_LINE.fullmatch(probe.strip())):
            _take_byline(record, byline.group(1))  # a byline block the body extractor may drop
    if record.site_code is None:
        match = re.search(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]{6,})", "\n".join(page_lines[-40:]))
        if match:
            record.site_code, record.provenance["site_code"] = match.group(1), "footer"

    # The body.
    images: list = []
    lifted: dict[int, str] = {}
    if container is not None:
        lines = block_lines(container, images)
        method = "container"
    else:
        _strip_chrome(root)
        _unwrap_layout_tables(root)
        images, lifted = _lift_captions(root)
        lines = _trafilatura_lines(root, url)
        method = "trafilatura"
        if not lines or _chrome_share(root, lines) > CHROME_SHARE_LIMIT:
            # Below its length thresholds trafilatura falls back to the whole page (navigation,
            # 打印/关闭, related links): short notices are better read from the densest block.
            dense = _densest_container(root)
            if dense is not None:
                lines = block_lines(dense, images)
                method = "density"
    # An info-bar date above the body is the publish time; one below it may be a comment's.
    body_start = _line_index(page_lines, lines[0]) if lines else len(page_lines)
    below_body = [d for i, d in info_dates if i >= body_start]
    above_body = [d for i, d in info_dates if i < body_start]
    if not record.published_at and above_body:
        record.published_at, record.provenance["published_at"] = above_body[0], "info_bar"
    lines = clean_body(lines, record.title, record, images, base_url, method != "trafilatura", lifted)
    if not record.published_at and below_body:
        record.published_at, record.provenance["published_at"] = below_body[0], "info_bar_below"
    record.text = "\n".join(lines)
    record.text_original = record.text
    record.provenance["text"] = method

    if not record.published_at:
        near = _date_near_title(page_lines, record.title)
        if near:
            record.published_at, record.provenance["published_at"] = near, "near_title"
    if not record.published_at and lines:
        before = _date_before_body(page_lines, lines[0])
        if before:
            record.published_at, record.provenance["published_at"] = before, "before_body"
    if not record.published_at:
        url_date = date_from_url(url)
        if url_date:
            record.published_at, record.provenance["published_at"] = url_date, "url"
    if not record.title:
        record.warn("no_title")
    elif record.provenance.get("title") == "html_title":
        record.warn("title_from_html_title")  # no headline element agreed with <title>: check it
    if not record.published_at:
        record.warn("no_date")
    elif record.provenance.get("published_at") == "url":
        record.warn("date_from_url")
    han = len(HAN_RE.findall(record.text))
    if not record.text:
        record.warn("empty_body")
    elif han < 60:
        record.warn("short_body")
    if not record.title and not record.text:
        raise ExtractionError("no article on the page: neither a headline nor a body was found")
    record.title_original = record.title
    record.script = detect_script((record.title or "") + record.text)
    return record
