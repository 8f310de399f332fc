"""Newly watched items are asked about soon: only the new ones, once per source, baseline set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.models import Identifier
from handlers.context import Context
from handlers.polling.first import NewlyWatched
from handlers.router import dispatch
from storage import polls, watches
from tests.fakes.scripted_source import ScriptedSource

OLD = Identifier(scheme="doi", value="10.1/old")


def test_only_new_items_are_asked_once_and_get_their_baseline(ctx: Context) -> None:
    source = ScriptedSource("news")
    ctx.sources = [source]
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [OLD])
    new = NewlyWatched(NewlyWatched.start(ctx, since=datetime.now(UTC) + timedelta(seconds=1)))
    assert new.ask(ctx, source) is None and source.asked == []  # nothing watched since

    assert dispatch(ctx, "watch 10.1/new, hdl:2027/new https://example.org/page", channel="C1").ok
    source.add("doi:10.1/new", "already-out-there")
    report = new.ask(ctx, source)
    assert report is not None
    # The URL is not something this source is asked about; the old item waits for its poll.
    assert sorted(source.asked) == ["doi:10.1/new", "handle:2027/new"]
    assert report.summary() == "news: asked 2 of 2 items, 1 new, 2 first asks (baselines, no alerts)"
    item_id = watches.get_watched_item(ctx.store.db, "C1", Identifier(scheme="doi", value="10.1/new"))
    assert item_id is not None and polls.has_baseline(ctx.store.db, item_id.id, "news")
    assert "last poll" in dispatch(ctx, "status").text

    # Watched again elsewhere: already asked, so not asked again.
    assert dispatch(ctx, "watch 10.1/new", channel="C2").ok
    assert new.ask(ctx, source) is None and len(source.asked) == 2


def test_a_start_counts_the_last_days_watches_as_new(ctx: Context) -> None:
    source = ScriptedSource("news")
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [OLD])  # watched while the bot was down
    new = NewlyWatched(NewlyWatched.start(ctx, since=datetime.now(UTC) - timedelta(days=1)))
    assert new.ask(ctx, source) is not None and source.asked == ["doi:10.1/old"]


def test_a_big_import_is_first_asked_only_as_far_as_the_rate_allows(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.polling.poll as poll

    monkeypatch.setattr(poll, "lookup_budget", lambda ctx, source: 2)  # two lookups a poll
    source = ScriptedSource("news")
    new = NewlyWatched(NewlyWatched.start(ctx, since=datetime.now(UTC)))
    assert dispatch(ctx, "watch 10.1/a 10.1/b 10.1/c", channel="C1").ok
    report = new.ask(ctx, source)
    assert report is not None and len(source.asked) == 2
    assert "asked 2 of 3 items" in report.summary() and "1 left for the next polls" in report.summary()
