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


# Warnings that mean the extraction missed what an article has: a site whose new records carry
# them far more often than before has changed its template (archive/health.py).
WEAK_WARNINGS = ("no_title", "no_date", "empty_body", "short_body")


@dataclass
class Record:
    url: str
    # --- extracted -----------------------------------------------------------
    title: str | None = None
    published_at: str | None = None  # ISO 8601: "YYYY-MM-DDTHH:MM(:SS)+08:00" or "YYYY-MM-DD"
    meta_published_at: str | None = None  # the <meta> tags' date, kept when the page shows another day
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
        """The fields as a dict; lists and dicts are the record's own (not copies): don't mutate them."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def warn(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Record))


def record_fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(Record))


def compute_content_hash(record: Record) -> str:
    """sha256 of the content fields, stable across runs and dict orders."""
    content = {name: getattr(record, name) for name in CONTENT_FIELDS}
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# What each field means, for the archive's Datasette metadata and the docs.
FIELD_DESCRIPTIONS = {
    "url": "The page's canonical address",
    "title": "Headline, Simplified (never the info bar or the site-name suffix)",
    "published_at": "Publication time as the page states it: ISO 8601, +08:00 when a time is given, YYYY-MM-DD when only a date; null when the page states none",
    "meta_published_at": "The date the page's <meta> tags give (PubDate, article:published_time …), kept only when the page shows another day: published_at then holds the shown one; null otherwise",
    "source": "来源 / 信息来源: the publishing unit or outlet",
    "author": "撰稿 / 作者 / 记者",
    "editor": "责任编辑",
    "reviewer": "审核 / 审核人",
    "channel": "Breadcrumb (当前位置) as a JSON list, home page excluded",
    "views": "阅读次数 / 浏览 / 点击 as the page showed it at fetch time",
    "site_name": "The site's own name (SiteName meta or page chrome)",
    "site_code": "网站标识码 (SiteIDCode): the government site's registry code",
    "images": "Images of the article: JSON list of {url, caption}",
    "attachments": "附件: JSON list of {name, url}",
    "index_no": "索引号 (政务公开 pages)",
    "issuer": "发布机构 / 发文机关",
    "doc_no": "文号",
    "topic": "主题分类",
    "written_at": "成文日期",
    "validity": "有效性",
    "text": "Body text: Simplified, cleaned, paragraphs separated by newlines",
    "text_original": "Body text exactly as the page had it (script, spacing, artifacts)",
    "title_original": "Headline as the page had it",
    "script": "Script the page was written in: zh-Hans or zh-Hant",
    "normalization": "What normalization changed (JSON counts and suspected mojibake spans)",
    "keywords": "Key terms (jieba with a government-term dictionary), JSON list",
    "people": "People named with their titles, JSON list of {name, title}",
    "organizations": "Organizations named in the text, JSON list",
    "places": "Places named in the text, JSON list",
    "region": "Province, city, county and GB/T 2260 code the article belongs to (JSON)",
    "doc_type": "会议, 讲话, 通知公告, 政策文件 or 新闻",
    "doc_type_rule": "The rule that set doc_type",
    "simhash": "64-bit SimHash of the text (hex), for near-duplicate detection",
    "provenance": "Which method found each field (JSON map field → method)",
    "warnings": "Quality warnings such as empty_body, short_body, title_from_url (JSON list)",
    "content_hash": "sha256 of the content fields; a new value means a new version",
}
