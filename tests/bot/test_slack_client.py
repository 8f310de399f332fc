"""The Slack WebClient retries against the fake API, and SlackNotifier maps Slack's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.slack_client import SlackNotifier, make_client
from handlers.notifier import DeliveryError
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)


@pytest.fixture
def notifier(fake_slack: FakeSlack, tmp_path: Path) -> SlackNotifier:  # noqa: F811
    settings = load_settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.api_url, db=tmp_path / "a.db")
    return SlackNotifier(make_client(settings))


def test_rate_limited_post_is_retried_after_retry_after(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    fake_slack.fail("chat.postMessage", status=429, retry_after=0)
    ts = notifier.post("C1", text="hello")
    assert ts and len(fake_slack.calls_to("chat.postMessage")) == 2
    assert [m["text"] for m in fake_slack.messages] == ["hello"]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(fake_slack: FakeSlack, notifier: SlackNotifier, status: int) -> None:  # noqa: F811
    fake_slack.fail("chat.postMessage", status=status)
    assert notifier.post("C1", text="hello")
    assert len(fake_slack.messages) == 1


def test_a_lasting_outage_becomes_a_retryable_delivery_error(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    fake_slack.fail("chat.postMessage", status=503, times=10)
    with pytest.raises(DeliveryError) as info:
        notifier.post("C1", text="hello")
    assert not info.value.final and not info.value.channel_gone


@pytest.mark.parametrize("code", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"])
def test_a_gone_channel_is_final(fake_slack: FakeSlack, notifier: SlackNotifier, code: str) -> None:  # noqa: F811
    fake_slack.error("chat.postMessage", code)
    with pytest.raises(DeliveryError) as info:
        notifier.post("C1", text="hello")
    assert info.value.channel_gone and info.value.final
    assert "/invite @attention-bot" in str(info.value)


def test_other_api_errors(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    fake_slack.error("chat.postMessage", "invalid_blocks")
    with pytest.raises(DeliveryError) as info:
        notifier.post("C1", text="hello", blocks=[{"type": "section"}])
    assert info.value.final and not info.value.channel_gone and "invalid_blocks" in str(info.value)


def test_post_carries_key_thread_and_broadcast_and_is_found_again(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    first = notifier.post("C1", text="<!channel> Title & co", key="alert:1")
    reply = notifier.post("C1", text="more", thread_ts=first, broadcast=True, key="alert:2")
    top, threaded = fake_slack.messages
    assert top["text"] == "&lt;!channel&gt; Title &amp; co"  # plain text is escaped
    assert top["metadata"] == {"event_type": "attention_alert", "event_payload": {"key": "alert:1"}}
    assert threaded["thread_ts"] == first and threaded["reply_broadcast"] is True
    assert notifier.find_by_key("C1", "alert:1") == first
    assert notifier.find_by_key("C1", "alert:2") == reply  # broadcast replies are in history
    assert notifier.find_by_key("C1", "alert:3") is None
    assert notifier.find_by_key("C2", "alert:1") is None
    assert fake_slack.calls_to("conversations.history")[0]["include_all_metadata"] in ("1", "true", True)


def test_a_thread_reply_is_found_only_by_searching_its_thread(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    parent = notifier.post("C1", text="first alert", key="alert:1")
    assert parent
    notifier.history_limit = 2  # a page of replies: the thread is read page after page
    for n in range(2, 6):
        notifier.post("C1", text=f"follow-up {n}", thread_ts=parent, key=f"alert:{n}")
    reply = fake_slack.messages[-1]["ts"]
    assert notifier.find_by_key("C1", "alert:5") is None  # channel history has no replies
    assert notifier.find_by_key("C1", "alert:5", thread_ts=parent) == reply
    calls = fake_slack.calls_to("conversations.replies")
    assert len(calls) == 3 and calls[0]["ts"] == parent
    assert calls[0]["include_all_metadata"] in ("1", "true", True)
    assert notifier.find_by_key("C1", "alert:9", thread_ts=parent) is None
    assert notifier.find_by_key("C1", "alert:5", thread_ts="1.000001") is None  # parent deleted


def test_upload_goes_through_files_upload_v2(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    notifier.upload("C1", filename="chart.png", content=b"\x89PNG data", title="Weekly chart", thread_ts="1.2")
    (f,) = fake_slack.files
    assert (f["channel"], f["filename"], f["title"], f["content"], f["thread_ts"]) == (
        "C1", "chart.png", "Weekly chart", b"\x89PNG data", "1.2")


def test_upload_to_a_gone_channel(fake_slack: FakeSlack, notifier: SlackNotifier) -> None:  # noqa: F811
    fake_slack.error("files.completeUploadExternal", "channel_not_found")
    with pytest.raises(DeliveryError) as info:
        notifier.upload("C1", filename="a.csv", content=b"x")
    assert info.value.channel_gone
