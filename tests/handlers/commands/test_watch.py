"""The watchlist commands as a user types them (through the router, like Slack and the shell)."""

from __future__ import annotations

import re

import pytest

from handlers.context import Context
from handlers.router import dispatch


def snapshot(ctx: Context) -> tuple[int, int, int]:
    db = ctx.store.db
    return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("items", "identifiers", "watches"))  # type: ignore[return-value]


def test_watch_list_unwatch(ctx: Context) -> None:
    reply = dispatch(ctx, "watch https://doi.org/10.1038/NATURE12373 hdl:10546/620334", channel="C1")
    assert reply.ok and "Now watching 2 items" in reply.text
    again = dispatch(ctx, "watch 10.1038/nature12373", channel="C1")
    assert "Already watched here: 10.1038/nature12373" in again.text
    listing = dispatch(ctx, "list", channel="C1").text
    assert "10.1038/nature12373" in listing and "handle:10546/620334" in listing
    assert "Nothing is watched" in dispatch(ctx, "list", channel="C2").text
    gone = dispatch(ctx, "unwatch doi:10.1038/nature12373", channel="C1")
    assert gone.ok and "Stopped watching: 10.1038/nature12373" in gone.text
    assert "10.1038/nature12373" not in dispatch(ctx, "list", channel="C1").text


@pytest.mark.parametrize("text", ["watch 10.1234", "watch hello", "watch", "watch " + "x" * 5000, "watch 10.1/ok 10.1234"])
def test_bad_input_is_refused_and_changes_nothing(ctx: Context, text: str) -> None:
    before = snapshot(ctx)
    reply = dispatch(ctx, text, channel="C1")
    assert not reply.ok and reply.ephemeral
    assert re.search(r"10\.\d+/\w+", reply.text), "the message shows what a valid identifier looks like"
    assert snapshot(ctx) == before


def test_unknown_command_and_bad_quotes_say_what_to_type(ctx: Context) -> None:
    assert "Type `help`" in dispatch(ctx, "wach 10.1/x").text
    reply = dispatch(ctx, 'watch "10.1/x')
    assert not reply.ok and "quotes" in reply.text


def test_help_comes_from_docstrings(ctx: Context) -> None:
    from handlers.router import REGISTRY

    text = dispatch(ctx, "help").text
    for spec in REGISTRY:
        assert spec.usage in text
        assert spec.summary and spec.summary in text
    assert "several at once" in dispatch(ctx, "help watch").text
    assert not dispatch(ctx, "help nope").ok


def test_unwatch_of_something_not_watched_says_so(ctx: Context) -> None:
    reply = dispatch(ctx, "unwatch 10.1/never", channel="C1")
    assert not reply.ok and "Not watched in this channel" in reply.text


def test_only_slow_forms_are_acknowledged_first() -> None:
    from handlers.router import is_slow

    assert is_slow("lookup 10.1/x") and is_slow("summary 30d")
    assert is_slow("watch collection theses from https://repo.example.edu/oai")
    assert not is_slow("watch 10.1/x") and not is_slow("list") and not is_slow('watch "bad')
