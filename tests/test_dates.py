"""Dates as government pages write them; never completed by guessing."""

import pytest

from pipelines.dates import date_from_url, parse_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-04-30 08:40", "2020-04-30T08:40:00+08:00"),
        ("发布时间: 2020-05-07 19:13:00", "2020-05-07T19:13:00+08:00"),
        ("2020/4/30", "2020-04-30"),
        ("2020.04.30", "2020-04-30"),
        ("2020年4月30日", "2020-04-30"),
        ("2020年04月30日 08:40", "2020-04-30T08:40:00+08:00"),
        ("二〇二〇年四月三十日", "2020-04-30"),
        ("二〇一九年十二月十一日", "2019-12-11"),
        ("2021-03-25", "2021-03-25"),
        ("2020年4月30日 下午3:05", "2020-04-30T15:05:00+08:00"),
        ("2020年4月30日 上午12:10", "2020-04-30T00:10:00+08:00"),
        ("2020年4月30日 晚上8时30分", "2020-04-30T20:30:00+08:00"),
        ("2020年4月30日 下午15:05", "2020-04-30T15:05:00+08:00"),  # a 24-hour time stays as written
        ("2020年4月30日 凌晨12:30", "2020-04-30T00:30:00+08:00"),
        ("2020年4月30日 凌晨2:30", "2020-04-30T02:30:00+08:00"),
        ("2020年4月30日 早上7:45", "2020-04-30T07:45:00+08:00"),
        ("2020年4月30日 中午11:50", "2020-04-30T11:50:00+08:00"),
        ("2020年4月30日 中午12:10", "2020-04-30T12:10:00+08:00"),
        ("2020年4月30日 中午1:20", "2020-04-30T13:20:00+08:00"),
        ("2020年4月30日 傍晚6:00", "2020-04-30T18:00:00+08:00"),
        ("2020年4月30日晚上8点30分", "2020-04-30T20:30:00+08:00"),
        ("发布日期： 9/17/2004 5:54:13 AM", "2004-09-17T05:54:13+08:00"),  # month first, en-US servers
        ("9/17/2004 5:54 PM", "2004-09-17T17:54:00+08:00"),
        ("12/1/2019", "2019-12-01"),
        ("更新于 2019/12/01 点击 1/2/2019", "2019-12-01"),  # the first date on the line wins
    ],
)
def test_written_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["4月30日", "2020年4月", "2020-13-45", "", None, "阅读次数: 150", "1800-01-01", "17/9/2004"]
)
def test_incomplete_or_impossible_dates_give_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-02-06T12:48:06+00:00", "2022-02-06T20:48:06+08:00"),  # a JSON-LD datePublished in UTC
        ("2024-05-06T02:00:00.000Z", "2024-05-06T10:00:00+08:00"),
        ("2024-05-06T23:30:00Z", "2024-05-07T07:30:00+08:00"),  # the next day in China
        ("2024-05-06T20:00:00-05:00", "2024-05-07T09:00:00+08:00"),
        ("2024-05-06T10:00:00+0800", "2024-05-06T10:00:00+08:00"),
        ("2024-05-06T10:00:00+08:00", "2024-05-06T10:00:00+08:00"),
        ("2024-05-06T10:00:00+99:00", "2024-05-06T10:00:00+08:00"),  # no such offset: as written
        ("会议时间：2024-05-06 09:00-11:30", "2024-05-06T09:00:00+08:00"),  # a span, not an offset
        ("2024-05-06 10:00 Z", "2024-05-06T10:00:00+08:00"),  # no ISO T: a time in China
    ],
)
def test_an_iso_time_with_an_offset_is_that_moment_in_china(text, expected):
    assert parse_date(text) == expected


def test_an_impossible_time_keeps_the_date():
    assert parse_date("2020-04-30 25:61") == "2020-04-30"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://www.weidu.gov.cn/zwxx/wdyw/202004/t20200430_1234567.html", "2020-04-30"),
        ("http://www.aq.gov.cn/art/2024/5/6/art_1201_4567890.html", "2024-05-06"),
        ("http://news.example.cn/2020/0430/123456.shtml", "2020-04-30"),
        ("http://news.example.cn/2020-04/30/c_1125.htm", "2020-04-30"),
        ("http://example.cn/a/402378455_120099890.html", None),
        ("http://example.cn/t20201340_1.html", None),
    ],
)
def test_dates_in_cms_urls(url, expected):
    assert date_from_url(url) == expected
