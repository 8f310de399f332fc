"""`summary` covers the same window in chat and the CLI and says which, with its dates; the
chart has one slot a day and places mentions on the day they were written; `summary --post`
skips an empty week unless ATTENTION_SUMMARY_POST_EMPTY."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.cli import main
from core.models import Identifier, Mention
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from handlers.summaries.data import build_summary
from handlers.summaries.periods import recent_bounds
from storage import Store, open_store
from storage.mentions import add_mentions
from storage.watches import watch_item

PAPER = Identifier(scheme="doi", value="10.1234/paper")
#: Wednesday 2 December 2026, 15:00 in Berlin.
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def _seed(store: Store) -> None:
    """Three mentions seen on Wednesday: one written on Monday, one written a year ago (before
    the window), one whose source gives no date."""
    with store.transaction() as db:
        item, _ = watch_item(db, "C1", [PAPER], title="The paper")
        found = [
            Mention(source="feeds", external_id="monday", kind="news", occurred_at=datetime(2026, 11, 30, 9, tzinfo=UTC)),
            Mention(source="feeds", external_id="old", kind="blog", occurred_at=datetime(2025, 12, 1, tzinfo=UTC)),
            Mention(source="wikipedia", external_id="undated", kind="wikipedia"),
        ]
        add_mentions(db, item, found, seen_at="2026-12-02T10:00:00+00:00")


@pytest.fixture
def berlin(fresh_store: Store) -> Context:
    _seed(fresh_store)
    return Context(store=fresh_store, options=Options(summary_tz="Europe/Berlin"))


def test_seven_days_are_seven_slots_and_mentions_sit_on_the_day_they_were_written(berlin: Context) -> None:
    start, end = recent_bounds(NOW, timedelta(days=7), tz="Europe/Berlin")
    assert start == "2026-11-25T23:00:00+00:00"  # Thursday 26 November, local midnight
    s = build_summary(berlin, "C1", start=start, end=end, window="the last 7 days")
    assert s.days == ("2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02")
    by_day = {(p.day, p.source): p.mentions for p in s.daily}
    # Written on Monday: Monday's slot. Written before the window, or undated: the day it was seen.
    assert by_day == {("2026-11-30", "feeds"): 1, ("2026-12-02", "feeds"): 1, ("2026-12-02", "wikipedia"): 1}
    assert s.period_days == 7


def test_chat_and_cli_summaries_cover_the_same_days_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "attention.db")
    _seed(store)
    monkeypatch.setenv("ATTENTION_SUMMARY_TZ", "Europe/Berlin")
    with time_machine.travel(NOW, tick=False):
        chat = dispatch(Context(store=store, options=Options(summary_tz="Europe/Berlin")), "summary", channel="C1")
        store.close()
        assert main(["summary", "--channel", "C1"]) == 0
    heading = "Attention summary for C1, the last 7 days: 26 Nov - 02 Dec 2026 (Europe/Berlin)"
    assert chat.text.splitlines()[0] == heading
    assert capsys.readouterr().out.splitlines()[0] == heading
    assert "3 new mentions" in chat.text


def test_post_skips_an_empty_week_unless_asked_to_post_empty_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "attention.db")
    _seed(store)  # this week's attention; the last full week had none
    store.close()
    with time_machine.travel(NOW, tick=False):
        assert main(["summary", "--channel", "C1", "--post"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Nothing posted: C1 had no new attention in the week: 23 Nov - 29 Nov 2026")
        assert "ATTENTION_SUMMARY_POST_EMPTY=true" in out and "[#C1]" not in out
        monkeypatch.setenv("ATTENTION_SUMMARY_POST_EMPTY", "true")
        assert main(["summary", "--channel", "C1", "--post"]) == 0
        out = capsys.readouterr().out
        assert "[#C1] Attention summary for C1, the week: 23 Nov - 29 Nov 2026" in out
        assert "Posted the summary of the week: 23 Nov - 29 Nov 2026 for C1." in out
