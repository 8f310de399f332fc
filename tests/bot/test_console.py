"""Console mode as an operator sees it: the banner tells the truth about Slack, and SIGTERM
stops the bot as cleanly as Ctrl-D does."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

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
