"""Dates as Chinese government pages write them, to ISO 8601 — never completed by guessing.

    >>> parse_date("2020-04-30 08:40")
    '2020-04-30T08:40:00+08:00'
    >>> parse_date("2020年4月30日")
    '2020-04-30'
    >>> parse_date("二〇二〇年四月三十日")
    '2020-04-30'
    >>> parse_date("2020年4月30日 下午3:05")
    '2020-04-30T15:05:00+08:00'
    >>> parse_date("发布日期： 9/17/2004 5:54:13 AM")   # month first, as en-US servers print it
    '2004-09-17T05:54:13+08:00'
    >>> parse_date("4月30日") is None   # no year: not completed
    True

    >>> parse_date("2020-04-30T00:40:00Z")   # an ISO time with its offset: the same moment in China
    '2020-04-30T08:40:00+08:00'

A time is kept (with China's +08:00) when the text gives one; a date without a
day or a year gives None. A time written as ISO 8601 writes it (``T``, then ``Z`` or an offset,
as metas and JSON-LD do) is that moment, given in China's time; elsewhere a time is China's own
(``09:00-11:30`` is a span of a morning, not an offset).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import overload

_SEP = r"\s*[-/.]\s*"
NUMERIC_DATE = re.compile(
    rf"(?<!\d)((?:19|20)\d{{2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?!\d)"
    r"(?:[T\s]*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
HAN_DATE = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
    r"(?:\s*(上午|早上|清晨|凌晨|中午|下午|傍晚|晚上|晚间)?\s*(\d{1,2})\s*[:：时点]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?"
)
# Month first, as ASP/.NET servers with an en-US locale print it: 发布日期：9/17/2004 5:54:13 AM.
US_DATE = re.compile(
    r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?![\d/])"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?\b)?)?"
)
HAN_NUMERALS = "〇零一二三四五六七八九十○Ｏ０"
NUMERAL_DATE = re.compile(rf"([{HAN_NUMERALS}]{{4}})年([{HAN_NUMERALS}]{{1,3}})月([{HAN_NUMERALS}]{{1,3}})日")
_DIGIT = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "０": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
URL_DATE_PATTERNS = [
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS t20200430_123.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # Hanweb /art/2020/4/30/
    re.compile(r"/((?:19|20)\d{2})[-_]?(\d{2})/(\d{2})/"),  # /2020-04/30/, /202004/30/
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/"),  # /2020/0430/
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),  # /20200430/
    re.compile(r"[/_-]((?:19|20)\d{2})-(\d{2})-(\d{2})[/_.-]"),
]


def _han_number(text: str) -> int:
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_DIGIT.get(tens, 1) if tens else 1) * 10 + (_DIGIT.get(units, 0) if units else 0)
    return int("".join(str(_DIGIT[c]) for c in text))


def _iso(year, month, day, hour=None, minute=None, second=None) -> str | None:
    try:
        day_ = date(int(year), int(month), int(day))
    except (ValueError, TypeError):
        return None
    if not (1990 <= day_.year <= 2100):
        return None
    if hour is None or minute is None:
        return day_.isoformat()
    hour, minute, second = int(hour), int(minute), int(second or 0)
    if hour > 23 or minute > 59 or second > 59:
        return day_.isoformat()
    return f"{day_.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}+08:00"


@overload
def _twelve_hour(hour: str, afternoon: bool) -> str: ...
@overload
def _twelve_hour(hour: None, afternoon: bool) -> None: ...
def _twelve_hour(hour: str | None, afternoon: bool) -> str | None:
    """下午 3:30, 3:30 PM → 15; 12 AM → 0."""
    if hour is None or not 1 <= int(hour) <= 12:
        return hour
    return str(int(hour) % 12 + (12 if afternoon else 0))


def _day_period_hour(period: str, hour: str) -> str:
    """The 24-hour hour of a time said with its part of the day: 下午3:05 → 15, 凌晨12:30 → 0,
    中午12:10 → 12 and 中午1:20 → 13 (中午 runs from about 11 to 3)."""
    if period == "中午":
        return _twelve_hour(hour, afternoon=int(hour) in (12, 1, 2, 3))
    return _twelve_hour(hour, afternoon=period in ("下午", "傍晚", "晚上", "晚间"))


def _date_parts(match: re.Match) -> tuple:
    """(year, month, day, hour, minute, second) of a NUMERIC_DATE, HAN_DATE or US_DATE match."""
    if match.re is HAN_DATE:
        year, month, day, half, hour, minute, second = match.groups()
        if half:
            hour = _day_period_hour(half, hour)
        return year, month, day, hour, minute, second
    if match.re is US_DATE:
        month, day, year, hour, minute, second, meridiem = match.groups()
        if meridiem:
            hour = _twelve_hour(hour, meridiem.lower() == "p")
        return year, month, day, hour, minute, second
    return match.groups()


# What follows an ISO date-time's seconds: a fraction, then Z or an offset (+08:00, +0800, -05).
_ISO_OFFSET = re.compile(r"(?:[.,]\d+)?\s*(?:(Z)|([+-])(\d{2}):?(\d{2})?)(?![\d:])")
CHINA = timezone(timedelta(hours=8))


def _with_offset(iso: str, match: re.Match, text: str) -> str:
    """`iso` (a China time, +08:00) moved to the moment an ISO offset after `match` says it is."""
    if "T" not in match.group(0) or match.group(4) is None:
        return iso
    offset = _ISO_OFFSET.match(text, match.end())
    if offset is None:
        return iso
    zulu, sign, hours, minutes = offset.groups()
    delta = (
        timedelta(0) if zulu else (1 if sign == "+" else -1) * timedelta(hours=int(hours), minutes=int(minutes or 0))
    )
    if abs(delta) > timedelta(hours=14):
        return iso
    moment = datetime.fromisoformat(iso[:19]).replace(tzinfo=timezone(delta))
    return moment.astimezone(CHINA).isoformat()


def parse_date(text: str | None) -> str | None:
    """The first complete date (with its time, if any) in `text`, as ISO 8601."""
    if not text:
        return None
    matches = [m for m in (p.search(text) for p in (NUMERIC_DATE, HAN_DATE, US_DATE)) if m]
    if matches:
        first = min(matches, key=lambda m: m.start())
        iso = _iso(*_date_parts(first))
        if iso:
            return _with_offset(iso, first, text) if first.re is NUMERIC_DATE and "T" in iso else iso
    match = NUMERAL_DATE.search(text)
    if match:
        try:
            year = int("".join(str(_DIGIT[c]) for c in match.group(1)))
            return _iso(year, _han_number(match.group(2)), _han_number(match.group(3)))
        except (KeyError, ValueError):
            return None
    return None


def date_from_url(url: str) -> str | None:
    """The date a CMS wrote into an article's URL (t20200430_…, /art/2020/4/30/, /2020/0430/ …)."""
    for pattern in URL_DATE_PATTERNS:
        match = pattern.search(url)
        if match:
            iso = _iso(*match.groups())
            if iso:
                return iso
    return None
