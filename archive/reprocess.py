"""Re-extract stored captures with the current code: old captures benefit from a better extractor
without re-crawling sites that may be gone.

For each URL the newest capture that answered (status 1–399) is read again through
`process_page`, the same code path as a crawl.  A record whose content differs from the
page's latest version becomes a new version (reason ``reprocess``, this release's
``extractor_version``, the capture's fetch time); an unchanged one adds no version, but the
page's derived columns (keywords, people, region, disclosure fields) are brought up to the
current code where they differ ("refreshed").  A region that a site config gave the page is
kept when the configs are not at hand.  A URL
whose every capture failed extraction before is tried again too.  Each page is its own
transaction and a page already reprocessed compares equal, so an interrupted run is
resumed by running it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from archive.store import Archive
from pipelines.errors import ExtractionError
from pipelines.process import process_page


@dataclass
class ReprocessReport:
    captures: int = 0
    new_versions: int = 0
    new_pages: int = 0
    refreshed: int = 0  # content unchanged, derived columns updated
    unchanged: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"Re-extracted {self.captures} captures: {self.new_versions} new versions "
            f"({self.new_pages} new pages), {self.refreshed} refreshed without a new version, "
            f"{self.unchanged} unchanged, {self.failed} failed."
        )


def latest_captures(archive: Archive, site: str | None = None) -> Iterator[dict]:
    """Each URL's newest capture that answered, oldest URL first."""
    sql = (
        "select s.* from snapshots s join (select url, max(id) as id from snapshots "
        "where status between 1 and 399 group by url) latest on latest.id = s.id"
        + (" where s.site = ?" if site else "")
        + " order by s.id"
    )
    for row in archive.db.query(sql, [site] if site else []):
        row["headers"] = json.loads(row["headers"] or "{}")
        yield row


def _site_hints(archive: Archive, capture: dict, site_configs: dict | None) -> dict | None:
    """The capture's site config; without one, the region a config gave the page when it was
    crawled (reprocess run without the sites folder must not lose it)."""
    if site_configs and capture["site"] in site_configs:
        return site_configs[capture["site"]]
    row = archive.db.execute("select region from pages where url = ?", [capture["url"]]).fetchone()
    region = json.loads(row[0]) if row and row[0] else None
    if region and region.get("source") == "site_config":
        return {"region": {key: value for key, value in region.items() if key != "source"}}
    return None


def reprocess(
    archive: Archive,
    *,
    site: str | None = None,
    site_configs: dict | None = None,
    progress: Callable[[ReprocessReport], None] | None = None,
) -> ReprocessReport:
    """Re-extract every URL's newest capture; `site_configs` maps a site name to its config dict."""
    report = ReprocessReport()
    for capture in latest_captures(archive, site):
        report.captures += 1
        url = capture["url"]
        try:
            body = archive.body(capture["body_sha256"])
            record = process_page(
                body, url, headers=capture["headers"], site=_site_hints(archive, capture, site_configs)
            )
        except ExtractionError as exc:
            report.failed += 1
            report.errors[url] = str(exc)
            continue
        known = archive.db.execute("select 1 from pages where url = ?", [url]).fetchone()
        version_id = archive.add_record(
            record,
            fetched_at=capture["fetched_at"],
            site=capture["site"],
            snapshot_id=capture["id"],
            reason="reprocess",
        )
        if version_id is None and archive.refresh_page(record):
            report.refreshed += 1
        elif version_id is None:
            report.unchanged += 1
        else:
            report.new_versions += 1
            report.new_pages += not known
        if progress:
            progress(report)
    return report
