"""Find article links and pagination on a list page, the way government CMSes lay them out.

Pure functions over a page's URL and body, so they are tested on fixture pages
and reused by every spider.  An article link is recognised by the URL shapes of
the common CMSes (TRS `t20200430_123.html`, Hanweb `/art/2020/4/30/art_…`,
intensive-platform `/content/detail/<id>.html`, dated folders, `Detail.aspx?id=`…)
or, failing that, by its context: a headline-length anchor text pointing at a
leaf page with an id.  Pagination is 下一页/page-number links (gaps of a numbered
pager with `…` filled in), `index_N.html` style names, `?page=N` queries on the
list's own path, the TRS `createPageHTML(...)` script and the Hanweb JCMS
`<datastore>` + jpage config (further records fetched by POST from
`dataproxy.jsp`).  A body that is an XML sitemap, an RSS or an Atom feed gives
its entries, and a page advertising a feed or sitemap gets it crawled too.
"""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

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
PAGE_PARAM = re.compile(rf"^{PAGE_PARAMS}$", re.I)
LIST_URL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"/(?:index|list|default)[_-]\d+\.s?html?$",
        rf"[?&]{PAGE_PARAMS}=\d+",
    )
]
NUMBERED_PAGE_NAME = re.compile(r"^((?:index|list|default)[_-])(\d+)(\.s?html?)$", re.I)
DEFAULT_DOCUMENT = re.compile(r"/(?:index|default)\.\w+$", re.I)
NEXT_PAGE_TEXTS = {"下一页", "下页", "下一頁", "下頁", "后页", "後頁", "尾页", "尾頁", "末页", "末頁", "最后一页",
                   ">", ">>", "»", "›", "next", "last", "…", "...", "···"}
NOT_ARTICLE_TEXTS = re.compile(
    r"^(?:首页|首頁|上一页|上一頁|下一页|下一頁|尾页|末页|更多|更多>>|more|网站地图|联系我们|关于我们|返回顶部|打印|关闭|English)$",
    re.I,
)
NON_PAGE_EXTENSIONS = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z|jpe?g|png|gif|bmp|svg|mp4|mp3|avi|flv|exe|apk|css|js)$",
    re.I,
)
CREATE_PAGE_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
CALL_ARGUMENT = re.compile(r"'[^']*'|\"[^\"]*\"|[^,\s][^,]*")
HAN = re.compile(r"[\u4e00-\u9fff]")
# Caps on the list pages one page may announce (bounds hostile or broken page counts).
MAX_ANNOUNCED_PAGES = 500

# Hanweb JCMS: records in <datastore>, more of them from dataproxy.jsp.
DATASTORE = re.compile(r"<datastore\b[^>]*>(.*?)</datastore\s*>", re.I | re.S)
RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.I | re.S)
NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.I | re.S)
CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"
HANWEB_RANGE_PARAMS = {"startrecord", "endrecord", "perpage"}
HANWEB_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourcecontenttype", "unitid",
                    "webname", "permissiontype")
JS_VALUE = r"""(?:'([^'\n]*)'|"([^"\n]*)"|([^,;}\s'"]+))"""

# The root element of an XML body (after the declaration, stylesheets, comments, doctype).
XML_ROOT = re.compile(
    r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<\?xml-stylesheet[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([\w:.-]+)",
    re.I | re.S,
)
FEED_TYPES = re.compile(r"^application/(?:rss|atom|rdf)\+xml$|^(?:application|text)/xml$", re.I)


@dataclass
class PageLinks:
    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    # List pages fetched by POST with form data (Hanweb's dataproxy.jsp): (url, formdata).
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _same_site(url: str, hosts: set[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in hosts)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def is_article_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    target = _target(url)
    return any(p.search(target) for p in (*extra_patterns, *ARTICLE_URL_PATTERNS))


def is_list_url(url: str, extra_patterns: list[re.Pattern] = ()) -> bool:
    target = _target(url)
    return any(p.search(target) for p in (*extra_patterns, *LIST_URL_PATTERNS))


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


def _list_scope(list_url: str) -> str:
    """The folder a list page lives in; its pagination stays inside it."""
    path = urlsplit(list_url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def _page_path(path: str) -> str:
    """A list's path with its folder's default document (index.html, default.aspx) dropped."""
    return DEFAULT_DOCUMENT.sub("/", path) or "/"


def _non_page_params(query: str) -> set[tuple[str, str]]:
    return {(k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True) if not PAGE_PARAM.match(k)}


def _paginates(link: str, list_url: str, scope: str) -> bool:
    """Is `link` a page of the list `list_url`?  A query-paged link (`list.aspx?page=3`) must be
    the list's own path with the list's own other parameters; `index_3.html` stays in its folder."""
    link_parts, list_parts = urlsplit(link), urlsplit(list_url)
    if link_parts.query:
        return _page_path(link_parts.path) == _page_path(list_parts.path) and _non_page_params(
            list_parts.query
        ) <= _non_page_params(link_parts.query)
    return link_parts.path.startswith(scope)


def _own_pager(pages: list[str], list_url: str) -> list[str]:
    """Of the query-paged links on a list, those of its own pager: the ones whose other
    parameters are the list's own, or (when the pager adds some, `?uid=5678&pageNum=2`) the
    most numerous such group; `list.aspx?cat=7&page=2` on `list.aspx` is another list."""
    own = frozenset(_non_page_params(urlsplit(list_url).query))
    groups: dict[frozenset, list[str]] = {}
    for page in pages:
        if urlsplit(page).query:
            groups.setdefault(frozenset(_non_page_params(urlsplit(page).query)), []).append(page)
    if not groups:
        return pages
    if own in groups:
        keep = {own}
    else:
        most = max(len(g) for g in groups.values())
        keep = {key for key, group in groups.items() if len(group) == most}
    return [p for p in pages if not urlsplit(p).query
            or frozenset(_non_page_params(urlsplit(p).query)) in keep]


def _page_slot(url: str) -> tuple[str, int] | None:
    """(template, number) of a numbered list page; the template has a NUL where the number was
    (`list.aspx?page=_`, `index__.html`)."""
    parts = urlsplit(url)
    match = re.search(rf"(^|&)({PAGE_PARAMS}=)(\d+)(?=&|$)", parts.query, re.I)
    if match:
        query = parts.query[: match.start(3)] + "\0" + parts.query[match.end(3):]
        return urlunsplit(parts._replace(query=query)), int(match[3])
    folder, _, leaf = parts.path.rpartition("/")
    match = NUMBERED_PAGE_NAME.match(leaf)
    if match:
        return urlunsplit(parts._replace(path=f"{folder}/{match[1]}\0{match[3]}")), int(match[2])
    return None


def _fill_page_gaps(pages: list[str]) -> list[str]:
    """Numbered pagers show `1 2 3 … 12 尾页`: the pages between the lowest and the highest
    number a template shows are pages of the list too."""
    numbers: dict[str, set[int]] = {}
    for page in pages:
        slot = _page_slot(page)
        if slot:
            numbers.setdefault(slot[0], set()).add(slot[1])
    missing = []
    for template, seen in numbers.items():
        if len(seen) < 2:
            continue
        # At most MAX_ANNOUNCED_PAGES from here: a later page's pager shows where to go on.
        low = min(seen)
        high = min(max(seen), low + MAX_ANNOUNCED_PAGES)
        missing.extend(template.replace("\0", str(n)) for n in range(low, high + 1) if n not in seen)
    return missing


# --- TRS createPageHTML -----------------------------------------------------------------

def _script_number(scripts: str, name: str) -> int | None:
    match = re.search(rf"\b{re.escape(name)}\s*=\s*['\"]?(\d+)", scripts)
    return int(match[1]) if match else None


def _create_page_calls(scripts: str):
    """(count, current, prefix, ext) of each `createPageHTML(...)` call, in its variants:
    `(12, 0, "index", "html")`, `(countPage, currentPage, "index", "html")` with `var countPage = 12`,
    `('page_div', 12, 0, 'index', 'shtml', 20)` with a leading element id and a trailing record count."""
    for call in CREATE_PAGE_CALL.finditer(scripts):
        values: list[int | str | None] = []
        for raw in CALL_ARGUMENT.findall(call[1]):
            raw = raw.strip()
            if raw[:1] in ("'", '"'):
                text = raw[1:-1].strip()
                values.append(int(text) if text.isdigit() else text)
            elif raw.isdigit():
                values.append(int(raw))
            elif re.fullmatch(r"[A-Za-z_$][\w$]*", raw):
                values.append(_script_number(scripts, raw))  # None when it is not a number
            else:
                values.append(None)
        numeric = [i for i, v in enumerate(values) if isinstance(v, int)]
        if not numeric or None in values[: numeric[0] + 2]:
            continue
        first = numeric[0]
        if first + 3 >= len(values) or not isinstance(values[first + 1], int):
            continue
        prefix, ext = values[first + 2], values[first + 3]
        if (isinstance(prefix, str) and isinstance(ext, str)
                and re.fullmatch(r"[\w-]+", prefix) and re.fullmatch(r"\w+", ext)):
            yield values[first], values[first + 1], prefix, ext


# --- Hanweb JCMS datastore ----------------------------------------------------------------

def _cdata_or_text(raw: str) -> str:
    parts = CDATA.findall(raw)
    return "".join(parts) if parts else html_lib.unescape(raw)


def datastore_records(body: str) -> list[str]:
    """The HTML of every `<record>` of the Hanweb `<datastore>`s in `body` (a list page or the
    XML answer of dataproxy.jsp)."""
    records = []
    for store in DATASTORE.findall(body):
        records.extend(_cdata_or_text(r) for r in RECORD.findall(store))
    return records


def _js_setting(text: str, *names: str, numeric: bool = False) -> str | None:
    """The value a page's scripts give `name` (`name: 'v'`, `"name": v`, `var name = v`)."""
    for name in names:
        pattern = rf"""(?:^|[\s{{,;'"(])['"]?{name}['"]?\s*[:=]\s*{JS_VALUE}"""
        for match in re.finditer(pattern, text, re.I):
            value = next(g for g in match.groups() if g is not None)
            if not numeric or value.strip().isdigit():
                return value.strip() if numeric else value
    return None


def _hanweb_form(body: str) -> dict[str, str]:
    """The form data jpage posts to dataproxy.jsp: its `ajaxParam`, else the query of the
    datastore's `<nextgroup>` link, else the known keys set in the page's scripts."""
    match = re.search(r"ajaxParam\s*:\s*\{(.*?)\}", body, re.S | re.I)
    if match:
        pairs = re.finditer(rf"""['"]?([\w$]+)['"]?\s*:\s*{JS_VALUE}""", match[1])
        return {m[1]: next(g for g in m.groups()[1:] if g is not None) for m in pairs}
    group = NEXTGROUP.search(body)
    if group:
        href = re.search(r"""href\s*=\s*['"]([^'"]*)['"]""", _cdata_or_text(group[1]))
        if href:
            query = urlsplit(html_lib.unescape(href[1])).query
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "page"]
            if pairs:
                return dict(pairs)
    form = {}
    for key in HANWEB_FORM_KEYS:
        value = _js_setting(body, key)
        if value is not None:
            form[key] = value
    return form


def _hanweb_posts(url: str, body: str, embedded: int) -> list[tuple[str, dict[str, str]]]:
    """One POST to dataproxy.jsp per jpage group (perPage × groupSize records) the page does not
    already carry, up to `totalRecord`."""
    total = _js_setting(body, "totalRecord", "total_record", numeric=True)
    if not total:
        return []
    proxy = _js_setting(body, "proxyUrl", "proxy_url") or HANWEB_PROXY
    proxy_parts = urlsplit(html_lib.unescape(proxy))
    proxy_query = dict(parse_qsl(proxy_parts.query, keep_blank_values=True))
    per_page = _js_setting(body, "perPage", "per_page", numeric=True) or proxy_query.get("perpage", "")
    per_page = per_page if per_page.isdigit() else "15"
    group_size = _js_setting(body, "groupSize", "group_size", numeric=True) or "3"
    per_page_n, total_n = max(int(per_page), 1), int(total)
    step = per_page_n * max(int(group_size), 1)
    kept = [(k, v) for k, v in parse_qsl(proxy_parts.query, keep_blank_values=True)
            if k.lower() not in HANWEB_RANGE_PARAMS]
    form = _hanweb_form(body)
    posts = []
    for start in range(1, total_n + 1, step):
        end = min(start + step - 1, total_n)
        if end <= embedded:
            continue  # the page itself carries these records
        query = urlencode([*kept, ("startrecord", start), ("endrecord", end), ("perpage", per_page_n)])
        posts.append((urljoin(url, urlunsplit(proxy_parts._replace(query=query))), dict(form)))
        if len(posts) >= MAX_ANNOUNCED_PAGES:
            break
    return posts


# --- sitemaps and feeds --------------------------------------------------------------------

def _xml_text(raw: str) -> str:
    return _cdata_or_text(raw).strip()


def xml_root(body: str) -> str | None:
    """The root element's name, lower-cased, when `body` is an XML document (not HTML)."""
    match = XML_ROOT.match(body.lstrip("\ufeff")[:4096])
    if not match:
        return None
    name = match[1].lower()
    return None if name in ("html", "head", "body") else name


def _feed_entries(root: str, body: str) -> tuple[list[str], list[str]]:
    """(entry links, further sitemaps) of a sitemap, sitemap index, RSS or Atom document."""
    if root == "sitemapindex":
        return [], [_xml_text(m) for m in re.findall(r"<loc\b[^>]*>(.*?)</loc\s*>", body, re.S | re.I)]
    if root == "urlset":
        urls = re.findall(r"<url\b[^>]*>(.*?)</url\s*>", body, re.S | re.I)
        return [_xml_text(m[1]) for u in urls if (m := re.search(r"<loc\b[^>]*>(.*?)</loc\s*>", u, re.S | re.I))], []
    if root in ("rss", "rdf:rdf"):
        links = []
        for item in re.findall(r"<item\b[^>]*>(.*?)</item\s*>", body, re.S | re.I):
            link = re.search(r"<link\b[^>]*>(.*?)</link\s*>", item, re.S | re.I)
            guid = re.search(r"<guid\b(?![^>]*isPermaLink\s*=\s*['\"]false)[^>]*>(.*?)</guid\s*>", item, re.S | re.I)
            if link and _xml_text(link[1]):
                links.append(_xml_text(link[1]))
            elif guid and _xml_text(guid[1]).startswith(("http://", "https://", "/")):
                links.append(_xml_text(guid[1]))
        return links, []
    if root == "feed":
        links = []
        for entry in re.findall(r"<entry\b[^>]*>(.*?)</entry\s*>", body, re.S | re.I):
            for tag in re.findall(r"<link\b[^>]*>", entry, re.I):
                rel = re.search(r"""\brel\s*=\s*['"]([^'"]*)['"]""", tag)
                href = re.search(r"""\bhref\s*=\s*['"]([^'"]*)['"]""", tag)
                if href and (not rel or rel[1].lower() == "alternate"):
                    links.append(html_lib.unescape(href[1]).strip())
                    break
        return links, []
    return [], []


def _advertised_feeds(selector: Selector, base_url: str) -> list[str]:
    found: list[str] = []
    for link in selector.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").strip()
        if ("alternate" in rel and FEED_TYPES.match(kind)) or "sitemap" in rel:
            address = urldefrag(urljoin(base_url, link.attrib["href"].strip()))[0]
            if urlsplit(address).scheme in ("http", "https") and address not in found:
                found.append(address)
    return found


def feed_links(url: str, html: str) -> list[str]:
    """The RSS/Atom feeds and sitemaps a page advertises in its `<link>`s
    (`rel="alternate" type="application/rss+xml"`, `rel="sitemap"`), as absolute URLs."""
    if not html or xml_root(html):
        return []
    selector = Selector(text=html)
    base = selector.xpath("//base/@href").get()
    return _advertised_feeds(selector, urljoin(url, base) if base else url)


# --- the list page ---------------------------------------------------------------------------

def find_links(
    url: str,
    html: str,
    *,
    allowed_hosts: set[str] | None = None,
    article_patterns: list[str] = (),
    pagination_patterns: list[str] = (),
) -> PageLinks:
    """Article links, further list pages and POSTed list pages on the list page `url`
    (HTML, a Hanweb dataproxy.jsp datastore, a sitemap, an RSS or an Atom feed)."""
    allowed_hosts = allowed_hosts or {urlsplit(url).hostname or ""}
    extra_articles = [re.compile(p) for p in article_patterns]
    extra_pages = [re.compile(p) for p in pagination_patterns]
    html = html or ""
    scope = _list_scope(url)
    found = PageLinks()
    seen: set[str] = {urldefrag(url)[0]}

    def add(bucket: list[str], link: str) -> None:
        if link not in seen:
            seen.add(link)
            bucket.append(link)

    def usable(link: str) -> bool:
        parts = urlsplit(link)
        return (parts.scheme in ("http", "https") and _same_site(link, allowed_hosts)
                and not NON_PAGE_EXTENSIONS.search(parts.path))

    root = xml_root(html)
    if root in ("urlset", "sitemapindex", "rss", "rdf:rdf", "feed"):
        entries, sitemaps = _feed_entries(root, html)
        for entry in entries:
            link = urldefrag(urljoin(url, entry))[0]
            # A feed's items are articles; a sitemap also lists home and column pages.
            if usable(link) and (root != "urlset" or _looks_like_article_address(link, extra_articles)):
                add(found.articles, link)
        for sitemap in sitemaps:
            link = urldefrag(urljoin(url, sitemap))[0]
            if usable(link):
                add(found.pages, link)
        return found

    candidates: list[str] = []  # list pages, before the pager check

    def anchors(selector: Selector, base_url: str, paging: bool) -> None:
        for anchor in selector.xpath("//a[@href]"):
            href = (anchor.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            link = urldefrag(urljoin(base_url, href))[0]
            if not usable(link):
                continue
            text = " ".join("".join(anchor.xpath(".//text()").getall()).split())
            title_attr = anchor.attrib.get("title", "")
            if is_list_url(link, extra_pages) or (
                text.lower() in NEXT_PAGE_TEXTS or (text.isdigit() and len(text) < 4)
            ):
                if paging and _paginates(link, url, scope) and not is_article_url(link, extra_articles):
                    if link not in candidates:
                        candidates.append(link)
                continue
            if is_article_url(link, extra_articles) or _looks_like_headline(text or title_attr, link):
                add(found.articles, link)

    records = datastore_records(html)
    if root == "datastore":  # the answer of dataproxy.jsp: records only
        anchors(Selector(text="\n".join(records) or "<html></html>"), url, paging=False)
        return found

    selector = Selector(text=html or "<html></html>")
    base = selector.xpath("//base/@href").get()
    base_url = urljoin(url, base) if base else url
    anchors(selector, base_url, paging=True)
    if records:
        anchors(Selector(text="\n".join(records)), base_url, paging=False)
    pager = _own_pager(candidates, url)
    for page in pager + _fill_page_gaps(pager):
        add(found.pages, page)

    scripts = "\n".join(selector.xpath("//script/text()").getall())
    for count, current, prefix, ext in _create_page_calls(scripts):
        # All pages, or the MAX_ANNOUNCED_PAGES around this one (the later ones announce the rest).
        low = max(0, min(current - MAX_ANNOUNCED_PAGES // 2, count - MAX_ANNOUNCED_PAGES))
        for n in range(low, min(count, low + MAX_ANNOUNCED_PAGES)):
            if n == current:
                continue  # the page we are on
            name = f"{prefix}.{ext}" if n == 0 else f"{prefix}_{n}.{ext}"
            add(found.pages, urljoin(url, f"{scope}{name}"))

    if records or re.search(r"\bjpage\s*\(|dataproxy\.jsp", html, re.I):
        seen_posts = set()
        for post_url, form in _hanweb_posts(url, html, len(records)):
            if usable(post_url) and post_url not in seen_posts:
                seen_posts.add(post_url)
                found.posts.append((post_url, form))

    for feed in _advertised_feeds(selector, base_url):
        if usable(feed):
            add(found.pages, feed)
    return found
