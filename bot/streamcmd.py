"""`attention-bot stream [--stream NAME] [--for SECONDS]`: read the streams in the foreground
(for cron, tests and trying it), delivering alerts through the same notifier and outbox as
`run`, then stop cleanly: what was matched is stored with the stream's position, and alerts
still waiting are sent before it exits."""

from __future__ import annotations

import argparse
import sys
import time

from bot import startup


def args_stream(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stream", help="read only this stream: bluesky (Jetstream) or wikipedia (EventStreams)"
    )
    p.add_argument(
        "--for",
        dest="seconds",
        type=float,
        metavar="SECONDS",
        help="stop after this many seconds (default: until Ctrl-C)",
    )


def cmd_stream(args: argparse.Namespace) -> int:
    """Read the streams in the foreground and deliver what they match."""
    from bot.app import build_context
    from bot.pollcmd import deliver_all
    from bot.scheduler import build_notifier
    from bot.streams import start_streams
    from handlers.render import plural
    from handlers.streams.status import live

    if args.seconds is not None and args.seconds <= 0:
        print("--for takes a number of seconds above 0, e.g. --for 60.", file=sys.stderr)
        return startup.EXIT_USER_ERROR
    settings = startup.start()
    ctx = build_context(settings)
    try:
        if args.stream:
            chosen = ctx.stream(args.stream.lower())
            if chosen is None:
                names = ", ".join(f"{s.source} ({s.name})" for s in ctx.streams)
                print(f"There is no stream `{args.stream}`. Streams: {names}.", file=sys.stderr)
                return startup.EXIT_USER_ERROR
            streams = [chosen]
        else:
            streams = [s for s in ctx.streams if s.configured()]
        off = [s for s in streams if s.not_ready()]
        if off or not streams:
            for s in off:
                print(f"{s.label}: {s.not_ready()}", file=sys.stderr)
            if not streams:
                print(
                    "No stream is switched on: set ATTENTION_STREAMS (e.g. bluesky,wikipedia).",
                    file=sys.stderr,
                )
            return startup.EXIT_USER_ERROR
        notifier = build_notifier(settings, ctx)
        deadline = time.monotonic() + args.seconds if args.seconds else float("inf")
        threads = start_streams(ctx, streams, on_alerts=None)
        try:
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(1.0, left))
                deliver_all(ctx, notifier, flush=False, quiet=True)
        except KeyboardInterrupt:
            pass
        finally:
            threads.shutdown()
        deliver_all(ctx, notifier, flush=True)
        for s in streams:
            st = live(s.name)
            print(
                f"{s.name}: {plural(st.events, 'event')} read, {st.matched:,} matched, "
                f"{plural(st.new_mentions, 'new mention')}, {plural(st.alerts, 'alert')}, "
                f"{plural(st.reconnects, 'reconnect')}"
                + (f" (last error: {st.last_error})" if st.last_error else "")
            )
    finally:
        ctx.store.close()
    return startup.EXIT_OK
