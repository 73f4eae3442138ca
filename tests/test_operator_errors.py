"""Mistakes an operator makes: each is one clear line and a non-zero exit, never a traceback,
and nothing is crawled or written.  Real `govnews` and `scrapy crawl` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request

import pytest
import yaml
from conftest import BIN, REPO, manifest

from crawler.demo.server import DEMO_PORT_BASE, free_port_base, site_configs
from crawler.sites import BUNDLED_SITES_DIR, all_sites, find_site

pytestmark = pytest.mark.e2e  # real `govnews` and `scrapy crawl` processes

SCRAPY_ENV = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}


def run(*command, cwd=REPO, timeout=300):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=SCRAPY_ENV)


def govnews(*args, **kwargs):
    return run(str(BIN / "govnews"), *args, **kwargs)


def scrapy_crawl(*args, **kwargs):
    return run(str(BIN / "scrapy"), "crawl", "site", "-s", "LOG_LEVEL=WARNING", *args, **kwargs)


def one_error_line(result, *words: str) -> str:
    """The process failed with exactly one line saying so, holding `words`, and no traceback."""
    assert result.returncode not in (0, None), result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip() and "[" not in line[:30]]
    assert len(lines) == 1, result.stderr[-3000:]
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


# --- govnews crawl -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [["--due"], ["--due", "--dry-run"], ["--all"], ["--site", "weidu"]])
def test_a_sites_dir_that_does_not_exist_is_an_error(tmp_path, mode):
    db = tmp_path / "gov.db"
    result = govnews("crawl", *mode, "--db", str(db), "--sites-dir", str(tmp_path / "sitse"))
    assert one_error_line(result, str(tmp_path / "sitse"), "no such folder").startswith("Error: ")
    assert result.returncode == 1 and not db.exists()


def test_health_with_a_sites_dir_that_does_not_exist_is_an_error(tmp_path):
    db = tmp_path / "gov.db"
    result = govnews("health", "--db", str(db), "--sites-dir", str(tmp_path / "sitse"))
    assert one_error_line(result, str(tmp_path / "sitse"), "no such folder").startswith("Error: ")
    assert result.returncode == 1 and not db.exists()


@pytest.mark.parametrize("command", [["health"], ["ingest", "--queue", "redis://127.0.0.1:9/0"]])
def test_a_health_threshold_that_is_not_a_number_is_one_line(tmp_path, command):
    db = tmp_path / "gov.db"
    result = govnews(*command, "--db", str(db), "-s", "GOVNEWS_HEALTH_MIN_NEW=three")
    one_error_line(result, "GOVNEWS_HEALTH_MIN_NEW must be a whole number, not 'three'")
    assert result.returncode == 1 and not db.exists()


@pytest.mark.parametrize("mode", [["--due"], ["--all"]])
def test_a_sites_dir_without_configs_is_an_error(tmp_path, mode):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "notes.txt").write_text("not a config", encoding="utf-8")
    db = tmp_path / "gov.db"
    result = govnews("crawl", *mode, "--db", str(db), "--sites-dir", str(tmp_path / "sites"))
    one_error_line(result, "no site configs")
    assert result.returncode == 1 and not db.exists()


@pytest.mark.parametrize("url", ["notaurl", "ftp://www.example.gov.cn/", "http://", "www.example.gov.cn/zwxx/"])
def test_a_bad_url_is_one_line(tmp_path, url):
    db = tmp_path / "gov.db"
    result = govnews("crawl", "--db", str(db), "--url", url)
    one_error_line(result, "not an http(s) URL", repr(url))
    assert result.returncode == 1 and not db.exists()


def test_an_unknown_site_is_one_line_naming_the_folders(tmp_path):
    db = tmp_path / "gov.db"
    result = govnews("crawl", "--db", str(db), "--site", "weidoo")
    one_error_line(result, "no site config named 'weidoo'", str(BUNDLED_SITES_DIR))
    assert result.returncode == 1 and not db.exists()


def test_due_and_all_read_the_given_folders_only(tmp_path):
    """With --sites-dir, the bundled demo configs are not crawled by --due or --all."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "own.yaml").write_text("name: own\nstart_urls: [http://www.example.gov.cn/]\n", encoding="utf-8")
    result = govnews("crawl", "--due", "--dry-run", "--db", str(tmp_path / "gov.db"), "--sites-dir", str(sites))
    assert result.returncode == 0, result.stderr
    assert "would crawl 1 of 1 sites: own" in result.stdout and "weidu" not in result.stdout
    assert [s.name for s in all_sites([str(sites)], bundled=False)] == ["own"]
    # without --sites-dir: the bundled configs
    result = govnews("crawl", "--due", "--dry-run", "--db", str(tmp_path / "gov.db"))
    assert f"would crawl {len(manifest())} of {len(manifest())} sites" in result.stdout
    assert not (tmp_path / "gov.db").exists()  # a dry run writes nothing


# --- scrapy crawl ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["-a", "url=notaurl"], ["scrapy crawl site:", "not an http(s) URL: 'notaurl'"]),
        (["-a", "url=http://127.0.0.1:1/a/ notaurl"], ["not an http(s) URL: 'notaurl'"]),
        (["-a", "site=weidoo"], ["no site config named 'weidoo'"]),
        ([], ["give exactly one of -a url=START_URL or -a site=NAME"]),
        (["-a", "site=weidu", "-s", "GOVNEWS_SITES_DIRS=/etc/govnews/sitse"], ["/etc/govnews/sitse", "no such folder"]),
    ],
)
def test_scrapy_crawl_with_bad_arguments_is_one_line(tmp_path, args, words):
    db = tmp_path / "gov.db"
    result = scrapy_crawl(*args, "-s", f"ARCHIVE_DB={db}")
    one_error_line(result, *words)
    assert result.returncode == 1 and not db.exists()


# --- govnews demo ----------------------------------------------------------------------------


def test_the_bundled_configs_are_the_demo_sites_on_their_fixed_ports():
    sites = manifest()
    for number, entry in enumerate(sites):
        config = find_site(entry["name"])
        assert config.start_urls == [f"http://127.0.0.1:{DEMO_PORT_BASE + number}{entry['list_path']}"]
        assert config.region == entry.get("region")
        assert config.interval  # each has its own, for docs/scheduling.md
    on_file = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in BUNDLED_SITES_DIR.glob("*.yaml")}
    assert site_configs(DEMO_PORT_BASE) == on_file
    moved = site_configs(DEMO_PORT_BASE + 1000)
    assert moved["weidu"]["start_urls"] == [f"http://127.0.0.1:{DEMO_PORT_BASE + 1000}/zwxx/wdyw/index.html"]


def test_demo_with_a_port_taken_fails_naming_it_and_crawls_nothing(tmp_path):
    base = free_port_base(len(manifest()))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 2))
        taken.listen()
        db = tmp_path / "demo.db"
        result = govnews("demo", "--db", str(db), "--port-base", str(base), cwd=tmp_path)
        line = one_error_line(result, f"port {base + 2}", manifest()[2]["name"], "--port-base")
        assert result.returncode == 1 and not db.exists(), line
    # the ports it had taken before are free again, and a free base works
    with socket.socket() as again:
        again.bind(("127.0.0.1", base))


def test_demo_serve_prints_the_list_urls_serves_them_and_stops_cleanly(tmp_path):
    base = free_port_base(len(manifest()))
    for signum in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            [str(BIN / "govnews"), "demo", "--serve", "--port-base", str(base), "--db", str(tmp_path / "x.db")],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if line.startswith("Ctrl-C stops"):
                    break
            urls = [line.split()[1] for line in lines if line.startswith("  ")]
            expected = [f"http://127.0.0.1:{base + n}{e['list_path']}" for n, e in enumerate(manifest())]
            assert urls == expected, "".join(lines)
            for url in urls:
                assert urllib.request.urlopen(url, timeout=10).status == 200
        finally:
            process.send_signal(signum)
            rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0, rest
        assert "Traceback" not in rest and "Stopped." in rest
        assert not (tmp_path / "x.db").exists()  # serving writes no archive
