"""An interactive loop over the bot's commands, the way Hubot's shell adapter lets you try a
bot without the chat service. Used by `attention-bot shell` and by `run` in console mode."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from handlers.context import Context
from handlers.replies import Reply
from handlers.router import dispatch

HISTORY = Path.home() / ".attention_bot_history"
PROMPT = "attention> "


def _enable_readline() -> Callable[[], None]:
    """Line editing and history where readline exists; returns a function saving history."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return lambda: None
    with contextlib.suppress(FileNotFoundError, OSError):
        readline.read_history_file(HISTORY)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY)

    return save


def format_reply(reply: Reply) -> str:
    text = reply.text
    if reply.files:
        names = ", ".join(f.filename for f in reply.files)
        text += f"\n(files: {names})"
    return text


def run_shell(
    ctx: Context,
    *,
    channel: str,
    user: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    lock: object | None = None,
) -> int:
    """Read commands until end of input or Ctrl-C; return the exit status (always 0).

    Without ``user`` the commands are the machine operator's, trusted by the access rules;
    with a Slack user id they run as that user would in Slack.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    save_history = _enable_readline() if interactive else (lambda: None)
    try:
        while True:
            try:
                if interactive:
                    line = input(PROMPT)
                else:
                    line = stdin.readline()
                    if not line:
                        break
            except EOFError:
                break
            line = line.strip()
            if line.startswith("/attention"):
                line = line[len("/attention") :].strip()
            if not line:
                continue
            if line in ("exit", "quit"):
                break
            reply = dispatch(ctx, line, channel=channel, user=user or "console", operator=user is None)
            print(format_reply(reply), file=stdout, flush=True)
    except KeyboardInterrupt:
        print(file=stdout)
    finally:
        save_history()
    return 0
