"""The weekly post: once per channel and week, across repeats and restarts, with its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.settings import Settings
from bot.summary_job import (
    CATCHUP_JOB,
    SUMMARY_JOB,
    add_summary_job,
    last_scheduled,
    weekly_summaries,
)
from handlers.context import Context
from handlers.notifier import DeliveryError
from handlers.options import Options
from handlers.summaries.data import build_summary
from handlers.summaries.weekly import enqueue_summary, post_weekly_summary, summary_key
from storage import open_store, outbox
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.summary_data import SUMMARY_TIME, WEEK_END, WEEK_START, seed_week

OPTIONS = {"summary_day": "mon", "summary_tz": "Europe/Berlin", "summary_post_empty": False}


class ThreadedUploads(RecordingNotifier):
    """Also records the thread each upload went to."""

    def __init__(self) -> None:
        super().__init__()
        self.upload_threads: list[str | None] = []

    def upload(self, channel: str, *, filename: str, content: bytes, title: str = "", thread_ts: str | None = None) -> None:
        super().upload(channel, filename=filename, content=content, title=title, thread_ts=thread_ts)
        self.upload_threads.append(thread_ts)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "attention.db"
    store = open_store(path)
    seed_week(store)
    store.close()
    return path


def context(path: Path, **options: object) -> Context:
    """A Context as a (re)started bot builds it on the same database file."""
    return Context(store=open_store(path), options=Options(**(OPTIONS | options)))


def test_week_is_posted_once_with_its_chart_in_the_thread(db_path: Path) -> None:
    chat = ThreadedUploads()
    ctx = context(db_path)
    assert post_weekly_summary(ctx, chat, "C1", now=SUMMARY_TIME) is True
    [post] = chat.posts
    assert post.key == "summary:C1:2026-10-19"
    assert "Attention summary for C1, the week: 19 Oct - 25 Oct 2026" in post.text
    assert post.blocks and post.blocks[0]["type"] == "header"
    [(channel, filename, png)] = chat.uploads
    assert (channel, filename, png[:4]) == ("C1", "attention-2026-10-19.png", b"\x89PNG")
    assert chat.upload_threads == [post.ts]

    # Again, later the same day, and after a restart with a new Context on the same file.
    assert post_weekly_summary(ctx, chat, "C1", now=SUMMARY_TIME + timedelta(hours=5)) is False
    ctx.store.close()
    restarted = context(db_path)
    assert post_weekly_summary(restarted, chat, "C1", now=SUMMARY_TIME + timedelta(hours=1)) is False
    assert len(chat.posts) == 1 and len(chat.uploads) == 1


def test_a_summary_queued_before_a_crash_is_sent_once_after_the_restart(db_path: Path) -> None:
    chat = ThreadedUploads()
    ctx = context(db_path)
    summary = build_summary(ctx, "C1", start=WEEK_START, end=WEEK_END, tz="Europe/Berlin")
    assert enqueue_summary(ctx, summary, key=summary_key("C1", "2026-10-19"))
    ctx.store.close()  # the process dies before delivering
    restarted = context(db_path)
    assert post_weekly_summary(restarted, chat, "C1", now=SUMMARY_TIME) is False
    assert [p.key for p in chat.posts] == ["summary:C1:2026-10-19"]
    assert chat.upload_threads == [chat.posts[0].ts]
    post_weekly_summary(restarted, chat, "C1", now=SUMMARY_TIME)
    assert len(chat.posts) == 1 and len(chat.uploads) == 1


def test_a_failed_post_is_retried_by_the_next_run_and_then_gets_its_chart(db_path: Path) -> None:
    chat = ThreadedUploads()
    chat.fail_next("C1", DeliveryError("Slack answered 503"))
    ctx = context(db_path)
    assert post_weekly_summary(ctx, chat, "C1", now=SUMMARY_TIME) is True
    assert chat.posts == [] and chat.uploads == []
    assert post_weekly_summary(ctx, chat, "C1", now=SUMMARY_TIME + timedelta(minutes=5)) is False
    assert len(chat.posts) == 1
    assert chat.upload_threads == [chat.posts[0].ts]


def test_an_empty_week_is_not_posted_unless_configured(db_path: Path) -> None:
    chat = ThreadedUploads()
    quiet_monday = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    ctx = context(db_path)
    assert post_weekly_summary(ctx, chat, "C1", now=quiet_monday) is False
    assert chat.posts == []
    assert outbox.get(ctx.store.db, "summary:C1:2026-11-02") is None
    ctx.store.close()
    loud = context(db_path, summary_post_empty=True)
    assert post_weekly_summary(loud, chat, "C1", now=quiet_monday) is True
    [post] = chat.posts
    assert "No new attention this time." in post.text
    assert chat.uploads == []  # no chart of nothing


def test_the_job_posts_to_every_watching_channel_once(db_path: Path) -> None:
    chat = ThreadedUploads()
    ctx = context(db_path)
    ctx.now = lambda: SUMMARY_TIME
    assert weekly_summaries(ctx, chat) == 2  # C1 and C2
    assert weekly_summaries(ctx, chat) == 0
    assert sorted(p.channel for p in chat.posts) == ["C1", "C2"]
    c2 = chat.in_channel("C2")[0]
    assert "Someone else's paper" in c2.text and "Deep-sea worms" not in c2.text


def _settings(**values: object) -> Settings:
    return Settings(summary_day="mon", summary_time="09:00", summary_tz="Europe/Berlin", **values)  # type: ignore[arg-type]


def test_scheduler_job_has_a_fixed_id_and_a_catch_up_after_a_missed_run(db_path: Path) -> None:
    ctx = context(db_path)
    settings = _settings()
    # Monday 26 October 09:00 CET is 08:00Z; a start at 10:30Z is within the grace period.
    assert last_scheduled(settings, SUMMARY_TIME + timedelta(hours=2)) == SUMMARY_TIME
    scheduler = BackgroundScheduler(timezone=UTC)
    ctx.now = lambda: SUMMARY_TIME + timedelta(hours=2, minutes=30)
    ids = add_summary_job(scheduler, settings, ctx, RecordingNotifier())
    assert ids == [SUMMARY_JOB, CATCHUP_JOB]
    add_summary_job(scheduler, settings, ctx, RecordingNotifier())  # a second call replaces
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {SUMMARY_JOB, CATCHUP_JOB}
    weekly = jobs[SUMMARY_JOB]
    assert weekly.misfire_grace_time >= 3600 and weekly.coalesce
    fire = weekly.trigger.get_next_fire_time(None, SUMMARY_TIME + timedelta(hours=2))
    assert fire.astimezone(UTC) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 CET next Monday
    # Started on a Thursday: no catch-up.
    ctx.now = lambda: datetime(2026, 10, 29, 12, 0, tzinfo=UTC)
    later = BackgroundScheduler(timezone=UTC)
    assert add_summary_job(later, settings, ctx, RecordingNotifier()) == [SUMMARY_JOB]
