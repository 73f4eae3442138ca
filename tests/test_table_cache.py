"""The dictionaries' file cache (pipelines/table_cache.py): the same tables as a build, read
from a real file; a changed input, a damaged file or a folder that cannot be written means a
build, never an error."""

from __future__ import annotations

from pipelines import enrich
from pipelines.table_cache import cache_dir, cached

TABLE = {"区委": "n", "书记": ("n", 7.5)}


def never_built():
    raise AssertionError("built although the cache holds the table")


def test_a_table_built_once_is_read_back_from_its_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cached("words", lambda: [b"input"], lambda: TABLE) == TABLE
    [file] = (tmp_path / "govnews").glob("words-*.marshal")
    assert cache_dir() == file.parent
    assert cached("words", lambda: [b"input"], never_built) == TABLE


def test_other_inputs_build_the_table_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached("words", lambda: [b"input"], lambda: TABLE)
    assert cached("words", lambda: [b"changed input"], lambda: {"new": "t"}) == {"new": "t"}
    assert cached("words", lambda: [b"changed input"], never_built) == {"new": "t"}


def test_only_the_newest_files_of_a_table_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for version in range(5):
        cached("words", lambda v=version: [str(v).encode()], lambda v=version: {"v": v})
    assert len(list((tmp_path / "govnews").glob("words-*.marshal"))) == 3
    assert cached("words", lambda: [b"4"], never_built) == {"v": 4}


def test_a_damaged_file_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached("words", lambda: [b"input"], lambda: TABLE)
    [file] = (tmp_path / "govnews").glob("words-*.marshal")
    for damage in (file.read_bytes()[:-5], file.read_bytes()[:10], b"", b"\x00" * 40 + file.read_bytes()[40:]):
        file.write_bytes(damage)
        assert cached("words", lambda: [b"input"], lambda: {"rebuilt": "yes"}) == {"rebuilt": "yes"}
        assert cached("words", lambda: [b"input"], never_built) == {"rebuilt": "yes"}  # and written whole


def test_a_folder_that_cannot_be_written_builds_every_time(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    builds = []
    for _ in range(2):
        assert cached("words", lambda: [b"input"], lambda: builds.append(1) or TABLE) == TABLE
    assert len(builds) == 2


def test_the_jieba_tables_from_the_cache_are_those_of_a_build(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = (enrich._build_word_tags(), enrich._build_idf())
    assert len(built[0]) > 300_000 and len(built[1][0]) > 200_000
    assert cached("jieba-tables", enrich._jieba_table_inputs, lambda: built) is built  # built, and written
    tables = cached("jieba-tables", enrich._jieba_table_inputs, never_built)  # read from the file
    assert tables == built
    assert list(tables[0]) == list(built[0]) and list(tables[1][0]) == list(built[1][0])  # in the same order
    assert list((tmp_path / "govnews").glob("jieba-tables-*.marshal"))
