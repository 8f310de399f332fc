"""Summary contents against known data, week boundaries across DST, the chart, the commands."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest
import time_machine

from core.models import Count
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from handlers.summaries.chart import chart_png
from handlers.summaries.data import build_summary
from handlers.summaries.periods import parse_period, week_bounds
from handlers.summaries.render import count_line, render_summary
from sources import build_sources
from sources.config import SourcesConfig
from storage import Store, polls
from storage.counts import record_counts
from storage.mentions import add_mentions
from storage.watches import watch_item
from tests.fakes.summary_data import GLACIER, SUMMARY_TIME, WEEK_END, WEEK_START, mention, seed_week


@pytest.fixture
def berlin_ctx(fresh_store: Store) -> Context:
    seed_week(fresh_store)
    return Context(
        store=fresh_store, options=Options(**{"summary_day": "mon", "summary_tz": "Europe/Berlin"}),
        sources=build_sources(SourcesConfig()),  # for their labels; never asked here
    )


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # Berlin leaves summer time on Sunday 25 October 2026: that week is 169 hours long.
        (SUMMARY_TIME, "Europe/Berlin", (WEEK_START, WEEK_END)),
        # 00:30 CET on Monday 26th is already after the week's end.
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "Europe/Berlin", (WEEK_START, WEEK_END)),
        # 23:30 CET on Sunday 25th: that week is not over, so the one before is reported.
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "Europe/Berlin",
         ("2026-10-11T22:00:00+00:00", WEEK_START)),
        # New York leaves summer time on Sunday 1 November 2026.
        (datetime(2026, 11, 2, 14, 0, tzinfo=UTC), "America/New_York",
         ("2026-10-26T04:00:00+00:00", "2026-11-02T05:00:00+00:00")),
        (SUMMARY_TIME, "UTC", ("2026-10-19T00:00:00+00:00", "2026-10-26T00:00:00+00:00")),
    ],
)
def test_week_is_the_last_full_local_week(now: datetime, tz: str, expected: tuple[str, str]) -> None:
    assert week_bounds(now, weekday="mon", tz=tz) == expected


def test_week_can_end_on_another_weekday() -> None:
    # A Friday summary covers Friday to Thursday.
    start, end = week_bounds(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), weekday="fri", tz="UTC")
    assert (start, end) == ("2026-10-16T00:00:00+00:00", "2026-10-23T00:00:00+00:00")


def test_summary_counts_the_berlin_week_across_dst(berlin_ctx: Context) -> None:
    s = build_summary(berlin_ctx, "C1", start=WEEK_START, end=WEEK_END)
    # news-1 (first second), wiki-1, and the two toots at 23:30 CET on Sunday.
    assert s.new_mentions == 4
    assert s.items_with_attention == 2
    assert s.score == 8 + 3 + 0.5 + 0.5
    # The previous 169 hours hold the blog post and news-0 (Sunday 23:59:59 CEST).
    assert s.previous_score == 5 + 8
    assert [c.label for c in s.top] == ["Deep-sea worms", "Glacier data"]
    worms = s.top[0]
    assert (worms.score_before, worms.score_after, worms.new_mentions) == (13, 24, 2)
    assert worms.sources == ("Blog and news feeds", "Wikipedia")
    assert tuple(count_line(r) for r in worms.counts) == ("Crossref citations 3 -> 5",)
    assert worms.url == "https://doi.org/10.1234/worms"
    assert [(b.source, b.mentions, b.score, b.items) for b in s.by_source] == [
        ("feeds", 1, 8, 1), ("wikipedia", 1, 3, 1), ("mastodon", 2, 1, 1)
    ]
    assert s.days == tuple(f"2026-10-{d}" for d in range(19, 26))
    assert [(d.day, d.source, d.mentions) for d in s.daily] == [
        ("2026-10-19", "feeds", 1), ("2026-10-21", "wikipedia", 1), ("2026-10-25", "mastodon", 2)
    ]
    assert [w.label for w in s.newly_watched] == ["Glacier data"]
    assert s.label == "19 Oct - 25 Oct 2026"


def test_summary_text_and_blocks_show_what_happened(berlin_ctx: Context) -> None:
    reply = render_summary(build_summary(berlin_ctx, "C1", start=WEEK_START, end=WEEK_END))
    text = reply.text
    assert "Attention summary for C1, 19 Oct - 25 Oct 2026 (Europe/Berlin)" in text
    assert "4 new mentions, 2 items with attention, attention score 12 (-1 on the previous 7 days)" in text
    assert (
        "1. Deep-sea worms (10.1234/worms): score 13 -> 24; 2 new mentions on Blog and news feeds, "
        "Wikipedia; Crossref citations 3 -> 5"
    ) in text
    assert "Someone else" not in text
    assert "Newly watched (1):" in text and "Glacier data (10.5555/glacier)" in text
    assert reply.blocks and reply.blocks[0]["type"] == "header"
    flat = str(reply.blocks)
    assert "<https://doi.org/10.1234/worms|Deep-sea worms>" in flat
    assert len(reply.blocks) <= 50


def test_quiet_week_says_so(berlin_ctx: Context) -> None:
    s = build_summary(berlin_ctx, "C1", start="2026-11-01T23:00:00+00:00", end="2026-11-08T23:00:00+00:00")
    assert not s.has_attention
    assert "No new attention this time." in render_summary(s).text


def test_chart_is_a_png_of_the_week(berlin_ctx: Context) -> None:
    png = chart_png(build_summary(berlin_ctx, "C1", start=WEEK_START, end=WEEK_END))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 420)
    assert len(png) > 10_000


def test_chart_of_an_empty_week_still_renders(berlin_ctx: Context) -> None:
    empty = build_summary(berlin_ctx, "C9", start=WEEK_START, end=WEEK_END)
    png = chart_png(empty)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


@pytest.mark.parametrize("text", ["7", "7x", "d7", "0d", "400d", "1y"])
def test_bad_period_says_how_to_write_one(text: str) -> None:
    from core.errors import InputError

    with pytest.raises(InputError, match="use 7d, 30d or 12w"):
        parse_period(text)


def test_periods() -> None:
    assert parse_period("30d").days == 30
    assert parse_period("12w").days == 84


def test_summary_and_top_commands_answer_for_the_rolling_period(berlin_ctx: Context) -> None:
    with time_machine.travel(datetime(2026, 10, 26, 0, 0, tzinfo=UTC), tick=False):
        reply = dispatch(berlin_ctx, "summary --private", channel="C1")
        assert reply.ok and reply.ephemeral
        # The last 7 days from 00:00Z start after news-1 and end after toot-3 (00:30 CET Monday).
        assert "4 new mentions" in reply.text and "Mastodon: 3 mentions of 1 item" in reply.text
        assert reply.files and reply.files[0].content[:4] == b"\x89PNG"
        top = dispatch(berlin_ctx, "top 1 30d", channel="C1")
        assert top.ok
        assert top.text.splitlines()[0] == "Top 1 in the last 30 days (27 Sep - 26 Oct 2026):"
        assert "1. Deep-sea worms (10.1234/worms): score 0 -> 24" in top.text
        assert "Glacier" not in top.text
        public = dispatch(berlin_ctx, "summary 30d", channel="C1")
        assert not public.ephemeral
    bad = dispatch(berlin_ctx, "summary 7x", channel="C1")
    assert not bad.ok and "use 7d, 30d or 12w" in bad.text
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        quiet = dispatch(berlin_ctx, "top", channel="C1")
    assert quiet.ok and quiet.text.startswith("No item watched here gained attention in the last 7 days (")


def test_commands_are_in_help(berlin_ctx: Context) -> None:
    text = dispatch(berlin_ctx, "help").text
    for usage in ("summary [7d|30d] [collection|set] [--private]", "top [N] [period] [collection|set]", "export [period]"):
        assert usage in text


def test_an_item_watched_this_second_is_in_the_summary(ctx: Context) -> None:
    with time_machine.travel(datetime(2026, 10, 26, 8, 0, 0, 500_000, tzinfo=UTC), tick=False):
        dispatch(ctx, "watch 10.1234/worms", channel="C1")
        reply = dispatch(ctx, "summary", channel="C1")
    assert "Newly watched (1):" in reply.text and "10.1234/worms" in reply.text


@pytest.mark.parametrize("alerted_on_first_poll", [False, True])
def test_what_the_first_poll_found_is_not_counted_as_gained(fresh_store: Store, alerted_on_first_poll: bool) -> None:
    """Twenty old Wikipedia citations found when a DOI is watched are not "20 new mentions"."""
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [GLACIER])
    with time_machine.travel(datetime(2026, 10, 20, 9, 0, tzinfo=UTC), tick=False), fresh_store.transaction() as db:
        old = [mention("wikipedia", f"old-{n}", "wikipedia") for n in range(20)]
        add_mentions(db, item_id, old)
        polls.set_baseline(db, item_id, "wikipedia")
    with fresh_store.transaction() as db:
        add_mentions(db, item_id, [mention("wikipedia", "new-1", "wikipedia")], seen_at="2026-10-22T09:00:00+00:00")
        # Altmetric's score, first seen this week and risen since: the alerts said so, and so does it.
        for day, value in ((20, 10), (23, 26)):
            at = datetime(2026, 10, day, 9, 0, tzinfo=UTC)
            record_counts(db, item_id, [Count(source="altmetric", metric="score", value=value, observed_at=at)])
    ctx = Context(
        store=fresh_store, options=Options(**{"alert_on_first_poll": alerted_on_first_poll}), sources=build_sources(SourcesConfig())
    )
    s = build_summary(ctx, "C1", start="2026-10-19T00:00:00+00:00", end="2026-10-26T00:00:00+00:00")
    (glacier,) = s.top
    if alerted_on_first_poll:  # they were alerted about as news, so the summary agrees
        assert (s.new_mentions, glacier.score_before, glacier.score_after) == (21, 0, 63)
    else:
        assert (s.new_mentions, s.score, glacier.score_before, glacier.score_after) == (1, 3, 60, 63)
        assert (
            "1. 10.5555/glacier: score 60 -> 63; 1 new mention on Wikipedia; Altmetric score 10 -> 26"
            in render_summary(s).text
        )
