"""What an article URL and a list URL look like.

An article link is recognised by the URL shapes of the common CMSes (TRS
`t20200430_123.html`, Hanweb `/art/2020/4/30/art_…`, intensive-platform
`/content/detail/<id>.html`, dated folders, `Detail.aspx?id=`…) or, failing that,
by its context: a headline-length anchor text pointing at a leaf page with an id.
A list page is named `index_N.html` style or carries a `?page=N` query.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ARTICLE_URL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"/t\d{8}_\d+\.s?html?$",  # TRS WCM
        r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$",  # Hanweb JCMS
        r"/art/\d{4}/(?:\d{1,2}/\d{1,2}/)?art_[0-9a-f_]{6,}\.html?$",  # Hanweb, hex ids (/col/colN/art/…)
        r"/content/(?:detail|post)[/_]?[0-9a-z_]+\.s?html?$",  # intensive platforms
        r"/content_\d+\.s?html?$",
        r"/post_\d+\.s?html?$",  # Guangdong gkmlpt …/content/2/2345/post_2345678.html
        r"/c\d{5,}/content\.s?html?$",  # /n123/n456/c7890123/content.html
        r"/\d{4}[-/]?\d{2}/?\d{2}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",  # dated folders
        r"/\d{4}-\d{1,2}-\d{1,2}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",  # /news/2020-05-07/12345.html
        r"/\d{4}/\d{4}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",
        r"/\d{6,8}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",
        r"/(?:show|view|detail|article|info|content|news)\w*(?:\.\w+)?\?(?:[^#]*&)?"
        r"(?:id|aid|artid|articleid|newsid|infoid|contentid|docid)=\w+",
        r"/(?![^/?#]*list)[^/?#]*(?:show|view|detail|article|content)[^/?#]*\?(?:[^#]*&)?"
        r"(?:id|aid|artid|articleid|newsid|infoid|contentid|docid)=\w+",
        r"/(?:art|article|detail|details|content|contents|info|news|a|doc)/[^?#]*\d{4,}[^/?#]*\.s?html?$",
        r"/a/\d+_\d+\.s?html?$",
    )
]
# Query parameters that number the pages of a list.
PAGE_PARAMS = r"(?:page|pageno|page_no|pageindex|pagenum|pagenumber|curpage|cpage|p|pn|currentpage)"
LIST_URL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"/(?:index|list|default)[_-]\d+\.s?html?$",
        rf"[?&]{PAGE_PARAMS}=\d+",
    )
]
NOT_ARTICLE_TEXTS = re.compile(
    r"^(?:首页|首頁|上一页|上一頁|下一页|下一頁|尾页|末页|更多|更多>>|more|网站地图|联系我们|关于我们|返回顶部|打印|关闭|English)$",
    re.I,
)
NON_PAGE_EXTENSIONS = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z|jpe?g|png|gif|bmp|svg|mp4|mp3|avi|flv|exe|apk|css|js)$",
    re.I,
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _same_site(url: str, hosts: set[str]) -> bool:
    return _same_host(urlsplit(url).hostname or "", hosts)


def _same_host(host: str, hosts: set[str]) -> bool:
    return host in hosts or any(host.endswith("." + h) for h in hosts)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _is_article_target(target: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    """`is_article_url` of a URL's path and query, already split off."""
    return any(p.search(target) for p in extra_patterns) or any(p.search(target) for p in ARTICLE_URL_PATTERNS)


def _is_list_target(target: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    return any(p.search(target) for p in extra_patterns) or any(p.search(target) for p in LIST_URL_PATTERNS)


def is_article_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    return _is_article_target(_target(url), extra_patterns)


def is_list_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    return _is_list_target(_target(url), extra_patterns)


def _looks_like_headline(text: str, url: str) -> bool:
    """Context rule for unknown CMSes: a headline-length anchor to a leaf page with an id."""
    if len(HAN.findall(text)) < 6 or NOT_ARTICLE_TEXTS.match(text):
        return False
    path = urlsplit(url)
    leaf = path.path.rsplit("/", 1)[-1]
    return bool(re.search(r"\d{3,}", leaf + path.query)) and not path.path.endswith("/")


def _looks_like_article_address(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    """For a bare address with no anchor text (sitemaps): a known article shape, or a leaf
    page named by a number that is neither a list page nor a folder's default document."""
    if is_article_url(url, extra_patterns):
        return True
    parts = urlsplit(url)
    leaf = parts.path.rsplit("/", 1)[-1]
    if not leaf or is_list_url(url) or NON_PAGE_EXTENSIONS.search(leaf):
        return False
    if re.match(r"(?:index|default|list|more)", leaf, re.I):
        return False
    return bool(re.search(r"\d{3,}", leaf + parts.query))
