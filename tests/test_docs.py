"""Declarative files kept in step with the code: README lists every command and CLI subcommand,
and its identifier table says what the parser does."""

from __future__ import annotations

import codecs
import re

import pytest

from bot.cli import SUBCOMMANDS
from core.errors import InputError
from core.identifiers import display, parse_identifier
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


def _identifier_rows() -> list[tuple[str, list[str], str]]:
    """(kind, examples, what the bot keeps) for each row of README's identifier table."""
    section = README[README.index("## Identifiers") :]
    table = section[section.index("| kind |") :].split("\n\n")[0].splitlines()[2:]
    rows = []
    for line in table:
        kind, typed, kept = (cell.strip() for cell in line.strip("|").split(" | "))
        examples = re.findall(r"`([^`]+)`", typed)
        # Invisible characters are written as Python escapes (\x00, \u202e) in the README.
        examples = [codecs.decode(e, "unicode_escape") if "\\" in e else e for e in examples]
        expected = "refused" if kept.startswith("refused") else re.findall(r"`([^`]+)`", kept)[0]
        rows.append((kind, examples, expected))
    return rows


IDENTIFIER_ROWS = _identifier_rows()


def test_the_identifier_table_covers_every_kind_and_refusal() -> None:
    kinds = " ".join(kind for kind, _, _ in IDENTIFIER_ROWS)
    for word in ("DOI", "Handle", "arXiv", "PMID", "PMCID", "ISBN", "ARK", "URN", "URL", "punctuation", "invisible"):
        assert word in kinds
    assert sum(len(examples) for _, examples, _ in IDENTIFIER_ROWS) >= 60


@pytest.mark.parametrize(("kind", "examples", "expected"), IDENTIFIER_ROWS, ids=[r[0] for r in IDENTIFIER_ROWS])
def test_every_example_in_the_identifier_table_becomes_what_it_says(kind: str, examples: list[str], expected: str) -> None:
    for example in examples:
        if expected == "refused":
            with pytest.raises(InputError):
                parse_identifier(example)
        else:
            assert display(parse_identifier(example)) == expected, f"README, {kind}: `{example}`"


def test_readme_says_when_each_source_can_first_alert() -> None:
    """The paragraph naming every source's default poll interval agrees with the sources."""
    from bot.settings import _every
    from sources import REGISTRY as SOURCES

    start = README.index("**When alerts can first arrive:**")
    text = " ".join(README[start : README.index("\n\n", start)].split())
    clause = text[text.index("every ", text.index("grouping wait")) + len("every ") : text.index(" (the ")]
    said: dict[str, list[str]] = {}
    for part in clause.split("; "):
        interval, _, names = part.partition(" for ")
        for cls in SOURCES:
            if re.search(rf"(^|, | and ){re.escape(cls.label)}(,|$| and )", names):
                said.setdefault(cls.label, []).append(interval)
    assert said == {cls.label: [_every(cls.default_interval_minutes)] for cls in SOURCES}
