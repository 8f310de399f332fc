"""`attention-bot poll --once [--source NAME]`: one polling cycle in the foreground, for cron
and tests. Delivers what it detects through the same notifier as `run`; without ``--source`` it
also lists the watched sets that are due (new works join them first, so this poll is their
baseline) and runs the housekeeping (retention purge) that `run` schedules daily."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from bot import startup
from handlers.render import plural

if TYPE_CHECKING:
    from handlers.context import Context
    from handlers.notifier import Notifier

#: Delivery rounds after the polls, so a long backlog is drained in one cron run.
MAX_DELIVERY_ROUNDS = 20


def args_poll(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="poll every enabled source once, deliver, and exit")
    p.add_argument("--source", help="poll only this source (see `sources` for the names)")


def terminal_progress(name: str, stream: TextIO) -> Callable[[int, int], None]:
    """``wikipedia: 3/10 items`` rewritten in place on a terminal."""

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{name}: {done}/{total} items", end=end, file=stream, flush=True)

    return show


def cmd_poll(args: argparse.Namespace) -> int:
    """Poll the sources once in the foreground and deliver the alerts found."""
    from bot.app import build_context
    from bot.scheduler import build_notifier
    from handlers.polling.poll import run_poll

    if not args.once:
        print("Use `attention-bot poll --once` for one cycle (cron); `attention-bot run` polls on a schedule.",
              file=sys.stderr)
        return startup.EXIT_USER_ERROR
    settings = startup.start()
    ctx = build_context(settings)
    names = [s.name for s in ctx.sources]
    if args.source:
        chosen = ctx.source(args.source.lower())
        if chosen is None:
            print(f"There is no source `{args.source}`. Sources: {', '.join(names) or 'none'}.", file=sys.stderr)
            return startup.EXIT_USER_ERROR
        if not chosen.configured():
            print(f"{chosen.label} is not configured (switched off or missing its key); see README 'Sources'.",
                  file=sys.stderr)
            return startup.EXIT_USER_ERROR
        sources = [chosen]
    else:
        sources = ctx.configured_sources()
    notifier = build_notifier(settings, ctx)
    tty = sys.stderr.isatty()
    # One round: every source is asked, then what they found is delivered, so an item several
    # sources mention gets one message per channel.
    ctx.round_started = ctx.now()
    failed = 0
    try:
        if not args.source:
            # Cron runs this instead of `run`: sets are listed here too, when due (each set at
            # most once per ATTENTION_SET_SYNC_HOURS), before the polls that ask about their works.
            from handlers.polling.sets import sync_sets

            print(sync_sets(ctx))
        for source in sources:
            progress = terminal_progress(source.name, sys.stderr) if tty else None
            report = run_poll(ctx, source, progress=progress)
            failed += report.failed
            print(report.summary())  # printed, not logged: once, wherever the output goes
            # The headline names the first failure and any rest; more are listed below it.
            items = [f for f in report.failures if f.target != report.source]
            for failure in items[:5] if len(items) > 1 else []:
                print(f"  {failure.target}: {failure.error}")
            if len(items) > 5:
                print(f"  and {len(items) - 5} more failures")
            for bad in report.bad_links[:5]:
                print(f"  link {bad.target}: {bad.error}")
            if len(report.bad_links) > 5:
                print(f"  and {len(report.bad_links) - 5} more links not read")
        if not sources:
            print("No source is configured; see README 'Sources'.")
        if not args.source:
            # Cron runs this instead of `run`: the daily purge must happen here too (idempotent).
            from handlers.polling.housekeeping import run_housekeeping

            print(run_housekeeping(ctx))
        # What the round found, and alerts left from an earlier run (or digests due).
        deliver_all(ctx, notifier)
    finally:
        ctx.store.close()
    if sources and failed == len(sources):
        print(f"Every source failed ({plural(failed, 'source')}): see the lines above.",
              file=sys.stderr)
        return startup.EXIT_USER_ERROR
    return startup.EXIT_OK


def deliver_all(
    ctx: Context, notifier: Notifier, *, flush: bool = True, quiet: bool = False
) -> None:
    """Deliver until the outbox has nothing more to send now, printing what happened. With
    ``flush`` (a run that ends: every source asked, a stream stopping) alerts still waiting for
    more about their item go out too, so an item that several sources mention gets one message;
    ``quiet`` prints only what was sent or failed."""
    from handlers.alerts.deliver import deliver_pending

    for _ in range(MAX_DELIVERY_ROUNDS):
        report = deliver_pending(ctx, notifier, flush=flush)
        if not (report.sent or report.recovered or report.failed or report.digests or report.retrying
                or report.busy):
            break
        if not quiet or report.sent or report.failed:
            print("outbox: " + report.summary(), flush=True)
        if not (report.sent or report.recovered or report.digests):
            break
