"""Progress of a crawl: `site X: D of ~K articles, R/min, ETA …` in the log every
GOVNEWS_PROGRESS_INTERVAL seconds, with the counts of a real crawl; `govnews crawl` redraws one
line on a terminal and writes plain lines elsewhere."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import time

import pytest
import sqlite_utils
from conftest import BIN, REPO, scrapy_crawl

from crawler.progress import Display, Snapshot, format_eta
from tests.support.cms import CmsServer, build_trs_site

ARTICLES = 40  # 44 requests: 4 s and more, at one request a time of 0.1 s each (several progress lines)
LINE = re.compile(r"site (\S+): (\d+) of ~(\d+) articles, (\d+)/min(?:, ETA ([^,\n]+))?(?:, (\d+) known skipped)?")


class SlowServer(CmsServer):
    """0.1 s an answer: the crawl takes several seconds, so several progress lines come."""

    def _hit(self, target: str) -> None:
        time.sleep(0.1)
        super()._hit(target)


@pytest.fixture(scope="module")
def slow_site(tmp_path_factory):
    spec = build_trs_site(tmp_path_factory.mktemp("progress"), ARTICLES, per_page=10)
    with SlowServer(spec) as server:
        yield server


def lines(output: str) -> list[tuple]:
    return [m.groups() for m in LINE.finditer(output)]


def test_snapshot_line_rate_and_eta():
    snapshot = Snapshot("weidu", done=120, known=450, skipped=0, elapsed=120 * 60 / 38)
    assert snapshot.line() == "site weidu: 120 of ~450 articles, 38/min, ETA 9 min"
    assert Snapshot("a", 0, 10, 0, 5.0).line() == "site a: 0 of ~10 articles, 0/min, ETA ?"
    done = Snapshot("a", 10, 10, 30, 60.0, finished=True)
    assert done.line() == "site a: 10 of ~10 articles, 10/min, 30 known skipped"
    assert [format_eta(s) for s in (None, 20, 540, 4800)] == ["?", "<1 min", "9 min", "1 h 20 min"]


def test_display_redraws_on_a_terminal_and_writes_plain_lines_elsewhere(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the terminal's width: a longer line is cut
    tick = Snapshot("a", 1, 10, 0, 6.0)
    logged = Snapshot("a", 5, 10, 0, 30.0, logged=True)
    other = Snapshot("b", 2, 4, 0, 6.0)
    plain = io.StringIO()
    display = Display(plain, tty=False)
    for s in (tick, logged, other):
        display.update(s)
    display.close()
    assert plain.getvalue() == "site a: 5 of ~10 articles, 10/min, ETA <1 min\n"
    terminal = io.StringIO()
    display = Display(terminal, tty=True)
    for s in (tick, other):
        display.update(s)
    display.close()
    assert terminal.getvalue().split("\r\x1b[K") == [
        "",
        "a: 1 of ~10 articles, 10/min, ETA 1 min",
        "a: 1 of ~10 articles, 10/min, ETA 1 min | b: 2 of ~4 articles, 20/min, ETA <1 min\n",
    ]


@pytest.mark.e2e
def test_the_log_has_progress_lines_with_the_crawls_counts(slow_site, tmp_path):
    db = tmp_path / "archive.db"
    # One request at a time, 0.1 s each: articles are done while others are still fetched.
    one = ("-s", "CONCURRENT_REQUESTS=1", "-s", "GOVNEWS_PROGRESS_INTERVAL=1")
    output = scrapy_crawl("-a", f"url={slow_site.list_url}", *one, db=db)
    site = next(sqlite_utils.Database(db).query("select site from crawl_runs"))["site"]
    found = lines(output)
    assert len(found) >= 3, output[-3000:]
    assert {f[0] for f in found} == {site}
    done = [int(f[1]) for f in found]
    known = [int(f[2]) for f in found]
    assert done == sorted(done) and known == sorted(known)  # both only grow
    assert all(d <= k <= ARTICLES for d, k in zip(done, known))
    # The last line, at the close: every article known and done, no ETA, the finish reason.
    last = LINE.search(output.split("Closing spider")[1])
    assert last and last.group(2) == last.group(3) == str(ARTICLES) and last.group(5) is None
    assert f"of ~{ARTICLES} articles" in output and "(finished)" in output
    # Mid-crawl lines: some articles done, some left, with a rate and an ETA.
    assert any(0 < int(f[1]) < ARTICLES and int(f[3]) > 0 and f[4] not in (None, "?") for f in found[:-1])

    # A re-crawl: the articles archived are skipped, and said so.
    again = scrapy_crawl("-a", f"url={slow_site.list_url}", "-s", "GOVNEWS_PROGRESS_INTERVAL=1", db=db)
    final = lines(again.split("Closing spider")[1])[0]
    assert final[1] == final[2] == "0" and int(final[5]) > 0


@pytest.mark.e2e
def test_govnews_crawl_redraws_a_progress_line_on_a_terminal(slow_site, tmp_path):
    db = tmp_path / "archive.db"
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(BIN / "govnews"), "crawl", "--db", str(db), "--url", slow_site.list_url, "--log-level", "WARNING"],
        cwd=REPO,
        env=os.environ,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
    )
    os.close(secondary)
    data = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        try:
            chunk = os.read(primary, 4096) if ready else b""
        except OSError:  # the crawl closed the terminal
            chunk = b""
        if not chunk:
            break
        data += chunk
    os.close(primary)
    assert process.wait(timeout=60) == 0
    text = data.decode()
    draws = text.split("\r\x1b[K")[1:]
    assert len(draws) >= 3, text  # one line, drawn again every second
    counts = [(int(m.group(1)), int(m.group(2))) for m in (re.search(r": (\d+) of ~(\d+)", d) for d in draws) if m]
    assert counts == sorted(counts) and counts[-1] == (ARTICLES, ARTICLES)
    assert all("\n" not in d for d in draws[:-1])  # redrawn in place, not a line each
    assert f"{ARTICLES} new versions, 0 failures (finished)" in text


@pytest.mark.e2e
def test_govnews_crawl_writes_plain_lines_when_not_on_a_terminal(slow_site, tmp_path):
    db = tmp_path / "archive.db"
    result = subprocess.run(
        [str(BIN / "govnews"), "crawl", "--db", str(db), "--url", slow_site.list_url, "--log-level", "WARNING"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\r" not in result.stdout and "\x1b" not in result.stdout
    first = result.stdout.splitlines()[0]
    assert LINE.fullmatch(first) and f": {ARTICLES} of ~{ARTICLES} articles" in first
