"""Declarative files kept in step with the code: README lists every command and CLI subcommand."""

from __future__ import annotations

import pytest

from bot.cli import SUBCOMMANDS
from handlers.router import REGISTRY
from tests import paths

README = paths.README.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_readme_lists_every_command(spec: object) -> None:
    usage = spec.usage.replace("|", "\\|")  # type: ignore[attr-defined]
    assert f"| `{usage}` |" in README, "regenerate README's command table from handlers/router.py"


@pytest.mark.parametrize("name", [s[0] for s in SUBCOMMANDS])
def test_readme_shows_every_cli_subcommand(name: str) -> None:
    assert f"attention-bot {name}" in README


def test_quick_start_is_two_commands() -> None:
    start = README.index("## Quick start")
    block = README[start:].split("```")[1]
    assert block.split() == ["make", "run", "make", "test"]
