"""`attention-bot summary` and `attention-bot export`: the summary and the CSV from a shell or cron."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import startup
from handlers.commands.summaries import DEFAULT_PERIOD  # what `summary` covers in chat too
from handlers.render import plural


def args_summary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", required=True, help="channel id whose watches are summarised")
    p.add_argument("--collection", help="summarise only the items of this collection of the channel")
    p.add_argument(
        "--period",
        help="the last 7d, 30d or 12w, today included (default: the last 7 days, as `summary` "
        "in chat; with --post, the last full week, as the weekly post)",
    )
    p.add_argument(
        "--post", action="store_true",
        help="deliver it to the channel now (Slack when SLACK_BOT_TOKEN is set, else the console); "
        "a week already posted is not posted again, an empty one only with "
        "ATTENTION_SUMMARY_POST_EMPTY",
    )


def args_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", required=True, help="channel id whose mentions are exported")
    p.add_argument("--out", required=True, type=Path, help="CSV file to write")
    p.add_argument("--period", help="only mentions first seen in the last 7d, 30d or 12w (default: all)")


def cmd_summary(args: argparse.Namespace) -> int:
    """Print a channel's summary (or one collection's), or post it now with --post."""
    from bot.app import build_context
    from bot.scheduler import build_notifier
    from core.errors import InputError
    from handlers.commands.summaries import check_collection
    from handlers.summaries.data import build_summary
    from handlers.summaries.periods import parse_period, recent_bounds, week_bounds, window_name
    from handlers.summaries.render import render_summary, when
    from handlers.summaries.weekly import (
        deliver_summary,
        enqueue_summary,
        post_summary_now,
        post_weekly_summary,
        week_posted,
    )

    settings = startup.start()
    try:
        period = parse_period(args.period) if args.period else None
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return startup.EXIT_USER_ERROR
    ctx = build_context(settings)
    if args.collection is not None:
        try:
            args.collection = check_collection(ctx, args.channel, args.collection)
        except InputError as exc:
            print(str(exc), file=sys.stderr)
            return startup.EXIT_USER_ERROR
    now = ctx.now()
    if period is None and args.post:  # the weekly post's week
        start, end = week_bounds(now, weekday=settings.summary_day, tz=settings.summary_tz)
        window = "the week"
    else:  # what `summary` says in chat
        period = period or DEFAULT_PERIOD
        start, end = recent_bounds(now, period, tz=settings.summary_tz)
        window = window_name(period)
    summary = build_summary(
        ctx, args.channel, start=start, end=end, tz=settings.summary_tz, collection=args.collection,
        window=window,
    )
    if not args.post:
        print(render_summary(summary).text)
        return startup.EXIT_OK
    what = f"the summary of {when(summary)} for {summary.scope}"
    again = (f"The summary of {when(summary)} for {summary.scope} was already posted: "
             "not posted again.")
    weekly = args.collection is None and args.period is None
    if weekly and week_posted(ctx, args.channel, now=now):
        print(again)
        return startup.EXIT_OK
    if not summary.has_attention and not settings.summary_post_empty:
        print(f"Nothing posted: {summary.scope} had no new attention in {when(summary)} "
              "(set ATTENTION_SUMMARY_POST_EMPTY=true to post empty summaries too).")
        return startup.EXIT_OK
    notifier = build_notifier(settings, ctx)
    if args.collection is not None:
        # Keyed by collection and period: each collection's summary of a week is posted once,
        # apart from the channel's weekly one.
        key = f"summary:{args.channel}:collection:{args.collection}:{summary.start}:{summary.end}"
        added = enqueue_summary(ctx, summary, key=key)
        deliver_summary(ctx, notifier, channel=args.channel)
        print(f"Posted {what}." if added else again)
    elif not weekly:
        post_summary_now(ctx, notifier, summary)
        print(f"Posted {what}.")
    elif post_weekly_summary(ctx, notifier, args.channel, now=now, post_empty=True):
        print(f"Posted {what}.")
    else:
        print(again)
    return startup.EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write a channel's mentions to a CSV file."""
    from bot.app import build_context
    from core.errors import InputError
    from handlers.commands.summaries import export_csv
    from handlers.summaries.periods import parse_period, recent_bounds

    settings = startup.start()
    start = end = None
    if args.period:
        try:
            period = parse_period(args.period)
        except InputError as exc:
            print(str(exc), file=sys.stderr)
            return startup.EXIT_USER_ERROR
    ctx = build_context(settings)
    if args.period:
        start, end = recent_bounds(ctx.now(), period, tz=settings.summary_tz)
    content, count = export_csv(ctx, args.channel, start=start, end=end)
    try:
        args.out.write_bytes(content)
    except OSError as exc:
        print(f"Cannot write {args.out}: {exc.strerror}. Choose another --out path.", file=sys.stderr)
        return startup.EXIT_USER_ERROR
    print(f"Wrote {plural(count, 'mention')} of {args.channel} to {args.out}.")
    return startup.EXIT_OK
