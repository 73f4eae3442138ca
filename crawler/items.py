"""The item that travels through the pipelines: one fetched page and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.record import Record


@dataclass
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
