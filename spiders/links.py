"""Find article links and pagination on a list page, the way government CMSes lay them out.

Pure functions over a page's URL and HTML, so they are tested on fixture pages
and reused by every spider.  An article link is recognised by the URL shapes of
the common CMSes (TRS `t20200430_123.html`, Hanweb `/art/2020/4/30/art_…`,
intensive-platform `/content/detail/<id>.html`, dated folders, `show.asp?id=`…)
or, failing that, by its context: a headline-length anchor text pointing at a
leaf page with an id.  Pagination is 下一页/page-number links, `index_N.html`
style names, `?page=N` queries and the TRS `createPageHTML(...)` script.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

ARTICLE_URL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"/t\d{8}_\d+\.s?html?$",  # TRS WCM
        r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$",  # Hanweb JCMS
        r"/content/(?:detail|post)[/_]?[0-9a-z_]+\.s?html?$",  # intensive platforms
        r"/content_\d+\.s?html?$",
        r"/\d{4}[-/]?\d{2}/?\d{2}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",  # dated folders
        r"/\d{4}/\d{4}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",
        r"/\d{6,8}/[^/?#]*\d{3,}[^/?#]*\.s?html?$",
        r"/(?:show|view|detail|article|info|content|news)\w*\.(?:asp|aspx|php|jsp|do)\?(?:[^#]*&)?(?:id|aid|articleid|newsid|infoid|contentid)=\w+",
        r"/(?:art|article|detail|details|content|info|news|a|doc)/[^?#]*\d{4,}[^/?#]*\.s?html?$",
        r"/a/\d+_\d+\.s?html?$",
    )
]
LIST_URL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"/(?:index|list|default)[_-]\d+\.s?html?$",
        r"[?&](?:page|pageno|pageindex|pagenum|curpage|p|pn|currentpage)=\d+",
    )
]
NEXT_PAGE_TEXTS = {"下一页", "下页", "下一頁", "下頁", "后页", "後頁", "尾页", "尾頁", "末页", ">", ">>", "»", "›", "next"}
NOT_ARTICLE_TEXTS = re.compile(
    r"^(?:首页|首頁|上一页|上一頁|下一页|下一頁|尾页|末页|更多|更多>>|more|网站地图|联系我们|关于我们|返回顶部|打印|关闭|English)$",
    re.I,
)
NON_PAGE_EXTENSIONS = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z|jpe?g|png|gif|bmp|svg|mp4|mp3|avi|flv|exe|apk|css|js)$",
    re.I,
)
CREATE_PAGE_HTML = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class PageLinks:
    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    # List pages fetched by POST with form data (Hanweb's dataproxy.jsp): (url, formdata).
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _same_site(url: str, hosts: set[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in hosts)


def is_article_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    path = urlsplit(url)
    target = path.path + ("?" + path.query if path.query else "")
    return any(p.search(target) for p in (*extra_patterns, *ARTICLE_URL_PATTERNS))


def is_list_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    path = urlsplit(url)
    target = path.path + ("?" + path.query if path.query else "")
    return any(p.search(target) for p in (*extra_patterns, *LIST_URL_PATTERNS))


def _looks_like_headline(text: str, url: str) -> bool:
    """Context rule for unknown CMSes: a headline-length anchor to a leaf page with an id."""
    if len(HAN.findall(text)) < 6 or NOT_ARTICLE_TEXTS.match(text):
        return False
    path = urlsplit(url)
    leaf = path.path.rsplit("/", 1)[-1]
    return bool(re.search(r"\d{3,}", leaf + path.query)) and not path.path.endswith("/")


def _list_scope(list_url: str) -> str:
    """The folder a list page lives in; its pagination stays inside it."""
    path = urlsplit(list_url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def find_links(
    url: str,
    html: str,
    *,
    allowed_hosts: set[str] | None = None,
    article_patterns: list[str] = (),
    pagination_patterns: list[str] = (),
) -> PageLinks:
    """Article links and further list pages on the list page `url`."""
    allowed_hosts = allowed_hosts or {urlsplit(url).hostname or ""}
    extra_articles = [re.compile(p) for p in article_patterns]
    extra_pages = [re.compile(p) for p in pagination_patterns]
    selector = Selector(text=html or "<html></html>")
    base = selector.xpath("//base/@href").get()
    base_url = urljoin(url, base) if base else url
    scope = _list_scope(url)
    found = PageLinks()
    seen: set[str] = {urldefrag(url)[0]}

    def add(bucket: list[str], link: str) -> None:
        if link not in seen:
            seen.add(link)
            bucket.append(link)

    for anchor in selector.xpath("//a[@href]"):
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        link = urldefrag(urljoin(base_url, href))[0]
        if urlsplit(link).scheme not in ("http", "https") or not _same_site(link, allowed_hosts):
            continue
        if NON_PAGE_EXTENSIONS.search(urlsplit(link).path):
            continue
        text = " ".join("".join(anchor.xpath(".//text()").getall()).split())
        title_attr = anchor.attrib.get("title", "")
        if is_list_url(link, extra_pages) or (
            text.lower() in NEXT_PAGE_TEXTS or (text.isdigit() and len(text) < 4)
        ):
            if urlsplit(link).path.startswith(scope) and not is_article_url(link, extra_articles):
                add(found.pages, link)
            continue
        if is_article_url(link, extra_articles) or _looks_like_headline(text or title_attr, link):
            add(found.articles, link)

    for script in selector.xpath("//script/text()").getall():
        for match in CREATE_PAGE_HTML.finditer(script):
            count, _current, prefix, ext = int(match[1]), match[2], match[3], match[4]
            for n in range(1, min(count, 500)):
                add(found.pages, urljoin(url, f"{scope}{prefix}_{n}.{ext}"))
    return found
