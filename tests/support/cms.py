"""Realistic offline government CMS sites, generated on disk and served on 127.0.0.1.

For end-to-end crawl tests and crawl benchmarks: each builder writes one site the
way a common Chinese government CMS lays it out, and returns a `SiteSpec` naming
its list page and every article (path → title); `CmsServer` serves that site with
its dynamic routes and its charset, answers conditional requests (ETag /
If-Modified-Since → 304) for static files, and counts the requests per path.

- `build_trs_site`: TRS WCM column `/zwxx/xwdt/index.html`, `index_1.html`, … paged only by a
  `createPageHTML(...)` script; articles `/zwxx/xwdt/YYYYMM/tYYYYMMDD_NNNNNNN.html`
  (UTF-8, or GBK bytes declared as gb2312).
- `build_hanweb_site`: Hanweb JCMS column `/col/col1201/index.html` carrying its first
  records in a `<datastore>`; the rest only through POSTs to `/module/web/jpage/dataproxy.jsp`.
- `build_paged_site`: ASP.NET `list.aspx?page=N` with a numbered pager, `Detail.aspx?id=N`.
- `build_feed_site`: a home page advertising `rss.xml` and `sitemap.xml` (a sitemap index).

Article `k` (1 = oldest) is the same in every build of a kind, so a site rebuilt with more
articles keeps its old pages byte for byte (new ones appear at the top of the list).
Texts are paragraphs of the bundled demo sites' articles, drawn per article.
"""

from __future__ import annotations

import collections
import email.utils
import functools
import gzip
import hashlib
import html
import io
import json
import os
import random
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from crawler.demo.server import SITES_DIR, LoopbackServer, load_manifest

SPEC_FILE = ".cms/site.json"
FIRST_DAY = date(2015, 1, 5)
ARTICLES_PER_DAY = 3

# --- texts ------------------------------------------------------------------------------------

SUBJECTS = [
    "区委常委会",
    "区政府常务会议",
    "区人大常委会",
    "区政协",
    "区纪委监委",
    "区发展改革委",
    "区教育局",
    "区卫生健康委",
    "区住房城乡建设局",
    "区生态环境分局",
    "区市场监管局",
    "区应急管理局",
    "区农业农村局",
    "区人力资源社会保障局",
    "区文化旅游体育局",
    "区民政局",
    "区财政局",
    "区自然资源局",
    "区交通运输局",
    "区商务局",
]
ACTIONS = [
    "{s}召开{t}会议",
    "{s}专题研究{t}",
    "{s}安排部署{t}",
    "{s}督导检查{t}",
    "{s}调研{t}",
    "{s}听取{t}情况汇报",
    "{s}召开{t}推进会",
    "{s}扎实推进{t}",
    "{s}部署开展{t}",
    "{s}总结{t}",
]
TOPICS = [
    "安全生产工作",
    "镕盛产业园建设",
    "营商环境优化提升",
    "重点项目建设",
    "城市更新改造",
    "乡村振兴工作",
    "防汛抗旱工作",
    "森林防灭火工作",
    "民生实事办理",
    "老旧小区改造",
    "招商引资工作",
    "优化税收服务",
    "义务教育均衡发展",
    "基层医疗服务能力提升",
    "生态环境保护",
    "大气污染防治",
    "河湖长制工作",
    "食品安全监管",
    "就业创业服务",
    "社会救助工作",
    "养老服务体系建设",
    "文明城市创建",
    "平安建设工作",
    "信访稳定工作",
    "安全隐患排查整治",
    "政务服务改革",
    "一网通办工作",
    "数字政府建设",
    "财政预算执行",
    "审计整改工作",
    "耕地保护工作",
    "农村人居环境整治",
    "粮食生产工作",
    "冬春季节火灾防控",
    "道路交通安全",
    "消费品以旧换新",
    "外贸稳增长工作",
    "文化旅游融合发展",
    "全民健身活动",
    "退役军人服务保障",
    "民族团结进步创建",
    "人口普查工作",
    "统计执法检查",
    "疫苗接种工作",
    "爱国卫生运动",
    "校园安全管理",
    "燃气安全整治",
    "电动自行车安全隐患整治",
    "根治欠薪工作",
    "高标准农田建设",
]
SOURCES = ["区融媒体中心", "区政府办公室", "区委宣传部", "区发展改革委", "区应急管理局", "区教育局", "区卫生健康委"]
FOOTER_WORDS = re.compile(r"主办单位|承办单位|ICP|网站标识码|公网安备|地址[:：]|电话[:：]|版权所有")


@functools.lru_cache(maxsize=1)
def demo_paragraphs() -> tuple[str, ...]:
    """The body paragraphs of the bundled demo sites' pages, read with each site's declared
    charset; only Simplified ones (they encode as GB2312), footers left out."""
    charsets = {entry["name"]: entry.get("charset") or "utf-8" for entry in load_manifest()}
    found: list[str] = []
    for page in sorted(SITES_DIR.glob("*/**/*.*htm*")):
        charset = charsets.get(page.relative_to(SITES_DIR).parts[0], "utf-8")
        codec = "gb18030" if charset.lower() in ("gb2312", "gbk", "gb18030") else charset
        text = page.read_bytes().decode(codec, errors="replace")
        for paragraph in Selector(text=text).xpath("//p").xpath("string()").getall():
            paragraph = " ".join(paragraph.split())
            # Spaces a news aggregator put around Chinese punctuation (`济阳区 , 总`) go.
            paragraph = re.sub(r"\s*([,，。;；:：、!！?？])\s*", r"\1", paragraph)
            paragraph = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", paragraph)
            if len(re.findall(r"[\u4e00-\u9fff]", paragraph)) < 30 or FOOTER_WORDS.search(paragraph):
                continue
            try:
                paragraph.encode("gb2312")
            except UnicodeEncodeError:
                continue
            if paragraph not in found:
                found.append(paragraph)
    if not found:
        raise RuntimeError(f"no article paragraphs under {SITES_DIR}")
    return tuple(found)


@functools.lru_cache(maxsize=1)
def demo_sentences() -> tuple[str, ...]:
    """The sentences of `demo_paragraphs()` (ending in 。！？；), ten Han characters or more."""
    sentences = (s for p in demo_paragraphs() for s in re.findall(r"[^。！？；]+[。！？；]", p))
    return tuple(dict.fromkeys(s for s in sentences if len(re.findall(r"[\u4e00-\u9fff]", s)) >= 10))


@dataclass(frozen=True)
class Article:
    """Article `k` (1 = oldest) of a generated site: the same in every build."""

    k: int
    title: str
    published: date
    time: str  # HH:MM
    source: str
    paragraphs: tuple[str, ...]

    @property
    def date_text(self) -> str:
        return self.published.isoformat()


def article(k: int, salt: int = 0) -> Article:
    i = k - 1
    q = i // len(TOPICS)
    topic = TOPICS[i % len(TOPICS)]
    subject = SUBJECTS[(q + i) % len(SUBJECTS)]
    action = ACTIONS[(q // len(SUBJECTS) + i) % len(ACTIONS)]
    title = action.format(s=subject, t=topic)
    published = FIRST_DAY + timedelta(days=i // ARTICLES_PER_DAY)
    rng = random.Random(k * 7919 + salt)
    # Paragraphs are new mosaics of the demo sentences: articles drawn whole from a few dozen
    # paragraphs would be near-duplicates of each other (SimHash), which real articles are not.
    pool = demo_sentences()
    chosen = ["".join(rng.sample(pool, rng.randint(2, 4))) for _ in range(rng.randint(3, 7))]
    lead = f"{published.month}月{published.day}日，{title}。{subject}有关负责同志参加。"
    time = f"{8 + (i % ARTICLES_PER_DAY) * 3:02d}:{(k * 17) % 60:02d}"
    return Article(k, title, published, time, SOURCES[k % len(SOURCES)], (lead, *chosen))


# --- the site description ------------------------------------------------------------------------


@dataclass
class SiteSpec:
    """What a generated site holds: its list page, every article (path → title, in list order:
    newest first), every list page path, and what the server needs for its dynamic routes."""

    kind: str
    root: Path
    list_path: str
    articles: dict[str, str]
    list_paths: list[str] = field(default_factory=list)
    charset: str = "utf-8"  # declared in Content-Type
    encoding: str = "utf-8"  # the bytes
    published: dict[str, str] = field(default_factory=dict)  # path → YYYY-MM-DD
    dynamic: dict = field(default_factory=dict)

    @property
    def article_paths(self) -> set[str]:
        return set(self.articles)

    def save(self) -> None:
        path = self.root / SPEC_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**asdict(self), "root": None}
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, root: Path | str) -> SiteSpec:
        data = json.loads((Path(root) / SPEC_FILE).read_text(encoding="utf-8"))
        return cls(**{**data, "root": Path(root)})


def _write(root: Path, path: str, text: str, encoding: str = "utf-8") -> None:
    """Write a page unless it already holds these bytes (a rebuild keeps mtimes of unchanged pages);
    a `.gz` path is written gzipped."""
    target = root / path.lstrip("/")
    data = text.encode(encoding, errors="xmlcharrefreplace")
    if path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # no timestamp inside: a rebuild gives the same bytes
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _robots(root: Path) -> None:
    _write(root, "/robots.txt", "User-agent: *\nDisallow: /.cms/\nAllow: /\n")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


# --- TRS WCM -----------------------------------------------------------------------------------

TRS_SITE = "华阳区人民政府"
TRS_CREATE_PAGE = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
	if(_nPageCount == null || _nPageCount<=1){ return; }
	var nCurrIndex = _nCurrIndex || 0;
	if(nCurrIndex == 0){ document.write("首页&nbsp;上一页&nbsp;"); }
	else if(nCurrIndex == 1){ document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;<a href=\\"" + _sPageName + "." + _sPageExt + "\\">上一页</a>&nbsp;"); }
	else { document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;<a href=\\"" + _sPageName + "_" + (nCurrIndex-1) + "." + _sPageExt + "\\">上一页</a>&nbsp;"); }
	if(nCurrIndex == (_nPageCount-1)){ document.write("下一页&nbsp;尾页"); }
	else { document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex+1) + "." + _sPageExt + "\\">下一页</a>&nbsp;<a href=\\"" + _sPageName + "_" + (_nPageCount-1) + "." + _sPageExt + "\\">尾页</a>"); }
}"""


def _trs_head(title: str, charset: str, extra_meta: str = "") -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="{charset}">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{_esc(title)}</title>
<meta name="SiteName" content="{TRS_SITE}">
<meta name="SiteDomain" content="www.huayang.gov.cn">
<meta name="SiteIDCode" content="5101990001">
<meta name="ColumnName" content="新闻动态">
<meta name="ColumnType" content="新闻动态">
{extra_meta}<link rel="stylesheet" href="/images/style.css">
</head>
<body>
<div class="header"><div class="top"><span>欢迎访问{TRS_SITE}门户网站</span> <a href="/">首页</a> <a href="/wza/">无障碍</a> <a href="/zhuanti/zzms/">长者模式</a></div>
<div class="logo"><a href="/"><img src="/images/logo.png" alt="{TRS_SITE}"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwxx/">政务信息</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjhy/">走进华阳</a></li></ul></div>
"""


TRS_FOOTER = f"""<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzsm/">网站声明</a></p>
<p>主办单位：{TRS_SITE}办公室 &nbsp; 承办单位：华阳区大数据中心</p>
<p>网站标识码：5101990001 &nbsp; <a href="https://beian.miit.gov.cn/">蜀ICP备05012345号</a> &nbsp; 川公网安备 51019902000123号</p>
</div>
</body>
</html>
"""


def _trs_article(a: Article, charset: str, prev_next: str) -> str:
    body = "\n".join(f'<p style="text-indent: 2em;">{_esc(p)}</p>' for p in a.paragraphs)
    meta = (
        f'<meta name="ArticleTitle" content="{_esc(a.title)}">\n<meta name="PubDate" content="{a.date_text} {a.time}">\n'
        f'<meta name="ContentSource" content="{a.source}">\n'
    )
    return (
        _trs_head(f"{a.title}-{TRS_SITE}", charset, meta)
        + f"""<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwxx/">政务信息</a> &gt; <a href="/zwxx/xwdt/">新闻动态</a></div>
<div class="article">
<h1 class="title">{_esc(a.title)}</h1>
<div class="info"><span>发布时间：{a.date_text} {a.time}</span> <span>来源：{a.source}</span> <span>浏览次数：<em id="readcount"></em></span>
<span class="zh">【字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span>
<span>【<a href="javascript:window.print()">打印</a>】</span> <span>【<a href="javascript:window.close()">关闭</a>】</span></div>
<div id="zoom" class="content"><div class="TRS_Editor"><style type="text/css">.TRS_Editor P{{line-height:2;font-size:12pt;}}</style>
{body}
</div></div>
<div class="sxp">{prev_next}</div>
<div class="ewm"><img src="/images/ewm.png" alt=""><p>扫一扫在手机打开当前页</p></div>
</div>
"""
        + TRS_FOOTER
    )


def build_trs_site(
    root: Path, articles: int, per_page: int = 20, encoding: str = "utf-8", pager: str = "vars"
) -> SiteSpec:
    """A TRS WCM column of `articles` articles, `per_page` to a list page.

    The list pages are `/zwxx/xwdt/index.html`, `index_1.html`, … linked to each other only by
    the `createPageHTML` script: `pager="vars"` calls `createPageHTML(countPage, currentPage,
    "index", "html")` with `var countPage = N`, `pager="div"` the `createPageHTML('page_div', N,
    current, 'index', 'html', total)` variant.  With `encoding="gbk"` the pages are GBK bytes
    with `<meta charset="gb2312">` and the server declares gb2312.
    """
    root = Path(root)
    gbk = encoding.lower() in ("gbk", "gb2312", "gb18030")
    encoding, charset = ("gbk", "gb2312") if gbk else ("utf-8", "utf-8")
    items = [article(k) for k in range(articles, 0, -1)]
    paths = [f"/zwxx/xwdt/{a.published:%Y%m}/t{a.published:%Y%m%d}_{1000000 + a.k}.html" for a in items]
    for n, (a, path) in enumerate(zip(items, paths)):
        links = []
        if n + 1 < len(items):
            links.append(f'<p>上一篇：<a href="{paths[n + 1]}">{_esc(items[n + 1].title)}</a></p>')
        if n > 0:
            links.append(f'<p>下一篇：<a href="{paths[n - 1]}">{_esc(items[n - 1].title)}</a></p>')
        _write(root, path, _trs_article(a, charset, "".join(links)), encoding)
    pages = _chunks(list(zip(items, paths)), per_page)
    list_paths = []
    for number, chunk in enumerate(pages):
        name = "index.html" if number == 0 else f"index_{number}.html"
        list_paths.append(f"/zwxx/xwdt/{name}")
        rows = "\n".join(
            f'<li><a href="./{path.split("/")[-2]}/{path.split("/")[-1]}" target="_blank" title="{_esc(a.title)}">'
            f"{_esc(a.title)}</a><span>{a.date_text}</span></li>"
            for a, path in chunk
        )
        if pager == "div":
            script = (
                f"<div id=\"page_div\"></div><script>createPageHTML('page_div',{len(pages)}, {number},"
                f"'index','html',{articles});</script>"
            )
        else:
            script = (
                f"<script>\nvar currentPage = {number};//所在页从0开始\nvar countPage = {len(pages)}//共多少页\n"
                'createPageHTML(countPage, currentPage, "index", "html");\n</script>'
            )
        page = (
            _trs_head(f"新闻动态-{TRS_SITE}", charset, f"<script>{TRS_CREATE_PAGE}</script>\n")
            + f"""<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwxx/">政务信息</a> &gt; <a href="/zwxx/xwdt/">新闻动态</a></div>
<div class="main"><div class="left"><h3>政务信息</h3><ul><li class="on"><a href="/zwxx/xwdt/">新闻动态</a></li>
<li><a href="/zwxx/tzgg/">通知公告</a></li><li><a href="/zwxx/bmdt/">部门动态</a></li><li><a href="/zwxx/xzdt/">乡镇动态</a></li></ul></div>
<div class="right"><div class="tit">新闻动态</div>
<ul class="list">
{rows}
</ul>
<div class="page">{script}</div>
</div></div>
"""
            + TRS_FOOTER
        )
        _write(root, list_paths[-1], page, encoding)
    _robots(root)
    spec = SiteSpec(
        "trs",
        root,
        "/zwxx/xwdt/index.html",
        {p: a.title for a, p in zip(items, paths)},
        list_paths,
        charset,
        encoding,
        {p: a.date_text for a, p in zip(items, paths)},
    )
    spec.save()
    return spec


# --- Hanweb JCMS ---------------------------------------------------------------------------------

HANWEB_SITE = "青林县人民政府"
HANWEB_COLUMN, HANWEB_UNIT, HANWEB_WEB = 1201, 5678, 2
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"


def hanweb_record(path: str, title: str, day: str) -> str:
    return (
        f'<record><![CDATA[\n<li><a href="{path}" target="_blank" title="{_esc(title)}">{_esc(title)}</a>'
        f'<span class="bt-data-time">{day}</span></li>\n]]></record>'
    )


# The header and breadcrumb every page of the Hanweb site has.
HANWEB_NAV = f"""<div class="header"><a href="/index.html"><img src="/images/logo.png" alt="{HANWEB_SITE}"></a>
<ul class="nav"><li><a href="/index.html">首页</a></li><li><a href="/col/col1200/index.html">新闻中心</a></li>
<li><a href="/col/col1210/index.html">政务公开</a></li><li><a href="/col/col1220/index.html">政务服务</a></li></ul></div>
<div class="bt-position">您当前的位置：<a href="/index.html">首页</a> &gt; <a href="/col/col1200/index.html">新闻中心</a> &gt; <a href="/col/col{HANWEB_COLUMN}/index.html">工作动态</a></div>"""


def _hanweb_article(a: Article) -> str:
    body = "\n".join(f"<p>{_esc(p)}</p>" for p in a.paragraphs)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{_esc(a.title)} 工作动态 {HANWEB_SITE}</title>
<meta name="SiteName" content="{HANWEB_SITE}">
<meta name="SiteDomain" content="www.qinglin.gov.cn">
<meta name="SiteIDCode" content="3408990001">
<meta name="ColumnName" content="工作动态">
<meta name="ColumnType" content="工作动态">
<meta name="ArticleTitle" content="{_esc(a.title)}">
<meta name="PubDate" content="{a.date_text} {a.time}">
<meta name="ContentSource" content="{a.source}">
<script language="javascript" src="/module/jslib/jquery/jquery.js"></script>
<script language="javascript" src="/script/0/1403111443436.js"></script>
</head>
<body>
{HANWEB_NAV}
<div class="article">
<table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="title" align="center">{_esc(a.title)}</td></tr>
<tr><td class="info" align="center">发布日期：{a.date_text} {a.time} &nbsp; 信息来源：{a.source} &nbsp; 浏览次数：<span id="c"></span>
【字体：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(12)">小</a>】</td></tr>
<tr><td id="zoom" class="bt_content">
{body}
</td></tr>
</table>
<div class="bt-tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<div class="footer"><p>主办：{HANWEB_SITE}办公室 &nbsp; 承办：青林县数据资源管理局</p>
<p>网站标识码：3408990001 &nbsp; 皖ICP备05019999号 &nbsp; 皖公网安备 34089902000001号</p></div>
</body>
</html>
"""


def hanweb_datastore(records: list[str], total: int) -> str:
    """The XML document dataproxy.jsp answers with."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
        f"<totalrecord>{total}</totalrecord>\n<recordset>\n" + "\n".join(records) + "\n</recordset>\n</datastore>\n"
    )


def build_hanweb_site(root: Path, articles: int, per_page: int = 15, group_size: int = 3) -> SiteSpec:
    """A Hanweb JCMS column: `/col/col1201/index.html` carries the first `per_page × group_size`
    records in its `<datastore>` and the jpage config; the rest is only served by POSTs to
    `/module/web/jpage/dataproxy.jsp?startrecord=N&endrecord=M&perpage=P` with jpage's form data."""
    root = Path(root)
    items = [article(k, salt=1) for k in range(articles, 0, -1)]
    paths = [
        f"/art/{a.published.year}/{a.published.month}/{a.published.day}/art_{HANWEB_COLUMN}_{4000000 + a.k}.html"
        for a in items
    ]
    for a, path in zip(items, paths):
        _write(root, path, _hanweb_article(a))
    first = per_page * group_size
    records = "\n".join(hanweb_record(p, a.title, a.date_text) for a, p in zip(items[:first], paths[:first]))
    nextgroup = (
        f'<a href="{HANWEB_PROXY}?page=1&webid={HANWEB_WEB}&path=/&columnid={HANWEB_COLUMN}'
        f'&unitid={HANWEB_UNIT}&webname=%E9%9D%92%E6%9E%97%E5%8E%BF&permissiontype=0"></a>'
    )
    list_page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>工作动态 {HANWEB_SITE}</title>
<meta name="SiteName" content="{HANWEB_SITE}">
<meta name="ColumnName" content="工作动态">
<script language="javascript" src="/module/jslib/jquery/jquery.js"></script>
<script language="javascript" src="/module/jslib/jquery/jpage/jquery.jpage.js"></script>
</head>
<body>
{HANWEB_NAV}
<div class="list-left"><ul><li class="on"><a href="/col/col{HANWEB_COLUMN}/index.html">工作动态</a></li>
<li><a href="/col/col1202/index.html">通知公告</a></li><li><a href="/col/col1203/index.html">部门动态</a></li></ul></div>
<div class="list-right">
<div id="{HANWEB_UNIT}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>
{records}
</recordset>
</datastore></script></div>
<script language="javascript" src="/module/web/jpage/dataproxy.js"></script>
<script type="text/javascript">
$(document).ready(function(){{
	$('#{HANWEB_UNIT}').jpage({{
		dataStore: dataStore,
		proxyUrl: '{HANWEB_PROXY}',
		perPage: {per_page},
		totalRecord: {articles},
		groupSize: {group_size},
		barPosition: 'bottom',
		showMode: 'full',
		ajaxParam: {{col:1, appid:1, webid:{HANWEB_WEB}, path:'/', columnid:{HANWEB_COLUMN}, sourceContentType:1, unitid:{HANWEB_UNIT}, webname:'{HANWEB_SITE}', permissiontype:0}}
	}});
}});
</script>
</div>
<div class="footer"><p>主办：{HANWEB_SITE}办公室</p><p>网站标识码：3408990001 &nbsp; 皖ICP备05019999号</p></div>
</body>
</html>
"""
    list_path = f"/col/col{HANWEB_COLUMN}/index.html"
    _write(root, list_path, list_page)
    _robots(root)
    spec = SiteSpec(
        "hanweb",
        root,
        list_path,
        {p: a.title for a, p in zip(items, paths)},
        [list_path],
        "utf-8",
        "utf-8",
        {p: a.date_text for a, p in zip(items, paths)},
        {
            "proxy": HANWEB_PROXY,
            "columnid": str(HANWEB_COLUMN),
            "unitid": str(HANWEB_UNIT),
            "webid": str(HANWEB_WEB),
            "per_page": per_page,
            "group_size": group_size,
        },
    )
    spec.save()
    return spec


# --- ASP.NET list.aspx?page=N ---------------------------------------------------------------------

PAGED_SITE = "石川区人民政府"
PAGED_DIR = "/news/"
DYNAMIC_DIR = "/.cms/aspx/"


def _paged_shell(title: str, main: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>{_esc(title)}</title>
<link href="/css/style.css" rel="stylesheet" type="text/css" /></head>
<body>
<form name="form1" method="post" action="./list.aspx" id="form1">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRkZ2Vhb3Bz" />
<div class="top"><img src="/images/banner.jpg" alt="{PAGED_SITE}" /></div>
<div class="menu"><a href="/">网站首页</a> <a href="/news/list.aspx">政务要闻</a> <a href="/tzgg/list.aspx">通知公告</a>
<a href="/zwgk/Default.aspx">政务公开</a> <a href="/bsfw/Default.aspx">办事服务</a></div>
{main}
<div class="bottom">版权所有：{PAGED_SITE} &nbsp; 技术支持：石川区信息中心 &nbsp; 网站标识码：3205990001 &nbsp; 苏ICP备12034567号</div>
</form>
</body>
</html>
"""


def _pager(page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    parts = [f'<span>共{pages}页</span> <a href="list.aspx?page=1">首页</a>']
    if page > 1:
        parts.append(f'<a href="list.aspx?page={page - 1}">上一页</a>')
    numbers = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    last = 0
    for n in numbers:
        if n > last + 1:
            parts.append("<span>…</span>")
        parts.append(f'<span class="current">{n}</span>' if n == page else f'<a href="list.aspx?page={n}">{n}</a>')
        last = n
    if page < pages:
        parts.append(f'<a href="list.aspx?page={page + 1}">下一页</a>')
    parts.append(f'<a href="list.aspx?page={pages}">尾页</a>')
    return '<div class="pager">' + " ".join(parts) + "</div>"


def build_paged_site(root: Path, articles: int, per_page: int = 10) -> SiteSpec:
    """An ASP.NET site: `/news/list.aspx` (and `?page=N`) with a numbered pager (首页 上一页 1 … 4 5 6
    … 12 下一页 尾页), articles at `/news/Detail.aspx?id=N`; both answered dynamically."""
    root = Path(root)
    items = [article(k, salt=2) for k in range(articles, 0, -1)]
    paths = [f"{PAGED_DIR}Detail.aspx?id={a.k}" for a in items]
    for a in items:
        body = "\n".join(f"<p>{_esc(p)}</p>" for p in a.paragraphs)
        main = f"""<div class="location">当前位置：<a href="/">首页</a> &gt;&gt; <a href="list.aspx">政务要闻</a></div>
<div class="detail"><h2 id="lblTitle">{_esc(a.title)}</h2>
<div class="attr">发布时间：<span id="lblTime">{a.published:%Y/%m/%d} {a.time}</span> &nbsp; 来源：<span id="lblSource">{a.source}</span> &nbsp;
点击数：<span id="lblHits">{(a.k * 37) % 900 + 12}</span></div>
<div id="content" class="content">
{body}
</div>
<div class="tools"><a href="javascript:window.print();">【打印本页】</a> <a href="javascript:window.close();">【关闭窗口】</a></div></div>"""
        _write(root, f"{DYNAMIC_DIR}detail_{a.k}.html", _paged_shell(f"{a.title}_{PAGED_SITE}", main))
    pages = _chunks(list(zip(items, paths)), per_page)
    list_paths = [f"{PAGED_DIR}list.aspx"]  # and list.aspx?page=1, the same page, as its pager links it
    for number, chunk in enumerate(pages, start=1):
        if len(pages) > 1:
            list_paths.append(f"{PAGED_DIR}list.aspx?page={number}")
        rows = "\n".join(
            f'<tr><td class="tit"><a href="Detail.aspx?id={a.k}" target="_blank" title="{_esc(a.title)}">'
            f'{_esc(a.title)}</a></td><td class="date">[{a.date_text}]</td></tr>'
            for a, _ in chunk
        )
        main = f"""<div class="location">当前位置：<a href="/">首页</a> &gt;&gt; 政务要闻</div>
<div class="left"><div class="box"><h3>通知公告</h3><a href="/tzgg/list.aspx?page=1" class="more">更多</a></div>
<div class="box"><h3>政务要闻</h3><a href="/news/list.aspx?page=1&amp;cat=2">2</a></div></div>
<div class="right"><table class="list" width="100%">
{rows}
</table>
{_pager(number, len(pages))}</div>"""
        _write(root, f"{DYNAMIC_DIR}list_{number}.html", _paged_shell(f"政务要闻_{PAGED_SITE}", main))
    _robots(root)
    spec = SiteSpec(
        "paged",
        root,
        f"{PAGED_DIR}list.aspx",
        {p: a.title for a, p in zip(items, paths)},
        list_paths,
        "utf-8",
        "utf-8",
        {p: a.date_text for a, p in zip(items, paths)},
        {"dir": PAGED_DIR, "pages": len(pages)},
    )
    spec.save()
    return spec


# --- sitemap + RSS ------------------------------------------------------------------------------------

FEED_SITE = "云溪区人民政府"


def build_feed_site(root: Path, articles: int, per_sitemap: int = 25, feed_items: int = 20) -> SiteSpec:
    """A site whose home page `/index.html` shows a few headlines and advertises `/rss.xml`
    (the latest `feed_items`) and `/sitemap.xml`, a sitemap index of `/sitemap_N.xml` urlsets
    (home, columns and `per_sitemap` articles each; the last of several is gzipped, `.xml.gz`,
    as the sitemap protocol allows); articles at `/xwzx/YYYY-MM-DD/NNNNN.html`."""
    root = Path(root)
    items = [article(k, salt=3) for k in range(articles, 0, -1)]
    paths = [f"/xwzx/{a.date_text}/{10000 + a.k}.html" for a in items]
    for a, path in zip(items, paths):
        body = "\n".join(f"<p>{_esc(p)}</p>" for p in a.paragraphs)
        _write(
            root,
            path,
            f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{_esc(a.title)}_{FEED_SITE}</title>
<link rel="alternate" type="application/rss+xml" title="{FEED_SITE}" href="/rss.xml"></head>
<body>
<header><a href="/index.html">{FEED_SITE}</a><nav><a href="/index.html">首页</a> <a href="/xwzx/index.html">新闻中心</a></nav></header>
<div class="crumb">当前位置：<a href="/index.html">首页</a> » <a href="/xwzx/index.html">新闻中心</a></div>
<article><h1>{_esc(a.title)}</h1>
<div class="meta">时间：{a.date_text} {a.time} 来源：{a.source}</div>
<div class="article-content">
{body}
</div></article>
<footer>{FEED_SITE} 版权所有 网站标识码：4306990001</footer>
</body>
</html>
""",
        )
    headlines = "\n".join(f'<li><a href="{p}">{_esc(a.title)}</a></li>' for a, p in list(zip(items, paths))[:5])
    _write(
        root,
        "/index.html",
        f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{FEED_SITE}</title>
<link rel="alternate" type="application/rss+xml" title="{FEED_SITE} 新闻中心" href="/rss.xml">
<link rel="sitemap" type="application/xml" title="Sitemap" href="/sitemap.xml"></head>
<body><header>{FEED_SITE}<nav><a href="/index.html">首页</a> <a href="/xwzx/index.html">新闻中心</a></nav></header>
<section class="news"><h2>新闻中心</h2><ul>
{headlines}
</ul><a href="/xwzx/index.html">更多</a></section>
<footer>{FEED_SITE} 版权所有</footer></body></html>
""",
    )
    _write(
        root,
        "/xwzx/index.html",
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻中心_{FEED_SITE}</title></head>'
        "<body><p>新闻中心</p></body></html>",
    )
    rss_items = "\n".join(
        f"<item><title>{_esc(a.title)}</title><link>http://www.yunxi.gov.cn{p}</link>"
        f"<pubDate>{a.published:%a, %d %b %Y} {a.time}:00 +0800</pubDate><description><![CDATA[{a.paragraphs[0]}]]></description></item>"
        for a, p in list(zip(items, paths))[:feed_items]
    )
    # Feeds and sitemaps give absolute URLs: written for the site's own host, which the server
    # replaces with the address it listens on.
    _write(
        root,
        "/rss.xml",
        f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{FEED_SITE}</title><link>http://www.yunxi.gov.cn/</link><description>新闻中心</description>
{rss_items}
</channel></rss>
""",
    )
    chunks = _chunks(list(zip(items, paths)), per_sitemap)
    sitemaps = [f"/sitemap_{n}.xml" for n in range(1, len(chunks))] + [
        f"/sitemap_{len(chunks)}.xml" + (".gz" if len(chunks) > 1 else "")
    ]
    for sitemap, chunk in zip(sitemaps, chunks):
        urls = "\n".join(
            f"<url><loc>http://www.yunxi.gov.cn{p}</loc><lastmod>{a.date_text}</lastmod></url>" for a, p in chunk
        )
        _write(
            root,
            sitemap,
            f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://www.yunxi.gov.cn/index.html</loc><changefreq>daily</changefreq></url>
<url><loc>http://www.yunxi.gov.cn/xwzx/index.html</loc><changefreq>daily</changefreq></url>
{urls}
</urlset>
""",
        )
    index = "\n".join(f"<sitemap><loc>http://www.yunxi.gov.cn{sitemap}</loc></sitemap>" for sitemap in sitemaps)
    _write(
        root,
        "/sitemap.xml",
        f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{index}
</sitemapindex>
""",
    )
    _write(
        root, "/robots.txt", "User-agent: *\nDisallow: /.cms/\nAllow: /\nSitemap: http://www.yunxi.gov.cn/sitemap.xml\n"
    )
    list_paths = ["/index.html", "/rss.xml", "/sitemap.xml", *sitemaps]
    spec = SiteSpec(
        "feed",
        root,
        "/index.html",
        {p: a.title for a, p in zip(items, paths)},
        list_paths,
        "utf-8",
        "utf-8",
        {p: a.date_text for a, p in zip(items, paths)},
        {"host": "http://www.yunxi.gov.cn"},
    )
    spec.save()
    return spec


# --- the server -------------------------------------------------------------------------------------


class _CmsHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers; every answer has a Content-Length
    spec: SiteSpec
    owner: CmsServer
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".shtml": "text/html",
        ".htm": "text/html",
        ".html": "text/html",
        ".xml": "text/xml",
    }
    _etag: str | None = None

    # -- bookkeeping
    def _count(self) -> None:
        self.owner._hit(self.path)

    def log_message(self, format, *args):  # keep test output quiet
        pass

    # -- dispatch
    def do_GET(self):
        self._count()
        if not self._dynamic("GET"):
            super().do_GET()

    def do_HEAD(self):
        self._count()
        if not self._dynamic("HEAD"):
            super().do_HEAD()

    def do_POST(self):
        self._count()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._dynamic("POST", body):
            self.send_error(405, "Method Not Allowed")

    # -- static files: charset, ETag, If-None-Match
    def guess_type(self, path):
        kind = super().guess_type(path)
        if kind == "text/html":
            return f"text/html; charset={self.spec.charset}"
        if kind in ("text/xml", "application/xml"):
            return "text/xml; charset=utf-8"
        return kind

    def send_head(self):
        path = urlsplit(self.path).path
        if path.startswith(("/.", "/_")):
            self.send_error(404, "File not found")
            return None
        file = self.translate_path(self.path)
        self._etag = None
        if os.path.isfile(file):
            self._etag = self.owner._etag(file)
            wanted = [tag.strip().removeprefix("W/") for tag in self.headers.get("If-None-Match", "").split(",")]
            if self._etag in wanted or "*" in wanted:
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
        if self.spec.kind == "feed" and file.endswith((".xml", ".xml.gz", "robots.txt")) and os.path.isfile(file):
            return self._feed(file)
        return super().send_head()

    def list_directory(self, path):  # no server lists its folders
        self.send_error(404, "File not found")
        return None

    def end_headers(self):
        if self._etag:
            self.send_header("ETag", self._etag)
            self._etag = None
        super().end_headers()

    def _feed(self, file: str):
        """Feeds and sitemaps name the site by absolute URLs: the generated host becomes ours."""
        modified = int(os.stat(file).st_mtime)
        since = self.headers.get("If-Modified-Since")
        if since and "If-None-Match" not in self.headers:
            try:
                if email.utils.parsedate_to_datetime(since).timestamp() >= modified:
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
            except (TypeError, ValueError):
                pass
        packed = file.endswith(".gz")
        data = Path(file).read_bytes()
        data = (gzip.decompress(data) if packed else data).replace(
            self.spec.dynamic["host"].encode(), self.owner.base_url.encode()
        )
        if packed:  # a file that is gzipped, as servers send `.gz` files: not a Content-Encoding
            data = gzip.compress(data, mtime=0)
        self.send_response(200)
        self.send_header(
            "Content-Type",
            "application/x-gzip" if packed else "text/plain" if file.endswith(".txt") else "text/xml; charset=utf-8",
        )
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", self.date_time_string(modified))
        self.end_headers()
        return io.BytesIO(data)

    # -- dynamic routes
    def _answer(self, status: int, data: bytes, content_type: str, method: str) -> bool:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "private")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)
        return True

    def _dynamic(self, method: str, body: bytes = b"") -> bool:
        parts = urlsplit(self.path)
        query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        spec = self.spec
        if spec.kind == "hanweb" and parts.path == spec.dynamic["proxy"]:
            form = {
                k.lower(): v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
            }
            return self._answer(
                200, self.owner._dataproxy(query, form).encode("utf-8"), "text/xml;charset=UTF-8", method
            )
        if spec.kind == "paged" and parts.path.lower().startswith(spec.dynamic["dir"].lower()):
            leaf = parts.path[len(spec.dynamic["dir"]) :].lower()
            if leaf == "list.aspx":
                page = query.get("page", "1")
                file = spec.root / DYNAMIC_DIR.strip("/") / f"list_{int(page) if page.isdigit() else 0}.html"
            elif leaf == "detail.aspx":
                ident = query.get("id", "")
                file = spec.root / DYNAMIC_DIR.strip("/") / f"detail_{int(ident) if ident.isdigit() else 0}.html"
            else:
                return False
            if method == "POST":
                return False
            if not file.is_file():
                return self._answer(
                    404, "<html><body>无法找到资源。</body></html>".encode(), "text/html; charset=utf-8", method
                )
            return self._answer(200, file.read_bytes(), f"text/html; charset={spec.charset}", method)
        return False


class CmsServer(LoopbackServer):
    """Context manager serving one generated site on 127.0.0.1:

        with CmsServer(spec) as server:   # or CmsServer(root): the spec saved there
            server.list_url, server.url(path), server.hits[path]

    `hits` counts the requests per request target (path and query, as asked, any method);
    `requests` lists the targets in arrival order.
    """

    def __init__(self, site: SiteSpec | Path | str, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.spec = site if isinstance(site, SiteSpec) else SiteSpec.load(site)
        self.hits: collections.Counter = collections.Counter()
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._etags: dict[str, tuple[int, int, str]] = {}
        self._records: list[str] | None = None

    def handler_class(self):
        handler = type("SiteHandler", (_CmsHandler,), {"spec": self.spec, "owner": self})
        return functools.partial(handler, directory=str(self.spec.root))

    @property
    def list_url(self) -> str:
        return self.base_url + self.spec.list_path

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()
            self.requests.clear()

    def _hit(self, target: str) -> None:
        with self._lock:
            self.hits[target] += 1
            self.requests.append(target)

    def _etag(self, file: str) -> str:
        stat = os.stat(file)
        cached = self._etags.get(file)
        if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        tag = '"' + hashlib.sha1(Path(file).read_bytes()).hexdigest() + '"'
        self._etags[file] = (stat.st_mtime_ns, stat.st_size, tag)
        return tag

    def _dataproxy(self, query: dict[str, str], form: dict[str, str]) -> str:
        """Hanweb's dataproxy.jsp: records startrecord..endrecord (1-based, inclusive) of the
        column the form data names; an empty recordset for anything else."""
        spec = self.spec
        if self._records is None:
            self._records = [hanweb_record(p, t, spec.published.get(p, "")) for p, t in spec.articles.items()]
        total = len(self._records)
        try:
            start, end = int(query.get("startrecord", "")), int(query.get("endrecord", ""))
        except ValueError:
            return hanweb_datastore([], total)
        if (
            form.get("columnid") != spec.dynamic["columnid"]
            or form.get("unitid") != spec.dynamic["unitid"]
            or form.get("webid") != spec.dynamic["webid"]
        ):
            return hanweb_datastore([], total)
        return hanweb_datastore(self._records[max(start, 1) - 1 : max(end, 0)], total)
