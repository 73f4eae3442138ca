"""The record's JSON Schema (crawler/record_schema.py), checked with jsonschema on every record the
tests keep or make: the hand-written seed records of the demo sites, the labeled corpus (its gold
fields, and the records govnews extracts from its pages), and the items a real `scrapy crawl -O`
of every demo site exports."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest
from click.testing import CliRunner
from conftest import REPO, expected_records, manifest
from jsonschema import Draft202012Validator

from crawler.cli import cli
from crawler.items import EXPORT_FIELDS
from crawler.record import FIELD_DESCRIPTIONS, Record
from crawler.record_schema import exported_schema, json_type, record_schema
from pipelines.process import process_page

CORPUS = REPO / "tests" / "fixtures" / "corpus"
SEED_KEYS = {"seed", "site", "path"}  # a seed's own: which demo page it is
GOLD_FIELDS = {"title": "title", "published_at": "published_at", "source": "source", "author": "author"}
GOLD_FIELDS |= {"editor": "editor", "body": "text"}


def errors(schema: dict, data: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft202012Validator(schema).iter_errors(data)
    ]


def gold() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_schema_is_the_record_s_fields_with_their_types_and_descriptions():
    Draft202012Validator.check_schema(record_schema())
    Draft202012Validator.check_schema(exported_schema())
    names = [f.name for f in dataclasses.fields(Record)]
    properties = record_schema()["properties"]
    assert list(properties) == names == record_schema()["required"]
    assert {name: p["description"] for name, p in properties.items()} == FIELD_DESCRIPTIONS
    assert properties["views"]["type"] == ["integer", "null"]
    assert properties["channel"]["type"] == "array" and properties["channel"]["items"] == {"type": "string"}
    assert properties["region"]["type"] == ["object", "null"]
    assert list(exported_schema()["properties"])[len(names) :] == list(EXPORT_FIELDS)
    assert errors(record_schema(), Record(url="http://a.example/1.html").to_dict()) == []


def test_types_the_schema_has_no_json_for_are_an_error():
    assert json_type(typing.Optional[int]) == {"type": ["integer", "null"]}  # noqa: UP045 - the old spelling too
    assert json_type(list[str] | None) == {"type": ["array", "null"], "items": {"type": "string"}}
    with pytest.raises(TypeError, match="no JSON type"):
        json_type(bytes)


def test_the_schema_refuses_a_record_that_breaks_it():
    record = Record(url="http://a.example/1.html").to_dict()
    bad = {
        "published_at": "2020年4月30日",
        "views": "12",
        "channel": "政务信息",
        "attachments": [{"url": "http://a.example/a.pdf"}],
        "content_hash": "not-a-digest",
    }
    found = errors(record_schema(), {**record, **bad, "extra": 1})
    assert len(found) == len(bad) + 1, found
    for name in ("published_at", "views", "channel", "attachments/0", "content_hash"):
        assert any(line.startswith(f"{name}:") for line in found), (name, found)
    assert any("'extra' was unexpected" in line for line in found)
    missing = dict(record)
    del missing["text"]
    assert errors(record_schema(), missing) == [": 'text' is a required property"]


@pytest.mark.parametrize("seed", expected_records(), ids=lambda s: s["seed"])
def test_every_seed_record_fits_the_schema(seed):
    assert set(seed) - set(FIELD_DESCRIPTIONS) <= SEED_KEYS
    fields = {k: v for k, v in seed.items() if k not in SEED_KEYS}
    record = Record.from_dict({"url": f"http://{seed['site']}.example{seed['path']}", **fields}).to_dict()
    assert errors(record_schema(), record) == []


def test_every_corpus_page_s_gold_fields_and_extracted_record_fit_the_schema():
    pages = gold()
    assert len(pages) == 35
    for page in pages:
        stated = Record.from_dict({"url": page["url"], **{GOLD_FIELDS[k]: page[k] for k in GOLD_FIELDS}})
        assert errors(record_schema(), stated.to_dict()) == [], page["file"]
        record = process_page((CORPUS / page["file"]).read_bytes(), page["url"])
        assert errors(record_schema(), record.to_dict()) == [], page["file"]


def test_govnews_schema_prints_the_schema():
    for args, schema in (([], record_schema()), (["--exported"], exported_schema())):
        result = CliRunner().invoke(cli, ["schema", *args])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == schema


@pytest.mark.e2e
def test_the_items_a_crawl_exports_fit_the_exported_schema(demo_archive):
    # The session's crawls of the demo sites, each with `-O site.jsonl` (tests/conftest.py).
    feeds = demo_archive["feeds"]
    articles = {name: len(site.manifest["articles"]) for name, site in demo_archive["server"].sites.items()}
    assert len(feeds) == len(manifest())
    exported = []
    for name, feed in feeds.items():
        items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
        assert len(items) == articles[name], name
        exported += items
    assert any(item["attachments"] for item in exported)  # the list-of-objects part of the schema
    for item in exported:
        assert errors(exported_schema(), item) == [], item["url"]
