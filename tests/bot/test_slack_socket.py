"""Socket Mode: raw envelopes as Slack sends them over the websocket go through Bolt's
SocketModeHandler into our app; the acknowledgement goes back with the envelope id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.settings import load_settings
from bot.slack import create_app
from bot.slack_client import make_client
from handlers.context import Context
from storage import watches
from tests.fakes.http import wait_for
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

CHANNEL, USER = "C0SOCK", "U0BOB"


@dataclass
class Socket:
    handler: SocketModeHandler
    fake: FakeSlack
    ctx: Context
    acks: list[dict[str, Any]]

    def receive(self, envelope_type: str, payload: dict[str, Any], envelope_id: str = "env-1") -> dict[str, Any]:
        """Feed one websocket message; return our acknowledgement of it."""
        message = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                   "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0}
        self.handler.client.enqueue_message(json.dumps(message))
        assert wait_for(lambda: any(a["envelope_id"] == envelope_id for a in self.acks)), "no ack sent"
        return next(a for a in self.acks if a["envelope_id"] == envelope_id)

    def command(self, text: str, envelope_id: str = "env-1") -> dict[str, Any]:
        payload = {"team_id": "T0001", "channel_id": CHANNEL, "user_id": USER, "command": "/attention",
                   "text": text, "api_app_id": "A0APP", "response_url": self.fake.response_url("cmd"),
                   "trigger_id": "1.2.3"}
        return self.receive("slash_commands", payload, envelope_id)


@pytest.fixture
def socket(fake_slack: FakeSlack, ctx: Context, tmp_path: Path) -> Iterator[Socket]:  # noqa: F811
    settings = load_settings(
        slack_bot_token="xoxb-test", slack_app_token="xapp-test", slack_api_url=fake_slack.api_url,
        db=tmp_path / "attention.db",
    )
    app = create_app(settings, ctx, client=make_client(settings))
    handler = SocketModeHandler(app, settings.slack_app_token)
    acks: list[dict[str, Any]] = []

    def record(response: dict[str, Any] | SocketModeResponse) -> None:  # instead of the websocket
        acks.append(response.to_dict() if isinstance(response, SocketModeResponse) else response)

    handler.client.send_socket_mode_response = record  # type: ignore[method-assign]
    try:
        yield Socket(handler, fake_slack, ctx, acks)
    finally:
        handler.client.close()


def test_slash_command_is_acked_by_envelope_and_answered(socket: Socket) -> None:
    ack = socket.command("watch 10.1038/nature12373")
    assert "payload" not in ack  # fast commands ack empty and answer through respond()
    assert wait_for(lambda: bool(socket.fake.responses))
    assert "Now watching" in socket.fake.responses[0]["text"]
    assert watches.count_watches(socket.ctx.store.db, CHANNEL) == 1


def test_slow_command_acks_with_looking_up(socket: Socket) -> None:
    ack = socket.command("lookup 10.1038/nature12373")
    assert "Looking up" in ack["payload"]["text"]
    assert wait_for(lambda: bool(socket.fake.responses))


def test_interactive_envelope_runs_the_button_command(socket: Socket) -> None:
    socket.command("watch 10.1038/nature12373")
    assert wait_for(lambda: bool(socket.fake.responses))
    payload = {
        "type": "block_actions", "team": {"id": "T0001"}, "user": {"id": USER}, "api_app_id": "A0APP",
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1.2"},
        "channel": {"id": CHANNEL}, "response_url": socket.fake.response_url("action"), "trigger_id": "1.2.3",
        "actions": [{"action_id": "attention_mute", "block_id": "attention_alert_actions", "type": "button",
                     "value": "mute 10.1038/nature12373 7", "text": {"type": "plain_text", "text": "Mute 7 days"}}],
    }
    socket.receive("interactive", payload, "env-2")
    assert wait_for(lambda: len(socket.fake.responses) >= 2)
    answer = socket.fake.responses[1]
    assert answer["path"] == "/response/action" and "Mute 7 days" in json.dumps(answer["blocks"])
    (watch,) = watches.list_watches(socket.ctx.store.db, CHANNEL)
    assert watch.muted_until  # the mute command stored it


def test_app_mention_event_replies_in_channel(socket: Socket) -> None:
    payload = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0APP", "event_id": "Ev9",
               "event_time": 1700000000,
               "event": {"type": "app_mention", "user": USER, "channel": CHANNEL, "ts": "1700000000.000300",
                         "text": "hey <@UBOT> list"}}
    socket.receive("events_api", payload, "env-3")
    assert wait_for(lambda: bool(socket.fake.messages))
    (message,) = socket.fake.messages
    assert message["channel"] == CHANNEL and "thread_ts" not in message
    assert "Nothing is watched" in message["text"]
