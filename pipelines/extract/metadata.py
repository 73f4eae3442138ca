"""Metadata, in order of trust: the CMS ``<meta>`` tags, then the labelled info bar; the headline and the channel.

The ``<meta>`` tags (``ArticleTitle``, ``PubDate``, ``ContentSource``, ``SiteName``,
``SiteIDCode`` …), the info bar's labels (``发布时间：… 来源：… 浏览：…``, Simplified or
Traditional, any colon, ``【】`` brackets) and :func:`labelled_fields` that reads them,
the headline (:func:`find_title`) and the breadcrumb (:func:`find_channel`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.chinese import remove_pinyin_annotations, to_simplified
from pipelines.extract.tree import HAN_RE, _text

META_NAMES = {
    "title": ("ArticleTitle", "og:title", "twitter:title"),
    "published_at": (
        "PubDate",
        "pubdate",
        "publishdate",
        "article:published_time",
        "og:release_date",
        "firstpublishedtime",
        "publish_time",
        "ptime",
        "datePublished",  # schema.org, as itemprop
        "dateUpdate",  # 百家号's only date; a shown date of another day still wins (shown_date.py)
        # Dublin Core and Highwire Press (the scholarly publishers' tags Google Scholar reads)
        "DC.date.issued",
        "dcterms.issued",
        "citation_publication_date",
        "citation_date",
    ),
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
    "published_at": [
        "发布时间",
        "发布日期",
        "发表时间",
        "发表日期",
        "信息时间",
        "信息日期",
        "更新时间",
        "上传时间",
        "录入时间",
        "发稿时间",
        "发表于",
        "发布于",
        "更新于",
        "日期",
        "时间",
    ],
    "written_at": ["成文日期", "成文时间"],
    "source": ["信息来源", "文章来源", "稿件来源", "新闻来源", "来源", "出处"],
    "author": ["撰稿人", "撰稿", "作者", "记者", "通讯员", "供稿", "摄影", "文字"],
    "editor": ["责任编辑", "责编", "编辑"],
    "reviewer": ["审核人", "审核", "终审", "审签", "校对"],
    "views": [
        "阅读次数",
        "浏览次数",
        "点击次数",
        "访问次数",
        "阅读量",
        "浏览量",
        "点击量",
        "点击数",
        "阅读",
        "浏览",
        "点击",
        "访问量",
        "人气",
    ],
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
LABEL_ONLY = re.compile(
    r"[【\[]?\s*(?P<label>" + "|".join(sorted(_LABEL_FIELD, key=len, reverse=True)) + r")\s*[:：]?\s*[】\]]?"
)
# Labels too common in body text (会议时间：…) to mark an info bar on their own.
WEAK_LABELS = {"时间", "日期", "文字", "阅读", "浏览", "点击", "出处", "人气", "编辑", "供稿"}
VALUE_STOP = re.compile(r"[【】\[\]|｜]|\s{2,}|\u3000|\s*(?=(?:阅读|浏览|点击|评论|人气)\s*[:：]?\s*\d)")


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
            if (
                label
                and i + 1 < len(cells)
                and not LABEL_RE.match(cells[i + 1])
                and not LABEL_ONLY.fullmatch(cells[i + 1])
            ):
                found.setdefault(_LABEL_FIELD[label["label"]], cells[i + 1].strip())
            elif label:  # 来源： | 发布时间：2018-05-17: the label is blank, the next cell has its own
                found.setdefault(_LABEL_FIELD[label["label"]], "")
            elif not label:
                for name, value in labelled_fields(cell).items():
                    found.setdefault(name, value)
        return found
    matches = list(LABEL_RE.finditer(line))
    if matches and LEADING_DATE.match(line[: matches[0].start()]):
        found["published_at"] = line[: matches[0].start()].strip(" |｜/·")  # 2021-09-28 07:52 来源：… 作者：…
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[match.end() : end]
        value = VALUE_STOP.split(value.strip(), maxsplit=1)[0].strip(" :：,，;；")
        name = _LABEL_FIELD[match["label"]]
        found.setdefault(name, value)
    return found


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


# The accounts a CMS signs pages with (管理员, 超级管理员, admin, editor01) and the placeholders for
# no one (佚名, 网络): never a person, nor a source.
CMS_ACCOUNT = re.compile(
    r"(?:超级|系统|网站|后台|信息)?管理员\d*|(?:super|sys|site|web)?admin(?:istrator)?[\d_]*|root|webmaster|"
    r"editor[\d_]*|user[\d_]*|guest|test[\d_]*|system|sysop|匿名|佚名|未知|不详|"
    r"网络(?:整理)?|互联网|网友|综合",  # "the internet": no one named
    re.I,
)
# Portals and news sites: a 来源 may name one, an author or an editor never does.
PORTAL = re.compile(
    r"(?:网易|新浪|搜狐|腾讯|凤凰|百度|今日头条|澎湃|网易号|搜狐号|企鹅号)(?:网|新闻|网站|客户端|号|资讯)?"
    r"|[\u4e00-\u9fff]{2,10}(?:网|网站|客户端|频道)"
)


def is_account_or_portal(name: str) -> bool:
    """A CMS account (管理员, admin) or a portal (网易, 人民网): not a person's name."""
    return bool(CMS_ACCOUNT.fullmatch(name) or PORTAL.fullmatch(name))


def _meta_author_is_a_person(value: str | None, metas: dict) -> bool:
    """A meta author that names the page's writer, not a URL, an account (L_104485, 管理员, a login
    such as ``sysadmin``), a portal (网易) or the CMS."""
    if not value or NOT_A_PERSON.search(value) or CMS_VENDOR.search(value):
        return False
    if is_account_or_portal(value.strip()) or re.fullmatch(r"[A-Za-z_.\-]+", value.strip()):
        return False  # a login in a meta tag is the CMS account that published the page
    generator = metas.get("generator", "")
    return not (generator and value[:2] == generator[:2])  # 大汉网络 beside Generator 大汉版通


# An info bar's element that names the source by its class or id, without a label:
# <a class="source">新京报</a>, <span id="media_name">新浪科技</span>, <span class="art-source">.
SOURCE_MARK = re.compile(r"(?:art(?:icle)?|news|info|post)?[-_]?source(?:[-_]?name)?|media[-_]?name|laiyuan", re.I)


# The elements whose class or id may be a source mark (Source, source, Media: the first letter's
# case aside, marks are lower case), for SOURCE_MARK to check: lxml's walk, in C.
SOURCE_CANDIDATES = (
    "//*[" + " or ".join(f"contains(@{a}, '{w}')" for a in ("class", "id") for w in ("ource", "edia", "aiyuan")) + "]"
)


def marked_source(root) -> str | None:
    """The text of the short element whose class or id marks it as the source (a site's name, a
    newspaper's), when it carries no label (a labelled one is the info bar's) and the page names
    no other: marks repeated over a list are its related items' sources."""
    found = set()
    for el in root.xpath(SOURCE_CANDIDATES):  # lxml's walk in C; the marks are checked below
        marks = [*(el.get("class") or "").split(), el.get("id") or ""]
        if not any(SOURCE_MARK.fullmatch(mark) for mark in marks if mark):
            continue
        text = " ".join(_text(el).split())
        # A label, a date or several items: an info bar's, read with its labels.
        info_bar = re.search(r"\d{4}|[:：|｜]", text) or LABEL_RE.search(_probe(text))
        if 2 <= len(text) <= 30 and HAN_RE.search(text) and not info_bar:
            found.add(text)
    return found.pop() if len(found) == 1 else None


def _meta(metas: dict, field: str) -> str | None:
    for name in META_NAMES[field]:
        if metas.get(name.lower()):
            return metas[name.lower()]
    return None


TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜—–]+|\s[-_|]\s)\s*")


def _title_candidates(root) -> list[tuple[str, str]]:
    found = []
    for el in root.xpath(
        "//h1|//h2|//h3|//*[contains(translate(@class,'TITLE','title'),'title') or "
        "contains(translate(@id,'TITLE','title'),'title')]"
    ):
        if any(a is not el and a.tag in ("a",) for a in el.iterancestors()):
            continue
        text = _text(el)
        if 4 <= len(text) <= 120:
            found.append((el.tag, text))
    return found


def find_title(root, metas: dict, page_title: str) -> tuple[str | None, str]:
    meta_title = _meta(metas, "title")
    if meta_title and len(meta_title) >= 4:
        meta_title = meta_title.strip()
        # A quote inside the headline ends an attribute written without escaping it (content="写"救命啊"…"):
        # the heading that goes on where the meta stops is the headline.
        longer = [text for tag, text in _title_candidates(root) if tag == "h1" and text.startswith(meta_title)]
        if longer and len(longer[0]) > len(meta_title) and longer[0][len(meta_title)] in "\"'“”":
            return longer[0], "heading"
        return meta_title, "meta"
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


# The marks of a breadcrumb box in a class or id: each word, found after lowering the letters in the
# word's table (XPath 1.0's translate(), which an XPath over every element spent 1 ms a page on).
_CRUMB_MARKS = tuple(
    (str.maketrans(upper, upper.lower()), word)
    for upper, word in (("BREADCRUMLOIN", "crumb"), ("LOCATION", "location"), ("POSITION", "position"))
)
_LOCATION_LABEL = re.compile(r"\s*(?:当前位置|您的位置|您现在的位置|你的位置|当前的位置|所在位置|现在位置)")


def _is_crumb_box(el) -> bool:
    for value in (el.get("class"), el.get("id")):
        if value and (value == "dqwz" or any(word in value.translate(table) for table, word in _CRUMB_MARKS)):
            return True
    return False


def find_channel(root) -> list[str]:
    """The breadcrumb (当前位置: 首页 > 政务信息 > 魏都要闻) as a list, home excluded."""
    boxes, labelled = [], []  # the boxes with a breadcrumb's class or id; the elements led by 当前位置 …
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if _is_crumb_box(el):
            boxes.append(el)
        if el.text and "位置" in el.text[:40] and _LOCATION_LABEL.match(_probe(el.text[:40])):
            labelled.append(el.getparent() if len(_text(el)) < 8 and el.getparent() is not None else el)
    crumbs = labelled[::-1] + boxes  # the labelled ones first, the last on the page first
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
