"""The record as a JSON Schema (draft 2020-12), generated from `crawler.record.Record`.

Each field's JSON type comes from its type hint and its description from FIELD_DESCRIPTIONS,
so a field added to the Record is in the schema with nothing more to write. `record_schema()`
describes `Record.to_dict()` (what `govnews extract` prints, a version's `record`);
`exported_schema()` what a crawl's feed exports (`-O items.jsonl`): the record's fields and
the item's own (crawler/items.py). `govnews schema` prints either.

A few constraints say more than the type hints can: the shape of `published_at`, of the two
hashes, and the keys the list-of-objects fields always have. No Scrapy here, nor jsonschema:
the schema is data; the tests validate with jsonschema.
"""

from __future__ import annotations

import dataclasses
import types
import typing

from crawler.record import FIELD_DESCRIPTIONS, Record

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# What a type hint cannot say (the comments of crawler/record.py).
CONSTRAINTS: dict[str, dict] = {
    "published_at": {"pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?[+-]\d{2}:\d{2})?$"},
    "content_hash": {"pattern": "^[0-9a-f]{64}$"},
    "simhash": {"pattern": "^[0-9a-f]{1,16}$"},
    "script": {"enum": ["zh-Hans", "zh-Hant", None]},
}
ITEM_KEYS = {  # list fields of objects: the keys each object has
    "images": ["url"],
    "attachments": ["name", "url"],
    "people": ["name"],
}

# What an exported item holds besides the record (crawler/items.py, EXPORT_FIELDS): each id is
# a number, or in a queued crawl the name the worker gave it (`run:…`, `snap:…`) for the writer.
EXPORTED: dict[str, tuple[dict, str]] = {
    "site": ({"type": ["string", "null"]}, "The site's config name, or host:port for a crawl of -a url="),
    "fetched_at": ({"type": "string"}, "When the page was fetched (UTC, ISO 8601)"),
    "status": ({"type": "integer"}, "The HTTP status of the fetch"),
    "crawl_run_id": ({"type": ["integer", "string", "null"]}, "The crawl_runs row of the crawl"),
    "snapshot_id": ({"type": ["integer", "string", "null"]}, "The capture of the raw page (snapshots)"),
    "version_id": (
        {"type": ["integer", "null"]},
        "The version this fetch added; null when the page was unchanged, or in a queued crawl",
    ),
}


def json_type(hint) -> dict:
    """The JSON Schema of a Record field's type hint (str, int, list[…], dict, X | None)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [json_type(arg) for arg in typing.get_args(hint)]
        merged: dict = {"type": [option["type"] for option in options]}
        for option in options:  # list[…] | None keeps its items
            merged.update({k: v for k, v in option.items() if k != "type"})
        return merged
    if hint is type(None):
        return {"type": "null"}
    origin = typing.get_origin(hint) or hint
    if origin is list:
        args = typing.get_args(hint)
        return {"type": "array", "items": json_type(args[0]) if args else {}}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}
    if origin in simple:
        return {"type": simple[origin]}
    raise TypeError(f"no JSON type for {hint!r}")


def _property(name: str, hint) -> dict:
    schema = {**json_type(hint), "description": FIELD_DESCRIPTIONS[name], **CONSTRAINTS.get(name, {})}
    if name in ITEM_KEYS:
        schema["items"] = {**schema["items"], "required": ITEM_KEYS[name]}
    return schema


def record_schema() -> dict:
    hints = typing.get_type_hints(Record)
    names = [f.name for f in dataclasses.fields(Record)]
    return {
        "$schema": DIALECT,
        "$id": "urn:govnews:record",
        "title": "govnews record",
        "description": "One article as govnews extracted, normalized and enriched it (crawler/record.py)",
        "type": "object",
        "properties": {name: _property(name, hints[name]) for name in names},
        "required": names,
        "additionalProperties": False,
    }


def exported_schema() -> dict:
    schema: dict = record_schema()
    extra = {name: {**kind, "description": text} for name, (kind, text) in EXPORTED.items()}
    return {
        **schema,
        "$id": "urn:govnews:exported",
        "title": "govnews exported article",
        "description": "An article as a crawl's feed exports it: the record's fields, then the fetch's",
        "properties": {**schema["properties"], **extra},
        "required": [*schema["required"], *extra],
    }
