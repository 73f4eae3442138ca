"""Chinese word segmentation: jieba's dictionary and HMM (through jieba-rs) with the project's
government-term dictionary. Enrichment, the search index, search queries, diffs and the Datasette
plugin all cut text here, so a query is cut exactly as the index was."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
from functools import lru_cache
from pathlib import Path

DATA = importlib.resources.files("pipelines") / "data"


def jieba_dir() -> Path:
    """jieba's package folder, for its data files, found without importing jieba: its import
    pulls in setuptools' deprecated pkg_resources, which warns on every process's stderr."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jieba is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def segmenter():
    """jieba-rs (rjieba): jieba's dictionary and HMM, twenty times faster than jieba in Python."""
    import rjieba

    segmenter = rjieba.Jieba()
    for line in (DATA / "gov_terms.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not line.startswith("#"):
            segmenter.add_word(
                parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None
            )
    return segmenter


def segment(text: str) -> list[str]:
    """The words of `text`, as jieba cuts them with the government-term dictionary."""
    return segmenter().cut(text, hmm=True) if text else []


def segment_for_index(text: str) -> list[str]:
    """The words of `text` and the shorter words inside them (区委书记 → 区委, 书记, 区委书记), so
    that a search for 书记 finds a text that says 区委书记."""
    return segmenter().cut_for_search(text, hmm=True) if text else []


@lru_cache(maxsize=64)  # a changed page is removed from the index with the words it was added with
def index_terms(text: str | None) -> str:
    """A text's words as the search index holds them (archive/search.py), space-separated.
    Punctuation tokens need no filtering: FTS5's unicode61 tokenizer drops them itself."""
    return " ".join(segment_for_index(text or ""))


def page_terms(title: str | None, text: str | None) -> tuple[str, str]:
    """What the archive's `add_page` indexes for a page: its title's and text's words. A crawl
    computes them in its stage workers (here, without the archive's SQLite modules) and hands
    them to the archive with the record."""
    return index_terms(title), index_terms(text)


def segmenter_fingerprint() -> str:
    """Changes whenever segmentation may: the segmenter's version and the project dictionary."""
    digest = hashlib.sha256((DATA / "gov_terms.txt").read_bytes()).hexdigest()[:16]  # also inside a zipped egg
    return f"rjieba-{importlib.metadata.version('rjieba')}-{digest}"
