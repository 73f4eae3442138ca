"""The files in deploy/ run commands that exist, with options the CLI takes."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from crawler.cli import cli

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
QUEUE_ENV = {"GOVNEWS_QUEUE_URL": "redis://:secret@10.0.0.5:6379/0"}


def govnews_commands() -> list[tuple[str, list[str]]]:
    commands = []
    for path in sorted(DEPLOY.glob("*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                continue
            for part in line.split("&&"):
                words = shlex.split(part.split(">>")[0])
                found = [i for i, w in enumerate(words) if w.endswith("bin/govnews")]
                if found:
                    args = [QUEUE_ENV.get(w[2:-1], w) if w.startswith("${") else w for w in words[found[0] + 1 :]]
                    commands.append((path.name, args))
    return commands


def test_the_deploy_files_run_govnews():
    names = {name for name, _ in govnews_commands()}
    assert {"govnews-worker@.service", "govnews-ingest.service", "govnews-enqueue.service"} <= names
    assert {"crontab", "govnews-crawl.service"} <= names


@pytest.mark.parametrize("name, args", govnews_commands(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_each_deploy_command_parses(name, args):
    command = cli.get_command(click.Context(cli), args[0])
    assert command is not None, f"{name}: no command {args[0]!r}"
    with click.Context(command) as ctx:
        command.parse_args(ctx, list(args[1:]))  # raises on an unknown option or a bad value
