"""The background jobs of `attention-bot run`: a poll per source, the delivery loop, the daily
housekeeping (retention) and the listing of watched sets (ATTENTION_SET_SYNC_HOURS).

APScheduler 3.x BackgroundScheduler. Jobs have fixed ids and ``replace_existing=True``, so
adding them again (a restart, a second call) replaces rather than doubles them; ``coalesce``
and ``max_instances=1`` keep one poll of a source at a time however late the process is.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.notify import ConsoleNotifier
from bot.settings import Settings
from bot.streams import StreamThreads, start_streams
from bot.summary_job import add_summary_job
from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.notifier import Notifier
from handlers.polling.first import NewlyWatched
from handlers.polling.housekeeping import run_housekeeping
from handlers.polling.poll import run_poll
from handlers.polling.sets import sync_sets
from sources.base import Source
from storage import state

log = logging.getLogger(__name__)

DELIVERY_JOB = "deliver"
DELIVERY_SECONDS = 60
HOUSEKEEPING_JOB = "housekeeping"
SET_SYNC_JOB = "set-sync"
#: The daily purge runs at this UTC hour (jittered), away from the usual summary time.
HOUSEKEEPING_HOUR = 3
#: Seconds between the first polls of different sources after a start, so they do not all
#: fire at once.
STAGGER_SECONDS = 20
MAX_JITTER_SECONDS = 300


#: One per source: its scheduled poll holds it while it runs. The first ask of new items does
#: not wait for it but leaves them to the running poll, which asks every watched item: asking
#: them beside it asked a big import twice (177,209 requests for 100,000 items).
_POLLING: dict[str, threading.Lock] = {}
_POLLING_GUARD = threading.Lock()


def polling_lock(source_name: str) -> threading.Lock:
    with _POLLING_GUARD:
        return _POLLING.setdefault(source_name, threading.Lock())


def poll_job_id(source: Source) -> str:
    return f"poll:{source.name}"


def interval_minutes(settings: Settings, source: Source) -> float:
    return float(settings.poll_intervals.get(source.name) or source.default_interval_minutes)


def build_notifier(settings: Settings, ctx: Context, *, stream: TextIO | None = None) -> Notifier:
    """Slack when SLACK_BOT_TOKEN is set, the console otherwise (printing to ``stream``,
    writing charts into ATTENTION_FILES_DIR)."""
    if settings.slack_bot_token:
        # Imported only here: the console and cron without Slack never load slack_sdk's client.
        slack = importlib.import_module("bot.slack_client")
        return slack.build_slack_notifier(settings)  # type: ignore[no-any-return]
    return ConsoleNotifier(stream=stream, files_dir=settings.files_dir.expanduser().resolve())


def _record_next_run(scheduler: BackgroundScheduler, ctx: Context, source_name: str) -> None:
    job = scheduler.get_job(f"poll:{source_name}")
    at = job.next_run_time if job is not None else None
    with ctx.store.transaction() as db:
        state.set_next_run(
            db, source_name, at.astimezone(UTC).isoformat(timespec="seconds") if at else None
        )


def poll_and_deliver(
    ctx: Context, notifier: Notifier, source: Source, scheduler: BackgroundScheduler | None = None
) -> None:
    """One scheduled poll, then delivery of what it found. Never raises into the scheduler."""
    try:
        with polling_lock(source.name):
            report = run_poll(ctx, source)
    except Exception:
        log.exception("poll of %s failed", source.name)
    else:
        log.info("poll %s", report.summary())
    try:
        deliver_pending(ctx, notifier)
    except Exception:
        log.exception("delivery after the %s poll failed", source.name)
    if scheduler is not None:
        _record_next_run(scheduler, ctx, source.name)


def first_ask_job(ctx: Context, notifier: Notifier, source: Source, new: NewlyWatched) -> None:
    """Ask a source about the items watched since its last look, unless its poll is running
    (that poll asks them; a later look skips those it asked). Never raises into the scheduler."""
    lock = polling_lock(source.name)
    if not lock.acquire(blocking=False):
        return
    try:
        report = new.ask(ctx, source)
    except Exception:
        log.exception("first ask of new items by %s failed", source.name)
        return
    finally:
        lock.release()
    if report is None:
        return
    log.info("first ask %s", report.summary())
    if report.alerts:  # only with ATTENTION_ALERT_ON_FIRST_POLL
        deliver_job(ctx, notifier)


def deliver_job(ctx: Context, notifier: Notifier) -> None:
    try:
        report = deliver_pending(ctx, notifier)
    except Exception:
        log.exception("delivery failed")
        return
    if report.sent or report.failed or report.retrying or report.channels_gone:
        log.info("outbox: %s", report.summary())


def housekeeping_job(ctx: Context) -> None:
    """The daily purge (handlers.housekeeping). Never raises into the scheduler."""
    try:
        log.info("%s", run_housekeeping(ctx))
    except Exception:
        log.exception("housekeeping failed")


def set_sync_job(ctx: Context, notifier: Notifier) -> None:
    """List the watched sets again (handlers.polling.sets), then tell their channels about new
    works. Never raises into the scheduler."""
    try:
        log.info("%s", sync_sets(ctx))
    except Exception:
        log.exception("set listing failed")
    try:
        deliver_pending(ctx, notifier)
    except Exception:
        log.exception("delivery after the set listing failed")


def _first_run(ctx: Context, source: Source, index: int, now: datetime) -> datetime:
    """Resume the schedule kept in source_state; a source never polled goes soon after start."""
    kept = state.get_state(ctx.store.db, source.name).next_run_at
    if kept:
        try:
            at = datetime.fromisoformat(kept)
        except ValueError:
            at = None
        if at is not None and at > now:
            return at
    return now + timedelta(seconds=STAGGER_SECONDS * (index + 1))


def add_jobs(
    scheduler: BackgroundScheduler, settings: Settings, ctx: Context, notifier: Notifier
) -> list[str]:
    """Add (or replace) the poll, delivery and daily housekeeping jobs; returns their ids."""
    now = ctx.now()
    ids = []
    for index, source in enumerate(s for s in ctx.sources if s.configured()):
        minutes = interval_minutes(settings, source)
        jitter = int(min(MAX_JITTER_SECONDS, minutes * 6))  # up to a tenth of the interval
        job = scheduler.add_job(
            poll_and_deliver,
            trigger=IntervalTrigger(minutes=minutes, jitter=jitter or None, timezone=UTC),
            args=[ctx, notifier, source, scheduler],
            id=poll_job_id(source),
            name=f"poll {source.label}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(minutes * 30),
            next_run_time=_first_run(ctx, source, index, now),
        )
        ids.append(job.id)
    # Newly watched items: each source looks for them every half of ATTENTION_FIRST_POLL_SECONDS,
    # so one is asked within it (plus the time the asking takes).
    look = settings.first_poll_seconds / 2
    start = NewlyWatched.start(ctx, since=now - timedelta(days=1))
    for source in (s for s in ctx.sources if s.configured()):
        job = scheduler.add_job(
            first_ask_job,
            trigger=IntervalTrigger(seconds=look, timezone=UTC),
            args=[ctx, notifier, source, NewlyWatched(start)],
            id=f"first:{source.name}",
            name=f"first ask of new items by {source.label}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=now + timedelta(seconds=look),
        )
        ids.append(job.id)
    scheduler.add_job(
        deliver_job,
        trigger=IntervalTrigger(seconds=DELIVERY_SECONDS, timezone=UTC),
        args=[ctx, notifier],
        id=DELIVERY_JOB,
        name="deliver the outbox",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    ids.append(DELIVERY_JOB)
    scheduler.add_job(
        housekeeping_job,
        trigger=CronTrigger(hour=HOUSEKEEPING_HOUR, minute=0, jitter=MAX_JITTER_SECONDS, timezone=UTC),
        args=[ctx],
        id=HOUSEKEEPING_JOB,
        name="purge old mentions and audit rows",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # A bot down at 03:00 purges when it is back the same day.
        misfire_grace_time=12 * 3600,
    )
    ids.append(HOUSEKEEPING_JOB)
    hours = settings.set_sync_hours
    scheduler.add_job(
        set_sync_job,
        trigger=IntervalTrigger(hours=hours, jitter=int(min(MAX_JITTER_SECONDS, hours * 360)) or None, timezone=UTC),
        args=[ctx, notifier],
        id=SET_SYNC_JOB,
        name="list the watched sets again",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # A set not listed for a while (the bot was down) is listed soon after a start.
        next_run_time=now + timedelta(seconds=STAGGER_SECONDS),
        misfire_grace_time=int(hours * 1800),
    )
    ids.append(SET_SYNC_JOB)
    return ids


class BotScheduler(BackgroundScheduler):
    """The scheduler, and the streams that run beside it: stopped together."""

    streams: StreamThreads | None = None

    def deliver_soon(self) -> None:
        """Run the delivery job now (a stream matched something), not at its next minute."""
        with contextlib.suppress(JobLookupError):
            self.modify_job(DELIVERY_JOB, next_run_time=datetime.now(UTC))

    def shutdown(self, wait: bool = True) -> None:
        if self.streams is not None:
            self.streams.shutdown()
        super().shutdown(wait=wait)


def start_scheduler(settings: Settings, ctx: Context, notifier: Notifier) -> BackgroundScheduler:
    """Start the background jobs and the streams; call ``shutdown(wait=False)`` on the result
    when stopping."""
    scheduler = BotScheduler(timezone=UTC, daemon=True)
    add_jobs(scheduler, settings, ctx, notifier)
    add_summary_job(scheduler, settings, ctx, notifier)
    scheduler.start()
    scheduler.streams = start_streams(ctx, on_alerts=scheduler.deliver_soon)
    for source in ctx.sources:
        if source.configured():
            _record_next_run(scheduler, ctx, source.name)
    jobs: list[Any] = scheduler.get_jobs()
    log.info("scheduler started: %s", ", ".join(j.id for j in jobs))
    return scheduler
