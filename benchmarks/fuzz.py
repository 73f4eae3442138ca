"""Hostile input, longer: the fuzz test's generator (tests.support.fuzz) over many more inputs.

    .venv/bin/python benchmarks/fuzz.py [--inputs 20000] [--seed 0]

Every input must give a Record or an ExtractionError.  Prints inputs per second, the
exceptions by type (any other than ExtractionError is a bug; the exit status is 1 then),
the slowest input and its time, and the ratio of the mean time per input to bare
`trafilatura.extract` on the unmutated pages, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.support

import trafilatura  # noqa: E402
from w3lib.encoding import html_to_unicode  # noqa: E402

from pipelines.errors import ExtractionError  # noqa: E402
from pipelines.process import process_page  # noqa: E402
from tests.support.fuzz import hostile_inputs, load_pages  # noqa: E402


def bare_trafilatura_mean(pages: list[tuple[str, bytes]], rounds: int = 3) -> float:
    """Mean seconds per page of bare trafilatura on the unmutated pages (best of ``rounds``)."""
    texts = [(url, html_to_unicode(None, body)[1]) for url, body in pages]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for url, text in texts:
            trafilatura.extract(text, url=url, with_metadata=True)
        best = min(best, time.perf_counter() - start)
    return best / len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pages = load_pages()
    for url, body in pages[:5]:  # warm-up: the dictionaries load once per process
        try:
            process_page(body, url)
        except ExtractionError:
            pass
    baseline = bare_trafilatura_mean(pages)

    outcomes: Counter[str] = Counter()
    samples: dict[str, str] = {}
    times: list[float] = []
    slowest = (0.0, "")
    start = time.perf_counter()
    for name, body, url, headers in hostile_inputs(args.seed, args.inputs, pages):
        t0 = time.perf_counter()
        try:
            process_page(body, url, headers=headers)
            outcome = "Record"
        except Exception as exc:  # counted by type: the point of the run
            outcome = type(exc).__name__
            samples.setdefault(outcome, f"{name}: {str(exc)[:120]}")
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        outcomes[outcome] += 1
        if elapsed > slowest[0]:
            slowest = (elapsed, name)
    total = time.perf_counter() - start

    mean = statistics.fmean(times)
    print(
        f"inputs: {args.inputs} (seed {args.seed}) from {len(pages)} pages in {total:.1f} s: {args.inputs / total:.1f} inputs/s"
    )
    for outcome, count in outcomes.most_common():
        print(f"  {outcome}: {count}" + (f"   e.g. {samples[outcome]}" if outcome in samples else ""))
    bugs = sum(c for o, c in outcomes.items() if o not in ("Record", "ExtractionError"))
    print(f"exceptions other than ExtractionError: {bugs}")
    print(f"slowest input: {slowest[0]:.3f} s  {slowest[1]}")
    print(f"mean per input: {mean * 1000:.1f} ms; p99: {sorted(times)[int(len(times) * 0.99)] * 1000:.1f} ms")
    print(f"bare trafilatura.extract on the unmutated pages: {baseline * 1000:.1f} ms/page")
    print(f"ratio, mean per hostile input / bare trafilatura per page: {mean / baseline:.2f}")
    return 1 if bugs else 0


if __name__ == "__main__":
    raise SystemExit(main())
