"""Link discovery on list pages laid out as government CMSes lay them out."""

import gzip

from scrapy.http import HtmlResponse, Response

from spiders.links import feed_links, find_links, is_article_url
from spiders.site import unpacked_list

LIST = "http://www.example.gov.cn/zwxx/wdyw/index.html"


def page(body: str) -> str:
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def test_cms_article_shapes_are_articles():
    for url in (
        "http://x.gov.cn/zwxx/wdyw/202004/t20200430_1158463.html",
        "http://x.gov.cn/art/2020/4/30/art_1229_3456.html",
        "http://x.gov.cn/content/detail/663891b37f8b9a2d3e8b4567.html",
        "http://x.gov.cn/fanwen/jianghua/2021/0325/583921.html",
        "http://x.gov.cn/news/show.asp?id=1234",
        "http://x.gov.cn/a/4536271_120153.html",
    ):
        assert is_article_url(url), url
    for url in ("http://x.gov.cn/zwxx/wdyw/index_1.html", "http://x.gov.cn/", "http://x.gov.cn/zwxx/"):
        assert not is_article_url(url), url


def test_articles_pagination_and_nothing_else():
    html = page(
        """
        <div class="nav"><a href="/">首页</a><a href="/zwxx/">政务信息</a></div>
        <ul>
          <li><a href="./202004/t20200430_1158463.html">我区召开全区领导干部会议</a></li>
          <li><a href="/zwxx/wdyw/202004/t20200428_1158400.html" title="关于做好五一假期工作的通知">关于做好…</a></li>
          <li><a href="/zwxx/wdyw/202004/t20200428_1158400.html#top">duplicate with a fragment</a></li>
          <li><a href="http://other.gov.cn/t20200430_1.html">其他网站的一篇文章标题很长</a></li>
          <li><a href="/uploads/附件.pdf">附件下载：实施方案全文</a></li>
        </ul>
        <div class="page"><a href="index_1.html">2</a> <a href="index_1.html">下一页</a>
          <a href="/zwgk/index_3.html">3</a></div>
        <script>createPageHTML(3, 0, "index", "html");</script>
        <a href="javascript:void(0)">打印</a>
        """
    )
    links = find_links(LIST, html)
    assert links.articles == [
        "http://www.example.gov.cn/zwxx/wdyw/202004/t20200430_1158463.html",
        "http://www.example.gov.cn/zwxx/wdyw/202004/t20200428_1158400.html",
    ]
    # Pagination stays in the list's own folder; createPageHTML adds index_2.
    assert links.pages == [
        "http://www.example.gov.cn/zwxx/wdyw/index_1.html",
        "http://www.example.gov.cn/zwxx/wdyw/index_2.html",
    ]


def test_unknown_cms_headline_links_by_context():
    html = page(
        """
        <a href="/news/12345.htm">区政府召开常务会议研究部署重点工作</a>
        <a href="/about.htm">关于我们</a>
        <a href="/news/list.htm?page=2">下一页</a>
        """
    )
    links = find_links("http://x.gov.cn/news/list.htm", html)
    assert links.articles == ["http://x.gov.cn/news/12345.htm"]
    assert links.pages == ["http://x.gov.cn/news/list.htm?page=2"]


SCRIPT_LIST = "http://news.example.cn/list/yaowen"
HEADLINES = [
    "全市重点项目集中开工仪式举行",
    "市政府常务会议研究部署防汛工作",
    "我市启动老旧小区改造三年行动",
    "城乡居民医保参保登记工作开始",
    "第二届乡村振兴论坛在我市召开",
    "全市安全生产专项整治推进会召开",
    "市场监管部门开展食品安全检查",
    "我市新增三家国家级专精特新企业",
]


def _rendered_list(ids: list[str]) -> str:
    """A list as a script-rendered portal leaves it: every item from one template, ids of any shape."""
    items = "".join(
        f'<li class="news-item"><a class="title" href="/a/{ident}">{HEADLINES[i]}</a>'
        f'<span class="date">2024-05-0{i + 1}</span></li>'
        for i, ident in enumerate(ids)
    )
    return page(
        f"""
        <div class="header"><ul class="nav"><li><a href="/channel/szyw">时政要闻与重要会议</a></li>
          <li><a href="/a/about-us">关于我们网站的介绍说明</a></li></ul></div>
        <div class="crumbs"><a href="/">首页</a> &gt; <a href="/list/yaowen">要闻动态新闻列表</a></div>
        <div class="main"><ul class="news-list">{items}</ul>
          <div class="pagination"><a href="/list/yaowen/p/2">第二页的更多新闻列表</a></div></div>
        <div class="footer"><a href="/a/sitemap-page">网站地图与联系方式</a>
          <a href="/a/privacy-policy">隐私政策与法律声明</a></div>
        """
    )


def test_a_link_of_unknown_shape_among_article_siblings_is_an_article():
    ids = [f"{n:010d}" for n in range(1, 8)] + ["9d81c2f0a1"]  # seven numbered ids and a hexadecimal one
    links = find_links(SCRIPT_LIST, _rendered_list(ids))
    assert links.articles == [f"http://news.example.cn/a/{ident}" for ident in ids]


def test_the_structure_rule_never_follows_navigation_pagers_or_footers():
    # Headline-length texts in the header, breadcrumb, pager and footer: not articles, even with
    # article siblings on the page; a lone unknown-shape link with one known sibling and no date is not either.
    links = find_links(SCRIPT_LIST, _rendered_list([f"{n:010d}" for n in range(1, 8)]))
    assert all("/a/0" in link for link in links.articles), links.articles
    lone = page(
        '<ul class="x"><li><a href="/a/0000000001">全市重点项目集中开工仪式举行</a></li>'
        '<li><a href="/a/9d81c2f0a1">市政府常务会议研究部署防汛工作</a></li></ul>'
    )
    assert find_links(SCRIPT_LIST, lone).articles == ["http://news.example.cn/a/0000000001"]
    dated = lone.replace("防汛工作</a>", "防汛工作</a><span>05-06</span>")
    assert find_links(SCRIPT_LIST, dated).articles[-1] == "http://news.example.cn/a/9d81c2f0a1"


def test_the_structure_rule_stays_linear_on_a_huge_flat_list():
    import time

    items = "".join(
        f'<li><a href="/a/{n:010d}">第{n}条新闻标题足够长的内容</a></li><li><a href="/a/x{n:x}z">第{n}条另一种新闻标题</a></li>'
        for n in range(20000)
    )
    started = time.perf_counter()
    links = find_links(SCRIPT_LIST, page(f"<ul>{items}</ul>"))
    assert len(links.articles) == 40000
    assert time.perf_counter() - started < 10


ARTICLES = [f"http://www.example.gov.cn/zwxx/wdyw/202004/t20200430_{n}.html" for n in range(1, 4)]
ARTICLE_LIST = "".join(
    f'<li><a href="{url}">我区召开全区领导干部会议第{n}次</a></li>' for n, url in enumerate(ARTICLES)
)


def test_a_list_after_an_included_header_that_closes_the_document_keeps_its_links():
    # A site-wide header included as a whole document: libxml2 (parsel's parser) stops at its
    # </html>, so the list after it had no links; a browser's body goes on.
    header = "<html><head><title>区政府</title></head><body><div class='head'><a href='/'>首页</a></div></body></html>"
    links = find_links(LIST, header + f"<ul class='list'>{ARTICLE_LIST}</ul><a href='index_1.html'>下一页</a>")
    assert links.articles == ARTICLES and links.pages == ["http://www.example.gov.cn/zwxx/wdyw/index_1.html"]


def test_a_list_nested_past_libxml2s_depth_limit_keeps_its_links():
    # libxml2 stops building the tree at 2,048 levels of nesting (unclosed tags of a broken template)
    deep = "<div>" * 3000 + "<span>栏目</span>" + "</div>" * 3000
    assert find_links(LIST, page(deep + f"<ul>{ARTICLE_LIST}</ul>")).articles == ARTICLES
    assert find_links(LIST, page("<font>" * 3000 + f"<ul>{ARTICLE_LIST}</ul>")).articles == ARTICLES


def test_a_page_without_markup_has_no_links():
    assert find_links(LIST, "").articles == find_links(LIST, " \n").articles == []
    assert find_links(LIST, "正文，没有链接").articles == []


def test_site_patterns_from_config_are_honoured():
    html = page('<a href="/zw/info/77">某某</a><a href="/zw/more/2">2</a>')
    links = find_links(
        "http://x.gov.cn/zw/more/1",
        html,
        article_patterns=[r"/zw/info/\d+$"],
        pagination_patterns=[r"/zw/more/\d+$"],
    )
    assert links.articles == ["http://x.gov.cn/zw/info/77"]
    assert links.pages == ["http://x.gov.cn/zw/more/2"]


# --- article shapes of more CMSes --------------------------------------------------------


def test_more_gov_cms_article_shapes_are_articles():
    for url in (
        "http://x.gov.cn/xxgk/zfxxgk/bmwj/content_123.html",
        "http://x.gov.cn/zwgk/jcyw/202005/t20200507_1129365.shtml",
        "http://x.gov.cn/col/col1229/art/2020/art_5c8e9ab0f2a14c7d8e4f1b2a3c4d5e6f.html",
        "http://x.gov.cn/art/2020/5/7/art_1229019364_43.html",
        "http://x.gov.cn/news/2020-05-07/12345.html",
        "http://x.gov.cn/html/2020/0507/12345.html",
        "http://x.gov.cn/news/Detail.aspx?id=731",
        "http://x.gov.cn/zwgk/xxgkDetail.aspx?ID=88",
        "http://x.gov.cn/details?id=5531",
        "http://x.gov.cn/portal/article/details?siteId=3&id=5531",
        "http://x.gov.cn/gkmlpt/content/2/2345/post_2345678.html",
        "http://x.gov.cn/n2588025/n2588124/c14547627/content.html",
        "http://x.gov.cn/info/1061/23456.htm",
        "http://x.gov.cn/system/2020/05/07/030123456.shtml",
    ):
        assert is_article_url(url), url


def test_list_column_and_paging_pages_are_not_articles():
    for url in (
        "http://x.gov.cn/col/col1201/index.html",
        "http://x.gov.cn/col/col1201/index.html?uid=5678&pageNum=2",
        "http://x.gov.cn/zwgk/index.shtml",
        "http://x.gov.cn/zwgk/jcyw/index_3.shtml",
        "http://x.gov.cn/news/list.aspx?page=2",
        "http://x.gov.cn/news/ListView.aspx?id=3",
        "http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15",
        "http://x.gov.cn/news/2020/index.html",
        "http://x.gov.cn/sitemap.xml",
        "http://x.gov.cn/rss.xml",
    ):
        assert not is_article_url(url), url
        assert not find_links(
            "http://x.gov.cn/zwgk/jcyw/index.shtml", page(f'<a href="{url}">关于印发某某工作方案的通知全文</a>')
        ).articles, url


# --- TRS createPageHTML --------------------------------------------------------------------

CREATE_PAGE_FUNCTION = """
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\\">下一页</a>");
}
"""


def test_create_page_html_with_count_and_current_in_variables():
    html = page(
        f"<script>{CREATE_PAGE_FUNCTION}</script>"
        "<script>var currentPage = 0;//所在页从0开始\nvar countPage = 4//共多少页\n"
        'createPageHTML(countPage, currentPage, "index", "html");</script>'
    )
    assert find_links(LIST, html).pages == [
        "http://www.example.gov.cn/zwxx/wdyw/index_1.html",
        "http://www.example.gov.cn/zwxx/wdyw/index_2.html",
        "http://www.example.gov.cn/zwxx/wdyw/index_3.html",
    ]


def test_create_page_html_with_element_id_and_record_count():
    html = page("<div id='page_div'></div><script>createPageHTML('page_div',3, 1,'index','shtml',57);</script>")
    links = find_links("http://x.gov.cn/zwgk/jcyw/index_1.shtml", html)
    # On page 1 of 3: the first page (index.shtml) and page 2 are the others.
    assert links.pages == ["http://x.gov.cn/zwgk/jcyw/index.shtml", "http://x.gov.cn/zwgk/jcyw/index_2.shtml"]


def test_create_page_html_definition_alone_or_unknown_variables_give_nothing():
    html = page(f"<script>{CREATE_PAGE_FUNCTION} createPageHTML(total, 0, 'index', 'html');</script>")
    assert find_links(LIST, html).pages == []


def test_create_page_html_count_is_capped_to_the_pages_around_this_one():
    html = page("<script>createPageHTML(100000, 0, 'index', 'html');</script>")
    pages = find_links(LIST, html).pages
    assert len(pages) == 499 and pages[-1].endswith("/index_499.html")
    # Further on, the window moves with the page: a long list is still walked to its end.
    html = page("<script>createPageHTML(1200, 499, 'index', 'html');</script>")
    pages = find_links("http://www.example.gov.cn/zwxx/wdyw/index_499.html", html).pages
    assert len(pages) == 499
    assert pages[0].endswith("/index_249.html") and pages[-1].endswith("/index_748.html")
    html = page("<script>createPageHTML(1200, 1199, 'index', 'html');</script>")
    pages = find_links("http://www.example.gov.cn/zwxx/wdyw/index_1199.html", html).pages
    assert pages[0].endswith("/index_700.html") and pages[-1].endswith("/index_1198.html")


def test_a_long_numbered_pager_is_filled_a_bounded_stretch_at_a_time():
    html = page('<a href="list.aspx?page=2">2</a><a href="list.aspx?page=3000">尾页</a>')
    pages = find_links("http://x.gov.cn/list.aspx", html).pages
    assert len(pages) == 502 and "http://x.gov.cn/list.aspx?page=502" in pages
    assert "http://x.gov.cn/list.aspx?page=503" not in pages


# --- ?page=N lists ---------------------------------------------------------------------------


def test_numbered_pager_with_ellipsis_and_last_page_gives_every_page():
    html = page(
        """
        <ul><li><a href="Detail.aspx?id=1201">区政府召开第十二次常务会议</a></li></ul>
        <div class="pager"><a href="list.aspx?page=1">首页</a> <span class="current">1</span>
          <a href="list.aspx?page=2">2</a> <a href="list.aspx?page=3">3</a> <span>…</span>
          <a href="list.aspx?page=9">9</a> <a href="list.aspx?page=2">下一页</a> <a href="list.aspx?page=9">尾页</a></div>
        <div class="side"><a href="/tzgg/list.aspx?page=1">更多</a> <a href="/news/other.aspx?page=2">2</a>
          <a href="list.aspx?cat=7&amp;page=2">2</a></div>
        """
    )
    links = find_links("http://x.gov.cn/news/list.aspx", html)
    assert links.articles == ["http://x.gov.cn/news/Detail.aspx?id=1201"]
    assert sorted(links.pages) == sorted(f"http://x.gov.cn/news/list.aspx?page={n}" for n in range(1, 10))


def test_page_index_and_pn_parameters_keep_the_lists_other_parameters():
    html = page(
        '<a href="/xxgk/list?catId=12&amp;pageIndex=2">2</a><a href="/xxgk/list?catId=12&amp;pageIndex=6">末页</a>'
        '<a href="/xxgk/list?catId=13&amp;pageIndex=2">2</a>'
    )
    pages = find_links("http://x.gov.cn/xxgk/list?catId=12", html).pages
    assert pages == [f"http://x.gov.cn/xxgk/list?catId=12&pageIndex={n}" for n in (2, 6, 3, 4, 5)]
    html = page('<a href="/s/?wd=%E5%8C%BA&amp;pn=10">下一页</a>')
    assert find_links("http://x.gov.cn/s/?wd=%E5%8C%BA", html).pages == ["http://x.gov.cn/s/?wd=%E5%8C%BA&pn=10"]


def test_a_folder_list_pages_through_its_default_document():
    html = page(
        '<a href="index.html?uid=5678&amp;pageNum=2">2</a><a href="/col/col1202/index.html?uid=1&amp;pageNum=2">2</a>'
    )
    assert find_links("http://x.gov.cn/col/col1201/", html).pages == [
        "http://x.gov.cn/col/col1201/index.html?uid=5678&pageNum=2"
    ]


def test_index_n_pager_gaps_are_filled():
    html = page(
        '<a href="index_1.html">2</a><a href="index_2.html">3</a><span>...</span><a href="index_7.html">尾页</a>'
    )
    assert sorted(find_links(LIST, html).pages) == sorted(
        f"http://www.example.gov.cn/zwxx/wdyw/index_{n}.html" for n in range(1, 8)
    )


# --- Hanweb JCMS datastore --------------------------------------------------------------------

HANWEB_LIST = "http://www.daguan.gov.cn/col/col1201/index.html"


def hanweb_record(n: int) -> str:
    return (
        f'<record><![CDATA[\n<li><a href="/art/2024/5/6/art_1201_{4567000 + n}.html" target="_blank" '
        f'title="大观区召开第{n}次工作推进会">大观区召开第{n}次工作推进会</a><span>2024-05-06</span></li>\n]]></record>'
    )


def hanweb_page(records: int, config: str) -> str:
    body = "\n".join(hanweb_record(n) for n in range(1, records + 1))
    return page(
        f"""<div id="5678"><script type="text/xml"><datastore>
        <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=2&path=/&columnid=1201&unitid=5678&webname=%E5%A4%A7%E8%A7%82&permissiontype=0"></a>]]></nextgroup>
        <recordset>{body}</recordset></datastore></script></div>
        <script language="javascript" src="/module/jslib/jquery/jpage/dataproxy.js"></script>
        <script>{config}</script>"""
    )


JPAGE = """$(document).ready(function(){ $('#5678').jpage({ dataStore: dataStore,
  proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage:15, totalRecord:100, groupSize:3,
  barPosition:'bottom', ajaxParam:{col:1, appid:1, webid:2, path:'/', columnid:1201,
  sourceContentType:1, unitid:5678, webname:'大观区人民政府', permissiontype:0} }); });"""


def test_hanweb_datastore_records_are_articles_and_later_groups_are_posted():
    links = find_links(HANWEB_LIST, hanweb_page(45, JPAGE))
    assert links.articles == [
        f"http://www.daguan.gov.cn/art/2024/5/6/art_1201_{4567000 + n}.html" for n in range(1, 46)
    ]
    assert links.pages == []
    form = {
        "col": "1",
        "appid": "1",
        "webid": "2",
        "path": "/",
        "columnid": "1201",
        "sourceContentType": "1",
        "unitid": "5678",
        "webname": "大观区人民政府",
        "permissiontype": "0",
    }
    proxy = "http://www.daguan.gov.cn/module/web/jpage/dataproxy.jsp"
    assert links.posts == [
        (f"{proxy}?startrecord=46&endrecord=90&perpage=15", form),
        (f"{proxy}?startrecord=91&endrecord=100&perpage=15", form),
    ]


def test_hanweb_config_variants():
    # Double quotes, lower-case names, the range already in proxyUrl's query, no groupSize (jpage's 3).
    config = """$("#5678").jpage({dataStore:dataStore, proxyUrl:"/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=30&perpage=10",
      totalrecord:"52", ajaxParam:{"col":"1","webid":"2","columnid":"1201","unitid":"5678"}});"""
    links = find_links(HANWEB_LIST, hanweb_page(10, config))
    proxy = "http://www.daguan.gov.cn/module/web/jpage/dataproxy.jsp"
    assert [u for u, _ in links.posts] == [
        f"{proxy}?startrecord=1&endrecord=30&perpage=10",
        f"{proxy}?startrecord=31&endrecord=52&perpage=10",
    ]
    assert links.posts[0][1] == {"col": "1", "webid": "2", "columnid": "1201", "unitid": "5678"}
    # No ajaxParam: the form data comes from the datastore's <nextgroup> link.
    links = find_links(HANWEB_LIST, hanweb_page(15, "var totalRecord = 40; var perPage = 15;"))
    assert links.posts == [
        (
            f"{proxy}?startrecord=1&endrecord=40&perpage=15",
            {"webid": "2", "path": "/", "columnid": "1201", "unitid": "5678", "webname": "大观", "permissiontype": "0"},
        )
    ]


def test_hanweb_posts_are_capped():
    config = JPAGE.replace("totalRecord:100", "totalRecord:10000000")
    assert len(find_links(HANWEB_LIST, hanweb_page(0, config)).posts) == 500


def test_hanweb_dataproxy_answer_gives_its_records_only():
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore><totalrecord>100</totalrecord><recordset>'
        + "".join(hanweb_record(n) for n in range(46, 91))
        + "</recordset></datastore>"
    )
    links = find_links(
        "http://www.daguan.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15", body
    )
    assert links.articles == [
        f"http://www.daguan.gov.cn/art/2024/5/6/art_1201_{4567000 + n}.html" for n in range(46, 91)
    ]
    assert links.pages == [] and links.posts == []


def test_hanweb_records_escaped_instead_of_cdata():
    body = (
        "<datastore><recordset><record>&lt;li&gt;&lt;a href=&quot;/art/2024/5/6/art_1201_7.html&quot;&gt;"
        "某某&lt;/a&gt;&lt;/li&gt;</record></recordset></datastore>"
    )
    assert find_links(HANWEB_LIST, body).articles == ["http://www.daguan.gov.cn/art/2024/5/6/art_1201_7.html"]


# --- sitemaps and feeds ---------------------------------------------------------------------


def test_sitemap_urlset_gives_the_articles_and_the_index_gives_sitemaps():
    urlset = """<?xml version="1.0" encoding="UTF-8"?>
    <?xml-stylesheet type="text/xsl" href="/sitemap.xsl"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://x.gov.cn/</loc><changefreq>daily</changefreq></url>
      <url><loc>http://x.gov.cn/xwzx/index.html</loc></url>
      <url><loc>http://x.gov.cn/xwzx/index_2.html</loc></url>
      <url><loc>http://x.gov.cn/xwzx/2024-05-06/12345.html</loc><lastmod>2024-05-06</lastmod></url>
      <url><loc><![CDATA[http://x.gov.cn/news/show.aspx?id=77&cid=2]]></loc></url>
      <url><loc>http://x.gov.cn/news/show.aspx?id=78&amp;cid=2</loc></url>
      <url><loc>http://x.gov.cn/xwzx/67890.htm</loc></url>
      <url><loc>http://other.gov.cn/xwzx/2024-05-06/1.html</loc></url>
    </urlset>"""
    links = find_links("http://x.gov.cn/sitemap_1.xml", urlset)
    assert links.articles == [
        "http://x.gov.cn/xwzx/2024-05-06/12345.html",
        "http://x.gov.cn/news/show.aspx?id=77&cid=2",
        "http://x.gov.cn/news/show.aspx?id=78&cid=2",
        "http://x.gov.cn/xwzx/67890.htm",
    ]
    assert links.pages == []
    index = """<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://x.gov.cn/sitemap_1.xml</loc></sitemap><sitemap><loc>http://x.gov.cn/sitemap_2.xml</loc></sitemap>
      <sitemap><loc>http://cdn.example.com/sitemap_3.xml</loc></sitemap></sitemapindex>"""
    links = find_links("http://x.gov.cn/sitemap.xml", index)
    assert links.pages == ["http://x.gov.cn/sitemap_1.xml", "http://x.gov.cn/sitemap_2.xml"]
    assert links.articles == []


def test_rss_items_are_articles_but_not_the_channel_link():
    rss = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
      <title>某某区人民政府</title><link>http://x.gov.cn/</link>
      <item><title>区政府召开常务会议</title><link>http://x.gov.cn/xwzx/2024-05-06/12345.html</link></item>
      <item><title>通知</title><link><![CDATA[http://x.gov.cn/tzgg/notice.html?x=1&y=2]]></link></item>
      <item><title>只有 guid</title><guid isPermaLink="true">http://x.gov.cn/a/b.html</guid></item>
      <item><title>外站</title><link>http://other.gov.cn/1.html</link></item>
    </channel></rss>"""
    links = find_links("http://x.gov.cn/rss.xml", rss)
    assert links.articles == [
        "http://x.gov.cn/xwzx/2024-05-06/12345.html",
        "http://x.gov.cn/tzgg/notice.html?x=1&y=2",
        "http://x.gov.cn/a/b.html",
    ]
    assert links.pages == [] and links.posts == []


def test_atom_entries_are_articles():
    atom = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <link rel="self" href="http://x.gov.cn/atom.xml"/><link href="http://x.gov.cn/"/>
      <entry><title>一</title><link rel="alternate" type="text/html" href="http://x.gov.cn/zw/1.html"/></entry>
      <entry><title>二</title><link rel="enclosure" href="http://x.gov.cn/a.mp3"/><link href="/zw/2.html"/></entry>
    </feed>"""
    assert find_links("http://x.gov.cn/atom.xml", atom).articles == [
        "http://x.gov.cn/zw/1.html",
        "http://x.gov.cn/zw/2.html",
    ]


def test_feeds_a_page_advertises_are_crawled_as_list_pages():
    html = """<html><head><link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
      <link rel="alternate" type="application/atom+xml" href="http://x.gov.cn/atom.xml">
      <link rel="sitemap" type="application/xml" href="/sitemap.xml">
      <link rel="alternate" hreflang="en" href="/en/index.html"><link rel="stylesheet" href="/a.css">
      <link rel="alternate" type="application/rss+xml" href="http://feeds.example.com/x.xml"></head>
      <body><a href="/xwzx/2024-05-06/12345.html">区政府召开常务会议研究重点工作</a></body></html>"""
    assert feed_links("http://x.gov.cn/index.html", html) == [
        "http://x.gov.cn/rss.xml",
        "http://x.gov.cn/atom.xml",
        "http://x.gov.cn/sitemap.xml",
        "http://feeds.example.com/x.xml",
    ]
    links = find_links("http://x.gov.cn/index.html", html)
    assert links.articles == ["http://x.gov.cn/xwzx/2024-05-06/12345.html"]
    assert links.pages == ["http://x.gov.cn/rss.xml", "http://x.gov.cn/atom.xml", "http://x.gov.cn/sitemap.xml"]


def test_a_gzipped_sitemap_is_read_within_the_download_limit():
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://x.gov.cn/art/2020/4/30/art_1229_3456.html</loc></url>"
        b"<url><loc>http://x.gov.cn/zwxx/</loc></url></urlset>"
    )
    url = "http://x.gov.cn/sitemap_2.xml.gz"
    packed = Response(url, body=gzip.compress(xml), headers={"Content-Type": "application/x-gzip"})
    unpacked = unpacked_list(packed, max_size=1 << 20)
    assert unpacked.body == xml and unpacked.url == url
    assert find_links(unpacked.url, unpacked.text).articles == ["http://x.gov.cn/art/2020/4/30/art_1229_3456.html"]
    assert unpacked_list(packed, max_size=len(xml) - 1) is None  # a gzip bomb stops at the limit
    assert unpacked_list(Response(url, body=b"\x1f\x8b\x08 not really gzip"), max_size=0) is None
    assert unpacked_list(Response(url, body=b"%PDF-1.7 binary"), max_size=0) is None
    html = HtmlResponse(LIST, body=page("<p>列表</p>").encode(), encoding="utf-8")
    assert unpacked_list(html, max_size=0) is html


# --- hostile pages: linear scans, malformed links ----------------------------------------------------

import re  # noqa: E402
import time  # noqa: E402

from spiders.links.feeds import _feed_entries  # noqa: E402
from spiders.links.hanweb import datastore_records  # noqa: E402
from spiders.links.scan import delimited, elements, first_element, opening_tags  # noqa: E402

RECORD_HTML = (
    '<record><![CDATA[<li><a href="/art/2020/4/30/art_1201_{0}.html">青林县召开第{0}次安全生产工作会议</a></li>]]>'
)


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_the_scans_give_what_the_lazy_regexes_gave_on_well_formed_input():
    body = (
        "<x><Record a='1'>one</record><record>two</RECORD ><recordset>three</recordset>"
        "<record\n>four</record>< record>no</record><guid isPermaLink='false'>g1</guid><guid>g2</guid>"
        "<![CDATA[c1]]> <![CDATA[]]> <link rel='x' href='a'><link href='b'/></x>"
    )
    old = re.findall(r"<record\b[^>]*>(.*?)</record\s*>", body, re.S | re.I)
    assert list(elements(body, "record")) == old == ["one", "two", "four"]
    assert list(elements(body, "recordset")) == ["three"]
    guid = r"<guid\b(?![^>]*isPermaLink\s*=\s*['\"]false)[^>]*>(.*?)</guid\s*>"
    reject = re.compile(r"""isPermaLink\s*=\s*['"]false""", re.I)
    assert first_element(body, "guid", reject=reject) == re.search(guid, body, re.S | re.I)[1] == "g2"
    assert list(delimited(body, "<![CDATA[", "]]>")) == re.findall(r"<!\[CDATA\[(.*?)\]\]>", body, re.S)
    assert list(opening_tags(body, "link")) == re.findall(r"<link\b[^>]*>", body, re.I)
    assert first_element("<a>", "record") is None


def test_a_330_kb_datastore_of_unclosed_records_is_read_in_linear_time():
    # Records never closed (3,300 openings, 330 KB): the lazy regex rescanned to the end from each.
    body = page("<script type='text/xml'><datastore><recordset>" + "".join(RECORD_HTML.format(i) for i in range(3300)))
    assert len(body) > 300_000
    links, elapsed = timed(lambda: find_links(LIST, body))
    assert elapsed < 2, elapsed
    assert links.articles == []  # no record is complete
    closed = page("<datastore>" + "".join(RECORD_HTML.format(i) + "</record>" for i in range(3300)) + "</datastore>")
    closed = closed[:-200] + "<record>unclosed" + closed[-200:]
    links, elapsed = timed(lambda: find_links(LIST, closed))
    assert elapsed < 2 and len(links.articles) == 3300, elapsed


def test_88_kb_of_unclosed_cdata_item_url_entry_and_datastore_openings_are_linear():
    size = 88 * 1024
    cases = {
        "cdata": lambda: datastore_records(
            "<datastore><record>" + "<![CDATA[x" * (size // 10) + "</record></datastore>"
        ),
        "record": lambda: datastore_records("<datastore>" + "<record>x" * (size // 9) + "</datastore>"),
        "record-no-gt": lambda: datastore_records("<datastore>" + "<record x" * (size // 9) + "</datastore>"),
        "datastore": lambda: datastore_records("<datastore>x" * (size // 12)),
        "item": lambda: _feed_entries("rss", "<rss>" + "<item>x" * (size // 7)),
        "link-in-item": lambda: _feed_entries("rss", "<rss><item>" + "<link>x" * (size // 7) + "</item>"),
        "url": lambda: _feed_entries("urlset", "<urlset>" + "<url>x" * (size // 6)),
        "loc": lambda: _feed_entries("sitemapindex", "<sitemapindex>" + "<loc>x" * (size // 6)),
        "entry": lambda: _feed_entries("feed", "<feed>" + "<entry>x" * (size // 8)),
        "atom-link-no-gt": lambda: _feed_entries("feed", "<feed><entry>" + "<link x" * (size // 7) + "</entry>"),
    }
    for name, call in cases.items():
        _, elapsed = timed(call)  # the lazy regexes took 3-6 s each here
        assert elapsed < 0.5, (name, elapsed)


def test_feeds_still_read_as_before():
    rss = (
        "<rss><channel><item><title>t</title><link>http://www.example.gov.cn/a/1_2.html</link></item>"
        "<item><guid isPermaLink='false'>x</guid><guid>/b/2020/0101/12345.html</guid></item>"
        "<item><link><![CDATA[ /c/3_4.html ]]></link></item></channel></rss>"
    )
    assert _feed_entries("rss", rss)[0] == [
        "http://www.example.gov.cn/a/1_2.html",
        "/b/2020/0101/12345.html",
        "/c/3_4.html",
    ]
    atom = "<feed><entry><link rel='self' href='/s'/><link href='/e/1.html'/></entry><entry><link rel='alternate' href='/e/2.html'></entry></feed>"
    assert _feed_entries("feed", atom)[0] == ["/e/1.html", "/e/2.html"]
    urlset = "<urlset><url><loc>/x/1.html</loc></url><url><lastmod>1</lastmod></url><url><loc> /x/2.html </loc></url></urlset>"
    assert _feed_entries("urlset", urlset)[0] == ["/x/1.html", "/x/2.html"]


def big_list_page(links: int = 200_000) -> str:
    """A 10 MB list page: `links` article links, one in ten a page of the list (`index_N.html`)."""
    rows = []
    for i in range(links):
        if i % 10 == 0:
            rows.append(f'<a href="index_{i}.html">{i % 1000}</a>\n')
        else:
            rows.append(f'<a href="/zwxx/2020/0430/{1000000 + i}.html">第{i}号</a>\n')
    return page("<ul>" + "".join(rows) + "</ul>")


def test_a_10_mb_page_with_200_000_links_is_read_fast():
    body = big_list_page()
    assert 9_000_000 < len(body.encode()) < 12_000_000
    links, elapsed = timed(lambda: find_links(LIST, body))
    # About 2.5 s on the 2-core test machine (the old code took 7.0 s on a 13.5 MB page of the
    # same shape: its pager check was quadratic in the page's list links).
    assert elapsed < 12, elapsed
    assert len(links.articles) == 180_000
    assert links.articles[0] == "http://www.example.gov.cn/zwxx/2020/0430/1000001.html"
    assert len(links.pages) == 20_450  # and the 450 gaps the pager shows between index_0 … index_500
    assert links.pages[0] == "http://www.example.gov.cn/zwxx/wdyw/index_0.html"


def test_joined_links_are_what_urljoin_gives():
    from urllib.parse import urldefrag, urljoin

    hrefs = [
        "/a/b.html",
        "/a/b.html?",
        "/a/b.html?x=1#f",
        "/a/b.html#",
        "/a/./b.html",
        "/a/../b.html",
        "/a//b.html",
        "/a;p/b.html",
        "/a/b;p.html",
        "/a\\b.html",
        "/a\tb.html",
        "/a?#x",
        "/a??",
        "/中文/页.html",
        "b.html",
        "../c/1234.html",
        "//www.example.gov.cn/d/1234.html",
        "http://WWW.example.gov.cn/e/1234.html",
    ]
    from spiders.links.discover import _fast_base, _join

    fast = _fast_base(LIST)
    for href in hrefs:
        assert _join(LIST, fast, href).url == urldefrag(urljoin(LIST, href))[0], href


def test_a_malformed_link_is_skipped_and_reported_and_the_others_kept():
    body = page(
        '<a href="/zwxx/wdyw/202004/t20200430_1.html">一</a><a href="http://[zz/x.html">二</a>'
        '<a href="/zwxx/wdyw/202004/t20200430_2.html">三</a><link rel="alternate" type="application/rss+xml" href="http://[f/rss.xml">'
    )
    links = find_links(LIST, body)
    assert links.articles == [
        "http://www.example.gov.cn/zwxx/wdyw/202004/t20200430_1.html",
        "http://www.example.gov.cn/zwxx/wdyw/202004/t20200430_2.html",
    ]
    assert links.bad_links == [("http://[zz/x.html", "Invalid IPv6 URL"), ("http://[f/rss.xml", "Invalid IPv6 URL")]
    sitemap = "<?xml version='1.0'?><urlset><url><loc>http://[zz/1234.html</loc></url><url><loc>/zwxx/2020/0101/1234.html</loc></url></urlset>"
    links = find_links(LIST, sitemap)
    assert links.articles == ["http://www.example.gov.cn/zwxx/2020/0101/1234.html"]
    assert links.bad_links == [("http://[zz/1234.html", "Invalid IPv6 URL")]
