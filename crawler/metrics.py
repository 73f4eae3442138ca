"""Prometheus metrics of a govnews process: one registry, its metric families, `/metrics`, the textfile.

A process has one registry of its own (never prometheus_client's global one), made at the first
use: several crawls in one process (`govnews crawl --all` runs them in one reactor) count into
the same families, each crawl with its `site` label, and are served by one server. The label
values are site names (a config's name, or host:port for `-a url=`), never URLs, and one process
keeps at most GOVNEWS_METRICS_MAX_SITES of them: later ones count as `site="other"`, so data a
site sends can never multiply the series.

The node_exporter textfile (GOVNEWS_METRICS_TEXTFILE) is written atomically (a temporary file
in the same folder, then renamed), as node_exporter's textfile collector requires. It outlives
the process that wrote it: the counters of the file as it was when the process started are added
to the process's own, and the series of sites this process did not crawl are kept, so a timer
crawling a few sites at a time keeps every site's counters growing and its last success.

No Scrapy here: the crawl's extension (crawler/crawl_metrics.py), the worker (crawler/jobs.py)
and the writer (crawler/ingest.py) use it alike.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, start_http_server
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from crawler import record

logger = logging.getLogger(__name__)

WEAK_WARNINGS = frozenset(record.WEAK_WARNINGS)  # for the metrics' quick look-ups
OTHER_SITE = "other"
MAX_LABEL_CHARS = 100
PREFIX = "govnews_"  # the families of ours, in a textfile read back

# The settings a command (`govnews worker`) serves and writes for its crawls, not passed on to them.
SERVED_BY_COMMAND = ("GOVNEWS_METRICS_PORT", "GOVNEWS_METRICS_ADDRESS", "GOVNEWS_METRICS_TEXTFILE")

disable_created_metrics()  # no `_created` series beside each counter: noise in a textfile


class MetricsError(Exception):
    """A metrics setting that cannot work (a busy port, an unwritable textfile …): one line."""


@dataclass(frozen=True)
class MetricsConfig:
    port: int = 0  # 0: not served
    address: str = "127.0.0.1"
    textfile: str = ""  # "": not written
    max_sites: int = 500

    @classmethod
    def from_settings(cls, settings) -> MetricsConfig:
        """From Scrapy settings (or anything with `.get`); a value that cannot work is a MetricsError."""
        port = _integer(settings, "GOVNEWS_METRICS_PORT")
        if not 0 <= port <= 65535:
            raise MetricsError(f"GOVNEWS_METRICS_PORT must be a port number (0-65535, 0: off), got {port}")
        textfile = str(settings.get("GOVNEWS_METRICS_TEXTFILE") or "")
        if textfile and not textfile.endswith(".prom"):
            raise MetricsError(
                f"GOVNEWS_METRICS_TEXTFILE must end in .prom (node_exporter reads only those), got {textfile!r}"
            )
        max_sites = _integer(settings, "GOVNEWS_METRICS_MAX_SITES")
        address = str(settings.get("GOVNEWS_METRICS_ADDRESS") or "127.0.0.1")
        return cls(port=port, address=address, textfile=textfile, max_sites=max(1, max_sites))

    @property
    def wanted(self) -> bool:
        return bool(self.port or self.textfile)


def _integer(settings, name: str) -> int:
    value = settings.get(name)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise MetricsError(f"{name} must be a whole number, got {value!r}") from None


class SiteLabels:
    """The `site` label of a name: at most `limit` distinct ones, each at most 100 characters of
    text without control characters; a name past the limit is `other`."""

    def __init__(self, limit: int):
        self.limit, self.lock = limit, threading.Lock()
        self.seen: set[str] = set()

    def __call__(self, name) -> str:
        label = re.sub(r"[\x00-\x1f\x7f]", "_", str(name or "?"))[:MAX_LABEL_CHARS]
        with self.lock:
            if label in self.seen:
                return label
            if len(self.seen) >= self.limit:
                return OTHER_SITE
            self.seen.add(label)
            return label


class Families:
    """The metric families, registered in one registry. A site's crawl counts into the first
    group, in one process or on a worker; the writer of a queued crawl counts the versions (and
    weak records) there too, since only it knows them, and has its own `ingest` group."""

    def __init__(self, registry: CollectorRegistry, max_sites: int):
        self.registry = registry
        self.site = SiteLabels(max_sites)
        self.pages_fetched = Counter(
            "govnews_pages_fetched",
            "HTTP responses a crawl received (list pages, articles, files)",
            ["site"],
            registry=registry,
        )
        self.articles = Counter(
            "govnews_articles", "Articles that gave a record (new or unchanged)", ["site"], registry=registry
        )
        self.new_versions = Counter(
            "govnews_new_versions", "Versions added to the archive", ["site"], registry=registry
        )
        self.weak_records = Counter(
            "govnews_weak_records",
            "New versions whose warnings include no_title, no_date, empty_body or short_body",
            ["site"],
            registry=registry,
        )
        self.failures = Counter("govnews_failures", "Failures recorded, by kind", ["site", "kind"], registry=registry)
        self.runs = Counter("govnews_runs", "Crawls ended, by finish reason", ["site", "status"], registry=registry)
        self.run_duration = Gauge(
            "govnews_run_duration_seconds",
            "Seconds the site's latest crawl has run (still counting while it runs)",
            ["site"],
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self.last_success = Gauge(
            "govnews_last_success_timestamp_seconds",
            "When the site's latest crawl that finished normally ended (Unix time)",
            ["site"],
            multiprocess_mode="max",
            registry=registry,
        )
        self._ingest: IngestFamilies | None = None

    @property
    def ingest(self) -> IngestFamilies:
        if self._ingest is None:
            self._ingest = IngestFamilies(self.registry)
        return self._ingest


class IngestFamilies:
    """The writer's (`govnews ingest`) own."""

    def __init__(self, registry: CollectorRegistry):
        self.messages = Counter(
            "govnews_ingest_messages", "Stream messages the writer read, by outcome", ["outcome"], registry=registry
        )
        self.batches = Counter("govnews_ingest_batches", "Transactions the writer committed", registry=registry)
        self.captures = Counter(
            "govnews_ingest_captures", "Captures (raw pages) written to the archive", ["site"], registry=registry
        )
        self.lag = Gauge("govnews_ingest_lag_messages", "Messages in the stream not yet written", registry=registry)
        for outcome in ("written", "duplicate", "rejected"):
            self.messages.labels(outcome)


_families: Families | None = None
_families_lock = threading.Lock()


def process_families(max_sites: int = 500) -> Families:
    """This process's families (made at the first call; its `max_sites` holds for the process)."""
    global _families
    with _families_lock:
        if _families is None:
            _families = Families(CollectorRegistry(), max_sites)
        return _families


# --- serving ---------------------------------------------------------------------------

_servers: dict[tuple[str, int], object] = {}


def serve(registry, address: str, port: int) -> bool:
    """Serve the registry at http://address:port/metrics from a thread, once a process; False
    when this process serves it already. A port that is taken is a MetricsError."""
    with _families_lock:
        if (address, port) in _servers:
            return False
        try:
            server, _thread = start_http_server(port, addr=address, registry=registry)
        except (OSError, OverflowError) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            raise MetricsError(f"cannot serve metrics on {address}:{port}: {why}") from None
        _servers[(address, port)] = server
        return True


def prepare(config: MetricsConfig, registry) -> None:
    """Before a command starts: serve the registry if a port is set, and check the textfile's
    folder, so that a setting that cannot work stops the command with its one line."""
    if config.textfile and not Path(config.textfile).parent.is_dir():
        raise MetricsError(f"cannot write the metrics textfile {config.textfile}: no such folder")
    if config.port:
        serve(registry, config.address, config.port)


def crawls_registry(folder: str) -> CollectorRegistry:
    """A registry of what the crawl processes counting into `folder` count (prometheus_client's
    multiprocess mode: a worker's crawls run with PROMETHEUS_MULTIPROC_DIR=folder), summed over
    every crawl the worker has run, the one running included."""
    registry = CollectorRegistry()
    registry.register(_CrawlsCollector(folder))
    return registry


_compacting = threading.Lock()  # a scrape never sees the folder half compacted


class _CrawlsCollector:
    def __init__(self, folder: str):
        from prometheus_client.multiprocess import MultiProcessCollector

        self.collector = MultiProcessCollector(None, path=folder)

    def collect(self):
        with _compacting:
            return list(self.collector.collect())


def compact(folder: str) -> None:
    """Fold the files of the crawls that counted into `folder` (one set a crawl process) into one
    set, so that a worker that has run thousands of crawls reads a few files at each scrape, not
    three a crawl. Only between crawls: no process may be counting into the folder."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key
    from prometheus_client.multiprocess import MultiProcessCollector

    now = time.time()  # the compacted gauges' time: any later crawl's value is more recent
    with _compacting:
        files = sorted(str(path) for path in Path(folder).glob("*.db"))
        if not any(not path.endswith(COMPACTED) for path in files):
            return
        written: dict[str, MmapedDict] = {}
        for family in MultiProcessCollector.merge(files, accumulate=False):
            mode = getattr(family, "_multiprocess_mode", "")
            name = f"{family.type}_{mode}" if family.type == "gauge" else family.type
            target = written.get(name)
            if target is None:
                target = written[name] = MmapedDict(str(Path(folder, name + COMPACTED + ".tmp")))
            for sample in family.samples:
                key = mmap_key(
                    family.name, sample.name, list(sample.labels), list(sample.labels.values()), family.documentation
                )
                target.write_value(key, sample.value, now)
        for target in written.values():
            target.close()
        for path in files:
            os.unlink(path)
        for name in written:
            os.replace(Path(folder, name + COMPACTED + ".tmp"), Path(folder, name + COMPACTED))


COMPACTED = "_compacted.db"  # the file name's pid part: `counter_compacted.db`, `gauge_max_compacted.db`


# --- the textfile ----------------------------------------------------------------------


class Textfile:
    """The node_exporter textfile at `path`: what the file held when this process first wrote
    it, with this process's counters added and its gauges replacing those of the same series."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.base: list | None = None

    def write(self, registry) -> None:
        if self.base is None:
            self.base = read_families(self.path)
        text = generate_latest(_Fixed(merge(self.base, list(registry.collect()))))
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")  # not *.prom: not read
        try:
            temporary.write_bytes(text)
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise MetricsError(f"cannot write the metrics textfile {self.path}: {exc.strerror or exc}") from None


_textfiles: dict[str, Textfile] = {}


def textfile(path: str) -> Textfile:
    """The process's one Textfile for the path (its base is read once)."""
    with _families_lock:
        return _textfiles.setdefault(path, Textfile(path))


def read_families(path: Path) -> list:
    """Our families in a textfile written before; none when it is missing or not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("metrics textfile %s not read (%s): its counters start again from 0", path, exc)
        return []
    try:
        return [family for family in text_string_to_metric_families(text) if family.name.startswith(PREFIX)]
    except Exception as exc:  # the parser raises ValueError, and others on odd text
        logger.warning("metrics textfile %s is not in the text format (%s): its counters start again from 0", path, exc)
        return []


def merge(base: list, current: list) -> list:
    """The families of `current`, with the counters of `base` added to its counters and the
    series only `base` has kept; families only `base` has are kept whole."""
    by_name = {family.name: family for family in base}
    merged = []
    for family in current:
        old = by_name.pop(family.name, None)
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        if old is not None and old.type == family.type:
            earlier = {_series(s): s for s in old.samples if not s.name.endswith("_created")}
            if family.type == "counter":
                samples = [
                    s._replace(value=s.value + earlier.pop(_series(s)).value) if _series(s) in earlier else s
                    for s in samples
                ]
            else:
                for s in samples:
                    earlier.pop(_series(s), None)
            samples += earlier.values()
        family.samples = samples
        merged.append(family)
    return merged + list(by_name.values())


def _series(sample) -> tuple:
    return sample.name, tuple(sorted(sample.labels.items()))


class _Fixed:
    """A collector of families made already (what generate_latest renders)."""

    def __init__(self, families: list):
        self.families = families

    def collect(self):
        return self.families
