"""What a scheduled crawl fetches again: the archive's own state decides.

List pages are always fetched. An article the archive already has is fetched again only
while its recheck window is open (it was published, or first seen, less than
`recheck_days` ago: new articles are the ones that get corrected), or when it has not been
fetched for `revisit_days` (so a page withdrawn years later is still seen to go), and then
with the validators of its last capture (`If-None-Match` / `If-Modified-Since`), so an
unchanged page costs a 304. Pagination stops at a list page whose articles are all known, but only
when the site's previous crawl finished: after a crash the next run pages through
everything again, so a killed crawl resumes without losing what lay beyond. Articles that
failed in the previous crawl are asked for again directly, wherever their list page is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from archive.store import Archive
from crawler.common import parse_time


@dataclass
class KnownPage:
    url: str
    status: str  # live, gone, moved
    first_seen: str
    published_at: str | None
    last_fetched: str | None = None
    etag: str | None = None
    last_modified: str | None = None


CHINA = timezone(timedelta(hours=8))  # a page's date without an offset is China time


def recheck_due(page: KnownPage, now: datetime, recheck_days: float, revisit_days: float = 0) -> bool:
    """Is a known article young enough to be fetched again, or due for its periodic revisit?"""
    if page.status == "moved":  # its URL now redirects: the new URL is the page
        return False
    last = parse_time(page.last_fetched)
    if revisit_days > 0 and (last is None or now - last >= timedelta(days=revisit_days)):
        return True
    if recheck_days <= 0:
        return False
    born = parse_time(page.published_at, CHINA) or parse_time(page.first_seen)
    # No date at all, or a date in the future (a wrong year on the page): keep checking while new.
    if born is None or born > now:
        born = parse_time(page.first_seen) or now
    return now - born <= timedelta(days=recheck_days)


def conditional_headers(page: KnownPage) -> dict[str, str]:
    headers = {}
    if page.etag:
        headers["If-None-Match"] = page.etag
    if page.last_modified:
        headers["If-Modified-Since"] = page.last_modified
    return headers


class CrawlState:
    """The archive, read by the spider: which articles it has, and how the last crawl ended."""

    def __init__(
        self, archive: Archive, site: str, *, recheck_days: float, revisit_days: float = 0, run_id: int | None = None
    ):
        self.archive, self.site, self.run_id = archive, site, run_id
        self.recheck_days, self.revisit_days = recheck_days, revisit_days

    def known(self, url: str) -> KnownPage | None:
        page = self.archive.known_page(url)
        return KnownPage(**page) if page else None

    def previous_run_finished(self) -> bool:
        """Did this site's latest crawl before this one run to its end?"""
        return self.archive.previous_run_status(self.site, self.run_id) == "finished"

    def failed_last_time(self) -> list[str]:
        """Articles that failed in this site's previous crawl and are still not archived: asked
        for again directly, since paging may stop before the list page that links them."""
        return self.archive.failed_in_previous_run(self.site, self.run_id)

    def decide(self, url: str, now: datetime | None = None) -> tuple[str, dict[str, str]]:
        """("new" | "recheck" | "skip", request headers) for an article link."""
        page = self.known(url)
        if page is None:
            return "new", {}
        if recheck_due(page, now or datetime.now(timezone.utc), self.recheck_days, self.revisit_days):
            return "recheck", conditional_headers(page)
        return "skip", {}
