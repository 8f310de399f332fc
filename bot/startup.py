"""What every `attention-bot` subcommand does first: read the settings (or say in one line per
problem what to fix, and exit 2) and set up logging with secrets masked."""

from __future__ import annotations

import logging
import sys

from bot import logredact
from bot.settings import (
    Settings,
    SettingsError,
    load_settings,
    unknown_source_names,
    unknown_variables,
)

EXIT_OK, EXIT_USER_ERROR, EXIT_CONFIG = 0, 1, 2


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
        problems = unknown_source_names(settings)
        if problems:
            raise SettingsError(problems)
        return settings
    except SettingsError as exc:
        if len(exc.problems) == 1:
            print(f"attention-bot cannot start: {exc.problems[0]}", file=sys.stderr)
        else:
            print("attention-bot cannot start: these settings need fixing:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def warn_unknown_variables() -> None:
    """A misspelt ATTENTION_ variable is ignored by the settings: say so, with the nearest name."""
    for warning in unknown_variables():
        print(f"attention-bot: warning: {warning}", file=sys.stderr)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # At DEBUG httpx logs each request URL, Altmetric's and OpenAlex's keys included.
    logredact.install("httpx", "httpcore")
    # Tokens and keys also travel in headers, bodies and foreign exceptions: hide the values.
    logredact.install_secrets(settings.secret_values())
    if settings.log_level.upper() != "DEBUG":
        # Their INFO lines (every job added, every request) would drown the console chat.
        for noisy in ("apscheduler", "httpx", "httpcore", "slack_sdk", "slack_bolt"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def start() -> Settings:
    """Settings read and logging configured: the first line of every subcommand."""
    warn_unknown_variables()
    settings = settings_or_exit()
    configure_logging(settings)
    return settings
