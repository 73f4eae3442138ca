"""Parsing as a browser does: pages whose HTML browsers tolerate but libxml2 reads otherwise
(an included header that closes the document before the article, nested or unclosed <html>,
XHTML served as HTML) give their whole article."""

import time

import pytest

from pipelines.extract import extract
from pipelines.extract.tree import block_lines, nests_deeper_than
from pipelines.parse import ends_before_its_content, flatten_deep_nesting, parse_html

ARTICLE = [
    "国务院常务会议12日召开，部署进一步做好稳就业工作，确定支持中小微企业发展的政策措施。",
    "会议指出，就业是最大的民生。要落实落细各项政策，扩大就业容量，稳定就业岗位。",
    "会议要求，各地区各部门要加强统筹协调，确保政策措施及时落地见效，让企业和群众有实实在在的获得感。",
]
HEADER_INCLUDE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>国务院部署进一步做好稳就业工作_滚动新闻_中国政府网</title>
<meta name="ArticleTitle" content="国务院部署进一步做好稳就业工作"><meta name="PubDate" content="2024-06-12 20:30">
</head><body>
<div class="header"><a href="https://www.gov.cn/">https://www.gov.cn/</a><ul class="nav"><li><a href="/">首页</a></li>
<li><a href="/zhengce/">政策</a></li></ul></div>
</body></html>
"""
ARTICLE_PART = (
    '<div class="main"><div class="article"><h1 id="ti">国务院部署进一步做好稳就业工作</h1>'
    '<div class="pages-date">2024-06-12 20:30 <span class="font">来源： 新华社</span></div>'
    '<div class="pages_content" id="UCAP-CONTENT">'
    + "".join(f"<p>{p}</p>" for p in ARTICLE)
    + '</div><div class="editor">【我要纠错】 责任编辑：王洋</div></div></div>'
    '<div class="footer">版权所有：中国政府网 | 网站标识码bm01000001 | 京ICP备05070218号</div>\n'
)


def test_an_included_header_that_closes_the_document_does_not_lose_the_article():
    # gov.cn shape: the header include brings its own </body></html>; the article follows.
    page = HEADER_INCLUDE + ARTICLE_PART + "</body></html>"
    record = extract(page.encode("utf-8"), "https://www.gov.cn/yaowen/liebiao/202406/content_6957001.htm")
    assert record.text.split("\n") == ARTICLE
    assert record.provenance["text"].startswith("container:#UCAP-CONTENT ")
    assert record.source == "新华社" and record.editor == "王洋"
    assert record.published_at == "2024-06-12T20:30:00+08:00"


def test_trafilatura_gets_the_browsers_tree_too():
    # No content container the rules know: the article after the early </html> reaches trafilatura.
    paragraphs = [p + "各地区各部门认真贯彻落实，取得了积极成效，群众满意度持续提升。" for p in ARTICLE]
    article = (
        "<div class='wrap'><h1>国务院部署进一步做好稳就业工作</h1><div class='text'>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div></div>"
    )
    for anchor in ("", '<a name="top"/>'):  # an XHTML anchor closed as XML: not a link around the article
        page = HEADER_INCLUDE + anchor + article + "</body></html>"
        record = extract(page.encode(), "https://www.gov.cn/a/1.htm")
        assert record.provenance["text"] in ("trafilatura", "density")
        assert record.text.split("\n") == paragraphs


@pytest.mark.parametrize(
    "closing",
    [
        "</body>",  # libxml2 puts what follows beside <body>
        "</html>",  # libxml2 stops reading here
        "</div></body>\n</html>\n<!-- 头部结束 -->\n",
    ],
)
def test_content_after_an_early_end_tag_stays_in_the_body(closing):
    page = "<html><head><title>t</title></head><body><div>网站头部</div>" + closing + ARTICLE_PART
    assert ends_before_its_content(page)
    lines = block_lines(parse_html(page).find("body"))
    assert lines[0] == "网站头部" and all(p in lines for p in ARTICLE)


def test_xhtml_self_closed_elements_stay_closed_on_either_parser():
    # <a name="top"/> left open by an HTML5 parser would make the whole article link text
    # (density and link shares read it so); libxml2 closes it, and so does the page given to lexbor.
    article = '<a name="top"/><div class="clear"/><div class="text"><p>正文第一段。</p></div>'
    for page in (article, HEADER_INCLUDE + article):
        root = parse_html(page)
        assert ends_before_its_content(page) == (page != article)
        assert not root.xpath("//p[ancestor::a]") and root.xpath("//div[@class='text']/p")


def test_a_second_document_after_the_first_one_joins_the_body():
    # Two pages concatenated (an include that is a whole document): a browser makes one body of them.
    page = HEADER_INCLUDE + '<html><head><meta charset="utf-8"><title>x</title></head><body>' + ARTICLE_PART
    record = extract(page.encode("utf-8"), "https://www.gov.cn/zhengce/content/202406/content_1.htm")
    assert record.text.split("\n") == ARTICLE
    assert record.title == "国务院部署进一步做好稳就业工作"


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>正文</p></body></html>\n",
        "<html><body><p>正文</p></body></html>\n<script>var _hmt = [];</script><!-- 统计 -->\n",
        '<html><body><p>正文</p><script>document.write("</body></html>");</script><p>更多</p></body></html>',
        "<html><body><p>正文</p><!-- </body> --><p>更多</p></body></html>",
    ],
)
def test_ordinary_pages_are_left_to_libxml2(page):
    # Only pages with content after a real end tag take the HTML5 parser (and its cost).
    assert not ends_before_its_content(page)


def test_nested_and_unclosed_html_elements_keep_the_article():
    nested = (
        '<html><head><title>t</title></head><body><div class="top">头部</div>'
        '<html><head><meta name="x" content="y"></head><body class="inner"><div id="zoom">'
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</div></body></html></body></html>"
    )
    unclosed = "<html><head><title>t</title><body><div id='zoom'>" + "".join(f"<p>{p}" for p in ARTICLE)
    for page in (nested, unclosed):
        record = extract(page.encode("utf-8"), "http://www.example.gov.cn/art/2024/6/12/art_1_2.html")
        assert record.text.split("\n") == ARTICLE


def test_xhtml_served_as_html_with_its_declaration_and_namespaces():
    page = (
        '<?xml version="1.0" encoding="gb2312"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xml:lang="zh-CN"><head><title>县政府召开防汛工作会议</title></head><body>'
        '<h1>县政府召开防汛工作会议</h1><div class="TRS_Editor">'
        + "".join(f'<p class="MsoNormal">{p}<o:p></o:p></p>' for p in ARTICLE)
        + "<p>第四段<br/>换行之后</p></div></body></html>"
    )
    record = extract(page.encode("gb18030"), "http://www.example.gov.cn/xw/202406/t20240612_1.html")
    assert record.text.split("\n") == [*ARTICLE, "第四段", "换行之后"]
    assert record.title == "县政府召开防汛工作会议"


def test_deeply_nested_pages_with_an_early_end_tag_parse_in_linear_time():
    # The HTML5 parser is quadratic in the nesting depth (as browsers are): a page of more tags than
    # it is given loses its early end tags instead, and libxml2 reads it.
    deep = "<html><body>" + "<div>" * 100_000 + "</html><p>正文在后面。</p>"
    many = "<html><body>" + "<div>" * 1500 + "<span>项</span>" * 20_000 + "</body></html><p>正文在后面。</p>"
    for page in (deep, many):
        start = time.perf_counter()
        root = parse_html(page)
        assert time.perf_counter() - start < 2
        assert "正文在后面" in root.find("body").text_content()


PARAGRAPHS = [f"第{i}段：区政府召开常务会议，研究部署安全生产工作。" for i in range(3000)]


@pytest.mark.parametrize(
    "article",
    [
        "".join(f"<div><p>{p}</p>" for p in PARAGRAPHS) + "</div>" * len(PARAGRAPHS),  # a template's unclosed loop
        "".join(f"<p><font color=red>{p}" for p in PARAGRAPHS),  # unclosed <font>, nesting one more a paragraph
    ],
)
def test_a_page_nested_past_libxml2s_limit_keeps_what_follows(article):
    # libxml2 stops building the tree at 2,048 levels: every paragraph after that point was lost.
    page = f'<html><body><h1>深层页面</h1><div class="TRS_Editor">{article}</div><div class="footer">版权所有</div>'
    record = extract(page.encode("utf-8"), "http://www.example.gov.cn/xw/202406/t20240612_1.html")
    assert record.text.split("\n") == PARAGRAPHS


def test_elements_past_the_browsers_depth_are_emptied_and_their_content_follows_them():
    page = (
        "<body>"
        + "<div>" * 600
        + "<p>深处</p><!-- <div><div> --><script>'<div>'</script>"
        + "</div>" * 600
        + "<p>后面</p>"
    )
    flat = flatten_deep_nesting(page, max_depth=512)
    assert flat.count("<div></div>") == 600 - 511 and flat.count("</div>") == 600  # <body> is the first level
    # the <p> past the limit is emptied too, its text follows it; what a comment or script holds is no tag
    assert flat.index("<p></p>深处") < flat.index("<!-- <div><div> -->") < flat.index("<p>后面</p>")
    root = parse_html(flat)
    assert not nests_deeper_than(root, 520) and root.find("body").text_content().endswith("深处'<div>'后面")
    # a page within the limit, void and self-closed elements and stray end tags: unchanged
    ordinary = "<div><br><img src=a.png><a name=top/></span><p>正文</div>"
    assert flatten_deep_nesting(ordinary, max_depth=2) == ordinary


def test_flattening_is_linear_in_unclosed_comments_scripts_and_tags():
    for page in ("<!--<div>" * 50_000, "<script><div>" * 50_000, "<a" * 200_000, "</div>" * 200_000):
        start = time.perf_counter()
        flatten_deep_nesting(page)
        assert time.perf_counter() - start < 2
