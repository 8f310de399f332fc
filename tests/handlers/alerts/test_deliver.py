"""The delivery loop: threads, broadcast, retries, channels that are gone, rows in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from handlers.alerts.deliver import CLAIM_LEASE, MAX_ATTEMPTS, deliver_pending
from handlers.context import Context
from handlers.notifier import DeliveryError
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from storage import outbox, watches
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource
from tests.handlers.alerts.conftest import KEY


@pytest.fixture
def alerted(watched: Context, source: ScriptedSource, clock: object) -> Context:
    """The watched DOI's baseline is taken, and one new mention waits in the outbox."""
    run_poll(watched, source)
    source.add(KEY, "new1", day=2)
    run_poll(watched, source)
    return watched


def test_threads_follow_the_first_alert_and_big_jumps_broadcast(alerted: Context, source: ScriptedSource) -> None:
    chat = RecordingNotifier()
    report = deliver_pending(alerted, chat)
    assert report.sent == 2
    first = chat.in_channel("C1")[0]
    assert first.thread_ts is None and first.key and first.key.startswith("alert:C1:1:")
    assert first.blocks and "gained attention" in first.blocks[0]["text"]["text"]
    source.add(KEY, "new2", day=3)  # +8: stays in the thread
    run_poll(alerted, source)
    deliver_pending(alerted, chat)
    follow = chat.in_channel("C1")[1]
    assert follow.thread_ts == first.ts and follow.broadcast is False
    for i in range(3):  # +24: a jump above 20 is also shown in the channel
        source.add(KEY, f"big{i}", day=4)
    run_poll(alerted, source)
    deliver_pending(alerted, chat)
    big = chat.in_channel("C1")[2]
    assert big.thread_ts == first.ts and big.broadcast is True
    assert deliver_pending(alerted, chat).sent == 0  # nothing twice


def test_channel_gone_makes_watches_inactive_and_others_still_hear(alerted: Context) -> None:
    chat = RecordingNotifier()
    chat.fail_next("C1", DeliveryError("channel_not_found", final=True, channel_gone=True))
    report = deliver_pending(alerted, chat)
    assert report.channels_gone == ("C1",) and report.sent == 1
    assert [p.channel for p in chat.posts] == ["C2"]
    assert all(not w.active for w in watches.list_watches(alerted.store.db, "C1"))
    assert all(w.active for w in watches.list_watches(alerted.store.db, "C2"))
    status = dispatch(alerted, "status").text
    assert "Inactive channels" in status and "C1: channel_not_found" in status


def test_transient_errors_retry_then_give_up(alerted: Context) -> None:
    chat = RecordingNotifier()
    chat.fail_next("C1", DeliveryError("Slack answered 503"))
    report = deliver_pending(alerted, chat)
    assert report.retrying == 1 and [p.channel for p in chat.posts] == ["C2"]
    row = next(r for r in outbox.due(alerted.store.db) if r.channel == "C1")
    assert row.status == "pending" and row.attempts == 1
    assert deliver_pending(alerted, chat).sent == 1  # next run it goes
    assert [p.channel for p in chat.posts] == ["C2", "C1"]


def test_gives_up_after_max_attempts(alerted: Context) -> None:
    chat = RecordingNotifier()
    chat.fail_next("C1", *[DeliveryError("Slack answered 500") for _ in range(MAX_ATTEMPTS)])
    for _ in range(MAX_ATTEMPTS):
        deliver_pending(alerted, chat)
    assert [p.channel for p in chat.posts] == ["C2"]
    assert "1 gave up" in dispatch(alerted, "status").text


def claim_all(ctx: Context, token: str = "crashed-run") -> list[outbox.OutboxRow]:
    """Claim every due row as a delivery run would just before posting."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ctx.store.transaction() as db:
        claimed = [outbox.claim(db, r.id, token=token, now=now, stale_before=now) for r in outbox.due(db)]
    return [r for r in claimed if r is not None]


def test_row_in_flight_at_a_crash_is_not_posted_again_when_the_chat_has_it(
    alerted: Context, clock: time_machine.Coordinates
) -> None:
    chat = RecordingNotifier()
    rows = claim_all(alerted)
    # C1's message reached the chat before the crash, C2's did not.
    c1 = next(r for r in rows if r.channel == "C1")
    chat.post("C1", text="earlier", key=c1.key)
    clock.shift(CLAIM_LEASE + timedelta(seconds=1))  # the lease of the dead run ran out
    report = deliver_pending(alerted, chat)
    assert report.recovered == 1 and report.sent == 1
    assert sorted(k for _, k in chat.lookups) == sorted(r.key for r in rows)
    assert [p.key for p in chat.posts].count(c1.key) == 1
    sent = outbox.get(alerted.store.db, c1.key)
    assert sent is not None and sent.status == "sent" and sent.ts == chat.posts[0].ts
    assert outbox.thread_ts(alerted.store.db, "C1", 1) == chat.posts[0].ts


def test_a_channel_that_watches_again_after_being_gone_hears_again(alerted: Context, source: ScriptedSource) -> None:
    chat = RecordingNotifier()
    chat.fail_next("C1", DeliveryError("not_in_channel", final=True, channel_gone=True))
    deliver_pending(alerted, chat)
    assert dispatch(alerted, "watch 10.1234/abc", channel="C1").ok  # the bot was invited back
    source.add(KEY, "new2", day=3)
    run_poll(alerted, source)
    deliver_pending(alerted, chat)
    assert [p.channel for p in chat.posts] == ["C2", "C1", "C2"]
    assert watches.inactive_channels(alerted.store.db) == []
    assert "Inactive channels" not in dispatch(alerted, "status").text


def test_a_row_another_run_is_sending_is_left_alone_until_its_lease_runs_out(
    alerted: Context, clock: time_machine.Coordinates
) -> None:
    chat = RecordingNotifier()
    c1, c2 = sorted(claim_all(alerted), key=lambda r: r.channel)
    chat.post("C1", text="earlier", key=c1.key)  # the crashed run got C1 out
    clock.shift(CLAIM_LEASE + timedelta(minutes=1))
    with alerted.store.transaction() as db:  # a live run takes C2 over and is posting it now
        live = outbox.claim(db, c2.id, token="live-run", now=datetime.now(UTC).isoformat(timespec="seconds"),
                            stale_before=(datetime.now(UTC) - CLAIM_LEASE).isoformat(timespec="seconds"))
    assert live is not None and live.claim == "live-run"
    report = deliver_pending(alerted, chat)
    assert (report.recovered, report.sent, report.busy) == (1, 0, 1)
    assert "1 being sent by another run" in report.summary()
    assert [p.key for p in chat.posts] == [c1.key]  # C2 is not posted beside the live run
    row = outbox.get(alerted.store.db, c2.key)
    assert row is not None and row.status == "sending" and row.claim == "live-run"
    clock.shift(CLAIM_LEASE + timedelta(seconds=1))  # the live run died too: C2 goes, once
    assert deliver_pending(alerted, chat).sent == 1
    assert sorted(p.key or "" for p in chat.posts) == sorted([c1.key, c2.key])


def test_a_follow_up_in_flight_at_a_crash_is_found_in_its_thread(
    alerted: Context, source: ScriptedSource, clock: time_machine.Coordinates
) -> None:
    chat = RecordingNotifier()
    deliver_pending(alerted, chat)
    source.add(KEY, "new2", day=3)
    run_poll(alerted, source)
    (follow_c1, _) = sorted(claim_all(alerted), key=lambda r: r.channel)
    thread = outbox.thread_ts(alerted.store.db, "C1", 1)
    chat.post("C1", text="follow-up", thread_ts=thread, key=follow_c1.key)  # then the crash
    clock.shift(CLAIM_LEASE + timedelta(seconds=1))
    report = deliver_pending(alerted, chat)
    assert (report.recovered, report.sent) == (1, 1)
    assert [p.key for p in chat.in_channel("C1")].count(follow_c1.key) == 1
    assert thread in chat.searched_threads  # history alone would not show a thread reply


def test_a_row_that_failed_is_looked_for_before_it_is_posted_again(alerted: Context) -> None:
    chat = RecordingNotifier()
    chat.fail_next("C1", DeliveryError("timed out reading Slack's answer"))
    deliver_pending(alerted, chat)
    c1 = next(r for r in outbox.due(alerted.store.db) if r.channel == "C1")
    chat.post("C1", text="it went through after all", key=c1.key)
    report = deliver_pending(alerted, chat)
    assert (report.recovered, report.sent) == (1, 0)
    assert [p.key for p in chat.posts].count(c1.key) == 1
