"""The item that travels through the pipelines: one fetched page and what became of it.

`PageItem` is the pipelines' own: it holds the raw bytes, which go to the archive (the capture)
and never to a feed. What leaves the last pipeline, to Scrapy's feed exports (`-O items.jsonl`,
`.csv`, `.json`) and `item_scraped` handlers, is `PageItem.exported()`: a plain dict of JSON
values, one per article with a record; a page without one is dropped, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.record import Record

# What an exported article holds besides its record's fields (crawler/record.py).
EXPORT_FIELDS = ("site", "fetched_at", "status", "crawl_run_id", "snapshot_id", "version_id")


@dataclass(repr=False)
class PageItem:
    url: str  # the response URL (after redirects)
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str
    request_url: str | None = None
    site: str | None = None
    site_config: dict | None = None
    # A page rendered by the browser: its body is the DOM; `server_capture` holds what the
    # server sent ({"url", "status", "headers", "body"}) where the browser exposed it.
    render: str | None = None
    server_capture: dict | None = None
    # Filled on the way through the pipelines.
    crawl_run_id: int | None = None
    snapshot_id: int | None = None
    record: Record | None = None
    index_terms: tuple[str, str] | None = None  # the record's search-index words (pipelines.stages.IndexPipeline)
    failure: dict | None = field(default=None)  # {"stage": …, "error": …}
    # The pure stages done (pipelines/stages.py: several run in one worker call).
    stages_done: set[str] = field(default_factory=set)

    def fail(self, stage: str, error: str) -> None:
        self.failure = {"stage": stage, "error": error}

    def exported(self, version_id: int | None = None) -> dict:
        """The article as feeds export it: every field of the record, then `site`, `fetched_at`,
        `status` (HTTP), `crawl_run_id`, `snapshot_id` (the capture of the raw page) and
        `version_id` (the version this fetch added; null when the page was unchanged, or in a
        queued crawl, whose writer decides). JSON values only: no bytes, no headers."""
        if self.record is None:
            raise ValueError(f"{self.url}: no record to export")
        extra = (self.site, self.fetched_at, self.status, self.crawl_run_id, self.snapshot_id, version_id)
        return {**self.record.to_dict(), **dict(zip(EXPORT_FIELDS, extra))}

    def __repr__(self) -> str:  # Scrapy logs a dropped item: its URL and fate, not its bytes
        fate = f"failed at {self.failure['stage']}: {self.failure['error']}" if self.failure else "ok"
        return f"<PageItem {self.status} {self.url} ({fate})>"
