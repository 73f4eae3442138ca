"""The body's arbitration: a known container that holds a fraction of the article, or the article
and the comments and related items, loses to the candidates that agree; the normal government page
keeps its container (tests/test_corpus.py checks the whole corpus stays exact)."""

from __future__ import annotations

from crawler.evaluate import body_f1
from pipelines.extract import extract
from pipelines.extract.density import densest_block, measure
from pipelines.parse import parse_html

TOPICS = [
    "高标准农田",
    "老旧小区改造",
    "城乡供水一体化",
    "乡村客运",
    "养老服务中心",
    "义务教育学校",
    "农贸市场",
    "河道治理",
]
TOWNS = ["城关镇", "河口乡", "新集镇", "白塔街道", "龙泉镇", "石桥乡", "东湖街道", "柳林镇"]


def _paragraph(i: int) -> str:
    topic, town = TOPICS[i % len(TOPICS)], TOWNS[(i * 3) % len(TOWNS)]
    return (
        f"在{town}，{topic}项目第{i + 1}期工程已完成投资{120 + 7 * i}万元，"
        f"工程负责人介绍，今年将新增服务群众{300 + 11 * i}户，"
        f"项目建成后，周边{i + 2}个村（社区）的群众办事、出行和生活条件将明显改善。"
        f"县里还建立了“月调度、季通报”制度，对进度滞后的{i % 4 + 1}个标段挂牌督办，确保按期完工。"
    )


def _article(paragraphs: int) -> list[str]:
    return [_paragraph(i) for i in range(paragraphs)]


def _page(main: str, title: str = "我县重点民生工程建设稳步推进") -> str:
    nav = "".join(
        f'<li><a href="/col/{i}/">{name}</a></li>' for i, name in enumerate(["首页", "要闻", "政务公开", "专题"])
    )
    side = "".join(
        f'<li><a href="/a/{1000 + i}.html">{TOWNS[i]}召开{TOPICS[i]}推进会议</a></li>' for i in range(len(TOWNS))
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_县融媒体中心</title></head>
<body><div class="top"><ul class="menu">{nav}</ul></div>
<div class="wrap"><div class="main-left">
<h1>{title}</h1><div class="info">2023-05-06 10:20 来源：县融媒体中心</div>
{main}
</div><div class="main-right"><h3>热点新闻</h3><ul>{side}</ul></div></div>
<div class="footer"><p>版权所有：某某县融媒体中心 ICP备12345678号</p></div></body></html>"""


def test_a_summary_box_with_a_known_class_is_not_the_whole_article():
    paragraphs = _article(24)
    summary = "导读：" + paragraphs[0][:60]
    main = (
        '<div class="article">'
        f'<div class="summary"><div class="article-content"><p>{summary}</p></div></div>'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div>"
    )
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/1.html")
    gold = "\n".join([summary, *paragraphs])
    assert len(summary) < 0.05 * len(gold)  # the container's share, as on the chapter page of the issue
    assert body_f1(record.text, gold) > 0.98
    assert not record.provenance["text"].startswith("container"), record.provenance["text"]
    assert "agrees with" in record.provenance["text"]


def test_a_container_that_also_holds_comments_and_related_items_gives_the_article():
    paragraphs = _article(4)
    comments = "".join(
        f'<div class="item"><span class="user">网友{7000 + i}</span><span class="time">2023-05-06 1{i}:0{i}</span>'
        f"<p>希望{TOWNS[i]}的{TOPICS[i]}早日完工，我们村里的老人盼了好多年了，点赞！</p></div>"
        for i in range(8)
    )
    related = "".join(
        f'<li><a href="/a/{2000 + i}.html">{TOWNS[i]}{TOPICS[i]}项目通过竣工验收</a></li>' for i in range(8)
    )
    main = (
        '<div class="article-content">'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + f'<div class="comment-list"><h4>最新评论</h4>{comments}</div>'
        + f'<div class="related-news"><h4>相关报道</h4><ul>{related}</ul></div>'
        + "</div>"
    )
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/2.html")
    gold = "\n".join(paragraphs)
    assert body_f1(record.text, gold) > 0.98
    assert "网友" not in record.text and "竣工验收" not in record.text
    assert "container:.article-content" in record.provenance["text"]  # named as the loser beside the winner
    assert not record.provenance["text"].startswith("container")


def test_a_government_page_whose_container_is_right_keeps_it_without_asking_trafilatura():
    paragraphs = _article(6)
    main = '<div id="zoom">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    main += '<div class="share">分享到：微信 微博</div>'
    candidates: dict = {}
    record = extract(_page(main).encode(), "http://www.example.gov.cn/art/2023/5/6/art_1_2.html")
    assert record.text == "\n".join(paragraphs)
    assert record.provenance["text"] == "container:#zoom (agrees with density 0.95)"  # with the headline
    # Asked for every candidate (govnews eval), the choice and the record stay the same.
    again = extract(_page(main).encode(), "http://www.example.gov.cn/art/2023/5/6/art_1_2.html", candidates=candidates)
    assert again.text == record.text and again.provenance == record.provenance
    assert candidates["chosen"] == "container" and set(candidates) == {"container", "density", "trafilatura", "chosen"}


def test_the_density_reading_is_one_linear_walk_even_on_deep_trees():
    # 1,500 nested divs (deeper than Python's recursion limit): no recursion, and the article is found.
    html = "<html><body>" + "<div>" * 1500 + "".join(f"<p>{p}</p>" for p in _article(3)) + "</body></html>"
    root = parse_html(html)
    block = densest_block(root, measure(root))
    assert block is not None and block.tag == "div"
    assert "高标准农田" in block.text_content()


def test_without_a_container_a_list_of_headlines_that_trafilatura_keeps_is_left_out():
    paragraphs = _article(5)
    items = "".join(
        f'<li><a href="/a/{3000 + i}.html">{TOWNS[i]}：{TOPICS[i]}项目现场观摩会在{TOWNS[(i + 1) % 8]}举行</a>'
        f"<span>2023-04-{10 + i}</span></li>"
        for i in range(8)
    )
    main = '<div class="text-main">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    main += f'<div class="pic-news"><ul>{items}</ul></div>'
    candidates: dict = {}
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/3.html", candidates=candidates)
    assert "观摩会" in candidates["trafilatura"]  # what trafilatura alone gives
    assert record.text == "\n".join(paragraphs)
    assert record.provenance["text"].startswith("density:div.text-main (within trafilatura, which adds ")


def test_without_a_container_an_article_in_two_blocks_stays_whole():
    paragraphs = _article(10)
    main = (
        '<div class="part-one">'
        + "".join(f"<p>{p}</p>" for p in paragraphs[:5])
        + '</div><div class="photo"><img src="/img/1.jpg"></div><div class="part-two">'
        + "".join(f"<p>{p}</p>" for p in paragraphs[5:])
        + "</div>"
    )
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/4.html")
    assert body_f1(record.text, "\n".join(paragraphs)) > 0.98
    assert record.provenance["text"] == "trafilatura"


def test_without_a_container_the_related_items_trafilatura_runs_on_into_are_left_out():
    # A news site's column: the article, then (in the same column) the latest items of the channel,
    # each a headline that reads as a sentence, its time and its channel. trafilatura keeps them.
    paragraphs = _article(4)
    items = "".join(
        f'<li><h4><a href="/a/{4000 + i}.html">{TOWNS[i]}：{TOPICS[i]}，今年能否按期完工？</a></h4>'
        f"<span>2023-05-0{1 + i % 5} 1{i}:2{i}</span> <a href='/c/{i}/'>{TOPICS[(i + 2) % 8]}</a></li>"
        for i in range(8)
    )
    main = (
        '<div class="column"><div class="text-main">'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + f'</div><div class="latest"><ul>{items}</ul></div></div>'
    )
    candidates: dict = {}
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/5.html", candidates=candidates)
    assert "今年能否按期完工" in candidates["trafilatura"]  # what trafilatura alone gives
    assert record.text == "\n".join(paragraphs)
    assert record.provenance["text"].startswith("density:div.text-main (trafilatura runs on past it into ")


def test_without_a_container_an_article_that_goes_on_after_the_densest_block_stays_whole():
    # The article's last paragraphs in a block of their own, after an image: prose, not related items.
    paragraphs = _article(8)
    main = (
        '<div class="column"><div class="text-main">'
        + "".join(f"<p>{p}</p>" for p in paragraphs[:6])
        + '</div><div class="photo"><img src="/img/2.jpg"></div><div class="more">'
        + "".join(f"<p>{p}</p>" for p in paragraphs[6:])
        + "</div></div>"
    )
    record = extract(_page(main).encode(), "http://www.example.gov.cn/a/6.html")
    assert body_f1(record.text, "\n".join(paragraphs)) > 0.98
    assert record.provenance["text"] == "trafilatura"
