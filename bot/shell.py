"""An interactive loop over the bot's commands, the way Hubot's shell adapter lets you try a
bot without the chat service. Used by `attention-bot shell` and by `run` in console mode."""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from handlers.context import Context
from handlers.replies import Reply
from handlers.router import dispatch

HISTORY = Path.home() / ".attention_bot_history"
PROMPT = "attention> "


class PromptState:
    """Whether the shell is waiting at its prompt, so text printed meanwhile by other threads
    (alerts in console mode) can go above the prompt instead of through it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reading = False


def _read(prompt: PromptState | None) -> str:
    if prompt is None:
        return input(PROMPT)
    with prompt.lock:
        prompt.reading = True
    try:
        return input(PROMPT)
    finally:
        with prompt.lock:
            prompt.reading = False


class AbovePrompt(io.TextIOBase):
    """A text stream for other threads' output that, while the shell waits at its prompt,
    prints whole lines above it and then draws the prompt and what was typed so far again."""

    def __init__(self, out: TextIO, prompt: PromptState) -> None:
        self.out = out
        self.prompt = prompt
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.prompt.lock:
            self._pending += text
            done, sep, rest = self._pending.rpartition("\n")
            if not sep:
                return len(text)
            self._pending = rest
            if self.prompt.reading:
                typed = _line_buffer()
                self.out.write("\r\x1b[K" + done + "\n" + PROMPT + typed)
            else:
                self.out.write(done + "\n")
            self.out.flush()
        return len(text)

    def flush(self) -> None:
        self.out.flush()


def _line_buffer() -> str:
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()


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


def save_files(reply: Reply, files_dir: Path) -> list[str]:
    """Write the files a reply carries (a chart, an export) into ``files_dir``; one line each
    saying where it is, or why it could not be written. Never claims a file it did not write."""
    lines = []
    for attachment in reply.files:
        path = (files_dir.expanduser() / Path(attachment.filename).name).resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(attachment.content)
        except OSError as exc:
            lines.append(f"Could not write {path} ({exc.strerror or exc}): set ATTENTION_FILES_DIR "
                         "to a folder you can write to.")
        else:
            lines.append(f"Saved {attachment.title or attachment.filename} to {path}")
    return lines


def format_reply(reply: Reply, *, files_dir: Path | None = None) -> str:
    """The reply as the terminal shows it; its files are written to ``files_dir`` first."""
    lines = [reply.text]
    if reply.files:
        lines += save_files(reply, files_dir if files_dir is not None else Path("attention-files"))
    return "\n".join(lines)


def run_shell(
    ctx: Context,
    *,
    channel: str,
    user: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    files_dir: Path | None = None,
    prompt: PromptState | None = None,
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
                    line = _read(prompt)
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
            print(format_reply(reply, files_dir=files_dir), file=stdout, flush=True)
    except KeyboardInterrupt:
        print(file=stdout)
    finally:
        save_history()
    return 0
