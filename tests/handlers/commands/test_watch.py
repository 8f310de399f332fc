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


def every_row(ctx: Context) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the audit log (which records the refusal itself)."""
    db = ctx.store.db
    return {t: db.execute(f"SELECT * FROM [{t}]").fetchall() for t in db.table_names() if t != "audit"}


@pytest.mark.parametrize(
    "typed",
    [
        "watch 10.1038/ok 10.1038/x\x00",
        "watch 10.1038/ok,\x1b[31m10.1038/red\x1b[0m",
        "watch https://example.org/\u202egnp.exe",
        "watch 10.1038/x\u200b",
        "watch 10.1038/ok root:x:0:0:root:/root:/bin/bash",
    ],
)
def test_a_refused_identifier_changes_nothing_and_is_never_shown_or_kept_raw(ctx: Context, typed: str) -> None:
    dispatch(ctx, "watch 10.1038/before", channel="C1")
    before = every_row(ctx)
    reply = dispatch(ctx, typed, channel="C1")
    assert not reply.ok and "nothing was changed" in reply.text.lower()
    assert every_row(ctx) == before
    raw = [ch for ch in "\x00\x1b\u202e\u200b" if ch in typed]
    assert not any(ch in reply.text for ch in raw)
    (args,) = ctx.store.db.execute("SELECT args FROM audit WHERE outcome = 'error'").fetchone()
    assert not any(ch in args for ch in raw), "the audit log keeps the refused text escaped"


@pytest.mark.parametrize("typed", ["watch 10.1038/a,10.1038/b", "watch 10.1038/a, 10.1038/b", "watch 10.1038/a ,10.1038/b"])
def test_commas_separate_identifiers_in_watch_and_unwatch(ctx: Context, typed: str) -> None:
    reply = dispatch(ctx, typed, channel="C1")
    assert reply.ok and "Now watching 2 items in C1: 10.1038/a, 10.1038/b" in reply.text
    gone = dispatch(ctx, "unwatch 10.1038/a,10.1038/b", channel="C1")
    assert gone.ok and "Stopped watching: 10.1038/a, 10.1038/b" in gone.text


@pytest.mark.parametrize("verb", ["lookup", "forget"])
def test_lookup_and_forget_count_comma_separated_identifiers(ctx: Context, verb: str) -> None:
    dispatch(ctx, "watch 10.1038/a", channel="C1")
    for typed in (f"{verb} 10.1038/a,10.1038/b", f"{verb} 10.1038/a, 10.1038/b"):
        reply = dispatch(ctx, typed, channel="C1")
        assert not reply.ok and "Give one identifier" in reply.text
    if verb == "forget":  # a trailing comma is punctuation, not a second identifier
        assert "would remove 10.1038/a" in dispatch(ctx, "forget 10.1038/a,", channel="C1").text


def test_urls_of_one_item_are_one_item(ctx: Context) -> None:
    dispatch(ctx, "watch http://repository.example.edu/items/7/", channel="C1")
    reply = dispatch(
        ctx, "watch https://repository.example.edu:443/items/7?utm_source=newsletter repository.example.edu/items/7",
        channel="C1",
    )
    assert "Already watched here: https://repository.example.edu/items/7" in reply.text
    assert "Now watching" not in reply.text
    assert snapshot(ctx) == (1, 1, 1)


def test_scheme_less_resolver_links_are_their_identifiers_not_handles(ctx: Context) -> None:
    reply = dispatch(ctx, "watch doi.org/10.1038/nature12373 hdl.handle.net/2027/abc arxiv.org/abs/2101.00001", channel="C1")
    assert "10.1038/nature12373, handle:2027/abc, arxiv:2101.00001" in reply.text
    assert "handle:doi.org" not in dispatch(ctx, "list", channel="C1").text
