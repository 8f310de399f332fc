"""Imports flow one way: core <- sources, storage <- handlers <- bot; each outside library that
talks to the world is imported by one layer only; and no module imports one that imports it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests import paths

ROOT = paths.ROOT

# What each package may import of ours, besides itself.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "sources": {"core"},
    "storage": {"core"},
    "handlers": {"core", "sources", "storage"},
    "bot": {"core", "sources", "storage", "handlers"},
}
#: Libraries only one layer may import: Slack in bot/, the network in sources/, SQL in storage/.
ONLY_IN = {
    "slack_bolt": "bot", "slack_sdk": "bot",
    "httpx": "sources",
    "sqlite3": "storage", "sqlite_utils": "storage",
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every import in the file, at any depth (functions and TYPE_CHECKING blocks included),
    with ``from package import module`` named as the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    root = path
    while (root.parent / "__init__.py").exists():
        root = root.parent
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            subs = [a.name for a in node.names
                    if (root.parent / base.replace(".", "/") / f"{a.name}.py").exists()
                    or (root.parent / base.replace(".", "/") / a.name / "__init__.py").exists()]
            found += [(node.lineno, f"{base}.{s}") for s in subs] or [(node.lineno, base)]
    return found


def violations(root: Path) -> list[str]:
    problems = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for lineno, module in imported_modules(path):
                top = module.split(".")[0]
                where = f"{path.relative_to(root)}:{lineno}"
                if top in ALLOWED and top != package and top not in allowed:
                    problems.append(f"{where} imports {module}: {package} may not import {top}")
                if top in ONLY_IN and package != ONLY_IN[top]:
                    problems.append(f"{where} imports {module}: only {ONLY_IN[top]}/ may import {top}")
    return problems


def _module(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def cycles(root: Path) -> list[list[str]]:
    """Groups of our modules that import each other, directly or round a loop."""
    graph: dict[str, set[str]] = {}
    for package in ALLOWED:
        for path in (root / package).rglob("*.py"):
            name = _module(root, path)
            graph[name] = {m for _, m in imported_modules(path) if m.split(".")[0] in ALLOWED and m != name}
    for name in graph:
        graph[name] = {m for m in graph[name] if m in graph}
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_flow_one_way() -> None:
    assert violations(ROOT) == []


def test_no_import_cycles() -> None:
    assert cycles(ROOT) == []


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "core" / "models.py").write_text("from handlers.router import dispatch\n")
    (tmp_path / "storage" / "db.py").write_text("import sources.http\n")
    (tmp_path / "handlers" / "x.py").write_text("from slack_bolt import App\nfrom bot import cli\nimport httpx\n")
    (tmp_path / "bot" / "ok.py").write_text("from handlers import router\nimport slack_bolt\n")
    (tmp_path / "sources" / "y.py").write_text("import sqlite3\n")
    found = violations(tmp_path)
    assert len(found) == 6
    assert any("core may not import handlers" in p for p in found)
    assert any("storage may not import sources" in p for p in found)
    assert any("only bot/ may import slack_bolt" in p for p in found)
    assert any("handlers may not import bot" in p for p in found)
    assert any("only sources/ may import httpx" in p for p in found)
    assert any("only storage/ may import sqlite3" in p for p in found)


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "bot" / "cli.py").write_text("from bot.pollcmd import run\n")
    (tmp_path / "bot" / "pollcmd.py").write_text("def run():\n    from bot import cli\n")
    (tmp_path / "sources" / "base.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sources.http import F\n")
    (tmp_path / "sources" / "http.py").write_text("from sources.base import Source\n")
    assert cycles(tmp_path) == [["bot.cli", "bot.pollcmd"], ["sources.base", "sources.http"]]
