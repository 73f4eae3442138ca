"""`govnews reprocess` and `govnews stats` on the stored archive written by govnews 0.1."""

import json
import re
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive.reprocess import reprocess
from archive.store import EXTRACTOR_VERSION, Archive, page_columns
from crawler.record import compute_content_hash
from pipelines.process import process_page

REPO = Path(__file__).resolve().parents[1]
OLD_ARCHIVE = REPO / "tests" / "fixtures" / "archives" / "govnews-0.1.0.db"
GOVNEWS = [sys.executable, "-m", "crawler.cli"]


@pytest.fixture
def old_archive(tmp_path) -> Path:
    path = tmp_path / "archive.db"
    path.write_bytes(OLD_ARCHIVE.read_bytes())
    return path


def read_by_current_extractor(path: Path, upgraded: Path) -> tuple[set[str], dict[str, dict]]:
    """Read the 0.1 archive with plain sqlite3: the URLs whose newest answered capture the
    current code extracts differently from what 0.1 archived, and for the others, the page
    columns (keywords, people, region, …) the current code derives differently from what the
    `upgraded` copy of the archive holds."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "select s.url, s.body, s.headers, p.content_hash from snapshots s join pages p on p.url = s.url "
        "where s.id in (select max(id) from snapshots where status < 400 group by url)"
    )
    pages = sqlite3.connect(upgraded)
    pages.row_factory = sqlite3.Row
    changed, derived = set(), {}
    for url, body, headers, old_hash in rows:
        record = process_page(zlib.decompress(body), url, headers=json.loads(headers))
        if compute_content_hash(record) != old_hash:
            changed.add(url)
            continue
        page = pages.execute("select * from pages where url = ?", [url]).fetchone()
        differing = {name: value for name, value in page_columns(record).items() if page[name] != value}
        if differing:
            derived[url] = differing
    conn.close()
    pages.close()
    return changed, derived


def test_reprocess_adds_versions_only_for_records_the_current_extractor_changes(old_archive, tmp_path):
    upgraded = tmp_path / "upgraded.db"
    upgraded.write_bytes(old_archive.read_bytes())
    Archive(upgraded).close()  # what reprocess starts from: the archive as this release opens it
    expected, refreshed = read_by_current_extractor(old_archive, upgraded)
    pages = sqlite3.connect(old_archive).execute("select count(*) from pages").fetchone()[0]
    assert 0 < len(expected) < pages  # the stored archive exercises both paths
    assert refreshed  # 0.1 found fewer people and disclosure fields: unchanged text, better reading

    result = subprocess.run(
        [*GOVNEWS, "reprocess", "--db", str(old_archive)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"Re-extracted {pages} captures: {len(expected)} new versions (0 new pages), "
        f"{len(refreshed)} refreshed without a new version, "
        f"{pages - len(expected) - len(refreshed)} unchanged, 0 failed." in result.stdout
    )

    archive = Archive(old_archive)
    new = list(archive.db.query("select * from versions where reason = 'reprocess'"))
    assert {v["url"] for v in new} == expected
    for version in new:
        assert version["extractor_version"] == EXTRACTOR_VERSION and version["diff"]
        page = archive.db["pages"].get(version["url"])
        assert page["latest_version_id"] == version["id"]
        assert archive.version_record(version["id"]).content_hash == page["content_hash"]
        snapshot = archive.db["snapshots"].get(version["snapshot_id"])
        assert version["fetched_at"] == snapshot["fetched_at"]  # the capture's time, not today's
    # the withdrawn page stays gone: re-extraction is not a fetch
    assert archive.db.execute("select count(*) from pages where status = 'gone'").fetchone()[0] == 1

    # A refreshed page has the current code's columns and no new version or event.
    for url, columns in refreshed.items():
        page = archive.db["pages"].get(url)
        assert {name: page[name] for name in columns} == columns
        assert not archive.db.execute("select 1 from versions where url = ? and reason = 'reprocess'", [url]).fetchone()

    again = reprocess(archive)
    assert (again.new_versions, again.refreshed, again.unchanged) == (0, 0, pages)


def test_an_interrupted_reprocess_resumes_to_the_same_archive(old_archive, tmp_path):
    whole = tmp_path / "whole.db"
    whole.write_bytes(old_archive.read_bytes())
    reprocess(Archive(whole))

    def interrupt_midway(report):
        if report.captures == 8:
            raise KeyboardInterrupt

    archive = Archive(old_archive)
    with pytest.raises(KeyboardInterrupt):
        reprocess(archive, progress=interrupt_midway)
    reprocess(archive)

    def versions(path):
        return sorted(
            (v["url"], v["version"], v["content_hash"], v["reason"]) for v in Archive(path).db["versions"].rows
        )

    assert versions(old_archive) == versions(whole)


def test_stats_reports_counts_and_bytes_per_version(old_archive):
    db = Archive(old_archive).db  # a command that writes upgrades the 0.1 archive: stats only reads
    result = subprocess.run(
        [*GOVNEWS, "stats", "--db", str(old_archive), "--json"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["pages"], stats["versions"], stats["snapshots"]) == (20, 21, 40)
    assert stats["distinct_bodies"] == db["bodies"].count < stats["snapshots"]
    assert stats["raw_bytes_stored"] < stats["raw_bytes_distinct"] <= stats["raw_bytes_fetched"]
    assert stats["archive_bytes_per_version"] == round(stats["archive_bytes"] / 21)
    assert stats["pages_gone"] == 1 and stats["table_bytes"]["bodies"] > 0

    text = subprocess.run(
        [*GOVNEWS, "stats", "--db", str(old_archive)], cwd=REPO, capture_output=True, text=True, timeout=120
    ).stdout
    assert "versions                 21" in text and "per version" in text


def test_reprocess_and_stats_need_an_existing_archive(tmp_path):
    for command in ("reprocess", "stats"):
        result = subprocess.run(
            [*GOVNEWS, command, "--db", str(tmp_path / "none.db")], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1 and "no archive at" in result.stderr
        assert not (tmp_path / "none.db").exists()


DASHED_ARCHIVE = REPO / "tests" / "fixtures" / "archives" / "govnews-0.3.1.db"
DAMAGE = ("枣", "厖")  # what 0.3.1's mojibake repair made of —— and ……


def test_reprocess_repairs_the_punctuation_0_3_1_damaged(tmp_path):
    """0.3.1 archived —— as 枣 and …… as 厖; its captures hold the truth, and reprocess restores it."""
    path = tmp_path / "archive.db"
    path.write_bytes(DASHED_ARCHIVE.read_bytes())
    plain = sqlite3.connect(path)
    damaged = {
        url
        for url, title, text in plain.execute("select url, title, text from pages")
        if any(mark in title + text for mark in DAMAGE)
    }
    regions = dict(plain.execute("select url, region from pages"))
    pages = plain.execute("select count(*) from pages").fetchone()[0]
    plain.close()
    assert len(damaged) == 2 and pages == 8
    found = subprocess.run([*GOVNEWS, "search", "枣", "--db", str(path)], cwd=REPO, capture_output=True, text=True)
    assert found.returncode == 0 and "通知枣办好群众身边事" in found.stdout  # the damage is searchable

    result = subprocess.run(
        [*GOVNEWS, "reprocess", "--db", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    # The 6 others keep their version; whether their page row is refreshed (provenance, fields the
    # current extractor reads better) depends on the extractor, not on the repair.
    summary = re.search(
        rf"Re-extracted {pages} captures: 2 new versions \(0 new pages\), (\d+) refreshed without a new version, "
        r"(\d+) unchanged, 0 failed\.",
        result.stdout,
    )
    assert summary and int(summary[1]) + int(summary[2]) == pages - 2, result.stdout

    archive = Archive(path)
    for url in damaged:
        page = archive.db["pages"].get(url)
        assert not any(mark in page["title"] + page["text"] for mark in DAMAGE)
        version = archive.db["versions"].get(page["latest_version_id"])
        assert (version["version"], version["reason"], version["extractor_version"]) == (
            2,
            "reprocess",
            EXTRACTOR_VERSION,
        )
        assert "[-枣" in version["diff"] or "[-厖" in version["diff"]
        capture = archive.db["snapshots"].get(version["snapshot_id"])
        fresh = process_page(archive.body(capture["body_sha256"]), url, headers=json.loads(capture["headers"]))
        assert (page["title"], page["text"]) == (fresh.title, fresh.text)
        first = archive.db.execute("select record from versions where url = ? and version = 1", [url]).fetchone()
        assert first  # the damaged version stays in the history
    notice = archive.db["pages"].get(next(url for url in damaged if "t20200512_1236010" in url))
    assert notice["title"] == "魏都区人民政府办公室关于印发魏都区2020年重点民生实事工作方案的通知——办好群众身边事"
    assert "请结合实际……认真组织实施" in notice["text"]
    assert dict(archive.db.execute("select url, region from pages").fetchall()) == regions  # no config needed

    # The search index follows: the damage is gone from it, the repaired words are found.
    gone = subprocess.run([*GOVNEWS, "search", "枣", "--db", str(path)], cwd=REPO, capture_output=True, text=True)
    assert gone.returncode == 1 and "no page matches" in gone.stderr
    repaired = subprocess.run(
        [*GOVNEWS, "search", "办好群众身边事", "--db", str(path)], cwd=REPO, capture_output=True, text=True
    )
    assert repaired.returncode == 0 and "通知——办好群众身边事" in repaired.stdout

    again = reprocess(archive)
    assert (again.new_versions, again.refreshed, again.unchanged) == (0, 0, pages)
