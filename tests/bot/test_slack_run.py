"""`attention-bot run` as an operator starts it: a real process against the fake Slack, stopped
by SIGTERM (a service manager) or SIGINT (Ctrl-C), and refusing to start with one clear line."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.bot.test_cli import cli_env
from tests.fakes.http import wait_for
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

SECRET = "run-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).text == "ok"
    except httpx.HTTPError:
        return False


@pytest.fixture
def http_bot(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:  # noqa: F811
    port = free_port()
    env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--http", "--port", str(port)],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: healthy(url) or proc.poll() is not None, timeout=60), "bot did not start"
        assert proc.poll() is None, proc.communicate()[1]
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def signed_command(url: str, text: str, response_url: str) -> httpx.Response:
    body = urlencode({"command": "/attention", "text": text, "channel_id": "C0RUN", "user_id": "U0RUN",
                      "team_id": "T0001", "response_url": response_url, "trigger_id": "1.2.3"})
    ts = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Signature": str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body))}
    return httpx.post(url + "/slack/events", content=body.encode(), headers=headers, timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_http_mode_serves_then_stops_cleanly_on_a_signal(
    http_bot: tuple[subprocess.Popen[str], str], fake_slack: FakeSlack, sig: signal.Signals  # noqa: F811
) -> None:
    proc, url = http_bot
    assert signed_command(url, "watch 10.1038/nature12373", fake_slack.response_url("cmd")).status_code == 200
    assert wait_for(lambda: bool(fake_slack.responses), timeout=10)
    assert "Now watching" in fake_slack.responses[0]["text"]
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopping" in err
    assert "`token` will be unused" not in err  # Bolt's notice about our own client is silenced
    assert not healthy(url)


def test_socket_mode_with_a_refused_app_token_says_what_to_fix(fake_slack: FakeSlack, tmp_path: Path) -> None:  # noqa: F811
    fake_slack.server.route("POST", "/api/apps.connections.open", json={"ok": False, "error": "invalid_auth"})
    env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-wrong", SLACK_API_URL=fake_slack.api_url)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path, input="",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in done.stderr and "connections:write" in done.stderr


def test_unreachable_slack_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                  SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--http", "--port", str(free_port())], env=env, cwd=tmp_path,
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Could not reach Slack at http://127.0.0.1:" in done.stderr and "SLACK_API_URL" in done.stderr


def test_http_mode_on_a_busy_port_says_to_choose_another(fake_slack: FakeSlack, tmp_path: Path) -> None:  # noqa: F811
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url)
        done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--http", "--port", str(port)], env=env,
                              cwd=tmp_path, input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"Cannot serve HTTP mode on port {port}" in done.stderr and "--port" in done.stderr
