"""What an incremental crawl reads from the archive, taken out of it for a crawl that runs elsewhere.

A queued crawl runs on a worker that holds no archive. When its job is enqueued, the archive
answers, for the job's site, every question a crawl asks it (crawler/incremental.py,
pipelines/attachments.py): each archived page's state and validators, how the site's previous
crawl ended, which articles failed in it, which attachments each page has. `CrawlStateView`
answers them on the worker with the same methods as `Archive`, so the spider cannot tell.

    >>> view = CrawlStateView({"previous_run_status": "finished", "pages": {"http://a/1": {"url": "http://a/1"}}})
    >>> view.known_page("http://a/1"), view.known_page("http://a/2"), view.previous_run_status("a")
    ({'url': 'http://a/1'}, None, 'finished')
"""

from __future__ import annotations

STATE_FORMAT = 1


def crawl_state(archive, site: str) -> dict:
    """The archive's answers for a crawl of `site`, as JSON-able data (the archive's own methods
    give each one, so a queued crawl decides exactly as a one-process crawl would)."""
    db = archive.db
    urls = [row[0] for row in db.execute("select url from pages where site = ? order by url", [site])]
    pages = {url: archive.known_page(url) for url in urls}
    known_attachments: dict[str, dict] = {}
    stored_attachments: dict[str, dict] = {}
    if urls:
        rows = db.execute(
            "select distinct page_url, url from attachments where page_url in (select url from pages where site = ?)",
            [site],
        ).fetchall()
        for page_url, url in rows:
            known = archive.known_attachment(page_url, url)
            if known is not None:
                known_attachments[attachment_key(page_url, url)] = known
            if url not in stored_attachments:
                stored = archive.stored_attachment(url)
                if stored is not None:
                    stored_attachments[url] = stored
    return {
        "format": STATE_FORMAT,
        "site": site,
        "previous_run_status": archive.previous_run_status(site),
        "failed_in_previous_run": archive.failed_in_previous_run(site),
        "pages": pages,
        "known_attachments": known_attachments,
        "stored_attachments": stored_attachments,
    }


def attachment_key(page_url: str, url: str) -> str:
    return f"{page_url}\n{url}"


class CrawlStateView:
    """`Archive`'s read methods, answered from `crawl_state()`'s data (empty: a new archive)."""

    def __init__(self, state: dict | None = None):
        self.state = state or {}

    def known_page(self, url: str) -> dict | None:
        return self.state.get("pages", {}).get(url)

    def previous_run_status(self, site: str, run_id=None) -> str | None:
        return self.state.get("previous_run_status")

    def failed_in_previous_run(self, site: str, run_id=None) -> list[str]:
        return list(self.state.get("failed_in_previous_run", []))

    def known_attachment(self, page_url: str, url: str) -> dict | None:
        return self.state.get("known_attachments", {}).get(attachment_key(page_url, url))

    def stored_attachment(self, url: str) -> dict | None:
        return self.state.get("stored_attachments", {}).get(url)
