"""Attachments (附件): the files an article links to, downloaded during the crawl and kept by digest.

The pipeline (between enrich and archive in ITEM_PIPELINES) is a thin adapter: for each of the
record's ``attachments`` it asks the engine for the file, through the downloader middlewares
(robots.txt, retries, redirects, politeness) and within ``GOVNEWS_ATTACHMENT_MAXSIZE`` (the
downloader cancels an oversize file, it is never read whole), then writes one ``attachments`` row
per article and file: the bytes in the content-addressed ``bodies`` table, or ``error`` saying why
not. The decisions are pure functions in `pipelines/attachment_files.py` (which links are attachments, a file's name from
Content-Disposition, which earlier rows need no new request), tested on their own.

Settings: ``GOVNEWS_ATTACHMENT_ENABLED`` (True), ``GOVNEWS_ATTACHMENT_MAXSIZE`` (bytes, 50 MB),
``GOVNEWS_ATTACHMENT_HOSTS`` (``site``: the article's site and its subdomains; ``any``),
``GOVNEWS_ATTACHMENT_REFRESH`` (False: a file the archive already has for a page is not fetched
again).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urldefrag

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import CancelledError, Deferred

from crawler.archive_run import ArchiveRun
from crawler.common import utcnow
from crawler.offsite import ANY_HOST, ATTACHMENT_OF, offsite_reason
from pipelines.attachment_files import (
    ATTACHMENT_EXTENSIONS,
    NOT_AN_ATTACHMENT,
    ROBOTS,
    TOO_LARGE,
    attachment_filename,
    content_disposition_filename,
    is_attachment,
    looks_like_file,
    mime_type,
    name_extension,
    parse_content_disposition,
    settled,
    worth_fetching,
)

logger = logging.getLogger(__name__)

STATS = "govnews/attachments"


# --- the pipeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentsConfig:
    """The pipeline's settings, read once (their defaults are in crawler/settings.py)."""

    maxsize: int  # bytes
    hosts: str  # "site" or "any"
    refresh: bool

    @classmethod
    def from_settings(cls, settings) -> AttachmentsConfig:
        hosts = str(settings.get("GOVNEWS_ATTACHMENT_HOSTS")).strip().lower()
        if hosts not in ("site", "any"):
            raise ValueError(f"GOVNEWS_ATTACHMENT_HOSTS must be 'site' or 'any', not {hosts!r}")
        return cls(settings.getint("GOVNEWS_ATTACHMENT_MAXSIZE"), hosts, settings.getbool("GOVNEWS_ATTACHMENT_REFRESH"))


class AttachmentsPipeline:
    """Downloads each article's attachments with the engine and archives them by digest."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("GOVNEWS_ATTACHMENT_ENABLED"):
            raise NotConfigured("GOVNEWS_ATTACHMENT_ENABLED is off")
        self.crawler = crawler
        self.config = AttachmentsConfig.from_settings(settings)
        self.stats = crawler.stats
        # This crawl's answer for each attachment URL (no body: the bytes are in the archive),
        # and the articles waiting for a download another article started.
        self._outcomes: dict[str, dict] = {}
        self._waiting: dict[str, list[Deferred]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.run = ArchiveRun.of(self.crawler)
        self.archive = self.run.archive  # the connection the other stages share

    def _count(self, what: str) -> None:
        self.stats.inc_value(f"{STATS}/{what}")

    async def process_item(self, item):
        if item.failure is not None or item.record is None or not item.record.attachments:
            return item
        for link in item.record.attachments:
            try:
                await self._attachment(item, link)
            except Exception:  # a bug here must not lose the article
                logger.exception("attachment %s of %s failed", link, item.url)
                self._count("failed")
        return item

    def _skip(self, why: str) -> None:
        self._count("skipped")
        self._count(f"skipped/{why}")

    async def _attachment(self, item, link: dict) -> None:
        url = urldefrag((link.get("url") or "").strip())[0]
        if not worth_fetching(url):
            return self._skip("not_attachment")
        allowed = (item.site_config or {}).get("allowed_domains") or ()
        if offsite_reason(url, allowed, attachment_of=item.url, any_host=self.config.hosts == "any"):
            return self._skip("offsite")
        if not self.config.refresh and settled(self.archive.known_attachment(item.url, url)):
            return self._skip("known")
        where = {"page_url": item.url, "snapshot_id": item.snapshot_id, "crawl_run_id": item.crawl_run_id}
        outcome = self._outcomes.get(url)
        if outcome is None and url in self._waiting:  # another article is fetching it right now
            waiter: Deferred = Deferred()
            self._waiting[url].append(waiter)
            outcome = await maybe_deferred_to_future(waiter)
        if outcome is None and not self.config.refresh:
            outcome = self._stored_elsewhere(url)
        if outcome is not None:  # fetched already: a row for this article, no request
            if outcome.get("sha256"):
                self._count("reused")
            self._add_row(url, link, outcome, **where)
            return None
        self._waiting[url] = []
        shared = {"status": 0, "error": "not fetched: the download failed unexpectedly"}
        try:
            outcome, body = await self._download(url, item.url)
            digest = self._add_row(url, link, outcome, body=body, **where)
            # A queued crawl sends each file as it comes: an article's files together could be gigabytes.
            await self.run.settle()
            shared = {**outcome, "sha256": digest, "size": len(body) if body is not None else None}
        finally:
            self._outcomes[url] = shared
            for waiter in self._waiting.pop(url, []):
                waiter.callback(shared)
        return None

    def _stored_elsewhere(self, url: str) -> dict | None:
        """The bytes of `url` kept by an earlier crawl for another article: no new request."""
        row = self.archive.stored_attachment(url)
        if row is None:
            return None
        # The name and time are those of the download the bytes came from.
        outcome = {k: row[k] for k in ("status", "content_type", "sha256", "size", "filename", "fetched_at")}
        self._outcomes[url] = outcome
        return outcome

    def _add_row(self, url: str, link: dict, outcome: dict, *, body: bytes | None = None, **where) -> str | None:
        filename = outcome.get("filename") or attachment_filename(
            outcome.get("content_disposition"), link.get("name"), url, outcome.get("content_type")
        )
        row = self.archive.add_attachment(
            url=url,
            filename=filename,
            body=body,
            content_type=outcome.get("content_type"),
            status=outcome.get("status"),
            sha256=outcome.get("sha256"),
            size=outcome.get("size"),
            fetched_at=outcome.get("fetched_at") or utcnow(),
            error=outcome.get("error"),
            **where,
        )
        if outcome.get("error"):
            self._count("failed")
            logger.info("attachment %s of %s not kept: %s", url, where["page_url"], outcome["error"])
        else:
            self._count("stored")
            # crawl_runs.attachments: the files this crawl archived (CapturePipeline reads it).
            self.stats.inc_value(STATS)
        return row["sha256"]

    async def _download(self, url: str, page_url: str) -> tuple[dict, bytes | None]:
        """The server's answer for `url` (status, type, name, error) and the bytes to keep, if any."""
        request = Request(
            url,
            headers={"Referer": page_url},  # RefererMiddleware is a spider middleware; servers check it
            # every hop is judged by the off-site policy (crawler/offsite.py) as the article's attachment
            meta={
                "download_maxsize": self.config.maxsize,
                "govnews_attachment": True,
                ATTACHMENT_OF: page_url,
                ANY_HOST: self.config.hosts == "any",
            },
        )
        self._count("requests")
        outcome: dict = {"status": 0, "fetched_at": utcnow()}
        try:
            response = await self.crawler.engine.download_async(request)
        except (DownloadCancelledError, CancelledError) as exc:
            # The downloader's size limit: cancelled on the Content-Length, or once past it.
            declared = re.search(r"receive (\d+) bytes", str(exc))
            outcome["error"] = (
                f"{TOO_LARGE}: "
                + (f"{declared[1]} bytes, " if declared else "")
                + f"over GOVNEWS_ATTACHMENT_MAXSIZE ({self.config.maxsize} bytes)"
            )
            return outcome, None
        except IgnoreRequest as exc:  # a downloader middleware said no
            if "robots.txt" in str(exc):
                outcome["error"] = ROBOTS
            elif "DOWNLOAD_MAXSIZE" in str(exc):  # larger than the limit once decompressed
                outcome["error"] = (
                    f"{TOO_LARGE}: over GOVNEWS_ATTACHMENT_MAXSIZE ({self.config.maxsize} bytes) once decompressed"
                )
            else:
                outcome["error"] = f"not fetched: {exc}"
            return outcome, None
        except Exception as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}"
            return outcome, None
        outcome["fetched_at"] = utcnow()
        outcome["status"] = response.status
        content_type = response.headers.get(b"Content-Type")
        outcome["content_type"] = content_type.decode("latin-1") if content_type else None
        disposition = response.headers.get(b"Content-Disposition")
        outcome["content_disposition"] = disposition
        if response.status >= 400:
            outcome["error"] = f"HTTP {response.status}"
            return outcome, None
        body = response.body
        if self.config.maxsize and len(body) > self.config.maxsize:  # a download handler that ignored the limit
            outcome["error"] = (
                f"{TOO_LARGE}: {len(body)} bytes, over GOVNEWS_ATTACHMENT_MAXSIZE ({self.config.maxsize} bytes)"
            )
            return outcome, None
        kind, _ = parse_content_disposition(disposition)
        named = content_disposition_filename(disposition)
        if not (
            is_attachment(response.url, content_type)
            or is_attachment(url, content_type)
            or kind == "attachment"
            or name_extension(named) in ATTACHMENT_EXTENSIONS
            or looks_like_file(body)
        ):
            outcome["error"] = f"{NOT_AN_ATTACHMENT}: served as {mime_type(content_type) or 'no type'}"
            return outcome, None
        return outcome, body
