"""A clean install: the wheel builds without a setuptools warning and carries the package data.

The build runs offline with the venv's setuptools (`--no-build-isolation`; `make setup-test`
installs a setuptools that reads `license = "MIT"`), on a copy of the checkout, so that the
checkout gets no build/ or *.egg-info.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import REPO

pytestmark = pytest.mark.e2e  # a real `pip wheel`

IGNORED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.db", ".*_cache")
# What the build's own lines say when setuptools complains (its warnings, deprecations, "!!" boxes).
WARNING = re.compile(r"warning|deprecat|^\s*!!\s*$|is absent from the|would be ignored", re.IGNORECASE | re.MULTILINE)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    source = tmp_path_factory.mktemp("source") / "govnews"
    shutil.copytree(REPO, source, ignore=IGNORED)
    out = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # else "byte-compiling is disabled"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("govnews-*.whl")
    return result.stdout + result.stderr, wheel


def test_the_wheel_builds_without_a_setuptools_warning(built):
    output, _ = built
    assert "running bdist_wheel" in output  # the backend's own lines are in the output read
    found = [line for line in output.splitlines() if WARNING.search(line)]
    assert not found, "\n".join(found[:20])


def test_the_wheel_carries_the_package_data(built):
    _, wheel = built
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "archive/metadata.json",
        "archive/datasette_plugin/static/govnews.css",
        "crawler/demo/demo.yaml",
        "pipelines/data/gov_terms.txt",
        "pipelines/data/stopwords.txt",
        "pipelines/data/surnames.txt",
    }
    expected |= {f"crawler/sites/{p.name}" for p in (REPO / "crawler" / "sites").glob("*.yaml")}
    expected |= {
        p.relative_to(REPO).as_posix() for p in (REPO / "crawler" / "demo" / "sites").rglob("*") if p.is_file()
    }
    assert len(expected) > 60  # the demo sites' pages are among them
    assert expected - names == set()
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
