"""HTTP mode end to end: signed requests (slack_sdk's SignatureVerifier) against the running
server (bot.server on uvicorn) on 127.0.0.1, answers through the fake response_url and the fake
Web API."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.server import SlackEndpoint, WebServer, build_app
from bot.settings import Settings, load_settings
from bot.slack import create_app
from bot.slack_client import make_client
from bot.slack_serve import serve
from handlers import router
from handlers.context import Context
from handlers.render import actions_for_alert
from handlers.replies import Attachment, Command, Reply
from storage import watches
from tests.fakes.http import wait_for
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

SECRET = "test-signing-secret"
CHANNEL, USER = "C0CHAN", "U0ANN"
#: Slack gives every slash command its own trigger_id: two commands are never the same bytes.
TRIGGERS = itertools.count(1)


def slack_settings(fake: FakeSlack, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "db": tmp_path / "attention.db",
    }
    return load_settings(**{**values, **extra})


@dataclass
class Running:
    url: str
    fake: FakeSlack
    ctx: Context
    #: One client for every request (thread-safe; a new one each time costs its setup).
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def post(self, body: str, *, secret: str = SECRET, timestamp: int | None = None,
             content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature), "Content-Type": content_type}
        return self.http.post(self.url + "/slack/events", content=body.encode(), headers=headers)

    def command(self, text: str, **kwargs: Any) -> httpx.Response:
        form = {
            "token": "legacy", "team_id": "T0001", "team_domain": "fake", "channel_id": CHANNEL,
            "channel_name": "research", "user_id": USER, "user_name": "ann", "command": "/attention",
            "text": text, "api_app_id": "A0APP", "response_url": self.fake.response_url("cmd"),
            "trigger_id": f"1.2.{next(TRIGGERS)}",
        }
        return self.post(urlencode(form), **kwargs)

    def responses(self, n: int) -> list[dict[str, Any]]:
        assert wait_for(lambda: len(self.fake.responses) >= n), f"expected {n} response_url posts: {self.fake.responses}"
        return self.fake.responses

    def watched(self) -> int:
        return watches.count_watches(self.ctx.store.db, CHANNEL)


@contextmanager
def serving(settings: Settings, ctx: Context, **server: Any) -> Iterator[str]:
    """HTTP mode as `run --http` serves it, on a free loopback port; yields its base URL."""
    app = create_app(settings, ctx, client=make_client(settings))
    web = WebServer(build_app(ctx, slack=SlackEndpoint(app, SECRET)), host="127.0.0.1", port=0, **server)
    port = web.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        web.stop()


@pytest.fixture
def running(fake_slack: FakeSlack, ctx: Context, tmp_path: Path) -> Iterator[Running]:  # noqa: F811
    with serving(slack_settings(fake_slack, tmp_path), ctx) as url:
        made = Running(url, fake_slack, ctx)
        yield made
        made.http.close()


def test_help_is_acknowledged_at_once_and_answered_through_the_response_url(running: Running) -> None:
    # Acknowledged before the work is done (an empty 200), answered afterwards: Slack's three
    # seconds are then the ack's alone. How fast, under load, is bench/command_latency's job.
    resp = running.command("help")
    assert resp.status_code == 200 and resp.text == ""
    (answer,) = running.responses(1)
    assert answer["response_type"] == "ephemeral"  # help is for the asker
    assert "watch" in answer["text"] and answer["blocks"][0]["type"] == "section"


@pytest.mark.parametrize(
    ("secret", "age"), [("not-the-secret", 0), (SECRET, 6 * 60)], ids=["bad-signature", "stale-timestamp"]
)
def test_unsigned_or_replayed_requests_get_401_and_change_nothing(running: Running, secret: str, age: int) -> None:
    resp = running.command("watch 10.1234/evil", secret=secret, timestamp=int(time.time()) - age)
    assert resp.status_code == 401
    # A valid request afterwards proves the refused one is not merely slow.
    assert running.command("watch 10.1234/good").status_code == 200
    (answer,) = running.responses(1)
    assert "10.1234/good" in answer["text"] and "evil" not in answer["text"]
    assert running.watched() == 1


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_refused_request_never_logs_who_sent_it_or_what_they_typed(
    fake_slack: FakeSlack, ctx: Context, tmp_path: Path, caplog: pytest.LogCaptureFixture, level: str  # noqa: F811
) -> None:
    import logging

    settings = slack_settings(fake_slack, tmp_path, log_level=level)
    with serving(settings, ctx) as url, caplog.at_level(logging.DEBUG):
        running = Running(url, fake_slack, ctx)
        assert running.command("watch 10.1234/secret-plan", secret="forged").status_code == 401
        assert running.command("lookup 10.1234/another-plan").status_code == 200
        running.responses(1)
        running.http.close()
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.startswith(("slack_bolt", "slack_sdk", "bot.server", "uvicorn")))
    for private in ("user_name=ann", "'ann'", "secret-plan", "another-plan", "user_name"):
        assert private not in logged
    bolt_info = [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno < logging.WARNING]
    if level == "INFO":
        assert bolt_info == []  # Bolt's request logging is quiet below WARNING
    # The forged request is refused before Bolt reads it; the reason alone is logged.
    assert any(r.name == "bot.server" and r.getMessage() == "refused a request with 401: invalid signature"
               for r in caplog.records)


def test_watch_and_list_answer_in_channel_through_response_url(running: Running) -> None:
    assert running.command("watch 10.1038/nature12373").status_code == 200
    running.responses(1)
    assert running.command("list").status_code == 200
    first, second = running.responses(2)
    assert first["response_type"] == "in_channel" and "Now watching" in first["text"]
    assert "10.1038/nature12373" in second["text"]
    assert running.watched() == 1


def test_lookup_acks_at_once_then_answers_through_response_url(running: Running) -> None:
    resp = running.command("lookup 10.1038/nature12373")
    assert resp.status_code == 200
    assert "Looking up" in resp.json()["text"] and resp.json()["response_type"] == "ephemeral"
    (answer,) = running.responses(1)
    assert "source" in answer["text"]  # no source is configured in tests: the reply says so


def test_user_errors_are_ephemeral(running: Running) -> None:
    running.command("watch not-an-id")
    (answer,) = running.responses(1)
    assert answer["response_type"] == "ephemeral"
    assert running.watched() == 0


def test_private_flag_keeps_a_reply_to_the_asker(running: Running) -> None:
    running.command("list --private")
    (answer,) = running.responses(1)
    assert answer["response_type"] == "ephemeral"


def _button_payload(running: Running, action_id: str, value: str, label: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "fake"},
        "user": {"id": USER, "username": "ann", "team_id": "T0001"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": CHANNEL},
        "trigger_id": "1.2.3",
        "channel": {"id": CHANNEL, "name": "research"},
        "message": {"type": "message", "ts": "1700000000.000001", "text": "alert"},
        "response_url": running.fake.response_url("action"),
        "actions": [
            {"action_id": action_id, "block_id": "attention_alert_actions", "type": "button",
             "value": value, "text": {"type": "plain_text", "text": label}, "action_ts": "1700000001.0"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def test_alert_buttons_run_their_command(running: Running) -> None:
    router.dispatch(running.ctx, "watch 10.1038/nature12373", channel=CHANNEL, user=USER)
    buttons = {b["action_id"]: b for b in actions_for_alert("10.1038/nature12373")["elements"]}  # type: ignore[index]

    unwatch = buttons["attention_unwatch"]
    assert running.post(_button_payload(running, "attention_unwatch", unwatch["value"], "Unwatch")).status_code == 200
    (answer,) = running.responses(1)
    assert answer["response_type"] == "in_channel" and answer["replace_original"] is False
    assert f"<@{USER}> pressed *Unwatch*" in json.dumps(answer["blocks"])
    assert running.watched() == 0

    details = buttons["attention_details"]
    assert running.post(_button_payload(running, "attention_details", details["value"], "Details")).status_code == 200
    assert running.responses(2)[1]["response_type"] == "ephemeral"


def test_a_signed_click_carrying_another_command_is_refused_and_changes_nothing(running: Running) -> None:
    router.dispatch(running.ctx, "watch 10.1038/nature12373", channel=CHANNEL, user=USER)
    before = [r[0] for r in running.ctx.store.db.execute("SELECT item_id FROM watches ORDER BY item_id")]
    assert running.post(_button_payload(running, "attention_mute", "watch 10.9999/x", "Mute 7 days")).status_code == 200
    (answer,) = running.responses(1)
    assert answer["response_type"] == "ephemeral" and "nothing was changed" in answer["text"]
    assert [r[0] for r in running.ctx.store.db.execute("SELECT item_id FROM watches ORDER BY item_id")] == before
    assert running.ctx.store.db.execute("SELECT count(*) FROM identifiers WHERE key LIKE '%10.9999%'").fetchone()[0] == 0
    assert running.ctx.store.db.execute("SELECT muted_until FROM watches").fetchone()[0] is None


def test_mention_answers_in_the_thread(running: Running) -> None:
    event = {
        "type": "event_callback", "team_id": "T0001", "api_app_id": "A0APP", "event_id": "Ev1",
        "event_time": 1700000000, "token": "legacy",
        "event": {"type": "app_mention", "user": USER, "channel": CHANNEL, "ts": "1700000000.000200",
                  "thread_ts": "1700000000.000100", "text": "<@UBOT> watch 10.1038/nature12373"},
    }
    resp = running.post(json.dumps(event), content_type="application/json")
    assert resp.status_code == 200
    assert wait_for(lambda: bool(running.fake.messages))
    (message,) = running.fake.messages
    assert message["channel"] == CHANNEL and message["thread_ts"] == "1700000000.000100"
    assert "Now watching" in message["text"]
    assert running.watched() == 1


def test_export_files_are_uploaded_to_the_channel(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    def export(ctx: Context, cmd: Command) -> Reply:
        """Export the watchlist."""
        return Reply(text="Here is the export.", files=(Attachment("watches.csv", b"id\n10.1/x\n", "Watches"),))

    monkeypatch.setitem(router.COMMANDS, "export", router.CommandSpec("export", export, "export", slow=True))
    assert running.command("export").status_code == 200
    assert wait_for(lambda: bool(running.fake.files))
    (upload,) = running.fake.files
    assert upload["channel"] == CHANNEL and upload["filename"] == "watches.csv"
    assert upload["content"] == b"id\n10.1/x\n"


def test_healthz_and_unknown_paths(running: Running) -> None:
    health = httpx.get(running.url + "/healthz", timeout=5)
    assert (health.status_code, health.text) == (200, "ok")
    assert httpx.get(running.url + "/nope", timeout=5).status_code == 404


def test_serve_runs_http_mode_and_stops_the_scheduler_cleanly(
    fake_slack: FakeSlack, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    import bot.scheduler

    stopped: list[bool] = []

    class FakeScheduler:
        def shutdown(self, wait: bool = True) -> None:
            stopped.append(wait)

    monkeypatch.setattr(bot.scheduler, "start_scheduler", lambda settings, ctx, notifier: FakeScheduler())
    settings = slack_settings(fake_slack, tmp_path)
    stop, ports, result = threading.Event(), list[int](), list[int]()
    thread = threading.Thread(
        target=lambda: result.append(serve(settings, ctx, http=True, port=0, host="127.0.0.1", stop=stop, ready=ports.append))
    )
    thread.start()
    try:
        assert wait_for(lambda: bool(ports))
        assert httpx.get(f"http://127.0.0.1:{ports[0]}/healthz", timeout=5).text == "ok"
    finally:
        stop.set()
        thread.join(10)
    assert result == [0] and stopped == [False]


def test_serve_refuses_http_mode_without_a_signing_secret(fake_slack: FakeSlack, ctx: Context, tmp_path: Path,  # noqa: F811
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    settings = slack_settings(fake_slack, tmp_path, slack_signing_secret=None)
    assert serve(settings, ctx, http=True, port=0) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_events_url_verification_answers_the_challenge(running: Running) -> None:
    body = json.dumps({"type": "url_verification", "token": "legacy", "challenge": "c-123"})
    resp = running.post(body, content_type="application/json")
    assert resp.status_code == 200 and resp.json() == {"challenge": "c-123"}


def test_sigterm_asks_serve_to_stop_and_handlers_are_restored() -> None:
    import os
    import signal

    from bot.server import install_signals as _install_signals

    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    restore = _install_signals(stop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert wait_for(stop.is_set)
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("<@UBOT> check <https://repo.example.edu/item/1?a=1&amp;b=2>", "check https://repo.example.edu/item/1?a=1&b=2"),
        ("<@UBOT> watch domain <http://repo.example.edu|repo.example.edu>", "watch domain repo.example.edu"),
        ("<@UBOT> watch 10.1002/(SICI)1097-4571(199806)49:8&lt;693::AID-ASI4&gt;3.0.CO;2-0",
         "watch 10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"),
        ("<@UBOT> lookup &amp;lt;", "lookup &lt;"),  # a user who really typed an entity keeps it
    ],
)
def test_slack_formatting_is_undone_before_the_router_sees_it(sent: str, typed: str) -> None:
    from bot.slack import command_after_mention

    assert command_after_mention(sent) == typed


def test_a_mention_with_an_auto_linked_site_and_an_escaped_doi_watches_them(running: Running) -> None:
    def mention(text: str, n: int) -> None:
        event = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0APP", "event_id": f"Ev{n}",
                 "event_time": 1700000000, "token": "legacy",
                 "event": {"type": "app_mention", "user": USER, "channel": CHANNEL, "ts": f"1700000000.00030{n}",
                           "text": text}}
        assert running.post(json.dumps(event), content_type="application/json").status_code == 200
        assert wait_for(lambda: len(running.fake.messages) >= n)

    mention("<@UBOT> watch 10.1002/(SICI)1097-4571(199806)49:8&lt;693::AID-ASI4&gt;3.0.CO;2-0", 1)
    mention("<@UBOT> watch domain <http://repo.example.edu|repo.example.edu>", 2)
    first, second = running.fake.messages
    assert "Now watching" in first["text"] and "8&lt;693" in first["text"]  # stored as `<`, shown escaped
    assert "repo.example.edu" in second["text"] and "not a web site" not in second["text"]
    listed = router.dispatch(running.ctx, "list", channel=CHANNEL).text
    assert "49:8<693::aid-asi4>3.0.co;2-0" in listed and "repo.example.edu" in listed


@pytest.mark.parametrize("length", ["-5", "lots"])
def test_a_bad_content_length_is_refused_at_once(running: Running, length: str) -> None:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(running.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        head = conn.recv(200)  # a negative length used to leave the server reading forever
    assert head.startswith(b"HTTP/1.1 400")
