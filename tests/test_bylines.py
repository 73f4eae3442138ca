"""Authors are people: CMS accounts and portals are never an author or an editor, a named byline
anywhere on the page beats a meta account, and the bylines that close an article go to their fields."""

import pytest

from pipelines.extract import extract
from pipelines.surnames import looks_like_a_name

LEAD = "近日，北屿区推进“15分钟便民生活圈”建设，新增便民菜市场9个、社区食堂16个，居民生活更加便利。"
SECOND = "下一步，该区将继续完善社区嵌入式服务功能，推动更多优质服务资源向社区下沉。"


def page(closing: str = "", *, head: str = "", info: str = "", container: str = "id='zoom'") -> bytes:
    """A Hanweb-shaped article page: meta tags, headline, info bar, the #zoom container."""
    return (
        f"<html><head><meta charset='utf-8'><title>北屿区便民生活圈建设提速</title>{head}</head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/xwzx/'>新闻中心</a></div>"
        f"<h1>北屿区便民生活圈建设提速</h1><div class='info'>发布时间：2023-02-14 09:30 {info}</div>"
        f"<div {container}><p>{LEAD}</p><p>{SECOND}</p>{closing}</div>"
        "<div class='footer'>主办单位：北屿区人民政府办公室 网站标识码：1101010001</div></body></html>"
    ).encode()


def extracted(*args, **kwargs):
    return extract(page(*args, **kwargs), "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html")


@pytest.mark.parametrize(
    "account", ["管理员", "超级管理员", "系统管理员", "admin", "Administrator", "editor01", "sysadmin", "zhangwei"]
)
def test_a_cms_account_in_the_meta_is_never_the_author(account):
    record = extracted(head=f"<meta name='Author' content='{account}'>")
    assert record.author is None


@pytest.mark.parametrize("account", ["管理员", "超级管理员", "admin", "editor01"])
def test_a_named_byline_beats_a_meta_account(account):
    head = f"<meta name='author' content='{account}'>"
    assert extracted(head=head, info="作者：周文斌").author == "周文斌"  # in the info bar
    record = extracted("<p>（作者：周文斌）</p>", head=head)  # at the end of the body
    assert record.author == "周文斌" and record.provenance["author"] != "meta"
    assert record.text.split("\n") == [LEAD, SECOND]


def test_accounts_in_the_info_bar_are_not_people_either():
    record = extracted(info="作者：管理员 编辑：admin 审核：系统管理员")
    assert (record.author, record.editor, record.reviewer) == (None, None, None)
    record = extracted("<p>责任编辑：超级管理员</p>", info="作者：admin")
    assert (record.author, record.editor) == (None, None)
    assert record.text.split("\n") == [LEAD, SECOND]


@pytest.mark.parametrize("portal", ["网易", "新浪", "搜狐", "腾讯", "凤凰网", "人民网", "网易新闻", "澎湃新闻"])
def test_a_portal_is_a_source_but_never_an_author(portal):
    assert extracted(head=f"<meta name='author' content='{portal}'>").author is None
    record = extracted(info=f"来源：{portal} 作者：{portal}")
    assert record.author is None and record.source == portal
    record = extracted(f"<p>（来源：{portal}）</p>")
    assert record.source == portal and record.text.split("\n") == [LEAD, SECOND]


@pytest.mark.parametrize(
    "closing, fields",
    [
        ("（作者：张三）", {"author": "张三"}),
        ("（记者 张三 李四）", {"author": "张三 李四"}),
        ("（本报记者 张三）", {"author": "张三"}),
        ("（通讯员 王五）", {"author": "王五"}),
        ("（张巨峰）", {"author": "张巨峰"}),
        ("作者：张三 单位：北屿区融媒体中心", {"author": "张三"}),
        ("文/张三", {"author": "张三"}),
        ("文/图 张三", {"author": "张三"}),
        ("图/文 欧阳明", {"author": "欧阳明"}),
        ("□ 本报记者 葛云", {"author": "葛云"}),
        ("本报记者罗科发自北京", {"author": "罗科"}),
        ("责任编辑：李四", {"editor": "李四"}),
        ("（编辑：李四）", {"editor": "李四"}),
        ("[责任编辑:李四]", {"editor": "李四"}),
        ("责任编辑：李四_NB12556", {"editor": "李四"}),  # the CMS account code glued to the name
        ("责任编辑：李四 PK155", {"editor": "李四"}),
        ("来源：北屿日报", {"source": "北屿日报"}),
        ("采写：南都见习记者 林子沛", {"author": "林子沛"}),  # any newsroom's reporter
        ("《北屿周刊》作者周文斌", {"author": "周文斌"}),
        ("执笔/张伟、胡一刀&李小飞", {"author": "张伟 胡一刀 李小飞"}),
        ("作者：网络整理", {"author": None}),  # "the internet": no one named
        ("来源：网络", {"source": None}),
        ("责任编辑：biaoffeng", {"editor": None}),  # a CMS login
        ("作者：周文斌 整合", {"author": "周文斌"}),  # what he did, not a second name
        ("区融媒体中心供稿 摄影/张艳 编辑/苏芳", {"editor": "苏芳", "author": None}),  # a credit line
    ],
)
def test_bylines_that_close_the_article_go_to_their_fields_and_leave_the_body(closing, fields):
    record = extracted(f"<p>{closing}</p>")
    assert {name: getattr(record, name) for name in fields} == fields
    assert record.text.split("\n") == [LEAD, SECOND]


def test_several_closing_bylines_each_go_to_their_field():
    record = extracted("<p>（张巨峰）</p><p>责任编辑：李四</p>")
    assert (record.author, record.editor) == ("张巨峰", "李四")
    assert record.text.split("\n") == [LEAD, SECOND]


@pytest.mark.parametrize("note", ["（上海）", "（武汉）", "（区委办）", "（全文完）", "（待续）", "（二〇二三年二月）"])
def test_a_parenthesized_place_organization_or_note_is_not_an_author(note):
    record = extracted(f"<p>{note}</p>")
    assert record.author is None
    assert record.text.split("\n")[-1] == note  # not a byline: it stays in the text


def test_what_looks_like_a_name():
    assert all(looks_like_a_name(n) for n in ("张巨峰", "王可", "欧阳明", "李清芬"))
    assert not any(looks_like_a_name(n) for n in ("武汉", "江西", "区委办", "新华社", "全文完", "张", "张三丰李四"))


def test_a_source_marked_by_its_class_is_the_source_and_the_meta_author_naming_it_is_no_author():
    head = "<meta property='article:author' content='北屿日报'>"
    record = extracted(head=head, info="<a class='source' href='http://www.beiyudaily.cn/'>北屿日报</a>")
    assert (record.source, record.author) == ("北屿日报", None)
    assert record.provenance["source"] == "marked"
    record = extracted(info="<span id='media_name'><a href='/'>北屿发布</a></span>")
    assert record.source == "北屿发布"


def test_source_marks_repeated_over_a_list_of_related_items_name_no_source():
    items = "".join(
        f"<li><a href='/a/{i}.html'>北屿区第{i}批民生实事项目开工</a> <a class='source' href='/u/{i}'>{name}</a></li>"
        for i, name in enumerate(["北屿发布", "北屿日报", "北屿融媒"])
    )
    record = extract(
        page().replace(b"<div class='footer'>", f"<ul class='feed'>{items}</ul><div class='footer'>".encode()),
        "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html",
    )
    assert record.source is None


def lead_page(lead: str) -> bytes:
    """The page with `lead` before the article's first paragraph."""
    return page().replace(f"<p>{LEAD}</p>".encode(), f"{lead}<p>{LEAD}</p>".encode())


@pytest.mark.parametrize(
    "byline, author",
    [
        ("澎湃新闻记者 贺梨萍", "贺梨萍"),
        ("光明日报记者 王建宏 张文攀", "王建宏 张文攀"),
        ("执笔/周文斌", "周文斌"),
        ("原创： 周文斌编译 北屿财经观察", "周文斌"),
        ("【文/北屿网专栏作者周文斌】", "周文斌"),
    ],
)
def test_a_byline_alone_on_a_line_above_the_article_fills_the_author_and_leaves_the_text(byline, author):
    record = extract(lead_page(f"<p>{byline}</p>"), "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html")
    assert record.author == author
    assert record.text.split("\n") == [LEAD, SECOND]


def test_a_dateline_below_a_short_line_fills_the_author_and_stays_in_the_text():
    dateline = "新华社北屿2月14日电（记者 周文斌）"
    record = extract(
        page().replace(f"<p>{LEAD}</p>".encode(), f"<p>【新春走基层】</p><p>{dateline}{LEAD}</p>".encode()),
        "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html",
    )
    assert record.author == "周文斌"
    assert record.text.split("\n") == ["【新春走基层】", dateline + LEAD, SECOND]


def test_a_handle_with_an_ampersand_is_one_author():
    record = extract(lead_page("<p>作者：放飞&心情</p>"), "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html")
    assert record.author == "放飞&心情"


def test_a_dateline_below_a_share_bar_fills_the_author():
    dateline = "新华社北屿2月14日电（记者周文斌）"
    share = "".join(f"<p><a href='/share/{i}'>{name}</a></p>" for i, name in enumerate(["微博", "Qzone", "图集"]))
    record = extract(lead_page(share).replace(LEAD.encode(), (dateline + LEAD).encode()), "http://x.cn/a/1.html")
    assert record.author == "周文斌"


@pytest.mark.parametrize(
    "note, author", [("（张巨峰）", "张巨峰"), ("（欧阳明）", "欧阳明"), ("（上海）", None), ("（全文完）", None)]
)
def test_a_name_in_parentheses_after_the_last_sentence_is_the_author(note, author):
    body = page().replace(SECOND.encode(), (SECOND + note).encode())
    record = extract(body, "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html")
    assert record.author == author
    assert record.text.split("\n") == [LEAD, SECOND if author else SECOND + note]


def test_a_related_headline_with_a_label_word_in_it_names_no_one():
    items = "<li><a href='/a/9.html'>居民怒斥记者:这里是我的家 没有国哪有家</a></li><li><a href='/a/8.html'>北屿区召开安全生产会议</a></li>"
    record = extract(
        page().replace(b"<div class='footer'>", f"<ul class='hot'>{items}</ul><div class='footer'>".encode()),
        "http://www.beiyu.gov.cn/art/2023/2/14/art_1_2.html",
    )
    assert record.author is None
    assert extracted(info="<a href='/u/1'>作者：周文斌</a>").author == "周文斌"  # a labelled link in the info bar


def test_a_lead_byline_of_a_staff_correspondent_fills_the_author():
    record = extract(
        lead_page("").replace(LEAD.encode(), ("本站讯（职工通讯员 李琴雯 刘会）" + LEAD).encode()),
        "http://x.cn/a/2.html",
    )
    assert record.author == "李琴雯 刘会"


def test_a_writer_and_newspaper_credit_above_the_article_fills_author_and_source():
    record = extract(lead_page("<p>周文斌/北屿日报</p>"), "http://x.cn/a/3.html")
    assert (record.author, record.source) == ("周文斌", "北屿日报")
    assert record.text.split("\n") == [LEAD, SECOND]


def test_an_original_article_note_is_not_part_of_the_source():
    record = extracted(head="<meta name='source' content='来源：北屿日报 原创稿'>")
    assert record.source == "北屿日报"


def test_an_organization_in_the_info_bar_is_no_author_and_the_lead_names_the_writers():
    body = page(info="来源：本站原创 作者：医技药剂党支部").replace(
        LEAD.encode(), ("本站讯（职工通讯员 李琴雯 刘会）" + LEAD).encode()
    )
    assert extract(body, "http://x.cn/a/4.html").author == "李琴雯 刘会"


def test_a_share_bar_after_the_closing_byline_leaves_the_text_and_the_byline_is_read():
    bar = "".join(f"<p>{word}</p>" for word in ("赞 0 赏分享", "查看评论", "阅读 539", "A+", "标签："))
    record = extract(
        page().replace(SECOND.encode(), (SECOND + "(文/图 刘玺东 易赛楠)").encode() + bar.encode()),
        "http://x.cn/a/5.html",
    )
    assert record.author == "刘玺东 易赛楠"
    assert record.text.split("\n") == [LEAD, SECOND]
