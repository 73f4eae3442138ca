"""Read-only commands read, and only read: `govnews stats`, `health`, `search`, `export` and `browse` open
the archive with SQLite's ``mode=ro`` (``immutable=1`` on a read-only mount), never create a
table nor upgrade a schema; a file that is no govnews archive is one line and exit 1. Commands
that write (`reprocess`, `crawl`) upgrade an older archive, and say so in one line.

Everything is real: `govnews` processes, SQLite files, a tmpfs mounted read-only, and
Datasette serving from it on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BIN, REPO

from archive.schema import SCHEMA_VERSION
from crawler.cli import cli
from crawler.demo.server import free_port
from tests.support.browse import browse as browse_db

pytestmark = pytest.mark.e2e  # real `govnews` processes, a real read-only mount, a real Datasette

OLD_01 = REPO / "tests" / "fixtures" / "archives" / "govnews-0.1.0.db"
OLD_031 = REPO / "tests" / "fixtures" / "archives" / "govnews-0.3.1.db"


def govnews(*args, timeout=300):
    return subprocess.run([str(BIN / "govnews"), *args], capture_output=True, text=True, timeout=timeout)


def govnews_in_process(*args) -> subprocess.CompletedProcess:
    """The same command run by click in this process: its arguments, exit status and output as
    a process gives them, without a fresh interpreter each time (the entry point itself is
    proved by the real `govnews` processes each test also runs). `browse` would replace this
    process with Datasette once the archive passed its check: here that is a failure."""

    def no_exec(*_):
        raise AssertionError(f"govnews {' '.join(args)} went on to start Datasette")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "execv", no_exec)
        result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["govnews", *args], result.exit_code, result.stdout, result.stderr)


def digests(folder: Path) -> dict[str, str]:
    """Every file of a folder and its sha256: what must not change."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def read_only_commands(db: Path, out: Path) -> dict[str, list[str]]:
    return {
        "stats": ["stats", "--db", str(db)],
        "stats --json": ["stats", "--json", "--db", str(db)],
        "health": ["health", "--db", str(db)],
        "health --json": ["health", "--json", "--db", str(db)],
        "search": ["search", "书记", "--db", str(db)],
        "export jsonl": ["export", "--format", "jsonl", "--db", str(db), "-o", str(out / "pages.jsonl")],
        "export warc": ["export", "--format", "warc", "--db", str(db), "-o", str(out / "archive.warc.gz")],
        "browse": ["browse", "--db", str(db), "--port", str(free_port())],
    }


def refused_in_one_line(result, message: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.splitlines() == [f"Error: {message}"], result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""


def copy_archive(source: Path, target: Path) -> Path:
    """A copy of an archive with its WAL moved into the file (as a closed archive is)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    shutil.copy(source, target)
    return target


# --- files that are no govnews archive ------------------------------------------------------
def foreign_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name → (file, the one line every read-only command answers it with)."""
    folder.mkdir()
    other = folder / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.execute("insert into notes (body) values ('不是新闻')")
    conn.close()
    wal = folder / "wal-mode.db"  # a WAL database is where a careless open leaves the most behind
    conn = sqlite3.connect(wal)
    conn.execute("pragma journal_mode = wal")
    conn.execute("create table t (x)")
    conn.commit()
    conn.close()
    text = folder / "notes.db"
    text.write_text("选题会纪要\n" * 200, encoding="utf-8")
    noise = folder / "noise.db"
    noise.write_bytes(hashlib.sha512(b"govnews").digest() * 64)
    empty = folder / "empty.db"
    empty.write_bytes(b"")
    return {
        "a SQLite file of another program": (other, f"{other} is not a govnews archive (no pages table)"),
        "a WAL-mode SQLite file": (wal, f"{wal} is not a govnews archive (no pages table)"),
        "a text file": (text, f"{text} is not an SQLite file"),
        "random bytes": (noise, f"{noise} is not an SQLite file"),
        "an empty file": (empty, f"{empty} is not a govnews archive (no pages table)"),
        "a missing file": (
            folder / "missing.db",
            f"no archive at {folder / 'missing.db'}: run `govnews demo` or `govnews crawl` first",
        ),
    }


def test_read_only_commands_refuse_what_is_no_archive_in_one_line_and_change_nothing(tmp_path):
    folder = tmp_path / "files"
    out = tmp_path / "out"
    out.mkdir()
    cases = foreign_files(folder)
    before = digests(folder)
    assert len(before) == 5
    # Every command on every file: command n as a real `govnews` process on file n (modulo the
    # files' count), so that each command and each file has one; the other pairs in this process.
    real = set()
    for case, (name, (path, message)) in enumerate(cases.items()):
        for number, (command, args) in enumerate(read_only_commands(path, out).items()):
            run = govnews if number % len(cases) == case else govnews_in_process
            real |= {command, name} if run is govnews else set()
            refused_in_one_line(run(*args), message)
            assert digests(folder) == before, (name, command)  # byte for byte, and no file added
    assert real == set(cases) | set(read_only_commands(folder, out))
    assert list(out.iterdir()) == []  # no export begun
    with sqlite3.connect(folder / "other.db") as conn:
        assert [r[0] for r in conn.execute("select name from sqlite_master")] == ["notes"]


def test_a_command_that_writes_refuses_another_programs_file_too(tmp_path):
    folder = tmp_path / "files"
    cases = foreign_files(folder)
    before = digests(folder)
    for name in ("a SQLite file of another program", "a text file"):
        path, message = cases[name]
        refused_in_one_line(govnews("reprocess", "--db", str(path)), message)
    assert digests(folder) == before


# --- archives of older releases -------------------------------------------------------------
def test_a_0_1_archive_is_refused_by_readers_and_upgraded_by_a_writer_that_says_so(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(OLD_01, db)
    before = digests(tmp_path)
    hint = f"{db} is an archive of schema 0 (govnews 0.1): upgrade it with a command that writes it (`govnews reprocess --db {db}`)"
    # `stats` as a real process, the other readers in this process (each has its real one above).
    for command, args in read_only_commands(db, tmp_path).items():
        refused_in_one_line((govnews if command == "stats" else govnews_in_process)(*args), hint)
    # SQLite's WAL index may appear beside a WAL archive a reader opened: the archive is as it was.
    assert {k: v for k, v in digests(tmp_path).items() if not k.endswith(("-wal", "-shm"))} == before
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == 0
        assert "bodies" not in {r[0] for r in conn.execute("select name from sqlite_master")}
    conn.close()

    upgraded = govnews("reprocess", "--db", str(db))
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    note = f"Upgrading {db} from schema 0 to {SCHEMA_VERSION} (in place, once)"
    assert upgraded.stderr.splitlines().count(note) == 1, upgraded.stderr
    again = govnews("reprocess", "--db", str(db))
    assert again.returncode == 0 and "Upgrading" not in again.stderr + again.stdout
    stats = govnews("stats", "--json", "--db", str(db))
    assert stats.returncode == 0 and stats.stderr == "", stats.stderr
    assert json.loads(stats.stdout)["pages"] == 20


def test_a_0_3_1_archive_is_read_as_it_is(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(OLD_031, db)
    before = digests(tmp_path)
    note = f"{db} is of schema 3, read as it is (a command that writes it, such as `govnews reprocess`, upgrades it to {SCHEMA_VERSION})"

    stats = govnews("stats", "--json", "--db", str(db))
    assert stats.returncode == 0 and stats.stderr.splitlines() == [note], stats.stderr
    assert json.loads(stats.stdout)["pages"] == 8 and "dictionaries" not in json.loads(stats.stdout)["table_bytes"]
    health = govnews("health", "--json", "--db", str(db))  # its runs lack the columns of schema 4
    assert health.returncode == 0 and health.stderr.splitlines() == [note], health.stderr
    # Judged by its runs as they are; only the bundled configs' intervals say the crawls are old.
    sites = json.loads(health.stdout)
    assert [site["site"] for site in sites] == ["daguan", "weidu"]  # 30m: long overdue, worst first
    assert sites[0]["status"] == "warning"
    for site in sites:
        assert site["status"] in ("ok", "warning") and site["last_crawl"], site
        assert all(reason.startswith("Not crawled for ") for reason in site["reasons"]), site
    found = govnews("search", "书记", "--db", str(db))
    assert found.returncode == 0 and "我区召开全区领导干部会议" in found.stdout
    assert found.stderr.splitlines() == [note]
    pages = govnews("export", "--format", "jsonl", "--db", str(db))
    assert pages.returncode == 0 and len(pages.stdout.splitlines()) == 8
    warc = tmp_path / "out.warc.gz"
    exported = govnews("export", "--format", "warc", "--db", str(db), "-o", str(warc))
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.splitlines() == [note, f"Wrote 34 WARC records for 8 captures to {warc} (3 attachments)"]
    after = {k: v for k, v in digests(tmp_path).items() if k != "out.warc.gz" and not k.endswith(("-wal", "-shm"))}
    assert after == before
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == 3
        assert "dictionaries" not in {r[0] for r in conn.execute("select name from sqlite_master")}
    conn.close()


def test_a_crawl_into_an_older_archive_says_it_upgrades_it(demo_server, tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(OLD_031, db)
    site = demo_server.sites["jincheng"]
    crawl = govnews("crawl", "--db", str(db), "--url", site.list_url, "--log-level", "WARNING")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert crawl.stderr.splitlines().count(f"Upgrading {db} from schema 3 to {SCHEMA_VERSION} (in place, once)") == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    again = govnews("crawl", "--db", str(db), "--url", site.list_url, "--log-level", "WARNING")
    assert again.returncode == 0 and "Upgrading" not in again.stderr


# --- a current archive ----------------------------------------------------------------------
def test_read_only_commands_leave_an_archive_byte_for_byte_as_it_was(demo_archive, tmp_path):
    db = copy_archive(demo_archive["db"], tmp_path / "archive" / "archive.db")
    before = digests(db.parent)
    out = tmp_path / "out"
    out.mkdir()
    for command, args in read_only_commands(db, out).items():
        if command == "browse":
            continue  # browse checkpoints the WAL it serves immutable: below, on a read-only mount
        result = govnews(*args)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stderr.count("\n") <= 1 and "Traceback" not in result.stderr, (command, result.stderr)
        now = {k: v for k, v in digests(db.parent).items() if not k.endswith(("-wal", "-shm"))}
        assert now == before, command
    for suffix in ("-wal", "-shm"):  # what SQLite may leave beside a WAL file it read holds nothing
        side = Path(f"{db}{suffix}")
        assert not side.exists() or suffix == "-shm" or side.stat().st_size == 0


# --- a read-only mount ----------------------------------------------------------------------
def _mount_command(*args: str) -> list[str]:
    return ["mount", *args] if os.geteuid() == 0 else ["sudo", "-n", "mount", *args]


@contextmanager
def read_only_mount(folder: Path, files: list[Path]):
    """`files` copied onto a tmpfs at `folder`, which is then remounted read-only (root, or
    sudo: `make test` needs one of them anyway, to install Chromium and redis-server)."""
    folder.mkdir()
    mounted = subprocess.run(
        _mount_command("-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", str(folder)), capture_output=True, text=True
    )
    assert mounted.returncode == 0, f"cannot mount a tmpfs (run the tests as root or with sudo): {mounted.stderr}"
    try:
        for path in files:
            shutil.copy(path, folder / path.name)
        subprocess.run(_mount_command("-o", "remount,ro", str(folder)), check=True)
        with pytest.raises(OSError, match="Read-only file system"):
            (folder / "probe").write_text("x")
        assert not os.access(folder, os.W_OK)  # for root too: the mount is read-only
        yield folder
    finally:
        umount = ["umount", "-l", str(folder)]
        subprocess.run(umount if os.geteuid() == 0 else ["sudo", "-n", *umount], check=True)


@contextmanager
def browse(db: Path, *options: str):
    with browse_db(db, *options) as server:
        yield server.db_url, server.log


def get_json(address: str, **params):
    with urllib.request.urlopen(f"{address}?{urllib.parse.urlencode(params)}", timeout=30) as response:
        return json.load(response)


def test_an_archive_on_a_read_only_mount_is_searched_exported_and_browsed(demo_archive, tmp_path):
    db = copy_archive(demo_archive["db"], tmp_path / "source" / "archive.db")
    with sqlite3.connect(db) as conn:
        expected = {r[0] for r in conn.execute("select title from pages")}
        leader = conn.execute("select title from pages where title like '%领导干部%'").fetchone()[0]
    conn.close()
    with read_only_mount(tmp_path / "ro", [db]) as mount:
        archive = mount / "archive.db"
        before = digests(mount)
        found = govnews("search", "书记", "--db", str(archive))
        assert found.returncode == 0, found.stderr
        assert leader in found.stdout and found.stderr == ""
        pages = govnews("export", "--format", "jsonl", "--db", str(archive))
        assert pages.returncode == 0, pages.stderr
        assert {json.loads(line)["title"] for line in pages.stdout.splitlines()} == expected
        warc = tmp_path / "archive.warc.gz"
        assert govnews("export", "--format", "warc", "--db", str(archive), "-o", str(warc)).returncode == 0
        assert warc.stat().st_size > 10_000
        stats = govnews("stats", "--json", "--db", str(archive))
        assert stats.returncode == 0 and json.loads(stats.stdout)["pages"] == len(expected)
        with browse(archive) as (address, log):
            rows = get_json(f"{address}/pages.json", _shape="array", _col="title", _size="max")
            assert {r["title"] for r in rows} == expected
            searched = get_json(f"{address}/pages.json", _shape="array", _col="title", _search="书记")
            assert leader in {r["title"] for r in searched}
            log.seek(0)
            assert f"Serving {archive} immutable" in log.read().decode()
        assert digests(mount) == before


def test_a_read_only_archive_whose_wal_holds_transactions_is_read_through_it(demo_archive, tmp_path):
    """A copy taken while a writer held the archive open: the newest title is only in the WAL,
    which a read-only mount keeps from being checkpointed. Readers open it mode=ro (SQLite reads
    the WAL with a read-only index), and browse serves it live rather than immutable."""
    db = copy_archive(demo_archive["db"], tmp_path / "source" / "archive.db")
    writer = sqlite3.connect(db)
    writer.execute("pragma wal_autocheckpoint = 0")
    url = writer.execute("select url from pages order by url limit 1").fetchone()[0]
    writer.execute("update pages set title = '只在预写日志里的标题' where url = ?", [url])
    writer.commit()
    wal = Path(f"{db}-wal")
    assert wal.stat().st_size > 0
    try:
        with read_only_mount(tmp_path / "ro", [db, wal, Path(f"{db}-shm")]) as mount:
            archive = mount / "archive.db"
            pages = govnews("export", "--format", "jsonl", "--db", str(archive))
            assert pages.returncode == 0, pages.stderr
            titles = {json.loads(line)["url"]: json.loads(line)["title"] for line in pages.stdout.splitlines()}
            assert titles[url] == "只在预写日志里的标题"
            with browse(archive) as (address, log):
                rows = get_json(f"{address}/pages.json", _shape="array", _col="title", url=url)
                assert [r["title"] for r in rows] == ["只在预写日志里的标题"]
                log.seek(0)
                assert "serving it live (read-only)" in log.read().decode()
    finally:
        writer.close()
