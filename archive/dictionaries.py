"""Per-site zstd dictionaries for the raw bodies of an archive.

The pages of one government site share their template: the same head, navigation, footer
and 政务公开 table around each article. Compressed one by one, every page pays for the
template again; compressed with a dictionary trained on the site's pages, a page costs
little more than its article (a fixture page of 25 KB: 8.7 KB alone, about 2 KB with its
site's dictionary).

A site's dictionary is trained once it has `TRAIN_SAMPLES` self-contained bodies of 2xx
captures (the newest ones stored without a dictionary, read back from the archive, so short
crawls add up), and stored in the ``dictionaries`` table before any body uses it. Bodies
name their dictionary (``bodies.dictionary_id``), and a dictionary is never changed nor
deleted: bodies stored before it, or by an older govnews, stay as they are and read as
before. Two processes that train for the same site at once each store one; the lowest id
is used from then on, and both stay readable.
"""

from __future__ import annotations

import sqlite_utils

from archive import blobs
from archive.rows import insert
from crawler.common import utcnow

KIND = "body"
TRAIN_SAMPLES = 32
# 32 KB holds a template; larger dictionaries learned fixture paragraphs and compressed worse.
DICTIONARY_SIZE = 32 * 1024
# Only the head of a long page is kept as a sample: templates are what the dictionary is for.
SAMPLE_BYTES = 64 * 1024


class SiteDictionaries:
    """Which dictionary a site's bodies are compressed with, training it when there is none.

    Kept per Archive: the samples gathered for sites without a dictionary, and the dictionary
    of each site that has one (checked against the archive at every use, since the
    transaction that stored it may have been rolled back)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._dictionaries: dict[str, tuple[int, bytes]] = {}
        self._samples: dict[str, list[bytes]] = {}

    def dictionary(self, site: str | None) -> tuple[int, bytes] | None:
        """(id, data) of the site's dictionary, or None."""
        if not site:
            return None
        row = self.db.execute(
            "select id from dictionaries where site = ? and kind = ? order by id limit 1", [site, KIND]
        ).fetchone()
        if row is None:
            self._dictionaries.pop(site, None)
            return None
        known = self._dictionaries.get(site)
        if known is None or known[0] != row[0]:
            data = self.db.execute("select data from dictionaries where id = ?", [row[0]]).fetchone()[0]
            known = self._dictionaries[site] = (row[0], data)
        return known

    def stored(self, site: str | None, body: bytes, status: int) -> None:
        """A body of `site` was just stored without a dictionary: a sample; train when enough."""
        if not site or not 200 <= status < 300 or len(body) < 256:
            return
        samples = self._samples.get(site)
        if samples is None:  # the site's bodies already stored (this one among them)
            samples = self._samples[site] = self._stored_samples(site)
        else:
            samples.append(body[:SAMPLE_BYTES])
        if len(samples) >= TRAIN_SAMPLES:
            del self._samples[site]
            self._train(site, samples)

    def _stored_samples(self, site: str) -> list[bytes]:
        rows = self.db.execute(
            "select b.data from snapshots s join bodies b on b.sha256 = s.body_sha256 "
            "where s.site = ? and s.status between 200 and 299 and b.base_sha256 is null "
            "and b.dictionary_id is null order by s.id desc limit ?",
            [site, TRAIN_SAMPLES],
        ).fetchall()
        return [blobs.decompress(row[0])[:SAMPLE_BYTES] for row in rows]

    def _train(self, site: str, samples: list[bytes]) -> None:
        if self.dictionary(site) is not None:  # another process trained one meanwhile
            return
        data = blobs.train(samples, DICTIONARY_SIZE)
        if data is None:
            return  # nothing to learn: try again with the next samples
        insert(
            self.db,
            "dictionaries",
            {"site": site, "kind": KIND, "created_at": utcnow(), "samples": len(samples), "data": data},
        )
