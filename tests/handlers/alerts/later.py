"""Run a module as ``__main__`` with the clock moved forward, as a rerun that comes later would,
and optionally make it die mid-way, as a killed process would.

    python -m tests.handlers.alerts.later MINUTES MODULE [ARGS...]

With ``ATTENTION_TEST_CRASH_AT=after_detect`` the process dies as delivery starts (alerts
detected and queued, nothing sent); with ``after_post`` it dies right after the chat accepted a
message, before the bot noted that it was sent. The crash tests use it to rerun after a dead
process's delivery claim has run out. The hooks live here, not in the bot's code.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

CRASH_ENV = "ATTENTION_TEST_CRASH_AT"
DIED = 17


def _die_after(post: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(post)
    def posted(*args: Any, **kwargs: Any) -> Any:
        post(*args, **kwargs)
        os._exit(DIED)

    return posted


def install_crash(point: str) -> None:
    from handlers.alerts import deliver

    if point == "after_detect":
        def die(*_args: Any, **_kwargs: Any) -> Any:
            os._exit(DIED)

        deliver.deliver_pending = die  # type: ignore[assignment]
    elif point == "after_post":
        from bot.notify import ConsoleNotifier
        from bot.slack_client import SlackNotifier
        from tests.fakes.notifier import RecordingNotifier

        for cls in (ConsoleNotifier, SlackNotifier, RecordingNotifier):
            cls.post = _die_after(cls.post)  # type: ignore[method-assign]
    else:
        raise SystemExit(f"{CRASH_ENV}: no crash point {point!r} (after_detect, after_post)")


def main(argv: list[str]) -> None:
    minutes, module, *args = argv
    if os.environ.get(CRASH_ENV):
        install_crash(os.environ[CRASH_ENV])
    sys.argv = [module, *args]
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=float(minutes)), tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
