"""The `govnews` command."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import click

from crawler import __version__
from crawler.demo.server import DEMO_PORT_BASE  # the same URLs every run: a second demo run adds no versions

ARCHIVE_DB_ENV = "GOVNEWS_DB"


def db_option(func):
    return click.option(
        "--db",
        "db",
        default="archive.db",
        show_default=True,
        envvar=ARCHIVE_DB_ENV,
        type=click.Path(dir_okay=False),
        help="The archive (SQLite file).",
    )(func)


@click.group()
@click.version_option(__version__, prog_name="govnews")
def cli():
    """Crawl Chinese local-government news into a versioned, searchable archive."""


@cli.command()
@db_option
@click.option("--log-level", default="WARNING", show_default=True, help="Scrapy log level.")
@click.option("--serve", is_flag=True, help="Only serve the demo sites, printing their list URLs, until Ctrl-C.")
@click.option(
    "--port-base",
    type=click.IntRange(1, 65530),
    default=DEMO_PORT_BASE,
    show_default=True,
    help="Site N listens on PORT_BASE + N (the bundled configs in crawler/sites/ name the default ports); "
    "a port in use is an error.",
)
def demo(db, log_level, serve, port_base):
    """Serve the bundled demo sites on 127.0.0.1 and crawl them into DB (--serve: only serve them)."""
    from archive.store import Archive
    from crawler.demo.server import DemoPortError, DemoServer, write_site_configs
    from crawler.run import run_crawls

    _say_if_upgrading(db)
    server = DemoServer(port_base=port_base)
    try:
        server.start()
    except DemoPortError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        click.echo(f"Serving {len(server.sites)} demo sites on 127.0.0.1:")
        for site in server.sites.values():
            click.echo(f"  {site.name:<9} {site.list_url}")
        if serve:
            return _serve_until_stopped(port_base)
        with tempfile.TemporaryDirectory(prefix="govnews-demo-") as configs:
            # The bundled configs name the default ports; other ports get their copies.
            sites_dirs = [] if port_base == DEMO_PORT_BASE else [str(write_site_configs(Path(configs), port_base))]
            runs = run_crawls(
                [{"site": name} for name in server.sites],
                ARCHIVE_DB=db,
                LOG_LEVEL=log_level,
                GOVNEWS_SITES_DIRS=sites_dirs,
            )
    finally:
        server.stop()
    run_ids = [run["crawl_run_id"] for run in runs]
    archive = Archive(db)
    rows = [archive.db["crawl_runs"].get(run_id) for run_id in run_ids if run_id]
    totals = {
        k: sum(r[k] or 0 for r in rows)
        for k in ("pages_fetched", "articles", "new_versions", "failures", "skipped_known")
    }
    click.echo(
        f"\nCrawled {len(rows)} sites: {totals['pages_fetched']} pages fetched, "
        f"{totals['articles']} articles, {totals['new_versions']} new versions, "
        f"{totals['failures']} failures."
    )
    if totals["skipped_known"]:
        click.echo(
            f"{totals['skipped_known']} articles already archived were not fetched again "
            "(incremental crawl: see docs/crawling.md)."
        )
    click.echo(f"Archive: {Path(db).resolve()}")
    click.echo(f"Browse it:  govnews browse --db {db}")
    archive.close()


def _serve_until_stopped(port_base: int) -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM; either is a normal end (exit status 0)."""
    import signal
    import threading

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if port_base == DEMO_PORT_BASE:
        click.echo("Crawl them with `govnews crawl --all` or `scrapy crawl site -a site=NAME` (crawler/sites/).")
    else:
        click.echo(f"Crawl them with `govnews crawl --url LIST_URL` (crawler/sites/ names ports {DEMO_PORT_BASE}+).")
    click.echo("Ctrl-C stops.")
    while not stop.wait(0.5):
        pass
    click.echo("Stopped.")


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--url", "page_url", help="The page's address, when a single file is read.")
def extract(targets, page_url):
    """Print the record of each page (file or URL) as one JSON line."""
    from pipelines.errors import ExtractionError
    from pipelines.process import process_page

    if page_url and len(targets) > 1:
        raise click.UsageError("--url names one page: give a single PATH_OR_URL with it")
    failed = 0
    for target in targets:
        try:
            body, url, headers = _read_target(target)
            record = process_page(body, page_url or url, headers=headers)
        except (OSError, urllib.error.URLError, ValueError, ExtractionError) as exc:
            failed += 1
            click.echo(f"govnews extract: {target}: {exc}", err=True)
            continue
        click.echo(json.dumps(record.to_dict(), ensure_ascii=False))
    if failed:
        sys.exit(1)


def _read_target(target: str) -> tuple[bytes, str, dict]:
    if target.startswith(("http://", "https://")):
        request = urllib.request.Request(target, headers={"User-Agent": f"govnews/{__version__}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read(), response.url, dict(response.headers.items())
    path = Path(target)
    if path.is_dir():
        raise IsADirectoryError("is a directory, not a page")
    return path.read_bytes(), path.resolve().as_uri(), {}


@cli.command(name="eval")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--only",
    "extractors",
    multiple=True,
    type=click.Choice(["govnews", "trafilatura", "gne", "magic-html"]),
    help="Run only these extractors (repeatable; default: all four).",
)
@click.option("--worst", default=5, show_default=True, help="How many of the worst pages to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-page scores as JSON lines instead.")
def eval_(gold_dir, extractors, worst, as_json):
    """Score extraction against GOLD_DIR/gold.jsonl, beside trafilatura, GNE and magic-html."""
    from crawler.evaluate import EXTRACTORS, evaluate, report

    extractors = tuple(extractors) or EXTRACTORS
    try:
        results = evaluate(Path(gold_dir), extractors)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        for r in results:
            click.echo(
                json.dumps(
                    {
                        "file": r.file,
                        "f1": r.f1,
                        "exact": r.exact,
                        "scores": r.scores,
                        "candidates": r.candidates,
                        "chosen": r.chosen,
                        "reason": r.reason,
                    },
                    ensure_ascii=False,
                )
            )
    else:
        click.echo(report(results, extractors, worst))


@cli.command()
@db_option
@click.option("--site", "sites", multiple=True, help="A site config name (repeatable).")
@click.option("--url", "urls", multiple=True, help="A list page to crawl with no config (repeatable).")
@click.option("--all", "all_sites", is_flag=True, help="Every configured site.")
@click.option(
    "--due",
    is_flag=True,
    help="Every configured site whose interval has passed since its last crawl (for cron/systemd timers).",
)
@click.option("--dry-run", is_flag=True, help="With --due: print the due sites and why, crawl nothing.")
@click.option(
    "--sites-dir", "sites_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra folder of site configs."
)
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--queue",
    "queue_url",
    metavar="redis://HOST:PORT/DB",
    help="Queue one job per site for `govnews worker` instead of crawling here (docs/scaling.md).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics while crawling (docs/monitoring.md).",
)
@click.option(
    "--metrics-textfile",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the metrics to this node_exporter textfile (NAME.prom) as each site's crawl ends.",
)
def crawl(db, sites, urls, all_sites, due, dry_run, sites_dirs, log_level, queue_url, metrics_port, metrics_textfile):
    """Crawl sites into the archive (same spider as `scrapy crawl site`).

    With --due, every configured site (its `interval`, default 1d) is checked against the
    archive's crawl_runs: the due ones are crawled together in this process.  With --queue,
    each site becomes a job on that Redis for the workers, carrying what the archive at DB
    knows of the site, and nothing is crawled here."""
    import sqlite3

    from crawler.progress import Display
    from crawler.run import run_crawls
    from crawler.sites import SiteConfigError, check_dirs, find_site, site_for
    from crawler.sites import all_sites as list_sites
    from crawler.stop import exit_status

    if due and (sites or urls or all_sites):
        raise click.UsageError("--due picks the sites itself: give it without --site, --url or --all")
    if dry_run and not due:
        raise click.UsageError("--dry-run goes with --due")
    try:
        check_dirs(sites_dirs)  # a mistyped --sites-dir is an error, not nothing (or the demo) to crawl
        for url in urls:
            site_for(url=url)
        # --due and --all: the sites of the --sites-dir folders; without one, the bundled (demo) configs
        configured = list_sites(sites_dirs, bundled=not sites_dirs) if due or all_sites else []
        if due:
            from crawler.schedule import due_plan

            configs = configured
            if not configs:
                raise click.ClickException("no site configs found: nothing to crawl (give --sites-dir DIR)")
            try:
                lines, names = due_plan(configs, db)
            except sqlite3.DatabaseError as exc:
                raise click.ClickException(f"cannot read the crawl history of {db}: {exc}") from exc
            click.echo("\n".join(lines))
            if not names:
                return
            click.echo(
                f"{'would crawl' if dry_run else 'crawling'} {len(names)} of {len(configs)} sites: {', '.join(names)}"
            )
            if dry_run:
                return
        else:
            names = [s.name for s in configured] if all_sites else list(sites)
        for name in names:
            find_site(name, sites_dirs)  # fail early, with the config's own message
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    jobs = [{"site": name} for name in names] + [{"url": url} for url in urls]
    if not jobs:
        raise click.UsageError("nothing to crawl: give --site NAME, --url URL, --all or --due")
    _say_if_upgrading(db)
    if queue_url:
        return _enqueue(queue_url, db, names, urls, sites_dirs)
    metrics = {"GOVNEWS_METRICS_PORT": metrics_port, "GOVNEWS_METRICS_TEXTFILE": metrics_textfile}
    metrics = {name: value for name, value in metrics.items() if value is not None}
    _start_metrics(_settings(tuple(f"{name}={value}" for name, value in metrics.items())))
    display = Display(sys.stdout)  # a redrawn line on a terminal, plain lines otherwise
    runs = run_crawls(
        jobs,
        progress=display.update,
        ARCHIVE_DB=db,
        LOG_LEVEL=log_level,
        GOVNEWS_SITES_DIRS=list(sites_dirs),
        **metrics,
    )
    display.close()
    for job, run in zip(jobs, runs):
        click.echo(
            f"{job.get('site') or job.get('url')}: {run.get('pages_fetched', 0)} pages, "
            f"{run.get('new_versions', 0)} new versions, {run.get('failures', 0)} failures"
            f" ({run.get('finish_reason')})"
        )
    if status := exit_status():  # stopped by SIGINT/SIGTERM: 130/143, as a shell reports it
        sys.exit(status)


def _enqueue(queue_url, db, names, urls, sites_dirs) -> None:
    from archive.store import Archive
    from crawler.jobs import Job, enqueue_sites
    from crawler.sites import SiteConfig, SiteConfigError, find_site

    try:
        jobs = [Job(name, site=find_site(name, sites_dirs).to_dict()) for name in names]
        jobs += [Job(SiteConfig.from_url(url).name, url=url) for url in urls]
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    client = _queue_client(queue_url)
    archive = Archive(db) if Path(db).exists() else None  # no archive yet: every site is new
    try:
        for job, _, what in enqueue_sites(client, jobs, archive):
            click.echo(f"{job.name}: {what}")
    finally:
        if archive is not None:
            archive.close()


def _queue_client(url: str):
    from crawler.redis_client import QueueError, check, connect

    try:
        check(url)
        client = connect(url)
    except QueueError as exc:
        raise click.ClickException(str(exc)) from exc
    return client


def _settings(pairs: tuple[str, ...]):
    """`-s NAME=VALUE` pairs over the project's settings."""
    from crawler.run import govnews_settings

    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"-s takes NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return govnews_settings(**overrides)


def _health_config(settings):
    """The GOVNEWS_HEALTH_* thresholds; one that is not a number is one line, exit 1."""
    from crawler.health import health_config

    try:
        return health_config(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _metrics_config(settings):
    """The GOVNEWS_METRICS_* settings (crawler/metrics.py); one that cannot work is one line, exit 1."""
    from crawler.metrics import MetricsConfig, MetricsError

    try:
        return MetricsConfig.from_settings(settings)
    except MetricsError as exc:
        raise click.ClickException(str(exc)) from exc


def _start_metrics(settings, registry=None):
    """Serve the metrics now if a port is set (the process's own registry, or `registry`), and
    check the textfile's folder; a setting that cannot work is one line, exit 1."""
    from crawler.metrics import MetricsError, prepare, process_families

    config = _metrics_config(settings)
    try:
        prepare(config, registry or process_families(config.max_sites).registry)
    except MetricsError as exc:
        raise click.ClickException(str(exc)) from exc
    if config.port:
        click.echo(f"metrics: http://{config.address}:{config.port}/metrics", err=True)
    return config


def queue_option(func):
    return click.option(
        "--queue", "queue_url", required=True, metavar="redis://HOST:PORT/DB", help="The Redis of the crawl queue."
    )(func)


def set_option(func):
    return click.option(
        "-s",
        "--set",
        "pairs",
        multiple=True,
        metavar="NAME=VALUE",
        help="A setting (crawler/settings.py), repeatable; a worker passes it on to every crawl it runs.",
    )(func)


@cli.command()
@queue_option
@click.option("--burst", is_flag=True, help="Exit once no job is queued.")
@set_option
def worker(queue_url, burst, pairs):
    """Run queued crawl jobs, one at a time; start as many as you like, on any machine."""
    import logging
    import shutil

    from crawler.jobs import WorkerConfig, run_worker
    from crawler.metrics import SERVED_BY_COMMAND, crawls_registry

    settings = _settings(pairs)
    _queue_client(queue_url)
    metrics, folder = _metrics_config(settings), None
    if metrics.wanted:
        # The crawls count into this folder (prometheus_client's multiprocess mode); the worker
        # serves and writes their sum, so its crawls get no port nor textfile of their own.
        folder = tempfile.mkdtemp(prefix="govnews-worker-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        pairs = tuple(pair for pair in pairs if pair.partition("=")[0].strip() not in SERVED_BY_COMMAND)
    try:
        if folder:
            _start_metrics(settings, crawls_registry(folder))
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
        config = WorkerConfig.from_settings(settings, queue_url, pairs)
        if folder:
            config = dataclasses.replace(config, metrics_folder=folder, metrics_textfile=metrics.textfile)
        run_worker(config, burst=burst)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


@cli.command()
@queue_option
@db_option
@click.option("--burst", is_flag=True, help="Exit once no job is queued or running and every capture is written.")
@set_option
def ingest(queue_url, db, burst, pairs):
    """Write what the workers crawl into the archive: the queue's one writer."""
    import logging
    import sqlite3

    from archive.store import Archive
    from crawler.alerts import AlertConfig
    from crawler.ingest import Writer
    from crawler.metrics import process_families, textfile

    settings = _settings(pairs)
    health = _health_config(settings)
    client = _queue_client(queue_url)
    metrics = _start_metrics(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    _say_if_upgrading(db)
    try:
        archive = Archive(db)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot open the archive {db}: {exc}") from exc
    writer = Writer(
        client,
        archive,
        batch=max(1, settings.getint("GOVNEWS_INGEST_BATCH")),
        dead_after=settings.getint("GOVNEWS_QUEUE_DEAD_AFTER"),
        metrics=process_families(metrics.max_sites) if metrics.wanted else None,
        textfile=textfile(metrics.textfile) if metrics.textfile else None,
        health=health,
        alerts=AlertConfig.from_settings(settings),
    )
    try:
        writer.run(burst=burst)
    except KeyboardInterrupt:
        pass  # what was not acknowledged is read again by the next writer
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot write the archive {db}: {exc} (the unwritten pages stay queued)") from exc
    finally:
        archive.close()
        writer.write_textfile()
    click.echo(
        f"ingest: {writer.written} messages written, {writer.duplicates} already applied, "
        f"{writer.rejected} rejected (failures, stage ingest)",
        err=True,
    )


@cli.command(name="queue")
@queue_option
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def queue_(queue_url, as_json):
    """The crawl queue: queued, running and failed jobs, the stream and the writer's lag."""
    from crawler.queue_status import format_status, queue_status

    status = queue_status(_queue_client(queue_url))
    click.echo(json.dumps(status, indent=2, ensure_ascii=False) if as_json else format_status(status, queue_url))


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--live",
    is_flag=True,
    help="For an archive a crawl is still writing: serve it as it changes (read-only), "
    "instead of as an immutable file.",
)
@click.option(
    "--public",
    is_flag=True,
    help="For a server other machines reach: no arbitrary SQL, no database download, "
    "no CSV streams (docs/security.md).",
)
def browse(db, port, host, live, public):
    """Open the archive in Datasette (read-only): Chinese search, diffs, canned queries."""
    from archive.datasette import BrowseError, datasette_args

    try:
        args, notes = datasette_args(Path(db), host=host, port=port, live=live, public=public)
    except BrowseError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in notes:
        click.echo(note, err=True)
    os.execv(sys.executable, args)


@cli.command()
@db_option
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=int, help="How many pages at most.")
@click.option(
    "--rank", is_flag=True, help="Best matches first (BM25) instead of the most recently archived pages first."
)
def search(db, query, limit, rank):
    """Find archived pages by Chinese words, typed as people type them (张书杰 项目建设, 书记).
    Traditional script (書記) finds the Simplified the archive holds."""
    import sqlite3

    archive = _open_existing(db)
    try:
        rows = archive.search(query, limit, "relevance" if rank else "newest")
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot search {db}: {exc}") from exc
    finally:
        archive.close()
    for row in rows:
        click.echo(f"{row['published_at'] or '-':<25} {row['title']}  {row['url']}")
    if not rows:
        click.echo(f"no page matches {query!r}", err=True)
        sys.exit(1)


@cli.command()
@db_option
@click.option("--format", "fmt", required=True, type=click.Choice(["jsonl", "warc", "wacz"]), help="Output format.")
@click.option(
    "--what",
    type=click.Choice(["pages", "versions"]),
    default=None,
    help="jsonl only: one line per page (its latest record) or per version.  [default: pages]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Output file, or - for stdout. jsonl defaults to stdout; warc needs it; wacz needs a file.",
)
@click.option("--no-gzip", is_flag=True, help="warc only: plain, uncompressed records.")
@click.option(
    "--cdxj",
    type=click.Path(dir_okay=False),
    default=None,
    help="warc only: also write the WARC's CDXJ index (what pywb replays from) to this file.",
)
def export(db, fmt, what, output, no_gzip, cdxj):
    """Export the archive as JSON Lines (pages or versions), as WARC (every capture) or as WACZ."""
    import sqlite3

    from archive.export import export_jsonl, export_wacz, export_warc, open_output, write_cdxj

    if fmt != "jsonl" and what:
        raise click.UsageError(f"--what applies to --format jsonl only; a {fmt.upper()} holds every capture")
    if fmt != "warc" and no_gzip:
        raise click.UsageError("--no-gzip applies to --format warc only")
    if fmt != "warc" and cdxj:
        raise click.UsageError("--cdxj applies to --format warc only (a WACZ holds its own index)")
    if fmt == "warc" and output is None:
        raise click.UsageError("--format warc needs -o FILE (or -o - to write the WARC to stdout)")
    if fmt == "wacz" and output in (None, "-"):
        raise click.UsageError("--format wacz needs -o FILE (a zip file, not stdout)")
    if cdxj and output == "-":
        raise click.UsageError("--cdxj needs the WARC in a file (-o FILE): the index points into it")
    archive = _open_existing(db)
    output = output or "-"
    where = "stdout" if output == "-" else output
    try:
        if fmt == "wacz":
            summary = export_wacz(archive, output).summary(where)
        else:
            with open_output(output) as out:
                if fmt == "jsonl":
                    what = what or "pages"
                    summary = f"Wrote {export_jsonl(archive, out, what)} {what} to {where}"
                else:
                    counts = export_warc(
                        archive, out, gzip=not no_gzip, filename=None if output == "-" else Path(output).name
                    )
                    summary = counts.summary(where)
            if cdxj:
                with open_output(cdxj) as out:
                    summary += f"; {write_cdxj(output, out)} index lines to {cdxj}"
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot read {db}: {exc}") from exc
    finally:
        archive.close()
    click.echo(summary, err=True)


@cli.command()
@db_option
@click.option("--site", help="Only this site's captures.")
@click.option(
    "--sites-dir",
    "sites_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Extra folder of site configs (their region hints are used again).",
)
def reprocess(db, site, sites_dirs):
    """Re-extract stored captures with the current code; a version is added only where a record changed."""
    from archive.reprocess import reprocess as run
    from crawler.sites import all_sites

    archive = _open_existing(db, write=True)
    # only the folders given: without one, a region a config gave is kept (the bundled demo configs too)
    configs = {s.name: s.to_dict() for s in all_sites(sites_dirs, bundled=False)}
    report = run(archive, site=site, site_configs=configs)
    for url, error in report.errors.items():
        click.echo(f"failed: {url}: {error}", err=True)
    click.echo(report.summary())


@cli.command()
@click.option("--exported", is_flag=True, help="The schema of a crawl's exported items (-O), not of the record.")
def schema(exported):
    """Print the record's JSON Schema, generated from crawler/record.py."""
    from crawler.record_schema import exported_schema, record_schema

    click.echo(json.dumps(exported_schema() if exported else record_schema(), indent=2, ensure_ascii=False))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def stats(db, as_json):
    """What the archive holds, and its size per version."""
    import sqlite3

    from archive.stats import archive_stats, format_stats

    archive = _open_existing(db)
    try:
        numbers = archive_stats(archive)
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot read {db}: {exc}") from exc
    finally:
        archive.close()
    click.echo(json.dumps(numbers, indent=2) if as_json else format_stats(numbers))


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object a site.")
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option(
    "--sites-dir",
    "sites_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Extra folder of site configs (their `interval` says when a site is overdue).",
)
@click.option(
    "-s",
    "--set",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A threshold setting (GOVNEWS_HEALTH_*, crawler/settings.py), repeatable.",
)
def health(db, as_json, sites, sites_dirs, pairs):
    """Each site's health: ok, warning or failing, and why (docs/monitoring.md).

    Exit status 0 when no site is failing, 2 when one is (1: the archive cannot be read)."""
    import sqlite3

    from archive.health import FAILING, archive_health, format_table
    from crawler.sites import SiteConfigError, check_dirs

    try:
        check_dirs(sites_dirs)
    except SiteConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    config = _health_config(_settings(pairs))
    archive = _open_existing(db)
    try:
        names = list(sites) or None
        intervals = _site_intervals(names or _archived_sites(archive), sites_dirs)
        healths = archive_health(archive.db, config, sites=names, intervals=intervals)
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"cannot read {db}: {exc}") from exc
    finally:
        archive.close()
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in healths], ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(healths) if healths else f"no crawls in {db} yet")
    if any(h.status == FAILING for h in healths):
        sys.exit(2)


def _archived_sites(archive) -> list[str]:
    from archive.health import archived_sites

    return archived_sites(archive.db)


def _site_intervals(names: list[str], sites_dirs) -> dict:
    """Each site's crawl interval, from its config (a site without one is never overdue)."""
    from crawler.schedule import DEFAULT_INTERVAL, IntervalError, parse_interval
    from crawler.sites import SiteConfigError, find_site

    intervals = {}
    for name in names:
        try:
            intervals[name] = parse_interval(find_site(name, sites_dirs).interval or DEFAULT_INTERVAL)
        except (SiteConfigError, IntervalError):
            continue
    return intervals


def _open_existing(db: str, *, write: bool = False):
    """The archive at DB, read-only (nothing created, nothing upgraded), saying what a reader
    should know of it; with `write`, opened to write, upgraded if it is older (saying so).
    A path that is no govnews archive is one line and exit 1."""
    from archive.store import Archive, ArchiveError, archive_schema

    try:
        if write:
            archive_schema(db)  # is an archive: a command that writes never makes one of another file
            _say_if_upgrading(db)
            return Archive(db)
        archive = Archive(db, read_only=True)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in archive.reading_notes():
        click.echo(note, err=True)
    return archive


def _say_if_upgrading(db: str) -> None:
    """A command that writes the archive says, in one line, when it is about to upgrade it."""
    from archive.store import upgrade_note

    note = upgrade_note(db)
    if note:
        click.echo(note, err=True)


if __name__ == "__main__":
    cli()
