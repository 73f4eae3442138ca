"""Extraction speed: govnews against bare trafilatura on the same pages, in the same run.

    .venv/bin/python benchmarks/extraction.py [--rounds 5] [--corpus-only]

Pages: the labeled corpus (tests/fixtures/corpus: the five seed pages and 30 pages of six
government CMS families) plus the public cwced pages (../shared/benchmarks/cwced) when present;
``--corpus-only`` times the labeled corpus alone.  Prints pages per second for bare `trafilatura.extract`, for govnews' `extract`
and for the whole extract+normalize+enrich path, and their time ratios against trafilatura
(target: ≤ 1.1, issue 17).  Each timing is the best of --rounds interleaved rounds, after a warm-up
that also loads the dictionaries (they load once per process); caches are emptied before
every pass.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import trafilatura
from trafilatura.meta import reset_caches
from w3lib.encoding import html_to_unicode

from pipelines.enrich import enrich
from pipelines.errors import ExtractionError
from pipelines.extract import extract
from pipelines.normalize import normalize

REPO = Path(__file__).resolve().parents[1]
CWCED = REPO.parent / "shared" / "benchmarks" / "cwced" / "pages"


CORPUS = REPO / "tests" / "fixtures" / "corpus"


def load_pages(corpus_only: bool = False) -> list[tuple[str, bytes]]:
    pages = []
    for line in (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        pages.append((gold["url"], (CORPUS / gold["file"]).read_bytes()))
    if not corpus_only and CWCED.is_dir():
        pages += [(f"http://bench.example.cn/{f.stem}.html", f.read_bytes()) for f in sorted(CWCED.glob("*.html"))]
    return pages


def bare_trafilatura(url: str, body: bytes) -> None:
    # trafilatura gets the decoded text, as govnews decodes once too.
    _, text = html_to_unicode(None, body)
    trafilatura.extract(text, url=url, with_metadata=True)


def govnews_extract(url: str, body: bytes) -> None:
    try:
        extract(body, url)
    except ExtractionError:
        pass


def govnews_full(url: str, body: bytes) -> None:
    try:
        enrich(normalize(extract(body, url)))
    except ExtractionError:
        pass


def forget_pages() -> None:
    """Empty the caches so that no round, of either side, profits from having seen the pages before."""
    from pipelines import enrich as enrich_module
    from pipelines import extract as extract_module

    extract_module._probe.cache_clear()
    extract_module._squash.cache_clear()
    enrich_module._token_hash.cache_clear()  # and the memos of words (hashes, guessed tags)
    enrich_module._TOKEN_BYTES.clear()
    enrich_module._GUESSED_TAGS.clear()
    reset_caches()  # trafilatura's and htmldate's, likewise


def one_pass(func, pages) -> float:
    forget_pages()
    start = time.perf_counter()
    for url, body in pages:
        func(url, body)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus-only", action="store_true", help="time the labeled corpus alone")
    args = parser.parse_args()
    pages = load_pages(args.corpus_only)
    contenders = [
        ("bare trafilatura.extract", bare_trafilatura),
        ("govnews extract", govnews_extract),
        ("govnews extract+normalize+enrich", govnews_full),
    ]
    for _, func in contenders:  # warm-up: imports, dictionaries (loaded once per process)
        for url, body in pages[:5]:
            func(url, body)
    # Rounds interleave the contenders, so that a slow spell of the machine hits all of them.
    best = {name: float("inf") for name, _ in contenders}
    for _ in range(args.rounds):
        for name, func in contenders:
            best[name] = min(best[name], one_pass(func, pages))
    baseline = best["bare trafilatura.extract"]
    print(f"{len(pages)} pages, best of {args.rounds} interleaved rounds")
    for name, _ in contenders:
        ratio = "1.00 (baseline)" if name.startswith("bare") else f"{best[name] / baseline:.2f} (target ≤ 1.10)"
        print(f"{name:<34} {len(pages) / best[name]:8.1f} pages/s   ratio {ratio}")


if __name__ == "__main__":
    main()
