"""Site configs: one YAML file per site.

    name: weidu                       # required, [a-z0-9_-]
    start_urls: [https://www.weidu.gov.cn/zwxx/wdyw/]   # required: list pages
    allowed_domains: [www.weidu.gov.cn]  # default: the start URLs' hosts
    article_patterns: ['/t\\d{8}_\\d+\\.html$']  # optional regexes (search) for article URLs
    pagination_patterns: ['index_\\d+\\.html$']  # optional regexes for list-page URLs
    render: http                      # or "browser" (scrapy-playwright, system Chromium)
    region: {province: 河南省, city: 许昌市, county: 魏都区, code: "411002"}
    interval: 6h                      # how often `govnews crawl --due` crawls it: 30m, 6h, 1d,
                                      # 2d12h (units w d h m s); default 1d (crawler/schedule.py)
    recheck_days: 7                   # known articles younger than this are fetched again
                                      # (conditionally); default GOVNEWS_RECHECK_DAYS

A config is looked up by name in the folders of the GOVNEWS_SITES_DIRS setting,
then in the bundled `crawler/sites/` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from crawler.schedule import DEFAULT_INTERVAL, IntervalError, parse_interval

BUNDLED_SITES_DIR = Path(__file__).parent / "sites"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RENDER_MODES = ("http", "browser")


class SiteConfigError(ValueError):
    """A site config that cannot be used; the message names the file and the problem."""


@dataclass
class SiteConfig:
    name: str
    start_urls: list[str]
    allowed_domains: list[str] = field(default_factory=list)
    article_patterns: list[str] = field(default_factory=list)
    pagination_patterns: list[str] = field(default_factory=list)
    render: str = "http"
    region: dict | None = None
    interval: str = DEFAULT_INTERVAL
    recheck_days: float | None = None

    def __post_init__(self) -> None:
        if not self.allowed_domains:
            self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls} - {""})

    @classmethod
    def from_url(cls, url: str) -> SiteConfig:
        """The implicit config of `-a url=…`: named after that URL's host[:port], nothing else."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SiteConfigError(f"not an http(s) URL: {url!r}")
        return cls(name=parts.netloc, start_urls=[url])

    @classmethod
    def from_mapping(cls, data: dict, origin: str = "<config>") -> SiteConfig:
        if not isinstance(data, dict):
            raise SiteConfigError(f"{origin}: expected a mapping at the top level")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise SiteConfigError(f"{origin}: unknown keys {sorted(unknown)}")
        name = data.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SiteConfigError(f"{origin}: 'name' must match {NAME_RE.pattern}, got {name!r}")
        start_urls = data.get("start_urls")
        if isinstance(start_urls, str):
            start_urls = [start_urls]
        if not start_urls or not all(isinstance(u, str) for u in start_urls):
            raise SiteConfigError(f"{origin}: 'start_urls' must be a non-empty list of URLs")
        for url in start_urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise SiteConfigError(f"{origin}: start URL is not http(s): {url!r}")
        render = data.get("render", "http")
        if render not in RENDER_MODES:
            raise SiteConfigError(f"{origin}: 'render' must be one of {RENDER_MODES}, got {render!r}")
        for key in ("article_patterns", "pagination_patterns"):
            for pattern in data.get(key) or []:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise SiteConfigError(f"{origin}: bad regex in {key}: {pattern!r} ({exc})") from exc
        interval = data.get("interval")
        if interval is None:  # absent, or `interval:` left empty
            interval = DEFAULT_INTERVAL
        try:
            parse_interval(interval)
        except IntervalError as exc:
            raise SiteConfigError(f"{origin}: bad 'interval': {exc}") from exc
        recheck_days = data.get("recheck_days")
        if recheck_days is not None and (
            isinstance(recheck_days, bool) or not isinstance(recheck_days, (int, float)) or recheck_days < 0
        ):
            raise SiteConfigError(f"{origin}: 'recheck_days' must be a number of days >= 0, got {recheck_days!r}")
        return cls(
            name=name,
            start_urls=list(start_urls),
            allowed_domains=list(data.get("allowed_domains") or []),
            article_patterns=list(data.get("article_patterns") or []),
            pagination_patterns=list(data.get("pagination_patterns") or []),
            render=render,
            region=data.get("region"),
            interval=interval.strip(),
            recheck_days=recheck_days,
        )

    @classmethod
    def from_file(cls, path: Path) -> SiteConfig:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SiteConfigError(f"{path}: cannot read site config: {exc}") from exc
        return cls.from_mapping(data, origin=str(path))

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def site_dirs(extra_dirs: list[str] | tuple[str, ...] = ()) -> list[Path]:
    return [Path(d) for d in extra_dirs] + [BUNDLED_SITES_DIR]


def config_files(folder: str | Path) -> list[Path]:
    """The site configs of a folder (its *.yaml and *.yml files)."""
    return sorted(Path(folder).glob("*.y*ml"))


def check_dirs(extra_dirs: list[str] | tuple[str, ...]) -> None:
    """Each folder given for site configs exists and holds some: a mistyped path in a cron job
    would otherwise crawl nothing, or only the bundled configs, without a word."""
    for folder in extra_dirs:
        if not Path(folder).is_dir():
            raise SiteConfigError(f"{folder}: no such folder of site configs")
        if not config_files(folder):
            raise SiteConfigError(f"{folder}: no site configs (NAME.yaml) in this folder")


def site_for(
    url: str | None = None, site: str | None = None, extra_dirs: list[str] | tuple[str, ...] = ()
) -> SiteConfig:
    """The config of a crawl: `site` by name, or the implicit one of `url` (several list pages of
    one site separated by commas or spaces, the first naming it); SiteConfigError says why not."""
    if bool(url) == bool(site):
        raise SiteConfigError("give exactly one of -a url=START_URL or -a site=NAME")
    if site:
        return find_site(site, extra_dirs)
    urls = [u for u in re.split(r"[\s,]+", url or "") if u]
    if not urls:
        raise SiteConfigError(f"not an http(s) URL: {url!r}")
    config = SiteConfig.from_url(urls[0])
    for other in urls[1:]:
        SiteConfig.from_url(other)  # each one an http(s) URL
    config.start_urls = urls
    config.__post_init__()
    return config


def find_site(name: str, extra_dirs: list[str] | tuple[str, ...] = ()) -> SiteConfig:
    for folder in site_dirs(extra_dirs):
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return SiteConfig.from_file(path)
    searched = ", ".join(str(d) for d in site_dirs(extra_dirs))
    raise SiteConfigError(f"no site config named {name!r} (looked in {searched})")


def all_sites(extra_dirs: list[str] | tuple[str, ...] = (), bundled: bool = True) -> list[SiteConfig]:
    """Every config of these folders, then (with `bundled`) of `crawler/sites/`; a name's first wins."""
    seen: dict[str, SiteConfig] = {}
    folders = site_dirs(extra_dirs) if bundled else [Path(d) for d in extra_dirs]
    for folder in folders:
        for path in config_files(folder):
            config = SiteConfig.from_file(path)
            seen.setdefault(config.name, config)
    return list(seen.values())
