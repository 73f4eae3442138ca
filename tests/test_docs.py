"""Every ```sh block of README.md and docs/*.md runs as written.

Each command line (backslash continuations joined) runs with bash in a folder laid out like
the checkout (its `tests`, `crawler`, `benchmarks`, `deploy`, `scrapy.cfg` and `.venv` linked
there), where the archives the docs name already hold the demo sites, crawled from the test's
own demo server.  It must exit 0 without a traceback.  What the docs name that does not exist
here is replaced by what does, as the table SUBSTITUTIONS says, each with its reason; commands
that cannot run offline or that change the machine are in NOT_RUN with theirs, and the files
of the checkout those name must exist.  A command in neither table that cannot run fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BIN, REPO, manifest

from crawler.demo.server import DemoServer, free_port, free_port_base, write_site_configs
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e  # real servers, `govnews` and `scrapy crawl` processes on 127.0.0.1

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINKED = ["tests", "crawler", "benchmarks", "deploy", "scrapy.cfg"]  # the checkout, as the docs' cwd

# The placeholders of the docs and what the test puts in their place, in this order:
# (documented text, or a regex when it starts with "re:"; what replaces it here; why).
# `{name}` fields of the replacement are filled from the test's world (World below).
SUBSTITUTIONS: list[tuple[str, str, str]] = [
    (
        "http://www.example.gov.cn/zwxx/wdyw/202004/t20200430_1.html",
        "{weidu}/zwxx/wdyw/202004/t20200430_1234567.html",
        "a made-up article: the same on the demo weidu site",
    ),
    ("http://www.example.gov.cn/zwxx/xwdt/index.html", "{weidu}/zwxx/wdyw/index.html", "a list page: weidu's"),
    ("http://www.example.gov.cn/xwzx/", "{jiyang}/news/jinan/index.html", "a list page: jiyang's"),
    ("http://www.example.gov.cn/art/", "{daguan}/art/", "a Hanweb article: daguan's"),
    ("http://www.example.gov.cn", "{weidu}", "any other page of the made-up host: the demo weidu site"),
    ("http://…/t20240501_1.html", "{attachment_page}", "an article with an attachment, from the archive"),
    ("body('SHA256')", "body('{attachment_sha256}')", "a digest of `bodies`, from the archive"),
    ("redis://10.0.0.5:6379/0", "{redis}", "the Redis host of the examples: the test's own redis-server"),
    ("/etc/govnews/sites", "{sites}", "site configs: the bundled demo configs, moved to the test's ports"),
    (
        "--db /data/archive.db --site weidu",
        "--db {data_db} --sites-dir {sites} --site weidu",
        "the bundled weidu config names port 38701, which other runs may hold: the test's copy",
    ),
    ("/data/archive.db", "{data_db}", "the server's archive: one in the test's folder, holding the demo sites"),
    (
        "../shared/benchmarks/cwced",
        "{cwced_sample}",
        "scoring all 69 pages is the benchmark's business (the docs' numbers come from it): its first 5",
    ),
    (
        "re:(?<=govnews eval )benchmarks/realpages\\b",
        "{realpages_sample}",
        "scoring all 60 pages is the benchmark's business (the docs' numbers come from it): its first 5",
    ),
    (
        "re:(?<=govnews eval )tests/fixtures/corpus\\b",
        "{corpus_sample}",
        "tests/test_corpus.py scores the whole labeled corpus: here the first page of each CMS family",
    ),
    ("re:(?:(?<=--port )|(?<=:))8001\\b", "{browse_port}", "Datasette's port: a free one (other runs may hold 8001)"),
    (
        "benchmarks/crawl_scale.py",
        "benchmarks/crawl_scale.py --articles 60",
        "the documented size takes minutes: 60 articles",
    ),
    (
        "re:benchmarks/archive_scale\\.py( --versions \\d+)?",
        "benchmarks/archive_scale.py --versions 200",
        "hours, or 6 minutes at --versions 20000: 200 versions",
    ),
    (
        "benchmarks/extraction.py",
        "benchmarks/extraction.py --rounds 1 --corpus-only",
        "five rounds of every page take minutes: one of the labeled corpus",
    ),
    ("--inputs 20000", "--inputs 50", "20,000 inputs take minutes: 50"),
    ("govnews demo ", "govnews demo --port-base {demo_port_base} ", "the demo's fixed ports may be held by others"),
    (
        "scrapy crawl site -a site=weidu -s GOVNEWS_QUEUE",
        "scrapy crawl site -a site=weidu -s GOVNEWS_SITES_DIRS={sites} -s GOVNEWS_QUEUE",
        "the bundled weidu config names port 38701, which other runs may hold: the test's copy",
    ),
    (
        "govnews worker --queue ",
        "govnews worker --burst --queue ",
        "a worker runs until stopped: until the queue is empty",
    ),
    (
        "govnews ingest --queue ",
        "govnews ingest --burst --queue ",
        "the writer runs until stopped: until all is written",
    ),
    (
        "re:scrapy crawl site -a site=(?!\\S+ -s GOVNEWS_SITES_DIRS)",
        "scrapy crawl site -s GOVNEWS_SITES_DIRS={sites} -a site=",
        "a bundled config (crawler/sites/) names the demo's fixed ports, which other runs may hold: the test's copy",
    ),
    (
        "re:^govnews crawl (?!.*--sites-dir)(?=.*--site )",
        "govnews crawl --sites-dir {sites} ",
        "a bundled config (crawler/sites/) names the demo's fixed ports, which other runs may hold: the test's copy",
    ),
]

# Commands that stay running, and how the test knows they work: (pattern, URL to answer 200).
SERVERS = [
    (re.compile(r"^govnews browse "), "http://127.0.0.1:{browse_port}/gov/pages?_search=书记"),
    (re.compile(r"^govnews demo .*--serve"), "http://127.0.0.1:{demo_port_base}/zwxx/wdyw/index.html"),
]

# Commands the test does not run: (pattern, reason).  The checkout's files they name must exist.
NOT_RUN: list[tuple[str, str]] = [
    (r"^make (demo|test)\b", "sets up a venv from PyPI (make test also runs this suite): `make -n` checks the target"),
    (r"^\*/15 |^0 \*/6 ", "a crontab line, not a command (deploy/crontab; tests/test_deploy.py parses its command)"),
    (r"^sudo ", "changes the machine as root: /etc, systemd units, crontabs"),
    (r"^(systemctl|journalctl) ", "needs the systemd units installed (sudo cp … above)"),
    (r"^cd /srv/govnews$", "the deployed checkout of docs/scheduling.md"),
    (r"^\.venv/bin/pip install ", "installs from PyPI (`make setup-test` installs both)"),
    (r"^\.venv/bin/scrapyd-deploy", "needs a Scrapyd running as its units set it up (tests/test_scrapyd.py deploys)"),
    (r"^curl .*127\.0\.0\.1:6800", "needs that Scrapyd on port 6800 (tests/test_scrapyd.py schedules and lists jobs)"),
    (
        r"^python3 -m venv \.venv-pywb",
        "installs pywb from PyPI into its own venv (`make pywb`, which `make test` runs)",
    ),
    (
        r"^(\.venv-pywb/bin/|cp archive\.warc\.gz collections/|curl http://127\.0\.0\.1:8080/)",
        "a pywb collection and its server until stopped: tests/test_export.py does this on a free port and "
        "replays every capture of the demo archive",
    ),
]


@dataclass
class Command:
    source: str  # file:line
    text: str  # as documented, continuations joined


def sh_blocks() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{path.relative_to(REPO)}:{line}", match.group(1)))
    return found


def commands(source: str, block: str) -> list[Command]:
    joined = re.sub(r"\\\n\s*", " ", block)
    return [Command(source, line.strip()) for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def not_run_reason(command: str) -> str | None:
    return next((reason for pattern, reason in NOT_RUN if re.search(pattern, command)), None)


class World(dict):
    """What the substitutions are filled with, and the folder the commands run in."""

    def __init__(self, folder: Path, server: DemoServer, redis: RedisServer):
        super().__init__()
        self.folder = folder
        self.update({name: site.base_url for name, site in server.sites.items()})
        self.update(
            sites=str(write_site_configs(folder.parent / "etc-sites", server.port_base or 0)),
            data_db=str(folder.parent / "data" / "archive.db"),
            redis=redis.url,
            browse_port=str(free_port()),
            demo_port_base=str(free_port_base(len(manifest()))),
        )

    def substitute(self, command: str, used: set[int] | None = None) -> str:
        for number, (documented, here, _) in enumerate(SUBSTITUTIONS):
            pattern = documented[3:] if documented.startswith("re:") else re.escape(documented)
            replacement = here.format_map(self)
            command, count = re.subn(pattern, lambda _: replacement, command)  # noqa: B023
            if count and used is not None:
                used.add(number)
        return command

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        }


def gold_sample(source: Path, folder: Path, pages: int | None = None) -> Path:
    """The first `pages` lines of a gold folder's gold.jsonl (without `pages`: the first line of
    each family), with their pages, in `folder`."""
    lines = (source / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    if pages is None:
        firsts = {json.loads(line)["family"]: line for line in reversed(lines)}
        lines = [line for line in lines if line in firsts.values()]
    lines = lines[:pages]
    for line in lines:
        name = json.loads(line)["file"]
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, folder / name)
    (folder / "gold.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("docs")
    folder = root / "checkout"
    folder.mkdir()
    for name in LINKED:
        (folder / name).symlink_to(REPO / name)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    (root / "data").mkdir()
    with (
        DemoServer(port_base=free_port_base(len(manifest()))) as server,
        RedisServer(root / "redis") as redis,
    ):
        world = World(folder, server, redis)
        world.update(
            cwced_sample=str(gold_sample(REPO.parent / "shared" / "benchmarks" / "cwced", root / "cwced", 5)),
            realpages_sample=str(gold_sample(REPO / "benchmarks" / "realpages", root / "realpages", 5)),
            corpus_sample=str(gold_sample(REPO / "tests" / "fixtures" / "corpus", root / "corpus")),
        )
        # The archives the docs name, holding the demo sites; the saved page of `govnews extract`.
        first = folder / "archive.db"
        crawl = [str(BIN / "govnews"), "crawl", "--all", "--sites-dir", world["sites"], "--db", str(first)]
        result = subprocess.run(crawl, capture_output=True, text=True, env=world.env(), timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        for copy in (folder / "gov.db", Path(world["data_db"])):
            shutil.copy(first, copy)
        seed = server.sites["weidu"].root / "zwxx/wdyw/202004/t20200430_1234567.html"
        shutil.copy(seed, folder / "saved-page.html")
        with sqlite3.connect(first) as db:
            row = db.execute("select page_url, sha256 from attachments where sha256 is not null limit 1").fetchone()
        assert row, "the demo sites link attachments: the archive should hold one"
        world.update(attachment_page=row[0], attachment_sha256=row[1])
        yield world


def run_command(world: World, command: Command) -> str:
    text = world.substitute(command.text)
    server = next((url for pattern, url in SERVERS if pattern.search(text)), None)
    if server:
        return run_server(world, command, text, server.format_map(world))
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", text],
        cwd=world.folder,
        capture_output=True,
        text=True,
        env=world.env(),
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{command.source}: {text}\n{output[-3000:]}"
    assert "Traceback" not in output, f"{command.source}: {text}\n{output[-3000:]}"
    return output


def run_server(world: World, command: Command, text: str, url: str) -> str:
    if "--port" not in text:  # the default port may be held by another run
        text = text.replace("govnews browse ", f"govnews browse --port {world['browse_port']} ", 1)
    process = subprocess.Popen(
        ["bash", "-c", f"exec {text}"],
        cwd=world.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=world.env(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(urllib.parse.quote(url, safe=":/?=&"), timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, f"{command.source}: {text} exited"
                assert time.monotonic() < deadline, f"{command.source}: {url} never answered"
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output, output[-3000:]
    return output


BLOCKS = sh_blocks()


def test_the_docs_have_command_blocks():
    sources = {source.split(":")[0] for source, _ in BLOCKS}
    assert {"README.md", "docs/scheduling.md", "docs/scaling.md", "docs/export.md"} <= sources
    assert sum(len(commands(*block)) for block in BLOCKS) > 60


def test_each_substitution_and_each_not_run_pattern_is_used(world):
    everything = [c.text for block in BLOCKS for c in commands(*block)]
    for pattern, _ in NOT_RUN:
        assert any(re.search(pattern, c) for c in everything), f"NOT_RUN {pattern!r} matches no documented command"
    used: set[int] = set()
    for command in everything:
        world.substitute(command, used)
    unused = [SUBSTITUTIONS[n][0] for n in range(len(SUBSTITUTIONS)) if n not in used]
    assert not unused, f"substitutions no documented command needs: {unused}"


@pytest.mark.parametrize("source, block", BLOCKS, ids=[source for source, _ in BLOCKS])
def test_the_block_runs_as_written(world, source, block):
    for command in commands(source, block):
        reason = not_run_reason(command.text)
        if reason is None:
            run_command(world, command)
            continue
        # Not run: the checkout's files it names exist, and a make target is one the Makefile has.
        for word in re.findall(r"(?:/srv/govnews/)?(deploy/[\w.@-]+|crawler/[\w/.-]+)", command.text):
            assert (REPO / word).exists(), f"{source}: {command.text}: no {word}"
        target = re.match(r"^make (\w+)", command.text)
        if target:
            result = subprocess.run(["make", "-n", target.group(1)], cwd=REPO, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
