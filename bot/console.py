"""Console mode: `attention-bot run` with no Slack tokens. The terminal is the chat."""

from __future__ import annotations

import sys

from bot import __version__
from bot.settings import Settings
from bot.shell import run_shell
from handlers.context import Context

BANNER = """\
attention-bot {version} - console mode (no Slack tokens set)
  chat:      this terminal; commands run in channel '{channel}'
  database:  {db}
  alerts:    printed here as they happen
  Slack:     set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode) and run again;
             README 'Connect Slack' shows how to create the app from manifest.yml.
Type `help` for commands; Ctrl-D or Ctrl-C stops the bot.
"""


def run_console(settings: Settings, ctx: Context) -> int:
    out = sys.stdout
    print(BANNER.format(version=__version__, channel=settings.default_channel, db=settings.db.resolve()), file=out)
    from bot.scheduler import build_notifier, start_scheduler

    scheduler = start_scheduler(settings, ctx, build_notifier(settings, ctx))
    try:
        return run_shell(ctx, channel=settings.default_channel)
    finally:
        scheduler.shutdown(wait=False)
        print("attention-bot stopped.", file=out)
        ctx.store.close()
