"""One code path for a page: extract → normalize → enrich.

The crawl runs the same three functions as separate pipelines (so each stage's
failure is recorded as that stage's); `govnews extract`, re-extraction and
evaluation call `process_page`.
"""

from __future__ import annotations

from crawler.record import Record
from pipelines.enrich import enrich
from pipelines.extract import extract
from pipelines.normalize import normalize


def process_page(
    body: bytes | str,
    url: str,
    *,
    headers: dict | None = None,
    site: dict | None = None,
    candidates: dict | None = None,
) -> Record:
    """The record of one page; raises ExtractionError when the page cannot give one.

    ``candidates``: a dict that receives the body candidates' texts (see :func:`extract`)."""
    return enrich(normalize(extract(body, url, headers=headers, candidates=candidates)), site=site)
