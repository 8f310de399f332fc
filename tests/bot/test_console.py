"""Console mode as an operator sees it: the banner tells the truth about Slack, and SIGTERM
stops the bot as cleanly as Ctrl-D does."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.test_cli import cli_env, run_cli


def test_a_bot_token_alone_is_named_in_the_banner_not_called_no_tokens(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "run", stdin="", SLACK_BOT_TOKEN="xoxb-test")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "console mode (SLACK_BOT_TOKEN set without SLACK_APP_TOKEN)" in first
    assert "alerts:    posted to Slack with SLACK_BOT_TOKEN" in done.stdout


def test_the_banner_fits_one_screen(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "run", stdin="")
    banner = done.stdout.split("attention-bot stopped.")[0].rstrip().splitlines()
    assert len(banner) <= 12 and max(len(line) for line in banner) <= 100 + len(str(tmp_path))


def test_sigterm_stops_console_mode_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=cli_env(tmp_path), cwd=tmp_path,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write("watch 10.1/abc\n")
        proc.stdin.flush()
        for line in proc.stdout:  # the reply proves the loop is running and waiting for input
            if "Now watching" in line:
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out.rstrip().endswith("attention-bot stopped.")
    again = run_cli(tmp_path, "cmd", "list")  # what was typed before SIGTERM was kept
    assert "10.1/abc" in again.stdout


def test_text_from_other_threads_goes_above_the_prompt_in_whole_lines() -> None:
    import io

    from bot.shell import PROMPT, AbovePrompt, PromptState

    out, prompt = io.StringIO(), PromptState()
    stream = AbovePrompt(out, prompt)
    stream.write("[#console] not at a prompt\n")
    assert out.getvalue() == "[#console] not at a prompt\n"
    prompt.reading = True
    out.seek(0)
    out.truncate()
    stream.write("[#console] 10.1/x gained attention")  # print() writes the text, then "\n"
    assert out.getvalue() == ""
    stream.write("\n")
    # The line being typed is cleared, the alert printed, and the prompt drawn again below it.
    assert out.getvalue() == "\r\x1b[K[#console] 10.1/x gained attention\n" + PROMPT


def test_an_interactive_console_logs_to_a_file_and_keeps_history(tmp_path: Path) -> None:
    import os
    import select
    import time

    pty = pytest.importorskip("pty")  # a terminal is needed: Unix only
    env = cli_env(tmp_path, HOME=str(tmp_path))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the bot on a terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "bot.cli", "run"], env)
    screen = b""

    def read_until(wanted: bytes, times: int = 1, timeout: float = 60) -> None:
        nonlocal screen
        end = time.monotonic() + timeout
        while screen.count(wanted) < times and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
        assert screen.count(wanted) >= times, screen.decode(errors="replace")

    try:
        read_until(b"attention> ")
        os.write(fd, b"list\r")
        read_until(b"Nothing is watched")
        read_until(b"attention> ", times=2)
        os.write(fd, b"\x1b[A\r")  # up arrow: the last command again
        read_until(b"Nothing is watched", times=2)
        read_until(b"attention> ", times=3)
        os.write(fd, b"\x04")  # Ctrl-D
        read_until(b"attention-bot stopped.")
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    log = tmp_path / "attention-files" / "attention-bot.log"
    assert f"log:       {log}".encode() in screen
    assert b"scheduler started" not in screen and "scheduler started" in log.read_text(encoding="utf-8")
