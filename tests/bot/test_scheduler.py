"""The background jobs: fixed ids, intervals from settings, no doubles after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.notify import ConsoleNotifier
from bot.scheduler import (
    DELIVERY_JOB,
    SET_SYNC_JOB,
    add_jobs,
    build_notifier,
    first_ask_job,
    poll_and_deliver,
    polling_lock,
    start_scheduler,
)
from bot.settings import load_settings
from core.models import Identifier
from handlers.context import Context
from handlers.options import Options
from handlers.polling.first import NewlyWatched
from storage import state, watches
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource


@pytest.fixture
def two_sources(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Context:
    news, blogs, off = ScriptedSource("news"), ScriptedSource("blogs"), ScriptedSource("off")
    monkeypatch.setattr(off, "configured", lambda: False)
    ctx.sources = [news, blogs, off]
    return ctx


def test_jobs_have_fixed_ids_intervals_and_survive_a_restart_without_doubling(
    two_sources: Context, tmp_path: Path
) -> None:
    settings = load_settings(db=tmp_path / "attention.db", poll_intervals={"news": 30}, set_sync_hours=12)
    chat = RecordingNotifier()
    scheduler = start_scheduler(settings, two_sources, chat)
    try:
        ids = sorted(j.id for j in scheduler.get_jobs() if j.id.startswith(("poll:", DELIVERY_JOB)))
        assert ids == [DELIVERY_JOB, "poll:blogs", "poll:news"]  # nothing for a source switched off
        total = len(scheduler.get_jobs())  # with the weekly summary's
        news = scheduler.get_job("poll:news")
        assert news.trigger.interval == timedelta(minutes=30)
        assert scheduler.get_job("poll:blogs").trigger.interval == timedelta(minutes=360)
        assert news.coalesce is True and news.max_instances == 1
        sets = scheduler.get_job(SET_SYNC_JOB)  # watched sets are listed again (ATTENTION_SET_SYNC_HOURS)
        assert sets.trigger.interval == timedelta(hours=12) and sets.max_instances == 1
        add_jobs(scheduler, settings, two_sources, chat)  # adding again replaces
        assert len(scheduler.get_jobs()) == total
        kept = state.get_state(two_sources.store.db, "news").next_run_at
        assert kept and datetime.fromisoformat(kept) > datetime.now(UTC)
    finally:
        scheduler.shutdown(wait=False)
    again = start_scheduler(settings, two_sources, chat)
    try:
        assert len(again.get_jobs()) == total
        # The restarted schedule resumes the recorded next run instead of polling at once.
        resumed = again.get_job("poll:news").next_run_time
        assert resumed.astimezone(UTC).isoformat(timespec="seconds") == kept
    finally:
        again.shutdown(wait=False)


def test_a_scheduled_poll_is_followed_by_delivery(ctx: Context) -> None:
    source = ScriptedSource()
    ctx.sources = [source]
    ctx.options = Options(**{"alert_group_seconds": 0, "alert_on_first_poll": True})
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
    source.add("doi:10.1/x", "m1")
    chat = RecordingNotifier()
    poll_and_deliver(ctx, chat, source)
    assert [p.channel for p in chat.posts] == ["C1"]


def test_console_notifier_without_a_slack_token(ctx: Context, tmp_path: Path) -> None:
    settings = load_settings(db=tmp_path / "attention.db")
    assert isinstance(build_notifier(settings, ctx), ConsoleNotifier)


def test_new_items_are_left_to_a_poll_of_their_source_that_is_running(ctx: Context) -> None:
    # A big import then a start: the scheduled poll asks every item; asking the new ones beside
    # it asked each twice against the source's rate.
    news = ScriptedSource("news")
    ctx.sources = [news]
    new = NewlyWatched(NewlyWatched.start(ctx, since=datetime.now(UTC) - timedelta(days=1)))
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/new")])
    chat = RecordingNotifier()
    with polling_lock("news"):  # the poll is running
        first_ask_job(ctx, chat, news, new)
        assert news.asked == []
    poll_and_deliver(ctx, chat, news)
    first_ask_job(ctx, chat, news, new)  # the poll asked it: not again
    assert news.asked == ["doi:10.1/new"]
