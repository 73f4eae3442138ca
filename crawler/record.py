"""The record: one article as govnews understands it.

Every stage (extract → normalize → enrich → archive) reads and writes this one
schema, and the archive's `pages`/`versions` columns are derived from it, so a
field is added here and nowhere else.  No Scrapy import: the pure stages use it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# The fields whose change makes a new version of a page.  Enrichment output
# (keywords, people, …) is derived from these, so it is not part of the hash:
# a better enricher must not look like a changed page.
CONTENT_FIELDS = (
    "title",
    "published_at",
    "source",
    "author",
    "editor",
    "channel",
    "text",
    "attachments",
)


@dataclass
class Record:
    url: str
    # --- extracted -----------------------------------------------------------
    title: str | None = None
    published_at: str | None = None  # ISO 8601: "YYYY-MM-DDTHH:MM(:SS)+08:00" or "YYYY-MM-DD"
    source: str | None = None  # 来源 / 信息来源
    author: str | None = None  # 撰稿 / 作者 / 记者
    editor: str | None = None  # 责任编辑
    reviewer: str | None = None  # 审核
    channel: list[str] = field(default_factory=list)  # breadcrumb 当前位置, home excluded
    views: int | None = None  # 阅读次数 / 浏览 / 点击
    site_name: str | None = None
    site_code: str | None = None  # 网站标识码 (SiteIDCode)
    images: list[dict] = field(default_factory=list)  # {"url": absolute, "caption": str|None}
    attachments: list[dict] = field(default_factory=list)  # {"name": str, "url": absolute}
    # 政务公开 metadata table
    index_no: str | None = None  # 索引号
    issuer: str | None = None  # 发布机构 / 发文机关
    doc_no: str | None = None  # 文号
    topic: str | None = None  # 主题分类
    written_at: str | None = None  # 成文日期
    validity: str | None = None  # 有效性
    # --- normalized ----------------------------------------------------------
    text: str = ""  # Simplified, cleaned, paragraphs separated by "\n"
    text_original: str = ""  # the body as the page had it
    title_original: str | None = None
    script: str | None = None  # "zh-Hans" / "zh-Hant", as found on the page
    normalization: dict = field(default_factory=dict)  # what normalize changed (counts, spans)
    # --- enriched ------------------------------------------------------------
    keywords: list[str] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)  # {"name": "张书杰", "title": "区委书记"}
    organizations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    region: dict | None = None  # {"province", "city", "county", "code"}
    doc_type: str | None = None  # 会议 / 讲话 / 通知公告 / 政策文件 / 新闻
    doc_type_rule: str | None = None
    simhash: str | None = None  # 64-bit, hex
    # --- quality -------------------------------------------------------------
    provenance: dict = field(default_factory=dict)  # field name → method that found it
    warnings: list[str] = field(default_factory=list)  # empty_body, short_body, title_from_url, …
    content_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def warn(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)


def record_fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(Record))


def compute_content_hash(record: Record) -> str:
    """sha256 of the content fields, stable across runs and dict orders."""
    content = {name: getattr(record, name) for name in CONTENT_FIELDS}
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
