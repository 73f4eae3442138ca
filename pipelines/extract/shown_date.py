"""The date the page shows: an info bar's 发布时间 or a date line under the headline, which wins
over the ``<meta>`` tags' date when the two disagree (different days, or a shown time of another
minute).

A republished page keeps its first ``PubDate``, a template stamps the day the page was indexed:
what the reader sees is what the page says. Only a date in the article's info area counts — on
the lines from the headline down to the body, from a publication label (``发布时间``, ``时间``,
``日期``; not ``成文日期``, ``印发日期``, ``更新时间``, ``会议时间``) or alone on its line — never
today's date in the page header, a date inside a related-items list or the body's own dates.
"""

from __future__ import annotations

from crawler.record import Record
from pipelines.dates import parse_date
from pipelines.extract.body import _is_date_line, _same_text
from pipelines.extract.metadata import _LABEL_FIELD, LABEL_RE, LEADING_DATE, _probe
from pipelines.extract.tree import HAN_RE

INFO_AREA_LINES = 10  # from the headline down: the info bar sits within these lines
NOT_PUBLICATION = {"更新时间", "更新于"}  # an update time is not when the page was published


def is_publication_label(probe: str) -> bool:
    """Whether the line's date comes from a publication label, or opens the info bar bare
    (``2021-09-28 07:52 来源：…``): not a label that ends a longer word (印发日期, 会议时间)."""
    labels = list(LABEL_RE.finditer(probe))
    if labels and LEADING_DATE.match(probe[: labels[0].start()]):
        return True
    label = next((m for m in labels if _LABEL_FIELD[m["label"]] == "published_at"), None)
    if label is None or label["label"] in NOT_PUBLICATION:
        return False
    return label.start() == 0 or not HAN_RE.match(probe[label.start() - 1])


def shown_date(
    page_lines: list[str], title: str | None, labelled: list[tuple[int, str]], body_start: int
) -> tuple[str, str] | None:
    """(date, how) of the publication date in the info area between the headline and the body."""
    heading = next(
        (
            i
            for i, line in enumerate(page_lines[:body_start])
            if title and (_same_text(line, title) or (len(title) >= 6 and title in line and len(line) <= 150))
        ),
        None,
    )
    start = heading + 1 if heading is not None else max(0, body_start - INFO_AREA_LINES // 2)
    by_line = dict(labelled)
    # The body's first line too: trafilatura may open the body with the info bar it comes from.
    for i in range(start, min(body_start + 1, start + INFO_AREA_LINES)):
        if i in by_line:
            return by_line[i], "info_bar"
        if i == body_start:
            break
        probe = _probe(page_lines[i])
        if _is_date_line(probe) and not LABEL_RE.search(probe):
            found = parse_date(probe)
            if found:
                return found, "near_title"
    return None


def prefer_shown_date(record: Record, shown: tuple[str, str] | None) -> None:
    """When the meta's date and the shown one disagree, the shown one is ``published_at`` and the
    meta's is kept as ``meta_published_at``; when they agree, nothing changes. They are compared
    as precisely as the page shows its date: a day alone agrees with any time of that day, a shown
    time (``2018年12月28日 19:55``) agrees only with a meta time of the same minute (a template
    stamps the meta with the time the page was indexed, 19:56:29). A meta that gives the day alone
    takes the time the page shows on that day."""
    if shown is None or record.provenance.get("published_at") != "meta" or not record.published_at:
        return
    date, how = shown
    if len(record.published_at) == 10 and len(date) > 10 and date[:10] == record.published_at:
        record.published_at = date  # the meta gave the day, the page shows its time as well
        record.provenance["published_at"] = f"{how} (meta gave the day only)"
        return
    shown_precision = 16 if len(date) > 10 else 10  # YYYY-MM-DDTHH:MM, or YYYY-MM-DD
    if date[:shown_precision] != record.published_at[:shown_precision]:
        record.meta_published_at = record.published_at
        record.published_at = date
        record.provenance["published_at"] = f"{how} (meta said {record.meta_published_at})"
