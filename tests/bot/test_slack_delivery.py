"""Delivery into a fake Slack: metadata keys, threads, 429 then success, a channel that is gone,
and the crash between Slack's answer and marking the row sent, through `poll --once`."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.http_retry import builtin_handlers

from bot.scheduler import build_notifier
from bot.settings import load_settings
from core.models import Identifier
from handlers.alerts.deliver import CLAIM_LEASE, deliver_pending
from handlers.context import Context
from handlers.polling.poll import run_poll
from storage import watches
from tests import paths
from tests.bot.test_poll_once import FakeHackerNews, env_for
from tests.fakes.scripted_source import ScriptedSource
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401 - the fixture

DOI = Identifier(scheme="doi", value="10.1234/abc")
ROOT = paths.ROOT
#: Minutes after which a rerun comes: past the claim lease of a run that died.
LATER = int(CLAIM_LEASE.total_seconds() // 60) + 1


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """slack_sdk's retry handlers sleep through Retry-After: record it instead of waiting."""
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture
def alerted(ctx: Context) -> Context:
    source = ScriptedSource()
    ctx.sources = [source]
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [DOI], title="A paper")
        watches.watch_item(db, "C2", [DOI], title="A paper")
    run_poll(ctx, source)
    source.add(DOI.key, "n1", day=2, title="A <!channel> story")
    run_poll(ctx, source)
    return ctx


def slack_notifier(ctx: Context, slack: FakeSlack, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(db=tmp_path / "x.db", slack_bot_token="xoxb-test", slack_api_url=slack.api_url)
    return build_notifier(settings, ctx)


def test_rate_limited_then_delivered_with_its_key(
    alerted: Context, fake_slack: FakeSlack, waits: list[float], tmp_path: Path  # noqa: F811
) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=3)
    report = deliver_pending(alerted, slack_notifier(alerted, fake_slack, tmp_path))
    assert report.sent == 2 and waits and waits[0] >= 3
    assert len(fake_slack.calls_to("chat.postMessage")) == 3  # one 429, then both alerts
    first = fake_slack.messages[0]
    assert first["metadata"]["event_payload"]["key"].startswith("alert:C1:1:")
    assert "<!channel>" not in str(first["blocks"]) and "&lt;!channel&gt;" in str(first["blocks"])


def test_channel_gone_pauses_its_watches_and_the_other_channel_still_hears(
    alerted: Context, fake_slack: FakeSlack, tmp_path: Path  # noqa: F811
) -> None:
    fake_slack.error("chat.postMessage", "channel_not_found")
    report = deliver_pending(alerted, slack_notifier(alerted, fake_slack, tmp_path))
    assert report.channels_gone == ("C1",)
    assert [m["channel"] for m in fake_slack.messages] == ["C2"]
    assert [c for c, _ in watches.inactive_channels(alerted.store.db)] == ["C1"]
    assert not any(w.active for w in watches.list_watches(alerted.store.db, "C1"))


@pytest.fixture
def hn() -> Iterator[FakeHackerNews]:
    fake = FakeHackerNews()
    with fake.server:
        yield fake


@pytest.mark.slow
def test_killed_after_slacks_answer_the_rerun_finds_the_message_and_does_not_repost(
    tmp_path: Path, hn: FakeHackerNews, fake_slack: FakeSlack  # noqa: F811
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env.update(env_for(tmp_path, hn))
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.api_url})

    def cli(*args: str, later: int = 0, **extra: str) -> subprocess.CompletedProcess[str]:
        """The CLI in a new process, ``later`` minutes on (past a dead run's claim lease)."""
        return subprocess.run(
            [sys.executable, "-m", "tests.handlers.alerts.later", str(later), "bot.cli", *args], capture_output=True,
            text=True, env={**env, **extra, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=60,
        )

    assert cli("cmd", "--channel", "C1", "watch", DOI.value).returncode == 0
    hn.publish("1", "An old thread", datetime(2026, 2, 1, tzinfo=UTC))
    assert cli("poll", "--once").returncode == 0
    assert fake_slack.messages == []  # the baseline

    hn.publish("2", "Show HN: the paper", datetime(2026, 3, 3, tzinfo=UTC))
    crashed = cli("poll", "--once", ATTENTION_TEST_CRASH_AT="after_post")
    assert crashed.returncode == 17
    assert len(fake_slack.messages) == 1  # Slack has it; the bot died before noting that

    rerun = cli("poll", "--once", later=LATER)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 already in the chat" in rerun.stdout
    assert fake_slack.calls_to("conversations.history")  # it looked before re-sending
    assert len(fake_slack.messages) == 1

    # Killed again, after Slack took a follow-up into the first alert's thread.
    hn.publish("3", "Ask HN: follow-up", datetime(2026, 3, 5, tzinfo=UTC))
    crashed = cli("poll", "--once", later=LATER, ATTENTION_TEST_CRASH_AT="after_post")
    assert crashed.returncode == 17
    first, follow = fake_slack.messages
    assert "thread_ts" not in first and follow["thread_ts"] == first["ts"]

    at_once = cli("poll", "--once", later=LATER)  # the dead run's claim still holds
    assert "1 being sent by another run" in at_once.stdout
    rerun = cli("poll", "--once", later=2 * LATER)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 already in the chat" in rerun.stdout
    (replies,) = fake_slack.calls_to("conversations.replies")  # history does not show replies
    assert replies["ts"] == first["ts"] and replies["include_all_metadata"] in ("1", "true", True)
    keys = Counter(m["metadata"]["event_payload"]["key"] for m in fake_slack.messages)
    assert len(keys) == 2 and set(keys.values()) == {1}  # exactly one message for each key
