"""The real-page set (benchmarks/realpages): its integrity, not its scores.

Every gold line names a page that is there, says where the page came from and under which
licence, and its body was taken from that page: each gold paragraph is found, in order, in the
page's visible text. Scoring the set is `govnews eval benchmarks/realpages` (too slow for the suite).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from lxml import html as lxml_html
from w3lib.encoding import html_to_unicode

REPO = Path(__file__).resolve().parents[1]
SET = REPO / "benchmarks" / "realpages"
CWCED = REPO.parent / "shared" / "benchmarks" / "cwced"
REQUIRED = ("file", "url", "kind", "title", "published_at", "source", "author", "editor", "body")
PROVENANCE = ("source_repo", "source_path", "source_commit", "license")
PERMISSIVE = {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC-BY-4.0", "CC0-1.0"}
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\+08:00)?")
INVISIBLE = ("script", "style", "noscript", "template", "head")


def gold_lines() -> list[dict]:
    return [json.loads(line) for line in (SET / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]


def visible_text(path: Path) -> str:
    """The page's text as a browser shows it, without whitespace: decoded as browsers decode
    (BOM, <meta> charset), stray </body> and </html> ignored as browsers ignore them."""
    text = html_to_unicode(None, path.read_bytes())[1]
    tree = lxml_html.document_fromstring(re.sub(r"</(?:body|html)\s*>", "", text, flags=re.I))
    for element in list(tree.iter(*INVISIBLE)):
        element.drop_tree()  # keeps the element's tail, which is visible
    return re.sub(r"\s+", "", tree.text_content())


def test_the_set_is_as_large_as_its_readme_says():
    gold = gold_lines()
    kinds = [g["kind"] for g in gold]
    assert set(kinds) <= {"government", "news"}
    assert len(gold) >= 60 and kinds.count("government") >= 5, (len(gold), kinds.count("government"))
    readme = (SET / "README.md").read_text(encoding="utf-8")
    assert f"{len(gold)} pages" in readme and f"{kinds.count('government')} government" in readme


def test_every_line_has_its_fields_and_a_page_that_is_there():
    gold = gold_lines()
    files = [g["file"] for g in gold]
    assert len(files) == len(set(files)), "a page labeled twice"
    assert {f"pages/{p.name}" for p in (SET / "pages").iterdir()} == set(files), "a page without gold"
    for g in gold:
        assert all(key in g for key in REQUIRED + PROVENANCE), (g["file"], set(REQUIRED + PROVENANCE) - set(g))
        page = SET / g["file"]
        assert page.is_file() and 0 < page.stat().st_size <= 450_000, g["file"]
        assert g["title"] and g["body"].strip(), g["file"]
        assert g["published_at"] is None or ISO.fullmatch(g["published_at"]), (g["file"], g["published_at"])


def test_every_source_and_licence_is_noted():
    licences = (SET / "LICENSES").read_text(encoding="utf-8")
    for g in gold_lines():
        assert g["license"] in PERMISSIVE, (g["file"], g["license"])
        assert re.fullmatch(r"[0-9a-f]{40}", g["source_commit"]), g["file"]
        assert g["source_repo"] in licences, g["source_repo"]


def test_every_gold_paragraph_is_found_in_order_in_its_page():
    for g in gold_lines():
        text = visible_text(SET / g["file"])
        at = 0
        for paragraph in g["body"].split("\n"):
            wanted = re.sub(r"\s+", "", paragraph)
            found = text.find(wanted, at)
            assert found >= 0, (g["file"], paragraph[:40])
            at = found + len(wanted)


def test_no_page_is_a_cwced_page():
    """The public CWCED set stays separate: none of its pages is in this one."""
    assert (CWCED / "gold.jsonl").is_file(), f"{CWCED}: the public CWCED set (../shared/benchmarks/cwced)"
    cwced = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (CWCED / "pages").iterdir()}
    ours = {hashlib.sha256((SET / g["file"]).read_bytes()).hexdigest() for g in gold_lines()}
    assert not cwced & ours
    assert all("Chinese-Web-Content-Extraction-Dataset" not in g["source_repo"] for g in gold_lines())
