"""How a summary finds the items with attention and picks its top ones on a big watchlist:
rising counts found without grouping every series, ties cut on rising counts then names, and
the same answer whether or not the channel watches every item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.models import Count, Identifier
from handlers.context import Context
from handlers.options import Options
from handlers.summaries.data import build_summary
from handlers.summaries.render import count_line, render_summary
from sources import build_sources
from sources.config import SourcesConfig
from storage import Store
from storage import summaries as summaries_store
from storage.counts import record_counts
from storage.mentions import add_mentions
from storage.watches import watch_item
from tests.fakes.summary_data import SUMMARY_TIME, WEEK_END, WEEK_START, mention, seed_week

INSIDE = "2026-10-21T10:00:00+00:00"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _watch(store: Store, channel: str, name: str) -> int:
    with time_machine.travel(_at("2026-10-01T09:00:00+00:00"), tick=False), store.transaction() as db:
        item_id, _ = watch_item(db, channel, [Identifier(scheme="doi", value=f"10.1234/{name}")], title=name)
    return item_id


def _counts(store: Store, item_id: int, metric: str, values: list[tuple[str, float]]) -> None:
    with store.transaction() as db:
        for when, value in values:
            record_counts(db, item_id, [Count(source="crossref", metric=metric, value=value, observed_at=_at(when))])


def _rising(store: Store, channel: str | None) -> set[int]:
    return summaries_store.rising_items(store.db, channel, WEEK_START, WEEK_END)


def test_rising_items_agree_with_the_count_rises_shown(fresh_store: Store) -> None:
    up = _watch(fresh_store, "C1", "up")
    back = _watch(fresh_store, "C1", "back")
    fell_but_other_rose = _watch(fresh_store, "C1", "mixed")
    new_series = _watch(fresh_store, "C1", "new")
    elsewhere = _watch(fresh_store, "C2", "elsewhere")
    before = "2026-10-10T00:00:00+00:00"
    _counts(fresh_store, up, "citations", [(before, 3), ("2026-10-20T00:00:00+00:00", 4), (INSIDE, 5)])
    # 8 -> 9 -> 8 within the week: no rise over the week.
    _counts(fresh_store, back, "citations", [(before, 8), ("2026-10-20T00:00:00+00:00", 9), (INSIDE, 8)])
    _counts(fresh_store, fell_but_other_rose, "citations", [(before, 8), (INSIDE, 6)])
    _counts(fresh_store, fell_but_other_rose, "cited_by", [(before, 1), (INSIDE, 2)])
    # A series first seen this week and never changed: it shows no rise.
    _counts(fresh_store, new_series, "citations", [(INSIDE, 4)])
    _counts(fresh_store, elsewhere, "citations", [(before, 1), (INSIDE, 9)])

    shown = {r.item_id for r in summaries_store.count_rises(fresh_store.db, "C1", WEEK_START, WEEK_END)}
    assert shown == {up, fell_but_other_rose}
    assert _rising(fresh_store, "C1") == shown
    assert set(summaries_store.rises_per_item(fresh_store.db, "C1", WEEK_START, WEEK_END)) == shown
    # None: every item's, for a channel that watches them all.
    assert _rising(fresh_store, None) == shown | {elsewhere}


def test_only_a_channel_watching_every_item_skips_the_check(fresh_store: Store) -> None:
    _watch(fresh_store, "C1", "first")
    assert summaries_store.watches_every_item(fresh_store.db, "C1")
    with fresh_store.transaction() as db:
        watch_item(db, "C1", [Identifier(scheme="doi", value="10.1234/second")])
        watch_item(db, "C2", [Identifier(scheme="doi", value="10.1234/first")])
    assert summaries_store.watches_every_item(fresh_store.db, "C1")
    assert not summaries_store.watches_every_item(fresh_store.db, "C2")


@pytest.fixture
def berlin(fresh_store: Store) -> Context:
    seed_week(fresh_store)
    return Context(
        store=fresh_store, now=lambda: SUMMARY_TIME,
        options=Options(**{"summary_day": "mon", "summary_tz": "Europe/Berlin"}),
        sources=build_sources(SourcesConfig()),
    )


def test_a_summary_is_the_same_whether_or_not_the_channel_watches_every_item(berlin: Context) -> None:
    store = berlin.store
    # seed_week leaves C1 watching two of three items; let C3 watch all three.
    ids = [int(r[0]) for r in store.db.execute("SELECT id FROM items ORDER BY id").fetchall()]
    with store.transaction() as db:
        for item_id in ids:
            db.execute(
                "INSERT INTO watches (channel, item_id, created_at) SELECT 'C3', item_id, created_at "
                "FROM watches WHERE item_id = ? AND channel IN ('C1', 'C2')",
                [item_id],
            )
    assert summaries_store.watches_every_item(store.db, "C3")
    c1 = build_summary(berlin, "C1", start=WEEK_START, end=WEEK_END)
    c3 = build_summary(berlin, "C3", start=WEEK_START, end=WEEK_END)
    # C3 also has the other channel's paper: one more news mention (8 points) and item.
    assert (c3.new_mentions, c3.items_with_attention) == (c1.new_mentions + 1, c1.items_with_attention + 1)
    assert c3.score == c1.score + 8
    assert [c.label for c in c3.top] == ["Deep-sea worms", "Someone else's paper", "Glacier data"]


def test_source_lines_say_one_point_not_one_points(berlin: Context) -> None:
    text = render_summary(build_summary(berlin, "C1", start=WEEK_START, end=WEEK_END)).text
    # Two toots of 0.5 points each.
    assert "Mastodon: 2 mentions of 1 item, 1 point" in text
    assert "Wikipedia: 1 mention of 1 item, 3 points" in text


def test_ties_at_the_cut_go_to_more_rising_counts_then_to_the_name(fresh_store: Store) -> None:
    names = ["delta", "alpha", "charlie", "bravo"]
    ids = {name: _watch(fresh_store, "C1", name) for name in names}
    with fresh_store.transaction() as db:
        for name, item_id in ids.items():
            # One news story each: all four gained 8 points with one mention.
            add_mentions(db, item_id, [mention("feeds", f"news-{name}", "news")], seen_at=INSIDE)
    before = "2026-10-10T00:00:00+00:00"
    _counts(fresh_store, ids["delta"], "citations", [(before, 1), (INSIDE, 2)])
    _counts(fresh_store, ids["delta"], "cited_by", [(before, 1), (INSIDE, 2)])
    _counts(fresh_store, ids["charlie"], "citations", [(before, 1), (INSIDE, 2)])
    ctx = Context(store=fresh_store)
    s = build_summary(ctx, "C1", start=WEEK_START, end=WEEK_END, top=3)
    assert [c.label for c in s.top] == ["delta", "charlie", "alpha"]
    assert s.items_with_attention == 4


def test_items_with_only_rising_counts_fill_a_short_list(fresh_store: Store) -> None:
    mentioned = _watch(fresh_store, "C1", "mentioned")
    two = _watch(fresh_store, "C1", "two-counts")
    one = _watch(fresh_store, "C1", "one-count")
    with fresh_store.transaction() as db:
        add_mentions(db, mentioned, [mention("mastodon", "toot", "social")], seen_at=INSIDE)
    before = "2026-10-10T00:00:00+00:00"
    _counts(fresh_store, two, "citations", [(before, 1), (INSIDE, 2)])
    _counts(fresh_store, two, "cited_by", [(before, 1), (INSIDE, 3)])
    _counts(fresh_store, one, "citations", [(before, 1), (INSIDE, 2)])
    ctx = Context(store=fresh_store, now=lambda: datetime(2026, 10, 26, tzinfo=UTC))
    s = build_summary(ctx, "C1", start=WEEK_START, end=WEEK_END, top=2)
    assert [c.label for c in s.top] == ["mentioned", "two-counts"]
    assert tuple(count_line(r) for r in s.top[1].counts) == ("crossref citations 1 -> 2", "crossref cited by 1 -> 3")
    assert s.items_with_attention == 3
