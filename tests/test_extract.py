"""Extraction on small pages in the shapes government CMSes produce, and on bad input."""

import pytest

from pipelines.errors import ExtractionError
from pipelines.extract import decode_page, extract, labelled_fields

TRS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>区政府召开常务会议研究部署重点工作-某某区人民政府</title>
<meta name="SiteName" content="某某区人民政府"><meta name="SiteIDCode" content="1101010001">
</head><body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xw/">新闻中心</a> &gt; <a href="/xw/qnyw/">区内要闻</a></div>
<h1>区政府召开常务会议研究部署重点工作</h1>
<div class="info">【信息来源：区政府办公室】【发布时间：2021年6月3日 09:30】【浏览次数：1,024】【字号 <a>大</a> <a>中</a> <a>小</a>】【<a>打印</a>】【<a>关闭</a>】</div>
<div class="TRS_Editor">
<p><img src="../images/p1.jpg"></p><p>区长李某某主持会议</p>
<p>6月2日，区长李某某主持召开区政府常务会议，研究部署近期重点工作。</p>
<p>会议指出，要坚持稳中求进工作总基调，扎实做好“六稳”工作，全面落实“六保”任务。</p>
<table><tr><td>项目</td><td>进度</td></tr><tr><td>城南片区</td><td>80%</td></tr></table>
<p>（撰稿：王某  审核：赵某）</p>
</div>
<p>责任编辑：孙某</p>
<div class="share">分享到：<a>微信</a><a>微博</a></div>
<div>上一篇：<a href="/xw/t20210601_1.html">某某区召开安全生产会议</a></div>
<div class="footer">主办单位：某某区人民政府办公室 网站标识码：1101010001 京ICP备12345678号</div>
</body></html>"""


def test_trs_page_gives_every_field_and_a_clean_body():
    record = extract(TRS_PAGE.encode("utf-8"), "http://www.example.gov.cn/xw/qnyw/202106/t20210603_123.html")
    assert record.title == "区政府召开常务会议研究部署重点工作"
    assert record.published_at == "2021-06-03T09:30:00+08:00"
    assert record.source == "区政府办公室"
    assert record.views == 1024
    assert record.author == "王某" and record.reviewer == "赵某" and record.editor == "孙某"
    assert record.channel == ["新闻中心", "区内要闻"]
    assert record.site_name == "某某区人民政府" and record.site_code == "1101010001"
    assert record.images == [
        {"url": "http://www.example.gov.cn/xw/qnyw/images/p1.jpg", "caption": "区长李某某主持会议"}
    ]
    assert record.text.split("\n") == [
        "6月2日，区长李某某主持召开区政府常务会议，研究部署近期重点工作。",
        "会议指出，要坚持稳中求进工作总基调，扎实做好“六稳”工作，全面落实“六保”任务。",
        "项目 | 进度",
        "城南片区 | 80%",
    ]
    assert record.provenance["text"] == "container:.TRS_Editor (agrees with density 1.00)"
    assert record.provenance["title"] in ("heading", "html_title")


def test_info_bar_labels_in_traditional_script_with_pinyin():
    html = (
        "<html><head><title>大觀區舉行會議</title></head><body><h1>大觀區舉行區委常委會擴大會議</h1>"
        "<div>來源:區(qū)委宣傳部 發(fā)布時間:2024-05-06 16:00 瀏覽:150次</div>"
        "<div id='zoom'><p>5月6日上午，大觀區區委常委會擴大會議舉行，全面總結一季度工作，系統部署二季度經濟運行。</p>"
        "<p>會議書面通報了一季度文明創建情況。(撰稿人:李明月 審核人:王燦)</p></div></body></html>"
    )
    record = extract(html.encode("utf-8"), "http://www.example.gov.cn/art/2024/5/6/art_1_2.html")
    assert record.source == "区委宣传部"
    assert record.published_at == "2024-05-06T16:00:00+08:00"
    assert record.views == 150
    assert record.author == "李明月" and record.reviewer == "王灿"  # labels and values are read in Simplified
    assert record.text.endswith("會議書面通報了一季度文明創建情況。")
    assert record.script == "zh-Hant"


def test_labelled_fields_split_an_info_bar_and_leave_blanks_blank():
    assert labelled_fields("【信息来源:【信息时间:2020-04-30 08:40  阅读次数: 】【字号 】") == {
        "source": "",
        "published_at": "2020-04-30 08:40",
        "views": "",
        "_fontsize": "",
    }
    assert labelled_fields("发布时间: 2020-05-07 19:13:00 信息来源: 晋城在线") == {
        "published_at": "2020-05-07 19:13:00",
        "source": "晋城在线",
    }
    # A blank label in a table row: the next cell has a label of its own, not the value.
    assert labelled_fields("来源: | 发布时间: 2018-05-17 | 浏览次数: 2168") == {
        "source": "",
        "published_at": "2018-05-17",
        "views": "2168",
    }


def test_a_date_only_in_the_url_is_used_and_said_so():
    html = "<html><body><h1>关于做好防汛工作的通知</h1><div id='zoom'><p>各街道、各部门：为做好今年防汛工作，现将有关事项通知如下。请认真贯彻落实。</p></div></body></html>"
    record = extract(html.encode(), "http://www.example.gov.cn/art/2020/6/1/art_12_345.html")
    assert record.published_at == "2020-06-01" and record.provenance["published_at"] == "url"
    assert "short_body" in record.warnings


def test_a_page_without_a_date_gets_none_never_a_guess():
    html = "<html><body><h1>关于做好防汛工作的通知</h1><div id='zoom'><p>各街道、各部门：为做好今年防汛工作，现将有关事项通知如下。</p></div></body></html>"
    assert extract(html.encode(), "http://www.example.gov.cn/zwgk/notice.html").published_at is None


def test_gbk_bytes_declared_as_gb2312_and_a_wrong_declared_charset():
    html = "<html><head><meta charset='gb2312'></head><body><h1>朱镕基同志视察我区</h1><div class='TRS_Editor'><p>朱镕基同志来到我区视察工作，听取了区委区政府的工作汇报。</p></div></body></html>"
    record = extract(
        html.encode("gbk"), "http://x.gov.cn/t20200101_1.html", headers={"Content-Type": "text/html; charset=utf-8"}
    )
    assert record.title == "朱镕基同志视察我区"
    assert decode_page(html.encode("gbk"), {}) == html


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "empty page"),
        (b"   \n  ", "empty page"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "binary"),
        (b"%PDF-1.4 ...", "binary"),
        (b"<html><body></body></html>", "no article"),
    ],
)
def test_pages_that_cannot_give_a_record_raise_a_clear_reason(body, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract(body, "http://x.gov.cn/1.html")


def test_malformed_and_huge_pages_do_not_raise_anything_else():
    broken = (
        b"<html><body><h1>\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c\xe4\xbc\x9a\xe8\xae\xae<div><p>"
        + "会议强调要加强安全生产。".encode() * 50
        + b"<table><tr><td>"
    )
    record = extract(broken, "http://x.gov.cn/2.html")
    assert "会议强调要加强安全生产" in record.text
    big = (
        b"<html><body><h1>"
        + "标题".encode()
        + b"</h1><div id='zoom'>"
        + ("<p>" + "正文内容很长。" * 20 + "</p>").encode() * 8000
        + b"</div></body></html>"
    )
    assert len(big) > 1_000_000
    assert extract(big, "http://x.gov.cn/3.html").text
    ten_mb = (
        b"<html><body><h1>"
        + "标题".encode()
        + b"</h1><div>"
        + ("<p>" + "正文内容很长。" * 20 + "</p>").encode() * 23000
        + b"</div></body></html>"
    )
    assert len(ten_mb) > 9_500_000
    assert extract(ten_mb, "http://x.gov.cn/5.html").text.count("\n") == 23000 - 1  # every paragraph, no chrome
    with pytest.raises(ExtractionError, match="too large"):
        extract(b"<html>" + b" " * (13 * 1024 * 1024), "http://x.gov.cn/4.html")


LEGACY_PAGE = """<html><head><meta charset="utf-8"><title>关于召开全县安全生产工作会议的通知</title></head><body>
<table width="960"><tr><td><a href="/">首页</a> | <a href="/tzgg/">通知公告</a> | <a href="/zcfg/">政策法规</a></td></tr>
<tr><td>当前位置：<a href="/">首页</a> &gt;&gt; <a href="/tzgg/">通知公告</a></td></tr>
<tr><td width="700"><table width="100%">
  <tr><td align="center"><font size="4"><b>关于召开全县安全生产工作会议的通知</b></font></td></tr>
  <tr><td align="center">发布时间：2011-11-02 15:43:10&nbsp;&nbsp;&nbsp;文章来源：县安监局&nbsp;&nbsp;&nbsp;浏览：207次</td></tr>
  <tr><td>各乡镇人民政府，县直有关单位：<br>　　经县政府同意，定于11月4日上午9:00在县政府四楼会议室召开全县安全生产工作会议。<br>　　桑水县安全生产委员会办公室<br>　　二〇一一年十一月二日</td></tr>
  <tr><td>[<a href="javascript:window.print()">打印</a>] [<a href="javascript:self.close()">关闭</a>]</td></tr>
</table></td><td width="260"><a href="/a/1.html">全县安全生产大检查工作全面展开</a><br><a href="/a/2.html">冬季森林防火专项检查</a></td></tr>
<tr><td>主办单位：桑水县人民政府办公室 地址：桑水县桑园路45号 联系电话：0817-5221046</td></tr></table>
</body></html>"""


def test_old_table_layouts_give_the_body_with_its_lines_and_not_the_navigation():
    record = extract(LEGACY_PAGE.encode(), "http://www.sangshui.gov.cn/news/detail.jsp?id=8798")
    assert record.text.split("\n") == [
        "各乡镇人民政府，县直有关单位：",
        "经县政府同意，定于11月4日上午9:00在县政府四楼会议室召开全县安全生产工作会议。",
        "桑水县安全生产委员会办公室",
        "二〇一一年十一月二日",
    ]
    assert record.published_at == "2011-11-02T15:43:10+08:00" and record.source == "县安监局" and record.views == 207


def test_bylines_without_a_colon_and_at_the_start_of_the_lead():
    page = (
        "<html><body><h1>北屿区便民生活圈建设提速</h1><div class='article-content'>"
        "<p>本报讯（记者 许诺 通讯员 王可）近日，北屿区推进“15分钟便民生活圈”建设，新增便民菜市场9个、社区食堂16个。</p>"
        "<p>下一步，该区将继续完善社区嵌入式服务功能，让居民生活更便利。</p></div></body></html>"
    )
    record = extract(page.encode(), "http://www.example.com/a/20230214/1.html")
    assert record.author == "许诺 王可"
    assert record.text.startswith("本报讯（记者 许诺 通讯员 王可）近日")  # the lead is never dropped

    page = page.replace("本报讯（记者 许诺 通讯员 王可）", "").replace(
        "</p></div>", "</p><p>（记者 唐晓 罗佳）</p></div>"
    )
    record = extract(page.encode(), "http://www.example.com/a/20230214/1.html")
    assert record.author == "唐晓 罗佳" and "记者" not in record.text


def test_reposted_news_bylines_name_the_newsroom_and_where_it_was_filed():
    lead = "<p>近日，北屿区推进“15分钟便民生活圈”建设，新增便民菜市场9个、社区食堂16个，居民生活更加便利。</p>"

    def author(body: str, head: str = "") -> str | None:
        page = (
            f"<html><head><meta charset='utf-8'>{head}</head><body><h1>北屿区便民生活圈建设提速</h1>"
            f"<div class='article-content'>{body}</div></body></html>"
        )
        return extract(page.encode(), "http://www.example.gov.cn/a/20230214/1.html").author

    assert author("<p>【新春走基层】</p><p>光明日报记者 王建宏 张文攀</p>" + lead) == "王建宏 张文攀"
    assert author("<p>新华网黑龙江频道\u00a0记者\u00a0伊琳\u00a0李清芬</p>" + lead) == "伊琳 李清芬"
    assert author("<p>据新华社拉萨电（记者 格桑边觉）近日，西藏自治区召开全区农牧业工作会议。</p>" + lead) == "格桑边觉"
    assert author(lead + "<p>（总台记者 张倩）</p>") == "张倩"
    assert author(lead + "<p>新京报记者 彭冲 山东冠县报道</p><p>【编辑:刘欢】</p>") == "彭冲"
    assert author(lead.replace("。</p>", "。（姚峰 上海报道）</p>")) == "姚峰"
    # A menu's column names are not a byline: 记者调查 is a column, not a reporter called 调查.
    menu = "<div class='nav'><a href='/jzdc/'>记者调查</a> <a href='/mydc/'>民意调查</a></div>"
    page = f"<html><body>{menu}<h1>北屿区便民生活圈建设提速</h1><div class='article-content'>{lead}</div></body></html>"
    assert extract(page.encode(), "http://www.example.gov.cn/a/1.html").author is None


def test_meta_authors_that_are_not_people_are_ignored_and_meta_labels_dropped():
    def fields(head: str, info: str = "") -> tuple:
        page = (
            f"<html><head><meta charset='utf-8'>{head}</head><body><h1>北屿区便民生活圈建设提速</h1>{info}"
            "<div class='article-content'><p>近日，北屿区推进“15分钟便民生活圈”建设，新增便民菜市场9个。</p></div></body></html>"
        )
        record = extract(page.encode(), "http://www.example.gov.cn/a/1.html")
        return record.author, record.source

    assert fields("<meta name='author' content='许诺'>") == ("许诺", None)
    assert fields("<meta name='author' content='https://www.facebook.com/somepage/'>") == (None, None)
    assert fields("<meta name='author' content='L_104485'>") == (None, None)  # an account id
    # The CMS signs its pages: 大汉网络 on a site whose Generator is 大汉版通.
    assert fields("<meta name='Generator' content='大汉版通'><meta name='Author' content='大汉网络'>") == (None, None)
    assert fields("<meta name='author' content='www.example.com'>", "<div>作者：许诺 阅读</div>") == ("许诺", None)
    assert fields("<meta name='source' content='来源：新华日报'>") == (None, "新华日报")


def test_an_info_bar_that_starts_with_a_bare_date():
    page = (
        "<html><body><h1>丰安日报：全市项目建设提速</h1><div class='detail-meta'><span>2021-09-28 07:52</span>"
        "<span>来源：丰安日报</span><span>作者：记者 黄一鸣</span></div>"
        "<div class='article-content'><p>记者从市发展改革委获悉，今年以来全市重点项目建设加快推进，完成投资超过年度计划。</p></div></body></html>"
    )
    record = extract(page.encode(), "http://www.example.com/a/1.html")
    assert record.published_at == "2021-09-28T07:52:00+08:00"
    assert record.source == "丰安日报" and record.author == "黄一鸣"
    assert record.text.startswith("记者从市发展改革委获悉")  # 记者从… is a sentence, not a byline


def test_a_date_on_the_line_below_the_headline_is_the_publish_time():
    page = (
        "<html><body><div>网站导航 新闻 财经</div><h2>理财周刊：城市居民储蓄意愿上升</h2>"
        "<div>http://www.example.net 2005年03月21日 11:21 《理财周刊》</div>"
        "<div><p>央行最新调查显示，城市居民储蓄意愿继续上升，倾向于更多储蓄的居民占比达到新高。</p>"
        "<p>专家认为，这与居民对未来收入预期有关，消费意愿则有所下降。</p></div></body></html>"
    )
    record = extract(page.encode(), "http://www.example.net/money/1.html")
    assert record.published_at == "2005-03-21T11:21:00+08:00"
    assert record.provenance["published_at"] in ("near_title", "before_body", "body_top")


def test_disclosure_table_fields_and_the_table_stays_out_of_the_text():
    page = (
        "<html><body><table class='xxgk'>"
        "<tr><td>索引号：</td><td>11441800007109233X/2021-00123</td><td>分类：</td><td>综合政务</td></tr>"
        "<tr><td>发布机构：</td><td>丰安市人民政府办公室</td><td>成文日期：</td><td>二〇二一年六月三日</td></tr>"
        "<tr><td>文号：</td><td>丰府办〔2021〕12号</td><td>发布日期：</td><td>2021-06-07</td></tr>"
        "<tr><td>主题分类：</td><td>劳动、人事、监察</td><td>有效性：</td><td>有效</td></tr></table>"
        "<h1>丰安市人民政府办公室关于进一步做好稳就业工作的通知</h1>"
        "<div class='article-content'><p>各镇人民政府、街道办事处，市政府各部门：</p>"
        "<p>经市人民政府同意，现就进一步做好我市稳就业工作通知如下。</p></div></body></html>"
    )
    record = extract(page.encode(), "http://www.fengan.gov.cn/xxgk/content/post_1.html")
    assert (record.index_no, record.issuer, record.doc_no, record.topic, record.validity) == (
        "11441800007109233X/2021-00123",
        "丰安市人民政府办公室",
        "丰府办〔2021〕12号",
        "劳动、人事、监察",
        "有效",
    )
    assert record.written_at == "2021-06-03" and record.published_at == "2021-06-07"
    assert "索引号" not in record.text and record.text.startswith("各镇人民政府")


def test_captions_go_to_images_and_cms_comments_never_reach_the_text():
    page = (
        "<html><body><h1>海棠社区便民菜市场开业</h1><article>"
        "<!--<$[信息内容]>begin--><figure><img src='/p/1.jpg' alt=''><figcaption>居民在便民菜市场选购蔬菜。记者 许诺 摄</figcaption></figure>"
        "<p>早上7点，北屿区海棠社区的便民菜市场里，新鲜蔬菜、肉类摆满摊位，前来选购的居民络绎不绝。</p><!--<$[信息内容]>end-->"
        "</article></body></html>"
    )
    record = extract(page.encode(), "http://www.example.com/a/1.html")
    assert record.images == [
        {"url": "http://www.example.com/p/1.jpg", "caption": "居民在便民菜市场选购蔬菜。记者 许诺 摄"}
    ]
    assert record.text == "早上7点，北屿区海棠社区的便民菜市场里，新鲜蔬菜、肉类摆满摊位，前来选购的居民络绎不绝。"
    assert record.author is None  # a photo credit is not a byline


def test_weak_records_say_why():
    page = "<html><head><title>通知</title></head><body><div><p>各单位：请于本周五前报送材料。</p></div></body></html>"
    record = extract(page.encode(), "http://www.example.gov.cn/tzgg/1.html")
    assert {"no_date", "short_body"} <= set(record.warnings)
    dated = extract(page.encode(), "http://www.example.gov.cn/art/2020/6/1/art_1_2.html")
    assert "date_from_url" in dated.warnings and "no_date" not in dated.warnings


def test_a_comment_time_below_the_article_is_not_its_publish_time():
    page = (
        "<html><body><h1>第四届经济学年会会议议程</h1><div>2004-12-10　　阅读10544次</div>"
        "<div><p>第四届经济学年会将于12月11日至12日在南开大学举行，代表于12月10日报到注册。</p>"
        "<p>会议设主题报告、分组讨论和圆桌论坛，欢迎各位代表准时参加。</p></div>"
        "<div class='comments'><p>发表人：网友甲 | 发表时间：2004-12-11 9:51:00</p><p>期待会议成功举办！</p></div>"
        "</body></html>"
    )
    record = extract(page.encode(), "http://www.example.edu.cn/news/1.html")
    assert record.published_at == "2004-12-10"
    assert "阅读" not in record.text and record.text.startswith("第四届经济学年会将于")


def test_an_event_notice_keeps_its_organiser_lines():
    page = (
        "<html><body><h1>关于举办2021年全民阅读活动的通知</h1><div id='zoom'>"
        "<p>各镇（街道）、区直各单位：</p><p>为推进书香社会建设，决定举办2021年全民阅读活动。</p>"
        "<p>一、主办单位：区委宣传部</p><p>二、承办单位：区图书馆</p><p>三、活动时间：2021年4月23日</p></div>"
        "<div class='footer'>主办单位：某某区人民政府办公室 网站标识码：1101010001</div></body></html>"
    )
    record = extract(page.encode(), "http://www.example.gov.cn/art/2021/4/1/art_1_2.html")
    assert "一、主办单位：区委宣传部" in record.text and "二、承办单位：区图书馆" in record.text
    assert "网站标识码" not in record.text


@pytest.mark.parametrize("leaf", ["", "text", "<!-- a comment -->", "<br>"])
def test_the_depth_that_keeps_trafilatura_out_counts_every_level(leaf):
    from pipelines.extract.tree import nests_deeper_than
    from pipelines.parse import parse_html

    for spans in (0, 1, 197, 198, 199, 250):
        root = parse_html("<html><body>" + "<span>" * spans + leaf + "</span>" * spans + "</body></html>")
        depth = 2 + spans + (leaf not in ("", "text"))  # html, body, the spans, the comment or <br>
        assert [nests_deeper_than(root, limit) for limit in (depth - 2, depth - 1, depth, depth + 1)] == [
            True,
            True,
            False,
            False,
        ]
    assert nests_deeper_than(root, 0)


def test_a_meta_title_cut_at_an_unescaped_quote_gives_way_to_the_headline():
    headline = '男孩因不想上补习班 写"救命啊"纸团抛出引来警察'
    page = TRS_PAGE.replace(
        "</title>", '</title><meta property="og:title" content="男孩因不想上补习班 写" 救命啊"纸团抛出引来警察"="">'
    ).replace("<h1>区政府召开常务会议研究部署重点工作</h1>", f"<h1>{headline}</h1>")
    record = extract(page.encode(), "http://www.example.gov.cn/xw/t20210603_2.html")
    assert record.title == headline and record.provenance["title"] == "heading"
    whole = TRS_PAGE.replace("</title>", '</title><meta property="og:title" content="区政府召开常务会议">')
    assert extract(whole.encode(), "http://www.example.gov.cn/xw/t20210603_2.html").title == "区政府召开常务会议"


@pytest.mark.parametrize("itemprop", ["datePublished", "dateUpdate"])
def test_a_schema_date_in_an_itemprop_meta_is_the_publish_time(itemprop):
    page = TRS_PAGE.replace("【发布时间：2021年6月3日 09:30】", "").replace(
        "</title>", f'</title><meta itemprop="{itemprop}" content="2021-06-03 09:30:12">'
    )
    record = extract(page.encode(), "http://www.example.gov.cn/xw/a/2.html")
    assert record.published_at == "2021-06-03T09:30:12+08:00" and record.provenance["published_at"] == "meta"


@pytest.mark.parametrize("name", ["DC.date.issued", "dcterms.issued", "citation_publication_date", "citation_date"])
def test_dublin_core_and_scholarly_date_metas_are_the_publish_date(name):
    page = TRS_PAGE.replace("【发布时间：2021年6月3日 09:30】", "").replace(
        "</title>", f'</title><meta name="{name}" content="2021/06/03">'
    )
    record = extract(page.encode(), "http://www.example.gov.cn/xw/a/2.html")
    assert record.published_at == "2021-06-03" and record.provenance["published_at"] == "meta"


def _with_body(paragraphs: str) -> bytes:
    start, end = TRS_PAGE.index('<div class="TRS_Editor">'), TRS_PAGE.index("</div>\n<p>责任编辑")
    return (TRS_PAGE[:start] + f'<div class="TRS_Editor">{paragraphs}' + TRS_PAGE[end:]).encode()


def test_an_interviews_questions_are_text_not_bylines():
    lines = [
        "记者：首先欢迎你接受我们的采访，请问你怎样看待今年的农机购置补贴政策？",
        "李某某：补贴政策让农民买得起、用得上先进农机，今年全县已有三百多户受益。",
        "记者：你们通过什么渠道把新产品的信息告诉农民，让他们尽快了解？",
    ]
    record = extract(_with_body("".join(f"<p>{line}</p>" for line in lines)), "http://www.example.gov.cn/xw/a/3.html")
    assert record.text.split("\n") == lines and record.author is None


def test_related_reports_and_pagers_never_reach_the_text():
    lead = "6月2日，区长李某某主持召开区政府常务会议，研究部署近期重点工作。"
    tail = (
        "<p>第1页/共1页</p><p>&lt;&lt; 上一页 | 下一页 &gt;&gt;</p><p>相关报道：</p>"
        "<p>·我区召开安全生产工作会议 (2021-06-01 17:19)</p><p>·我区部署防汛工作 (2021-05-30 09:10)</p>"
    )
    record = extract(_with_body(f"<p>{lead}</p>{tail}"), "http://www.example.gov.cn/xw/a/4.html")
    assert record.text == lead


def test_a_related_list_above_the_article_inside_its_container_is_skipped_not_the_end():
    paragraphs = [
        f"6月{day}日，区政府召开第{day}次常务会议，研究部署城乡供水一体化、老旧小区改造和义务教育学校建设等重点工作。"
        for day in range(1, 11)
    ]
    player = "<div class='player'><p>自动播放 区政府常务会议</p><p>相关新闻：</p><p>区长主持召开安全生产会议</p><p>我区部署防汛工作</p></div>"
    record = extract(
        _with_body(player + "".join(f"<p>{p}</p>" for p in paragraphs)), "http://www.example.gov.cn/xw/a/5.html"
    )
    assert record.text.split("\n")[-10:] == paragraphs and "防汛" not in record.text
    # Below the article, the same heading ends it.
    record = extract(
        _with_body("".join(f"<p>{p}</p>" for p in paragraphs) + player), "http://www.example.gov.cn/xw/a/6.html"
    )
    assert record.text.split("\n")[:10] == paragraphs and "防汛" not in record.text


def test_a_meta_time_joined_to_its_date_by_a_hyphen_is_read():
    # 中国政府网: <meta name="firstpublishedtime" content="2007-08-20-23:59:59">
    page = TRS_PAGE.replace("【发布时间：2021年6月3日 09:30】", "").replace(
        "</title>", '</title><meta name="firstpublishedtime" content="2021-06-03-09:30:12">'
    )
    assert extract(page.encode(), "http://www.example.gov.cn/xw/a/7.html").published_at == "2021-06-03T09:30:12+08:00"
