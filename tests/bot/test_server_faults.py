"""HTTP mode under faults, on loopback: half-sent requests, slow commands in flight, a burst,
malformed and unsigned bodies, bad headers, replays, slow and huge bodies, too many connections.
Each answers with a status and no traceback, and what was refused changes nothing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

import bot.server
from handlers import router
from handlers.context import Context
from handlers.replies import Command, Reply
from tests.bot.test_slack_http import SECRET, Running, serving, slack_settings
from tests.fakes.http import wait_for
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)


def _raw(url: str, data: bytes, *, read: bool = True, timeout: float = 10) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(data)
        return conn.recv(4096) if read else b""


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a request fault was logged with a traceback"
    assert "Traceback" not in caplog.text


@pytest.fixture
def served(fake_slack: FakeSlack, ctx: Context, tmp_path: Path) -> Iterator[Running]:  # noqa: F811
    with serving(slack_settings(fake_slack, tmp_path), ctx) as url:
        made = Running(url, fake_slack, ctx)
        yield made
        made.http.close()


@pytest.fixture
def quick(fake_slack: FakeSlack, ctx: Context, tmp_path: Path) -> Iterator[Running]:  # noqa: F811
    """HTTP mode whose header deadline is a second, for the tests that wait it out."""
    with serving(slack_settings(fake_slack, tmp_path), ctx, header_timeout=1.0) as url:
        yield Running(url, fake_slack, ctx)


def test_half_sent_requests_hold_nothing_and_are_closed_by_the_deadline(quick: Running) -> None:
    parts = urlsplit(quick.url)
    stalled = []
    for _ in range(150):
        conn = socket.create_connection((parts.hostname, parts.port), timeout=10)
        conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-")
        stalled.append(conn)
    try:
        started = time.monotonic()
        assert quick.command("help").status_code == 200
        assert time.monotonic() - started < 3.0  # Slack's limit, with 150 connections hanging
        assert "watch" in quick.responses(1)[0]["text"]
        answers = [conn.recv(200) for conn in stalled]  # each is answered once its deadline passes
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers)
        assert all(conn.recv(10) == b"" for conn in stalled)  # and closed
    finally:
        for conn in stalled:
            conn.close()


def test_quick_commands_are_acked_and_answered_while_five_slow_ones_run(
    served: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, started = threading.Event(), threading.Semaphore(0)

    def check(ctx: Context, cmd: Command) -> Reply:
        """Audit a landing page (held until the test lets it go)."""
        started.release()
        release.wait(30)
        return Reply(text=f"checked {cmd.args[0]}")

    monkeypatch.setitem(router.COMMANDS, "check", router.CommandSpec("check", check, "check <url>", slow=True))
    try:
        for n in range(5):
            resp = served.command(f"check https://repo.example.edu/{n}")
            assert resp.status_code == 200 and "Looking up" in resp.json()["text"]
        for _ in range(5):
            assert started.acquire(timeout=10), "the five slow commands run at once"
        acked = time.monotonic()
        assert served.command("help").status_code == 200
        assert time.monotonic() - acked < 3.0
        (answer,) = served.responses(1)  # answered while all five slow ones still run
        assert "watch" in answer["text"]
    finally:
        release.set()
    answers = served.responses(6)
    assert sorted(a["text"] for a in answers[1:]) == [f"checked https://repo.example.edu/{n}" for n in range(5)]


def test_a_burst_of_signed_commands_is_all_acked_and_answered(served: Running) -> None:
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda n: served.command("help" if n % 2 else "list").status_code, range(100)))
    assert statuses == [200] * 100
    assert len(served.responses(100)) == 100


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("payload=%7Bnot", "application/x-www-form-urlencoded"),
     ("command=/attention&text=watch+10.1234/evil", "application/x-www-form-urlencoded")],
    ids=["json", "payload-form", "plain-form"],
)
def test_unsigned_bodies_get_401_before_they_are_read(served: Running, caplog: pytest.LogCaptureFixture,
                                                       body: str, content_type: str) -> None:
    resp = httpx.post(served.url + "/slack/events", content=body, headers={"Content-Type": content_type}, timeout=10)
    assert resp.status_code == 401 and "Traceback" not in resp.text
    assert served.command("list").status_code == 200  # the server is fine afterwards
    assert "Nothing is watched" in served.responses(1)[0]["text"]
    _no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"),
     ("payload=%7Bnot", "application/x-www-form-urlencoded"), ("payload=%5B%5D", "application/x-www-form-urlencoded")],
)
def test_signed_but_malformed_bodies_get_400(served: Running, caplog: pytest.LogCaptureFixture,
                                             body: str, content_type: str) -> None:
    resp = served.post(body, content_type=content_type)
    assert resp.status_code == 400 and "Traceback" not in resp.text
    _no_tracebacks(caplog)


@pytest.mark.parametrize("timestamp", ["soon", "-1", "1e9", ""])
def test_a_timestamp_that_is_no_number_gets_400_or_401(served: Running, caplog: pytest.LogCaptureFixture,
                                                      timestamp: str) -> None:
    body = "command=/attention&text=help"
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": str(signature),
               "Content-Type": "application/x-www-form-urlencoded"}
    resp = httpx.post(served.url + "/slack/events", content=body, headers=headers, timeout=10)
    assert resp.status_code == (401 if timestamp == "" else 400)
    _no_tracebacks(caplog)


def test_an_exact_replay_is_refused_and_runs_once(served: Running) -> None:
    body = "command=/attention&text=watch+10.1038/nature12373&channel_id=C0CHAN&user_id=U0ANN" \
           f"&response_url={served.fake.response_url('cmd')}&trigger_id=9.9.9"
    ts = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Signature": str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body))}
    first = httpx.post(served.url + "/slack/events", content=body, headers=headers, timeout=10)
    again = httpx.post(served.url + "/slack/events", content=body, headers=headers, timeout=10)
    assert (first.status_code, again.status_code) == (200, 401)
    assert "replayed" in again.text
    served.responses(1)
    time.sleep(0.3)
    assert len(served.fake.responses) == 1 and served.watched() == 1


def test_a_body_that_never_finishes_gets_408(served: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.server, "BODY_TIMEOUT", 0.5)
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    answer = _raw(served.url, head + b'{"type": "eve')
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_huge_body_gets_413_without_being_read(served: Running) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n"
    assert _raw(served.url, head).startswith(b"HTTP/1.1 413")


def test_past_the_connection_limit_a_request_gets_503(fake_slack: FakeSlack, ctx: Context,  # noqa: F811
                                                       tmp_path: Path) -> None:
    with serving(slack_settings(fake_slack, tmp_path), ctx, max_connections=4) as url:
        parts = urlsplit(url)
        held = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in range(4)]
        try:
            assert wait_for(lambda: _raw(url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 503"))
        finally:
            for conn in held:
                conn.close()
        assert wait_for(lambda: httpx.get(url + "/healthz", timeout=5).status_code == 200)


def test_a_request_to_an_unknown_path_or_method_is_refused_plainly(served: Running) -> None:
    assert httpx.get(served.url + "/slack/events", timeout=5).status_code == 405
    assert httpx.post(served.url + "/healthz", timeout=5).status_code == 405
    assert json.dumps(httpx.get(served.url + "/nope", timeout=5).text).count("Traceback") == 0
