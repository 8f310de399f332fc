"""Console mode: `attention-bot run` with no Slack tokens. The terminal is the chat."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

from bot import __version__
from bot.settings import Settings
from bot.shell import AbovePrompt, PromptState, run_shell
from handlers.context import Context

BANNER = """\
attention-bot {version} - console mode ({why})
  chat:      this terminal; commands run in channel '{channel}'
  database:  {db}
  alerts:    {alerts}
  files:     charts and exports go to {files}
  log:       {log}
  Slack:     set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode) and run again;
             README 'Connect Slack' shows how to create the app from manifest.yml.
Type `help` for commands; Ctrl-D or Ctrl-C stops the bot.
"""


LOG_FILE = "attention-bot.log"


def files_dir(settings: Settings) -> Path:
    return settings.files_dir.expanduser().resolve()


def banner(settings: Settings, *, log_file: Path | None = None) -> str:
    # A bot token alone is half a Slack setup: say so, and that alerts still go to Slack with it.
    half = bool(settings.slack_bot_token)
    return BANNER.format(
        version=__version__,
        why="SLACK_BOT_TOKEN set without SLACK_APP_TOKEN" if half else "no Slack tokens set",
        channel=settings.default_channel,
        db=settings.db.resolve(),
        alerts="posted to Slack with SLACK_BOT_TOKEN" if half else "printed here as they happen",
        files=files_dir(settings),
        log=log_file or "printed to stderr",
    )


def log_to_file(settings: Settings) -> Path | None:
    """Send the log to a file, so scheduler lines never land in the middle of what is typed;
    None (the log stays on stderr) when the file cannot be opened."""
    path = files_dir(settings) / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot log to %s (%s): logging to stderr", path, exc)
        return None
    root = logging.getLogger()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for old in list(root.handlers):  # secrets stay masked: that is done as records are made
        root.removeHandler(old)
    root.addHandler(handler)
    return path


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
    interactive = sys.stdin.isatty()
    log_file = log_to_file(settings) if interactive else None
    print(banner(settings, log_file=log_file), file=out, flush=True)
    from bot.scheduler import build_notifier, start_scheduler

    prompt = PromptState()
    # Alerts arrive from the scheduler's thread: at a prompt they are printed above it.
    stream = cast(TextIO, AbovePrompt(out, prompt)) if interactive else out
    notifier = build_notifier(settings, ctx, stream=stream)
    scheduler = start_scheduler(settings, ctx, notifier)
    restore = _stop_on_sigterm()
    try:
        return run_shell(ctx, channel=settings.default_channel, files_dir=settings.files_dir,
                         prompt=prompt)
    finally:
        restore()
        scheduler.shutdown(wait=False)
        print("attention-bot stopped.", file=out, flush=True)
        ctx.store.close()
