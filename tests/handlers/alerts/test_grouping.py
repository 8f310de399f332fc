"""Alerts about one item that come close together are one message (Alertmanager's group_wait):
the first waits ATTENTION_ALERT_GROUP_SECONDS for more, from other sources or a burst of posts;
what comes after it was sent goes in its thread."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.notifier import DeliveryError
from handlers.polling.poll import run_poll
from storage import outbox
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource
from tests.handlers.alerts.conftest import KEY

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def two_sources(watched: Context, source: ScriptedSource) -> tuple[Context, ScriptedSource, ScriptedSource]:
    """C1 and C2 watch one DOI; two sources have polled it once (their baselines); alerts wait
    two minutes for more."""
    news, wiki = source, ScriptedSource("wikipedia", label="Wikipedia")
    watched.sources = [news, wiki]
    watched.options = watched.options.model_copy(update={"alert_group_seconds": 120})
    wiki.add(KEY, "w-old", kind="wikipedia")
    run_poll(watched, news)
    run_poll(watched, wiki)
    return watched, news, wiki


def test_alerts_from_two_sources_within_the_window_are_one_message(
    two_sources: tuple[Context, ScriptedSource, ScriptedSource],
) -> None:
    ctx, news, wiki = two_sources
    chat = RecordingNotifier()
    with time_machine.travel(START, tick=False) as clock:
        news.add(KEY, "n1", day=2, title="A news story")
        news.add(KEY, "n2", day=3, title="Another story")
        run_poll(ctx, news)
        clock.shift(60)
        wiki.add(KEY, "w1", kind="wikipedia", day=3, title="Salt marsh")
        run_poll(ctx, wiki)
        assert deliver_pending(ctx, chat).sent == 0  # still inside the first alert's window
        clock.shift(61)
        assert deliver_pending(ctx, chat).sent == 2  # one message in each channel
    for channel in ("C1", "C2"):
        [message] = chat.in_channel(channel)
        assert "gained attention on Scripted and Wikipedia: 3 new mentions" in message.text
        assert all(title in message.text for title in ("A news story", "Another story", "Salt marsh"))


def test_what_comes_after_the_message_went_out_is_a_reply_in_its_thread(
    two_sources: tuple[Context, ScriptedSource, ScriptedSource],
) -> None:
    ctx, news, wiki = two_sources
    chat = RecordingNotifier()
    with time_machine.travel(START, tick=False) as clock:
        news.add(KEY, "n1", day=2)
        run_poll(ctx, news)
        clock.shift(121)
        deliver_pending(ctx, chat)
        wiki.add(KEY, "w1", kind="wikipedia", day=3, title="Salt marsh")
        run_poll(ctx, wiki)
        clock.shift(121)
        deliver_pending(ctx, chat)
    first, second = chat.in_channel("C1")
    assert first.thread_ts is None and second.thread_ts == first.ts
    assert "Salt marsh" in second.text and "Salt marsh" not in first.text


def test_an_alert_after_the_window_closed_is_not_folded_into_a_late_one(
    two_sources: tuple[Context, ScriptedSource, ScriptedSource],
) -> None:
    ctx, news, wiki = two_sources
    with time_machine.travel(START, tick=False) as clock:
        news.add(KEY, "n1", day=2)
        run_poll(ctx, news)
        clock.shift(300)  # nothing delivered meanwhile (the bot was down), window long closed
        wiki.add(KEY, "w1", kind="wikipedia", day=3)
        run_poll(ctx, wiki)
        chat = RecordingNotifier()
        deliver_pending(ctx, chat)
        assert len(chat.in_channel("C1")) == 1  # the old one; the new one has its own window
        clock.shift(121)
        deliver_pending(ctx, chat)
    first, second = chat.in_channel("C1")
    assert "Scripted: 1 new mention" in first.text and "Wikipedia: 1 new mention" in second.text


def test_nothing_joins_a_message_that_may_already_be_in_the_chat(
    two_sources: tuple[Context, ScriptedSource, ScriptedSource],
) -> None:
    """A row tried once may have reached the chat: a later alert must not hide inside it."""
    ctx, news, wiki = two_sources

    class FailsOnce(RecordingNotifier):
        failed = False

        def post(self, channel: str, **kwargs: object) -> str:  # type: ignore[override]
            if not self.failed:
                self.failed = True
                raise DeliveryError("timeout")
            return super().post(channel, **kwargs)  # type: ignore[arg-type]

    chat = FailsOnce()
    with time_machine.travel(START, tick=False) as clock:
        news.add(KEY, "n1", day=2, title="A news story")
        run_poll(ctx, news)
        clock.shift(121)
        deliver_pending(ctx, chat)  # C1's try fails (C2's goes); C1's row waits for a retry
        wiki.add(KEY, "w1", kind="wikipedia", day=3, title="Salt marsh")
        run_poll(ctx, wiki)
        clock.shift(121)
        deliver_pending(ctx, chat, flush=True)
    c1 = [m.text for m in chat.in_channel("C1")]
    assert sum("A news story" in t for t in c1) == 1 and sum("Salt marsh" in t for t in c1) == 1
    assert not any("A news story" in t and "Salt marsh" in t for t in c1)


def test_flush_sends_what_still_waits(two_sources: tuple[Context, ScriptedSource, ScriptedSource]) -> None:
    ctx, news, _ = two_sources
    news.add(KEY, "n1", day=2)
    run_poll(ctx, news)
    chat = RecordingNotifier()
    assert deliver_pending(ctx, chat).sent == 0
    assert deliver_pending(ctx, chat, flush=True).sent == 2
    assert outbox.backlog(ctx.store.db) == {}
