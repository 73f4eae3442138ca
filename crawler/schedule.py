"""Which sites are due for a crawl: intervals, and the archive's `crawl_runs` history.

A site config may say how often its site is crawled (`interval: 6h`; default 1d). A cron job
or systemd timer runs `govnews crawl --due` every few minutes; this module decides what that
run crawls.  A site is **due** when

- it has never been crawled to the end, or
- its last completed crawl (a run with a `finished_at` whose status is not `interrupted`, a
  crawl stopped by a signal or whose process died, nor `shutdown`) *started* more than
  `interval` ago,

and no crawl of it is still running.  A `crawl_runs` row still marked `running` counts as a
running crawl only while it is plausible: its process (`pid`, on this machine) is alive and
began before the run did (a pid reused by a later process does not count), and the run is younger than
twice the interval (at least STALE_FLOOR): a killed, crashed or hung crawl never blocks a
site for good.  Rows without a pid (written by older versions) have only the age limit.

The decision functions are pure: the history, the time and the process check are passed in.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawler.common import parse_time, pid_alive

DEFAULT_INTERVAL = "1d"
# A run still marked `running` stops blocking its site after 2 × interval, and never sooner
# than this: a 30-minute site's crawl may well take an hour.
STALE_FLOOR = timedelta(hours=6)
# Statuses of ended runs that did not crawl the site to the end ("interrupted": stopped by
# SIGINT/SIGTERM, or a run whose process died, closed by a later crawl; Scrapy's "shutdown": a
# crawl stopped without a signal, and signal-stopped runs of releases before 0.4).
INCOMPLETE_STATUSES = frozenset({"running", "shutdown", "interrupted"})

UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
INTERVAL_RE = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class IntervalError(ValueError):
    """An interval that cannot be read."""


def parse_interval(text) -> timedelta:
    """`30m`, `6h`, `1d`, `2d12h`, `1w` (units w, d, h, m, s, largest first) as a timedelta."""
    if not isinstance(text, str):
        raise IntervalError(f"interval must be a string with units, such as 30m, 6h, 1d or 2d12h, got {text!r}")
    compact = text.strip().lower().replace(" ", "")
    match = INTERVAL_RE.fullmatch(compact)
    if not compact or not match or not any(match.groups()):
        raise IntervalError(
            f"cannot read interval {text!r}: write numbers with units, largest first, "
            "such as 30m, 6h, 1d or 2d12h (units: w d h m s)"
        )
    total = sum((int(n) * unit for n, unit in zip(match.groups(), UNITS.values()) if n), timedelta())
    if total <= timedelta(0):
        raise IntervalError(f"interval {text!r} is zero: give a positive interval such as 30m or 1d")
    return total


def format_interval(delta: timedelta) -> str:
    """The shortest spelling parse_interval reads back: 2d12h, 30m, 1w."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, int(size.total_seconds()))
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class Decision:
    """Whether one site is due, and why (what `govnews crawl --due --dry-run` prints)."""

    site: str
    due: bool
    reason: str
    interval: timedelta
    last_started: datetime | None = None  # start of the last completed crawl
    next_due: datetime | None = None  # when it will be due (None: due now, or while a crawl runs)


def due_sites(
    configs: Iterable,
    runs: Iterable[dict],
    *,
    now: datetime | None = None,
    alive: Callable[[int | None, datetime | None], bool] = pid_alive,
) -> list[Decision]:
    """One Decision per site config (objects with `name` and `interval`), in their order.

    `runs` are crawl_runs rows (dicts with site, started_at, finished_at, status, pid): the whole
    table or only the rows that matter (see `load_runs`); rows of other sites are ignored.
    """
    now = now or datetime.now(timezone.utc)
    by_site: dict[str, list[dict]] = {}
    for row in runs:
        by_site.setdefault(row.get("site"), []).append(row)
    return [
        decide(
            config.name,
            parse_interval(getattr(config, "interval", None) or DEFAULT_INTERVAL),
            by_site.get(config.name, []),
            now=now,
            alive=alive,
        )
        for config in configs
    ]


def decide(
    site: str,
    interval: timedelta,
    runs: list[dict],
    *,
    now: datetime,
    alive: Callable[[int | None, datetime | None], bool] = pid_alive,
) -> Decision:
    """Whether `site`, crawled every `interval`, is due at `now`, given its crawl_runs rows."""
    every = format_interval(interval)
    stale_after = max(2 * interval, STALE_FLOOR)
    for row in sorted(runs, key=lambda r: parse_time(r.get("started_at")) or now, reverse=True):
        if row.get("status") != "running" or row.get("finished_at"):
            continue
        started = parse_time(row.get("started_at"))
        if started is None or now - started > stale_after:
            continue  # too old to be running: hung or killed long ago
        pid = row.get("pid")
        if pid is not None and not alive(pid, started):
            continue  # its process is gone
        what = f"pid {pid}" if pid is not None else "no pid recorded"
        return Decision(
            site,
            False,
            f"a crawl is still running (run {row.get('id', '?')}, started "
            f"{_ago(now - started)} ago, {what}; every {every})",
            interval,
        )

    completed = [
        (started, row)
        for row in runs
        if row.get("finished_at")
        and row.get("status") not in INCOMPLETE_STATUSES
        and (started := parse_time(row.get("started_at"))) is not None
    ]
    if not completed:
        return Decision(site, True, f"never crawled to the end (every {every})", interval)
    last, row = max(completed, key=lambda pair: pair[0])
    age = now - last
    next_due = last + interval
    if age >= interval:
        return Decision(
            site,
            True,
            f"last crawl started {_ago(age)} ago ({row.get('status')}), interval {every}",
            interval,
            last,
            None,
        )
    return Decision(
        site,
        False,
        f"last crawl started {_ago(age)} ago ({row.get('status')}); "
        f"due in {_ago(next_due - now, up=True)} (every {every})",
        interval,
        last,
        next_due,
    )


def _ago(delta: timedelta, up: bool = False) -> str:
    """A duration in whole minutes (seconds under a minute), rounded down, or up with `up`."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 60:
        return f"{int(-(-seconds // 1) if up else seconds)}s"
    minutes = -(-seconds // 60) if up else seconds // 60
    return format_interval(timedelta(minutes=minutes))


def load_runs(db_path: str | Path) -> list[dict]:
    """The crawl_runs rows the decision needs, read without creating or upgrading the archive:
    each site's latest completed run, and every run still marked running; [] for a new archive."""
    path = Path(db_path)
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        columns = {row["name"] for row in conn.execute("pragma table_info(crawl_runs)")}
        if not columns:
            return []
        pid = "r.pid" if "pid" in columns else "null as pid"
        incomplete = ", ".join(f"'{status}'" for status in sorted(INCOMPLETE_STATUSES))
        ended = f"finished_at is not null and status not in ({incomplete})"
        rows = conn.execute(
            f"select r.id, r.site, r.started_at, r.finished_at, r.status, {pid} from crawl_runs r "
            f"where r.status = 'running' and r.finished_at is null "
            f"union all "
            f"select r.id, r.site, r.started_at, r.finished_at, r.status, {pid} from crawl_runs r "
            f"join (select site, max(started_at) as started_at from crawl_runs where {ended} group by site) last "
            f"on last.site = r.site and last.started_at = r.started_at "
            f"where r.finished_at is not null and r.status not in ({incomplete})"
        ).fetchall()
        return [dict(row) for row in rows]
    finally:
        conn.close()


def due_plan(configs: list, db_path: str | Path, *, now: datetime | None = None) -> tuple[list[str], list[str]]:
    """What `govnews crawl --due` says and crawls: (lines telling each site's decision, the names
    of the due sites). Raises sqlite3.DatabaseError when the archive's history cannot be read."""
    now = now or datetime.now(timezone.utc)
    decisions = due_sites(configs, load_runs(db_path), now=now)
    lines = [f"{now:%Y-%m-%d %H:%M:%S} UTC: {len(configs)} sites configured, archive {db_path}"]
    lines += [f"{d.site}: {'due' if d.due else 'not due'}: {d.reason}" for d in decisions]
    names = [d.site for d in decisions if d.due]
    if not names:
        soonest = min((d for d in decisions if d.next_due), key=lambda d: d.next_due, default=None)
        later = f"; next: {soonest.site} at {soonest.next_due:%Y-%m-%d %H:%M} UTC" if soonest else ""
        lines.append(f"nothing is due ({len(decisions)} sites){later}")
    return lines, names
