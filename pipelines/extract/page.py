"""The whole page: :func:`extract` makes the record of one page from its raw bytes (not yet normalized).

It decodes the page, parses it, takes the metadata (``<meta>`` tags, headline, breadcrumb,
info bar), finds and cleans the body, falls back for the date to the headline's
neighbourhood, the lines above the body and the URL, and flags weak records in
``warnings``; ``provenance`` says which method found each field. A page that cannot give
a record raises :class:`ExtractionError` with the reason.
"""

from __future__ import annotations

import re

from crawler.record import Record
from pipelines.chinese import detect_script
from pipelines.dates import date_from_url, parse_date
from pipelines.errors import ExtractionError
from pipelines.extract.arbitrate import read_body
from pipelines.extract.body import (
    _attachments,
    _date_before_body,
    _date_near_title,
    _find_container,
    _line_index,
    _squash,
    _take_info_fields,
    clean_body,
    join_url,
)
from pipelines.extract.bylines import _take_byline, byline_line
from pipelines.extract.decode import decode_page, strip_controls
from pipelines.extract.metadata import (
    _LABEL_FIELD,
    LABEL_RE,
    WEAK_LABELS,
    _meta,
    _meta_author_is_a_person,
    _metas,
    _probe,
    find_channel,
    find_title,
    labelled_fields,
    marked_source,
)
from pipelines.extract.shown_date import is_publication_label, prefer_shown_date, shown_date
from pipelines.extract.tree import HAN_RE, _text, block_lines
from pipelines.parse import parse_html

ORIGINAL_NOTE = re.compile(r"\s+原创稿?\s*$")
MAX_PAGE_BYTES = 12 * 1024 * 1024  # a larger "page" is not an article: refuse it with a reason


def _meta_date(metas: dict) -> str | None:
    """The meta's publication date, its time joined by a hyphen as 中国政府网 writes it
    (``firstpublishedtime`` 2007-08-20-23:59:59) read as a time."""
    value = _meta(metas, "published_at")
    return re.sub(r"(\d{4}-\d{1,2}-\d{1,2})-(?=\d{1,2}:\d{2})", r"\1 ", value) if value else None


def _is_headline_link(root, probe: str, compact: str, link_texts: set[str]) -> bool:
    """A related item's headline that has a label word inside it (香港市民怒斥记者:…): the whole line is
    one link's text and its first label is not where an info bar's is, at its start. ``link_texts``
    is filled with the page's link texts on the first question."""
    first = LABEL_RE.search(probe)
    if first is None or first.start() <= 3:
        return False
    if not link_texts:
        link_texts.update(" ".join(_text(a).split()) for a in root.iter("a"))
        link_texts.add("")  # asked once, even on a page without links
    return compact in link_texts


def extract(body: bytes | str, url: str, *, headers: dict | None = None, candidates: dict | None = None) -> Record:
    """The record of one page (title, time, source, people of the byline, body, …), not yet normalized.

    A dict given as ``candidates`` receives each body candidate's cleaned text (``container``,
    ``density``, ``trafilatura``: all that apply are read) and ``chosen``, the winner's name; the
    record is the same as without it (for ``govnews eval``; normal crawls pass nothing)."""
    if isinstance(body, bytes) and len(body) > MAX_PAGE_BYTES:
        raise ExtractionError(f"page too large: {len(body)} bytes (limit {MAX_PAGE_BYTES})")
    html = strip_controls(decode_page(body, headers))
    if not html.strip():
        raise ExtractionError("empty page: no content in the response body")
    root = parse_html(html)
    base = root.xpath("//base/@href")
    record = Record(url=url)
    base_url = join_url(url, base[0]) if base else url
    if base_url is None:  # an invalid <base href>: links resolve against the page's URL
        record.warn("bad_base_url")
        base_url = url
    metas = _metas(root)
    page_title = _text(root.find(".//title")) if root.find(".//title") is not None else ""

    # Metadata from the CMS <meta> tags: the most trustworthy source when present.
    for name in ("source", "author", "site_name", "site_code"):
        value = _meta(metas, name)
        if name == "author" and not _meta_author_is_a_person(value, metas):
            continue
        label = LABEL_RE.match(value.strip()) if value else None
        if label and _LABEL_FIELD[label["label"]] == name:  # content="来源：新华日报"
            assert value is not None  # label was matched in it
            value = value.strip()[label.end() :]
        if value and name == "source":
            value = ORIGINAL_NOTE.sub("", value)  # 人民网-文化频道 原创稿: a note, not the source's name
        if value:
            setattr(record, name, value.strip())
            record.provenance[name] = "meta"
    meta_date = parse_date(_meta_date(metas))
    if meta_date:
        record.published_at = meta_date
        record.provenance["published_at"] = "meta"

    record.title, record.provenance["title"] = find_title(root, metas, page_title)
    record.channel = find_channel(root)
    if record.channel:
        record.provenance["channel"] = "breadcrumb"
    elif meta_channel := _meta(metas, "channel"):
        record.channel = [meta_channel]
        record.provenance["channel"] = "meta"
    record.attachments = _attachments(root, base_url, record)

    # The info bar: labelled fields on the page outside the article body.
    container = _find_container(root)
    if container is not None:
        container.set("data-govnews-body", "1")
    page_lines = block_lines(root.find("body") if root.find("body") is not None else root)
    body_text_lines = set(block_lines(container)) if container is not None else set()
    info_dates: list[tuple[int, str]] = []  # (page line, date): chosen once the body's place is known
    publication_dates: list[tuple[int, str]] = []  # those of them under a publication label
    link_texts: set[str] = set()  # filled when first needed
    for index, line in enumerate(page_lines):
        compact = " ".join(line.split())
        if len(compact) > 200 or line in body_text_lines:
            continue
        probe = _probe(line)
        fields = labelled_fields(probe)
        strong = [m for m in LABEL_RE.finditer(probe) if m["label"] not in WEAK_LABELS]
        if fields and (len(fields) >= 2 or len(compact) < 40 or (strong and len(compact) < 100)):
            if _is_headline_link(root, probe, compact, link_texts):
                continue
            found = parse_date(fields.pop("published_at", None))
            if found:
                info_dates.append((index, found))
                if is_publication_label(probe):
                    publication_dates.append((index, found))
            _take_info_fields(record, fields, "info_bar")
        elif byline := byline_line(probe, 60):
            _take_byline(record, byline.group(1))  # a byline block the body extractor may drop
    if record.source is None and (source := marked_source(root)):
        record.source, record.provenance["source"] = source, "marked"
    if record.provenance.get("author") == "meta" and record.source and _squash(record.author) == _squash(record.source):
        record.author = None  # the meta's author is the medium the page names as its source (新京报)
        del record.provenance["author"]
    if record.site_code is None:
        match = re.search(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]{6,})", "\n".join(page_lines[-40:]))
        if match:
            record.site_code, record.provenance["site_code"] = match.group(1), "footer"

    # The body: the candidates, and the evidence that chooses between them (arbitrate.py).
    choice = read_body(root, url, container, record.title, all_candidates=candidates is not None)
    lines, images, lifted = choice.winner.lines, choice.winner.images, choice.winner.lifted
    method = choice.winner.name
    if candidates is not None:
        for name, candidate in choice.candidates.items():
            scratch = Record(url=url)
            cleaned = clean_body(
                list(candidate.lines),
                record.title,
                scratch,
                candidate.images,
                base_url,
                name != "trafilatura",
                candidate.lifted,
            )
            candidates[name] = "\n".join(cleaned)
        candidates["chosen"] = method
    # An info-bar date above the body is the publish time; one below it may be a comment's.
    body_start = _line_index(page_lines, lines[0]) if lines else len(page_lines)
    below_body = [d for i, d in info_dates if i >= body_start]
    above_body = [d for i, d in info_dates if i < body_start]
    if not record.published_at and above_body:
        record.published_at, record.provenance["published_at"] = above_body[0], "info_bar"
    prefer_shown_date(record, shown_date(page_lines, record.title, publication_dates, body_start))
    lines = clean_body(lines, record.title, record, images, base_url, method != "trafilatura", lifted)
    if not record.published_at and below_body:
        record.published_at, record.provenance["published_at"] = below_body[0], "info_bar_below"
    record.text = "\n".join(lines)
    record.text_original = record.text
    record.provenance["text"] = choice.reason

    if not record.published_at:
        near = _date_near_title(page_lines, record.title)
        if near:
            record.published_at, record.provenance["published_at"] = near, "near_title"
    if not record.published_at and lines:
        before = _date_before_body(page_lines, lines[0])
        if before:
            record.published_at, record.provenance["published_at"] = before, "before_body"
    if not record.published_at:
        url_date = date_from_url(url)
        if url_date:
            record.published_at, record.provenance["published_at"] = url_date, "url"
    if not record.title:
        record.warn("no_title")
    elif record.provenance.get("title") == "html_title":
        record.warn("title_from_html_title")  # no headline element agreed with <title>: check it
    if not record.published_at:
        record.warn("no_date")
    elif record.provenance.get("published_at") == "url":
        record.warn("date_from_url")
    han = len(HAN_RE.findall(record.text))
    if not record.text:
        record.warn("empty_body")
    elif han < 60:
        record.warn("short_body")
    if not record.title and not record.text:
        raise ExtractionError("no article on the page: neither a headline nor a body was found")
    record.title_original = record.title
    record.script = detect_script((record.title or "") + record.text)
    return record
