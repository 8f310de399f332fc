"""What `poll --once` tells the operator: each line once, a headline saying what really
happened, plain errors, and exit status 1 when every source failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage import open_store, state
from tests.bot.test_poll_once import DOI, FakeHackerNews, env_for, hn  # noqa: F401  (the fixture)
from tests.bot.test_slack_run import free_port


def _env(tmp_path: Path, fake: FakeHackerNews, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    return {**env, **env_for(tmp_path, fake), **extra}


def test_every_report_line_is_printed_once_even_with_the_log_beside_it(tmp_path: Path, hn: FakeHackerNews) -> None:  # noqa: F811
    env = _env(tmp_path, hn, ATTENTION_LOG_LEVEL="INFO")

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=tmp_path, timeout=60,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # as `>> poll.log 2>&1`
        assert done.returncode == 0, done.stdout
        return done.stdout

    cli("cmd", "watch", DOI)
    out = cli("poll", "--once")
    assert out.count("hackernews: asked 1 of 1 item, 0 new") == 1, out
    assert out.count("housekeeping:") == 1, out


def test_a_source_that_cannot_be_reached_is_said_plainly_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], hn: FakeHackerNews,  # noqa: F811
) -> None:
    for name, value in env_for(tmp_path, hn).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ATTENTION_HACKERNEWS_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    assert main(["cmd", "watch", DOI]) == 0
    assert main(["poll", "--once"]) == 1  # the only source failed
    captured = capsys.readouterr()
    assert "hackernews: asked 1 of 1 item, 0 new; 1 failed (could not reach 127.0.0.1)" in captured.out
    assert "ConnectError" not in captured.out + captured.err and "Errno" not in captured.out
    assert "Every source failed" in captured.err
    assert main(["cmd", "sources"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Hacker News"))
    assert "last error" in line and "could not reach 127.0.0.1" in line and "1 failure in a row" in line


def test_a_resting_source_is_named_in_the_headline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], hn: FakeHackerNews,  # noqa: F811
) -> None:
    for name, value in env_for(tmp_path, hn).items():
        monkeypatch.setenv(name, value)
    assert main(["cmd", "watch", DOI]) == 0
    store = open_store(tmp_path / "attention.db")
    with store.transaction() as db:
        for _ in range(3):
            state.record_failure(db, "hackernews", "is unavailable (HTTP 503)")
    store.close()
    assert main(["poll", "--once"]) == 1
    out = capsys.readouterr().out
    assert "hackernews: asked 0 of 1 item (resting after 3 failures in a row until " in out
    assert " UTC), 0 new" in out
    assert not hn.server.requests_to("/search_by_date")
