"""Each site's health, read from the archive: `govnews health`, and the check at the end of a crawl.

A site is judged by its latest completed crawl against its own earlier crawls (at most
`HealthConfig.history_runs` of them), so what is normal for one site (a quiet week with no new
article, a few timeouts every run) is no alarm, and what breaks it is:

- **links**: the list pages gave no article link where earlier crawls found some (a redesign, a
  maintenance notice served with 200) — `failing`;
- **robots**: robots.txt disallows list pages it did not before — `failing`;
- **stopped early**: the crawl ended with another reason than `finished` (`challenge_refused` …);
- **extraction**: the share of new records with a weak warning (crawler/record.py
  WEAK_WARNINGS) well above the site's history, or a field its new records always had now
  missing — `warning`;
- **failures**: the share of fetches that failed well above the site's history — `warning`,
  `failing` when every fetch failed;
- **stale**: not crawled within `stale_factor` × its interval — `warning`.

Everything here is plain SQL over `crawl_runs`, `versions` and `failures` and plain functions
over what it reads (the time and each site's interval are passed in); no Scrapy.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from crawler.common import parse_time
from crawler.failure_kinds import FETCH_KINDS, failure_kind
from crawler.record import WEAK_WARNINGS

OK, WARNING, FAILING = "ok", "warning", "failing"
SEVERITY = {OK: 0, WARNING: 1, FAILING: 2}
# Runs that did not crawl the site to the end tell nothing about it (crawler/schedule.py has the same).
INCOMPLETE_STATUSES = frozenset({"running", "shutdown", "interrupted"})
# Fields of `versions` a site's new records are expected to keep giving, with their names in a reason.
CHECKED_FIELDS = {
    "title": "the title",
    "published_at": "the publication date (a date only in the URL does not count)",
    "source": "the source (来源)",
}


@dataclass(frozen=True)
class HealthConfig:
    """The thresholds: the Scrapy settings GOVNEWS_HEALTH_*, whose one default each is in
    crawler/settings.py (`crawler.health.health_config` reads them)."""

    history_runs: int  # earlier completed runs a run is compared with
    min_new: int  # new articles a run (and its history) needs before its share of weak records counts
    weak_rise: float  # extraction degraded: the weak share this much above the history's
    field_usual: float  # a field "always given": in at least this share of the history's new records
    failure_rise: float  # failure rate up: the failed share of fetches this much above the history's
    min_failures: int  # failed fetches a run needs before its failure rate counts
    stale_factor: float  # not crawled within this many times the site's interval


@dataclass
class RunFacts:
    """What one completed crawl of a site says about it."""

    id: int
    started_at: str
    status: str
    detail: str | None
    pages_fetched: int
    list_pages: int
    list_links: int | None  # None: written before the archive counted them
    new_articles: int | None
    weak_records: int | None
    warnings: dict[str, int]
    given: dict[str, int]  # field → new records (first versions) that have it
    first_versions: int = 0  # new records, as the versions table counts them
    failures: Counter = field(default_factory=Counter)  # kind → count
    attempts: int = 0  # fetches asked for (captures, and failures that left none)
    robots_lists: list[str] = field(default_factory=list)  # list pages robots.txt disallowed
    health: str | None = None  # as stored by the crawl's own check

    @property
    def fetch_failures(self) -> int:
        return sum(n for kind, n in self.failures.items() if kind in FETCH_KINDS)

    @property
    def weak_share(self) -> float | None:
        return self.weak_records / self.new_articles if self.new_articles and self.weak_records is not None else None


@dataclass
class SiteHealth:
    site: str
    status: str
    reasons: list[str]
    last_crawl: str | None  # when the site's latest crawl started
    last_run_status: str | None
    since: str | None  # start of the first crawl of the current streak of this status
    articles_new: int  # new articles of the latest completed crawl
    articles_known: int  # the site's pages in the archive
    failures: dict[str, int]  # the latest completed crawl's failures, by kind
    weak_share: float | None  # of the latest completed crawl's new records
    weak_share_before: float | None  # of the earlier crawls' new records
    trend: list[dict]  # the compared crawls, oldest first

    def to_dict(self) -> dict:
        return asdict(self)


# --- reading the archive ---------------------------------------------------------------------


def load_runs(db, site: str, limit: int) -> list[RunFacts]:
    """The site's latest `limit` completed runs, oldest first, with their failures and fields."""
    rows = list(
        db.execute(
            f"select {_run_columns(db)} from crawl_runs where site = ? and finished_at is not null "
            "and status not in ('running', 'shutdown', 'interrupted') order by id desc limit ?",
            [site, limit],
        ).fetchall()
    )
    runs = {
        row[0]: RunFacts(
            id=row[0],
            started_at=row[1],
            status=row[2],
            detail=row[3],
            pages_fetched=row[4] or 0,
            list_pages=row[5] or 0,
            list_links=row[6],
            new_articles=row[7],
            weak_records=row[8],
            warnings=json.loads(row[9] or "{}"),
            given={},
            attempts=row[4] or 0,
            health=row[10],
        )
        for row in rows
    }
    if not runs:
        return []
    marks = ", ".join("?" for _ in runs)
    for run_id, stage, error, snapshot_id, url in db.execute(
        f"select crawl_run_id, stage, error, snapshot_id, url from failures where crawl_run_id in ({marks})",
        list(runs),
    ):
        run, kind = runs[run_id], failure_kind(stage or "", error or "")
        run.failures[kind] += 1
        if snapshot_id is None and kind != "link":
            run.attempts += 1
        if kind == "robots" and stage == "list":
            run.robots_lists.append(url)
    counted = ", ".join(f"count(nullif({name}, ''))" for name in CHECKED_FIELDS)
    for run_id, first_versions, *given in db.execute(
        f"select crawl_run_id, count(*), {counted} from versions where crawl_run_id in ({marks}) and version = 1 "
        "group by crawl_run_id",
        list(runs),
    ):
        run = runs[run_id]
        run.given = dict(zip(CHECKED_FIELDS, given))
        # A date read from the URL alone (warning date_from_url) is not one the page gave.
        run.given["published_at"] = max(0, run.given["published_at"] - run.warnings.get("date_from_url", 0))
        run.first_versions = first_versions
    return sorted(runs.values(), key=lambda run: run.id)


RUN_COLUMNS = (
    "id", "started_at", "status", "detail", "pages_fetched", "list_pages", "list_links",
    "new_articles", "weak_records", "warnings", "health",
)  # fmt: skip


def _run_columns(db) -> str:
    """The crawl_runs columns health reads; null for those an older archive, read as it is, lacks."""
    present = {row[1] for row in db.execute("pragma table_info(crawl_runs)")}
    return ", ".join(name if name in present else f"null as {name}" for name in RUN_COLUMNS)


def archived_sites(db) -> list[str]:
    return [row[0] for row in db.execute("select distinct site from crawl_runs where site is not null order by site")]


# --- judging ---------------------------------------------------------------------------------


def judge(latest: RunFacts, history: list[RunFacts], config: HealthConfig) -> tuple[str, list[str]]:
    """The status of a site whose latest completed crawl is `latest`, and why, against the
    crawls before it (`history`, oldest first)."""
    found: list[tuple[str, str]] = []
    for check in (_stopped_early, _robots, _links, _weak_records, _missing_fields, _failure_rate):
        found.extend(check(latest, history, config))
    status = max((severity for severity, _ in found), key=SEVERITY.__getitem__, default=OK)
    return status, [reason for _, reason in found]


def _stopped_early(latest: RunFacts, history, config) -> list[tuple[str, str]]:
    if latest.status == "finished":
        return []
    severity = FAILING if latest.status == "challenge_refused" else WARNING
    detail = f": {latest.detail}" if latest.detail else ""
    return [
        (severity, f"The last crawl stopped early ({latest.status}{detail}), so the site was not crawled to the end.")
    ]


def _robots(latest: RunFacts, history: list[RunFacts], config) -> list[tuple[str, str]]:
    """List pages robots.txt refused: failing for as long as it refuses them (a site blocked for
    months is still not archived); "now" when it began with this crawl, "still" after."""
    refused = sorted(set(latest.robots_lists))
    if not refused:
        return []
    before = set().union(*(run.robots_lists for run in history)) if history else set()
    when = "still" if before >= set(refused) else "now"
    urls = ", ".join(refused[:3]) + (", …" if len(refused) > 3 else "")
    return [
        (
            FAILING,
            f"robots.txt {when} disallows {len(refused)} of the site's list pages ({urls}): "
            "govnews obeys it, so their articles are no longer crawled.",
        )
    ]


def _links(latest: RunFacts, history: list[RunFacts], config) -> list[tuple[str, str]]:
    earlier = [run.list_links for run in history if run.list_links]
    if latest.list_links is None or latest.list_links > 0 or not earlier:
        return []
    average = sum(earlier) / len(earlier)
    if latest.list_pages == 0:
        if latest.robots_lists:
            return []  # the robots reason says why
        what = "No list page could be read in the last crawl, so it found no article links"
    else:
        pages = f"{latest.list_pages} list page{'s' if latest.list_pages != 1 else ''}"
        what = f"The list pages yielded no article links in the last crawl ({pages} read)"
    return [
        (
            FAILING,
            f"{what}, where earlier crawls found {average:.0f} on average: the list page changed its "
            "template or shows a notice (maintenance, a moved column) instead of its articles.",
        )
    ]


def _recent(latest: RunFacts, history: list[RunFacts], min_new: int, count) -> tuple[list[RunFacts], list[RunFacts]]:
    """The latest crawl, with as many crawls before it as make `min_new` new articles (`count`
    of a run), and the crawls before those: a quiet crawl neither hides nor clears a template
    change, which shows in the articles the site last published."""
    runs = [*history, latest]
    cut = len(runs) - 1
    while cut > 0 and sum(count(run) for run in runs[cut:]) < min_new:
        cut -= 1
    return runs[cut:], runs[:cut]


def _crawls(recent: list[RunFacts]) -> str:
    return "" if len(recent) == 1 else f" of the last {len(recent)} crawls"


def _weak_records(latest: RunFacts, history: list[RunFacts], config: HealthConfig) -> list[tuple[str, str]]:
    if latest.weak_records is None:
        return []
    counted = [run for run in history if run.weak_records is not None]
    recent, earlier = _recent(latest, counted, config.min_new, lambda run: run.new_articles or 0)
    new, weak = sum(run.new_articles or 0 for run in recent), sum(run.weak_records or 0 for run in recent)
    new_before = sum(run.new_articles or 0 for run in earlier)
    if new < config.min_new or new_before < config.min_new:
        return []
    share, before = weak / new, sum(run.weak_records or 0 for run in earlier) / new_before
    if share < before + config.weak_rise:
        return []
    warnings: Counter = Counter()
    for run in recent:
        warnings.update(run.warnings)
    kinds = ", ".join(f"{name} {warnings[name]}" for name in WEAK_WARNINGS if warnings.get(name))
    return [
        (
            WARNING,
            f"Extraction degraded: {weak} of the {new} new articles{_crawls(recent)} ({share:.0%}) have weak "
            f"records ({kinds}), against {before:.0%} in earlier crawls: the article template probably changed.",
        )
    ]


def _missing_fields(latest: RunFacts, history: list[RunFacts], config: HealthConfig) -> list[tuple[str, str]]:
    recent, earlier = _recent(latest, history, config.min_new, lambda run: run.first_versions)
    new, new_before = sum(run.first_versions for run in recent), sum(run.first_versions for run in earlier)
    if new < config.min_new or new_before < config.min_new:
        return []
    reasons = []
    for name, label in CHECKED_FIELDS.items():
        given = sum(run.given.get(name, 0) for run in recent)
        given_before = sum(run.given.get(name, 0) for run in earlier) / new_before
        if given_before >= config.field_usual and given / new < given_before - config.weak_rise:
            reasons.append(
                (
                    WARNING,
                    f"Extraction degraded: {label} is missing from {new - given} of the {new} new articles"
                    f"{_crawls(recent)}, where earlier crawls found it in {given_before:.0%} of theirs.",
                )
            )
    return reasons


def _failure_rate(latest: RunFacts, history: list[RunFacts], config: HealthConfig) -> list[tuple[str, str]]:
    failed, attempts = latest.fetch_failures, max(latest.attempts, 1)
    if failed < config.min_failures:
        return []
    share = failed / attempts
    attempts_before = sum(run.attempts for run in history)
    before = sum(run.fetch_failures for run in history) / attempts_before if attempts_before else 0.0
    if share < before + config.failure_rise:
        return []
    kinds = ", ".join(f"{kind} {n}" for kind, n in latest.failures.most_common() if kind in FETCH_KINDS)
    severity = FAILING if failed >= latest.attempts else WARNING
    return [
        (
            severity,
            f"Failure rate up: {failed} of {latest.attempts} fetches failed in the last crawl ({share:.0%}: {kinds}), "
            f"against {before:.0%} in earlier crawls.",
        )
    ]


def stale_reason(last_started: str | None, interval: timedelta, now: datetime, factor: float) -> str | None:
    """Why a site counts as not crawled in time, or None."""
    if last_started is None:
        return f"Never crawled to the end: its first crawl is due (interval {_duration(interval)})."
    started = parse_time(last_started)
    if started is None:
        return None
    age = now - started
    if age <= interval * factor:
        return None
    return (
        f"Not crawled for {_duration(age)}, more than {factor:g} times its interval of {_duration(interval)}: "
        "check the cron job or timer that runs `govnews crawl --due`."
    )


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    return f"{hours:.1f} hours" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} minutes"


# --- putting it together ---------------------------------------------------------------------


def site_health(
    db,
    site: str,
    config: HealthConfig,
    *,
    interval: timedelta | None = None,
    now: datetime | None = None,
) -> SiteHealth:
    """The site's health now; `interval`: how often it should be crawled (None: not checked)."""
    runs = load_runs(db, site, 2 * config.history_runs + 1)
    last = db.execute(
        "select started_at, status from crawl_runs where site = ? order by id desc limit 1", [site]
    ).fetchone()
    known = db.execute("select count(*) from pages where site = ?", [site]).fetchone()[0]
    verdicts = [judge(run, runs[max(0, i - config.history_runs) : i], config) for i, run in enumerate(runs)]
    status, reasons = verdicts[-1] if verdicts else (OK, [])
    since = _since(runs, verdicts, status)
    if interval is not None:
        last_completed = runs[-1].started_at if runs else None
        stale = stale_reason(last_completed, interval, now or datetime.now(timezone.utc), config.stale_factor)
        if stale:
            if status == OK:  # overdue is the news: since it became overdue
                started = parse_time(last_completed) if last_completed else None
                since = (started + interval * config.stale_factor).isoformat(timespec="seconds") if started else None
            status, reasons = (status if SEVERITY[status] > SEVERITY[WARNING] else WARNING), [*reasons, stale]
    latest = runs[-1] if runs else None
    history = runs[-1 - config.history_runs : -1] if runs else []
    new_before = sum(run.new_articles or 0 for run in history if run.weak_records is not None)
    return SiteHealth(
        site=site,
        status=status,
        reasons=reasons,
        last_crawl=last[0] if last else None,
        last_run_status=last[1] if last else None,
        since=since,
        articles_new=(latest.new_articles or 0) if latest else 0,
        articles_known=known,
        failures=dict(latest.failures) if latest else {},
        weak_share=latest.weak_share if latest else None,
        weak_share_before=(sum(r.weak_records or 0 for r in history if r.weak_records is not None) / new_before)
        if new_before
        else None,
        trend=[
            _trend_row(run, verdict[0])
            for run, verdict in zip(runs[-config.history_runs :], verdicts[-config.history_runs :])
        ],
    )


def judge_finished_run(archive, site: str, run_id: int, config: HealthConfig) -> tuple[SiteHealth, str | None]:
    """The site's health as its just finished run `run_id` leaves it, and the health stored with
    its run before (None: never judged), for the check at the end of a crawl."""
    return site_health(archive.db, site, config), archive.previous_health(site, run_id)


def alert_due(status: str, previous: str | None) -> bool:
    """A change of status is news; a site's first verdict only when it is not ok."""
    return status != (previous or OK)


def _since(runs: list[RunFacts], verdicts: list[tuple[str, list[str]]], status: str) -> str | None:
    """When the current status began: the start of the first crawl of its latest streak."""
    since = None
    for run, (verdict, _) in zip(reversed(runs), reversed(verdicts)):
        if verdict != status:
            break
        since = run.started_at
    return since


def _trend_row(run: RunFacts, status: str) -> dict:
    return {
        "run": run.id,
        "started_at": run.started_at,
        "status": status,
        "new_articles": run.new_articles,
        "weak_records": run.weak_records,
        "list_links": run.list_links,
        "failures": run.fetch_failures,
    }


def archive_health(
    db,
    config: HealthConfig,
    *,
    sites: list[str] | None = None,
    intervals: dict[str, timedelta] | None = None,
    now: datetime | None = None,
) -> list[SiteHealth]:
    """Every site's health (the archive's sites, or `sites`), worst first, then by name."""
    intervals = intervals or {}
    names = sites if sites is not None else archived_sites(db)
    found = [site_health(db, name, config, interval=intervals.get(name), now=now) for name in names]
    return sorted(found, key=lambda h: (-SEVERITY[h.status], h.site))


def format_table(healths: list[SiteHealth]) -> str:
    """The people's view: one line a site, then its reasons indented."""
    lines = [f"{'site':<16} {'status':<8} {'last crawl':<20} {'new':>5} {'known':>6} {'weak':>5}  failures / trend"]
    for h in healths:
        weak = f"{h.weak_share:.0%}" if h.weak_share is not None else "-"
        failures = ", ".join(f"{kind} {n}" for kind, n in sorted(h.failures.items())) or "none"
        trend = " ".join(str(row["new_articles"] if row["new_articles"] is not None else "?") for row in h.trend)
        lines.append(
            f"{h.site:<16} {h.status:<8} {(h.last_crawl or 'never')[:19]:<20} {h.articles_new:>5} "
            f"{h.articles_known:>6} {weak:>5}  failures: {failures}; new per crawl: {trend or '-'}"
        )
        if h.status != OK and h.since:
            lines.append(f"    {h.status} since {h.since[:19]}")
        lines.extend(f"    - {reason}" for reason in h.reasons)
    return "\n".join(lines)
