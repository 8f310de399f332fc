"""Console mode: `attention-bot run` with no Slack tokens. The terminal is the chat."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable

from bot import __version__
from bot.settings import Settings
from bot.shell import run_shell
from handlers.context import Context

BANNER = """\
attention-bot {version} - console mode ({why})
  chat:      this terminal; commands run in channel '{channel}'
  database:  {db}
  alerts:    {alerts}
  Slack:     set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode) and run again;
             README 'Connect Slack' shows how to create the app from manifest.yml.
Type `help` for commands; Ctrl-D or Ctrl-C stops the bot.
"""


def banner(settings: Settings) -> str:
    # A bot token alone is half a Slack setup: say so, and that alerts still go to Slack with it.
    half = bool(settings.slack_bot_token)
    return BANNER.format(
        version=__version__,
        why="SLACK_BOT_TOKEN set without SLACK_APP_TOKEN" if half else "no Slack tokens set",
        channel=settings.default_channel,
        db=settings.db.resolve(),
        alerts="posted to Slack with SLACK_BOT_TOKEN" if half else "printed here as they happen",
    )


def _stop_on_sigterm() -> Callable[[], None]:
    """SIGTERM ends the loop like Ctrl-C does, so the scheduler and database close cleanly."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, old)

    return restore


def run_console(settings: Settings, ctx: Context) -> int:
    out = sys.stdout
    print(banner(settings), file=out, flush=True)
    from bot.scheduler import build_notifier, start_scheduler

    scheduler = start_scheduler(settings, ctx, build_notifier(settings, ctx))
    restore = _stop_on_sigterm()
    try:
        return run_shell(ctx, channel=settings.default_channel)
    finally:
        restore()
        scheduler.shutdown(wait=False)
        print("attention-bot stopped.", file=out, flush=True)
        ctx.store.close()
