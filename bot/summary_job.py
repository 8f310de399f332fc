"""The weekly summary job: every channel with watches, on ATTENTION_SUMMARY_DAY/TIME/TZ.

APScheduler's memory job store forgets a run missed while the bot was down, so at start a
one-off catch-up run is added when the last scheduled time is less than ``GRACE_HOURS`` ago.
Posting is idempotent per channel and week (handlers/weekly.py), so the catch-up, a late run
and the regular run can never post a week twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.settings import Settings
from handlers.context import Context
from handlers.notifier import Notifier
from handlers.render import plural
from handlers.summaries.periods import weekday_index
from handlers.summaries.weekly import post_weekly_summary, upload_charts
from storage import summaries

log = logging.getLogger(__name__)

SUMMARY_JOB = "summary:weekly"
CATCHUP_JOB = "summary:catchup"
GRACE_HOURS = 12
CATCHUP_DELAY_SECONDS = 60


def weekly_summaries(ctx: Context, notifier: Notifier) -> int:
    """Post last week's summary to every channel that has watches; returns how many were new.
    One channel's failure never stops the others, nor raises into the scheduler."""
    now = ctx.now()
    posted = 0
    for channel in summaries.channels_with_watches(ctx.store.db):
        try:
            posted += post_weekly_summary(ctx, notifier, channel, now=now)
        except Exception:
            log.exception("weekly summary for %s failed", channel)
    try:
        upload_charts(ctx, notifier)
    except Exception:
        log.exception("chart uploads failed")
    if posted:
        log.info("weekly summary posted to %s", plural(posted, "channel"))
    return posted


def last_scheduled(settings: Settings, now: datetime) -> datetime:
    """The latest summary time (weekday, HH:MM in the summary time zone) at or before ``now``."""
    zone = ZoneInfo(settings.summary_tz)
    local = now.astimezone(zone)
    hh, mm = (int(p) for p in settings.summary_time.split(":"))
    day = local.date() - timedelta(days=(local.weekday() - weekday_index(settings.summary_day)) % 7)
    at = datetime(day.year, day.month, day.day, hh, mm, tzinfo=zone)
    if at > local:
        at -= timedelta(days=7)
        at = datetime(at.year, at.month, at.day, hh, mm, tzinfo=zone)  # keep the wall-clock time
    return at


def add_summary_job(
    scheduler: BaseScheduler, settings: Settings, ctx: Context, notifier: Notifier
) -> list[str]:
    """Add (or replace) the weekly summary job, and a catch-up run if one was just missed."""
    hh, mm = (int(p) for p in settings.summary_time.split(":"))
    scheduler.add_job(
        weekly_summaries,
        trigger=CronTrigger(
            day_of_week=settings.summary_day, hour=hh, minute=mm, timezone=ZoneInfo(settings.summary_tz)
        ),
        args=[ctx, notifier],
        id=SUMMARY_JOB,
        name="weekly summary",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=GRACE_HOURS * 3600,
    )
    ids = [SUMMARY_JOB]
    now = ctx.now().astimezone(UTC)
    if now - last_scheduled(settings, now) <= timedelta(hours=GRACE_HOURS):
        scheduler.add_job(
            weekly_summaries,
            trigger=DateTrigger(run_date=now + timedelta(seconds=CATCHUP_DELAY_SECONDS), timezone=UTC),
            args=[ctx, notifier],
            id=CATCHUP_JOB,
            name="weekly summary (catch-up after a start)",
            replace_existing=True,
            misfire_grace_time=GRACE_HOURS * 3600,
        )
        ids.append(CATCHUP_JOB)
    return ids
