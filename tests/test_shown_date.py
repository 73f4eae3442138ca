"""Visible dates win: when the page shows a publication date on another day than its <meta> tags
give, the shown one is published_at and the meta's is kept as meta_published_at — but only a date
in the article's info area counts."""

import pytest

from pipelines.extract import extract

TEXT = (
    "<p>3月14日，市政府召开全市营商环境优化提升大会，总结去年工作，部署今年重点任务。</p>"
    "<p>会议强调，要对标一流，持续深化“放管服”改革，打造市场化法治化国际化一流营商环境。</p>"
)
URL = "http://www.fengan.gov.cn/xwzx/zwyw/202303/t20230315_778899.html"


def page(
    info: str = "", *, meta: str = "<meta name='PubDate' content='2024-06-20 16:02'>", top: str = "", after: str = ""
) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>全市营商环境优化提升大会召开_丰安市人民政府</title>{meta}</head><body>"
        f"<div class='top'>{top}<a href='/'>首页</a> <a href='/xwzx/'>新闻中心</a></div>"
        f"<h1>全市营商环境优化提升大会召开</h1>{info}"
        f"<div class='TRS_Editor'>{TEXT}</div>{after}"
        "<div class='footer'>主办：丰安市人民政府办公室 网站标识码：3301000001</div></body></html>"
    ).encode()


def test_a_republished_page_shows_its_date_and_the_meta_is_kept_beside_it():
    record = extract(page("<div class='info'>发布时间：2023-03-15 10:00 来源：丰安日报</div>"), URL)
    assert record.published_at == "2023-03-15T10:00:00+08:00"
    assert record.meta_published_at == "2024-06-20T16:02:00+08:00"
    assert record.provenance["published_at"] == "info_bar (meta said 2024-06-20T16:02:00+08:00)"


@pytest.mark.parametrize(
    "info, shown",
    [
        ("<div class='info'>【时间：2023年3月15日】【来源：丰安日报】</div>", "2023-03-15"),
        (
            "<div class='info'><span>2023-03-15 10:00</span> <span>来源：丰安日报</span></div>",
            "2023-03-15T10:00:00+08:00",
        ),
        ("<div class='date'>2023-03-15</div>", "2023-03-15"),  # a date line under the headline
    ],
)
def test_every_form_of_info_area_date_wins_over_the_meta(info, shown):
    record = extract(page(info), URL)
    assert (record.published_at, record.meta_published_at) == (shown, "2024-06-20T16:02:00+08:00")


def test_a_shown_time_of_another_minute_wins_over_the_meta_of_the_same_day():
    # The template stamps the meta with the time the page was indexed; the page shows when it was published.
    record = extract(page("<div class='info'><span class='date'>2024年06月20日 15:55</span></div>"), URL)
    assert (record.published_at, record.meta_published_at) == ("2024-06-20T15:55:00+08:00", "2024-06-20T16:02:00+08:00")


@pytest.mark.parametrize("info", ["<div class='date'>2024年06月20日 16:02</div>", "<div class='date'>2024-06-20</div>"])
def test_a_shown_date_as_precise_as_the_page_shows_it_agrees_with_the_meta(info):
    record = extract(page(info), URL)  # the same minute, or the same day without a time
    assert record.published_at == "2024-06-20T16:02:00+08:00" and record.meta_published_at is None


def test_article_published_time_meta_loses_to_the_shown_date_too():
    meta = "<meta property='article:published_time' content='2024-06-20T08:00:00+08:00'>"
    record = extract(page("<div class='info'>日期：2023-03-15</div>", meta=meta), URL)
    assert record.published_at == "2023-03-15" and record.meta_published_at == "2024-06-20T08:00:00+08:00"


def test_when_they_agree_nothing_changes():
    record = extract(page("<div class='info'>发布时间：2024-06-20 来源：丰安日报</div>"), URL)
    assert record.published_at == "2024-06-20T16:02:00+08:00"  # the meta's, with its time
    assert record.meta_published_at is None and record.provenance["published_at"] == "meta"


@pytest.mark.parametrize(
    "info, top, after",
    [
        # 政务公开 table: the day the document was written, not published
        (
            "<table><tr><td>成文日期：</td><td>2023-03-10</td><td>文号：</td><td>丰政〔2023〕5号</td></tr></table>",
            "",
            "",
        ),
        ("<div class='info'>印发日期：2023-03-10</div>", "", ""),  # a printed date
        ("<div class='info'>更新时间：2023-03-10 来源：丰安日报</div>", "", ""),  # an update time
        ("", "<span>今天是：2026年12月1日 星期二</span>", ""),  # today's date in the page header
        (
            "",
            "",
            "<div class='related'><ul><li><a href='/1.html'>我市召开安全生产工作会议</a> 2023-03-10</li></ul></div>",
        ),
        ("<div class='info'>会议时间：2023-03-10</div>", "", ""),
    ],
)
def test_dates_that_are_not_the_publication_date_leave_the_meta_alone(info, top, after):
    record = extract(page(info, top=top, after=after), URL)
    assert record.published_at == "2024-06-20T16:02:00+08:00"
    assert record.meta_published_at is None


def test_without_a_meta_date_the_shown_date_is_simply_the_date():
    record = extract(page("<div class='info'>发布时间：2023-03-15 10:00</div>", meta=""), URL)
    assert record.published_at == "2023-03-15T10:00:00+08:00" and record.meta_published_at is None
    assert record.provenance["published_at"] == "info_bar"


def test_a_meta_that_gives_the_day_alone_takes_the_time_the_page_shows_that_day():
    record = extract(
        page(
            "<div class='info'>2024年06月20日08:18 来源：丰安日报</div>",
            meta="<meta name='PubDate' content='2024-06-20'>",
        ),
        URL,
    )
    assert record.published_at == "2024-06-20T08:18:00+08:00" and record.meta_published_at is None
    assert record.provenance["published_at"] == "info_bar (meta gave the day only)"
