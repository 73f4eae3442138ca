"""Reading a process's Prometheus metrics in tests: its /metrics page or textfile as samples."""

from __future__ import annotations

import subprocess
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, its labels sorted) → value, of a /metrics answer or a textfile."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            return answer.read().decode("utf-8")
    except OSError:
        return None


def scrape_while(process: subprocess.Popen, port: int, ready) -> dict:
    """Scrape the port every 0.1 s while the process runs, until `ready(samples)` holds; the
    samples that satisfied it (the test fails if the process ends first)."""
    while process.poll() is None:
        text = scrape(port)
        if text is not None and ready(found := samples(text)):
            return found
        time.sleep(0.1)
    raise AssertionError(f"the process ended (status {process.returncode}) before /metrics showed the counts")
