"""A new source is its module and one registry line: the settings, `sources`, `lookup` and the
configuration table all find it from its declaration (README "Extending")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sources
from bot.cli import main
from bot.settings import settings_table
from tests.fakes.extra_source import ExampleArchive
from tests.fakes.http import FakeServer


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The one line a developer adds to sources/__init__.py.
    monkeypatch.setattr(sources, "REGISTRY", [*sources.REGISTRY, ExampleArchive])
    yield


def test_a_new_source_is_configured_shown_and_asked_from_its_declaration(
    registered: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = settings_table()
    assert "| `ATTENTION_EXARCHIVE_URL` | `https://archive.example.org/api` | Example Archive's API. |" in rows
    assert any(row.startswith("| `ATTENTION_EXARCHIVE_API_KEY` | unset |") for row in rows)

    monkeypatch.setenv("ATTENTION_DISABLED_SOURCES", "wikipedia,hackernews,crossref,datacite,europepmc,mastodon")
    assert main(["cmd", "sources"]) == 0
    out = capsys.readouterr().out
    assert "Example Archive: not configured - set ATTENTION_EXARCHIVE_API_KEY (ask the archive for one)" in out

    with FakeServer() as archive:
        archive.route("GET", "/records/10.5555/abc", json={"views": 1234})
        monkeypatch.setenv("ATTENTION_EXARCHIVE_URL", archive.url)
        monkeypatch.setenv("ATTENTION_EXARCHIVE_API_KEY", "archive-key-9f8e7d")
        assert main(["cmd", "lookup", "10.5555/abc"]) == 0
        out, err = capsys.readouterr()
        assert "Example Archive" in out and "1,234" in out
        assert archive.requests[0].query["key"] == ["archive-key-9f8e7d"]
        assert "archive-key-9f8e7d" not in out + err  # a secret by its type: never shown

        assert main(["cmd", "sources"]) == 0
        assert "Example Archive: not polled yet; last success" in capsys.readouterr().out


def test_a_misspelt_name_for_the_new_source_is_refused_with_the_real_names(
    registered: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATTENTION_POLL_INTERVALS", "exarchiv=60")
    with pytest.raises(SystemExit) as stop:
        main(["cmd", "list"])
    assert stop.value.code == 2
    assert "exarchive" in capsys.readouterr().err
