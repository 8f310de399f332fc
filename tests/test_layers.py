"""Imports flow one way: core <- sources, storage <- handlers <- bot. Only bot imports slack_bolt."""

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
ONLY_IN_BOT = {"slack_bolt"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
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
                if top in ONLY_IN_BOT and package != "bot":
                    problems.append(f"{where} imports {module}: only bot/ may import {top}")
    return problems


def test_imports_flow_one_way() -> None:
    assert violations(ROOT) == []


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "core" / "models.py").write_text("from handlers.router import dispatch\n")
    (tmp_path / "storage" / "db.py").write_text("import sources.http\n")
    (tmp_path / "handlers" / "x.py").write_text("from slack_bolt import App\nfrom bot import cli\n")
    (tmp_path / "bot" / "ok.py").write_text("from handlers import router\nimport slack_bolt\n")
    found = violations(tmp_path)
    assert len(found) == 4
    assert any("core may not import handlers" in p for p in found)
    assert any("storage may not import sources" in p for p in found)
    assert any("only bot/ may import slack_bolt" in p for p in found)
    assert any("handlers may not import bot" in p for p in found)
