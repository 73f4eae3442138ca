"""The layers, read from the code: imports go one way, and settings have one default each.

Every import of the project's packages is read with `ast`, deferred ones (inside functions) too.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "spiders", "pipelines", "archive")
CRAWL_FRAMEWORKS = {"scrapy", "scrapy_playwright", "twisted"}
# and what a stage worker process runs: it imports no Scrapy (tests/test_stage_worker.py: a real one)
PURE_STAGES = ("pipelines.extract", "pipelines.normalize", "pipelines.enrich", "pipelines.stage_worker")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, as written (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


@lru_cache(maxsize=1)
def graph() -> dict[str, tuple[set[str], set[str]]]:
    """module → (the project's modules it imports, the top-level outside packages it imports)."""
    known = modules()
    result = {}
    for name, path in known.items():
        names = imported_names(path)
        internal = {n for n in names if n in known and n != name}
        # `from pkg import name` where name is not a module is an import of pkg itself
        internal |= {n.rpartition(".")[0] for n in names if n not in known and n.rpartition(".")[0] in known}
        internal.discard(name)
        outside = {n.split(".")[0] for n in names if n.split(".")[0] not in PACKAGES}
        result[name] = (internal, outside)
    return result


def reach(start: str) -> set[str]:
    """The modules `start` imports, directly or through others (itself included)."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph()[name][0])
    return seen


def cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph()[node][0]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph()):
        if node not in index:
            visit(node)
    return groups


def test_the_reader_sees_every_import():
    # deferred imports count: crawler.cli imports the archive inside its commands
    assert "archive.store" in graph()["crawler.cli"][0]
    assert {"scrapy"} <= graph()["spiders.site"][1]
    assert "pipelines.extract" in modules() and len(modules()) > 40


def test_no_two_files_import_each_other():
    assert cycles() == []


def test_the_pure_stages_reach_neither_the_crawl_framework_nor_the_archive():
    for stage in PURE_STAGES:
        reached = reach(stage)
        assert not {m for m in reached if m.split(".")[0] == "archive"}, stage
        frameworks = {(m, f) for m in reached for f in graph()[m][1] & CRAWL_FRAMEWORKS}
        assert not frameworks, stage


def test_the_archive_never_reaches_the_crawl_framework():
    for name in (m for m in modules() if m.split(".")[0] == "archive"):
        frameworks = {(m, f) for m in reach(name) for f in graph()[m][1] & CRAWL_FRAMEWORKS}
        assert not frameworks, name


# --- settings -------------------------------------------------------------------------------

SETTING_READ = re.compile(r"settings\.get\w*\(\s*\"(GOVNEWS_\w+|ARCHIVE_DB)\"(\s*,)?|settings\[\"(GOVNEWS_\w+)\"\]")


def declared_settings() -> dict[str, object]:
    from crawler import settings

    return {name: getattr(settings, name) for name in dir(settings) if name.startswith(("GOVNEWS_", "ARCHIVE_DB"))}


def setting_reads() -> list[tuple[str, str, bool]]:
    """(file, setting, given a default there) for every read of a govnews setting."""
    reads = []
    for path in modules().values():
        for match in SETTING_READ.finditer(path.read_text(encoding="utf-8")):
            reads.append((str(path.relative_to(REPO)), match.group(1) or match.group(3), bool(match.group(2))))
    return reads


def test_every_setting_read_is_declared_once_with_its_default():
    reads = setting_reads()
    assert len(reads) >= 15
    declared = declared_settings()
    assert {name for _, name, _ in reads} <= set(declared)
    assert [(path, name) for path, name, default in reads if default] == []


def test_every_setting_and_command_is_documented():
    from click import Group

    from crawler.cli import cli

    docs = (REPO / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md")
    )
    assert [name for name in declared_settings() if name not in docs] == []
    assert isinstance(cli, Group)
    assert [name for name in cli.commands if f"govnews {name}" not in docs] == []


def test_the_crawl_run_never_travels_through_the_stats_collector():
    for path in modules().values():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"get_value\(\s*\"govnews/(crawl_run_id|stop_detail)\"", text), path
        assert "archive_for(" not in text, path
