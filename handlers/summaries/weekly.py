"""Posting summaries to a channel exactly once: the weekly one, and one asked for now.

A summary becomes one outbox row with a key naming the channel and the week, so however often
the job runs (twice, after a restart, late after a missed run) the week is posted once. The
delivery loop sends it like any other row; its chart is a second row uploaded in the thread of
the message once the message is sent (see storage/summaries.py for its statuses).
"""

from __future__ import annotations

import base64
import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.alerts.deliver import MAX_ATTEMPTS, deliver_pending
from handlers.context import Context
from handlers.notifier import DeliveryError, Notifier
from handlers.summaries.chart import chart_png
from handlers.summaries.data import Summary, build_summary
from handlers.summaries.periods import week_bounds
from handlers.summaries.render import render_summary
from storage import outbox
from storage import summaries as summaries_store

log = logging.getLogger(__name__)

SUMMARY_KIND, CHART_KIND = "summary", "summary_chart"

# The scheduler's job, a catch-up run and the CLI may upload at once: one at a time.
_UPLOAD_LOCK = threading.Lock()


def summary_key(channel: str, week_start: str) -> str:
    return f"summary:{channel}:{week_start}"


def _week_start_date(summary: Summary) -> str:
    return datetime.fromisoformat(summary.start).astimezone(ZoneInfo(summary.tz)).date().isoformat()


def enqueue_summary(ctx: Context, summary: Summary, *, key: str) -> bool:
    """Write the summary (and its chart, if it has attention) to the outbox; False if ``key``
    was there already. Both rows are written together or not at all."""
    reply = render_summary(summary)
    chart = chart_png(summary) if summary.has_attention else None
    with ctx.store.transaction() as db:
        added = outbox.enqueue(
            db, key=key, channel=summary.channel, kind=SUMMARY_KIND,
            payload={"text": reply.text, "blocks": reply.blocks, "start": summary.start, "end": summary.end},
        )
        if added and chart is not None:
            outbox.enqueue(
                db, key=f"{key}:chart", channel=summary.channel, kind=CHART_KIND,
                status=summaries_store.UPLOAD,
                payload={
                    "parent": key,
                    "filename": f"attention-{_week_start_date(summary)}.png",
                    "title": f"Attention {summary.label}",
                    "png": base64.b64encode(chart).decode("ascii"),
                },
            )
    return added


def upload_charts(ctx: Context, notifier: Notifier, *, channel: str | None = None) -> int:
    """Upload the charts whose summary message is sent, in its thread; returns how many."""
    done = 0
    with _UPLOAD_LOCK:
        for up in summaries_store.pending_uploads(ctx.store.db, channel=channel):
            parent = outbox.get(ctx.store.db, str(up.payload.get("parent")))
            if up.status == summaries_store.UPLOADING or parent is None or parent.status == "failed":
                why = "cut off by a restart" if up.status == summaries_store.UPLOADING else "its message failed"
                with ctx.store.transaction() as db:
                    summaries_store.mark_upload_failed(db, up.id, why, final=True)
                continue
            if parent.status != "sent":
                continue  # the message is not out yet: the next run uploads it
            with ctx.store.transaction() as db:
                summaries_store.mark_uploading(db, up.id)
            try:
                notifier.upload(
                    up.channel, filename=str(up.payload["filename"]),
                    content=base64.b64decode(up.payload["png"]), title=str(up.payload.get("title", "")),
                    thread_ts=parent.ts,
                )
            except DeliveryError as exc:
                final = exc.final or exc.channel_gone or up.attempts + 1 >= MAX_ATTEMPTS
                log.warning("chart upload %s failed%s: %s", up.key, ", giving up" if final else "", exc)
                with ctx.store.transaction() as db:
                    summaries_store.mark_upload_failed(db, up.id, str(exc), final=final)
                continue
            with ctx.store.transaction() as db:
                summaries_store.mark_uploaded(db, up.id, thread_ts=parent.ts)
            done += 1
    return done


def deliver_summary(ctx: Context, notifier: Notifier, *, channel: str) -> None:
    """Send what is due (the summary among it), then its chart."""
    deliver_pending(ctx, notifier)
    upload_charts(ctx, notifier, channel=channel)


def week_posted(ctx: Context, channel: str, *, now: datetime) -> bool:
    """Whether the summary of the last full week before ``now`` was queued for ``channel``."""
    tz = ctx.options.summary_tz
    start, _ = week_bounds(now, weekday=ctx.options.summary_day, tz=tz)
    week = datetime.fromisoformat(start).astimezone(ZoneInfo(tz)).date().isoformat()
    return outbox.get(ctx.store.db, summary_key(channel, week)) is not None


def post_weekly_summary(
    ctx: Context, notifier: Notifier, channel: str, *, now: datetime, post_empty: bool | None = None
) -> bool:
    """Post the summary of the last full week to ``channel`` unless it was posted already.

    The week ends at midnight of ``ctx.options.summary_day`` in ``summary_tz``. A week with
    no attention is not posted unless ``post_empty`` (default: ``summary_post_empty``).
    Returns True when this call queued the week's summary (and then delivered it).
    """
    tz = ctx.options.summary_tz
    start, end = week_bounds(now, weekday=ctx.options.summary_day, tz=tz)
    if post_empty is None:
        post_empty = ctx.options.summary_post_empty
    summary = None
    added = False
    key = summary_key(channel, datetime.fromisoformat(start).astimezone(ZoneInfo(tz)).date().isoformat())
    if outbox.get(ctx.store.db, key) is None:
        summary = build_summary(ctx, channel, start=start, end=end, tz=tz, window="the week")
        if not summary.has_attention and not post_empty:
            log.info("no attention in %s for %s: no summary posted", channel, summary.label)
            return False
        added = enqueue_summary(ctx, summary, key=key)
    # Also finishes a week queued before a crash or a failed delivery.
    deliver_summary(ctx, notifier, channel=channel)
    return added


def post_summary_now(ctx: Context, notifier: Notifier, summary: Summary) -> str:
    """Post an on-demand summary (``attention-bot summary --post --period 30d``); returns its key."""
    key = f"summary:{summary.channel}:asked:{summary.start}:{summary.end}"
    enqueue_summary(ctx, summary, key=key)
    deliver_summary(ctx, notifier, channel=summary.channel)
    return key
