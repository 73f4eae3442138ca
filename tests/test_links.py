"""Link discovery on list pages laid out as government CMSes lay them out."""
from spiders.links import find_links, is_article_url

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


def test_site_patterns_from_config_are_honoured():
    html = page('<a href="/zw/info/77">某某</a><a href="/zw/more/2">2</a>')
    links = find_links(
        "http://x.gov.cn/zw/more/1", html,
        article_patterns=[r"/zw/info/\d+$"], pagination_patterns=[r"/zw/more/\d+$"],
    )
    assert links.articles == ["http://x.gov.cn/zw/info/77"]
    assert links.pages == ["http://x.gov.cn/zw/more/2"]
