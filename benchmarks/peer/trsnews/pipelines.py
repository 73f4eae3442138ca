"""Articles into SQLite with sqlite-utils, the raw page gzipped beside the extracted fields."""

from __future__ import annotations

import gzip

import sqlite_utils


class SqlitePipeline:
    def __init__(self, path: str, batch: int):
        self.path, self.batch = path, batch
        self.rows: list[dict] = []

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("PEER_DB"), crawler.settings.getint("PEER_BATCH"))

    def open_spider(self):
        self.db = sqlite_utils.Database(self.path)
        self.db["articles"].create(
            {"url": str, "title": str, "date": str, "author": str, "text": str, "raw": bytes},
            pk="url",
            if_not_exists=True,
        )

    def process_item(self, item):
        self.rows.append({**{k: v for k, v in item.items() if k != "html"}, "raw": gzip.compress(item["html"])})
        if len(self.rows) >= self.batch:
            self.flush()
        return item

    def flush(self):
        if self.rows:
            self.db["articles"].upsert_all(self.rows, pk="url")
            self.rows = []

    def close_spider(self):
        self.flush()
        self.db.close()
