"""Two bot processes delivering from one database at once (cron's `poll --once` while `run` is
up): each alert is claimed by exactly one of them, so the chat hears it once, in its thread."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from typing import Any

import pytest

from core.models import Identifier
from handlers.alerts.deliver import DeliveryReport, deliver_pending
from handlers.context import Context
from handlers.polling.poll import run_poll
from storage import Store, open_store, outbox, watches
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource

DOIS = [Identifier(scheme="doi", value=f"10.1234/p{n}") for n in range(3)]
CHANNELS = ("C1", "C2", "C3")


class Rendezvous(RecordingNotifier):
    """A chat shared by the delivery threads: each thread's first post waits until the other
    thread posts too, so both are mid-delivery at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=10)
        self.waited: set[int] = set()
        self.by_thread: Counter[int] = Counter()

    def post(self, channel: str, **kwargs: Any) -> str | None:
        ts = super().post(channel, **kwargs)
        me = threading.get_ident()
        self.by_thread[me] += 1
        if me not in self.waited:
            self.waited.add(me)
            # Broken when the other one found nothing to post: the assertions below tell.
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()
        return ts


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def alerted(ctx: Context, source: ScriptedSource) -> Context:
    """Three channels watch three papers; each pair has one alert waiting."""
    ctx.sources = [source]
    with ctx.store.transaction() as db:
        for channel in CHANNELS:
            for doi in DOIS:
                watches.watch_item(db, channel, [doi], title=f"Paper {doi.value}")
    for doi in DOIS:
        source.add(doi.key, f"old-{doi.value}")
    run_poll(ctx, source)
    for doi in DOIS:
        source.add(doi.key, f"new-{doi.value}", day=2)
    run_poll(ctx, source)
    return ctx


@pytest.fixture
def second_process(alerted: Context) -> Any:
    """Another Store on the same file: its own connections, as another process has."""
    other = open_store(alerted.store.path)
    yield Context(store=other, sources=alerted.sources, options=alerted.options)
    other.close()


def deliver_at_once(contexts: list[Context], chat: RecordingNotifier) -> list[DeliveryReport]:
    start = threading.Barrier(len(contexts), timeout=10)
    reports: list[DeliveryReport | None] = [None] * len(contexts)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            reports[i] = deliver_pending(contexts[i], chat)
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contexts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert all(r is not None for r in reports)
    return [r for r in reports if r is not None]


def all_rows(store: Store) -> list[outbox.OutboxRow]:
    return [r for r in (outbox.get(store.db, k) for k in _keys(store)) if r is not None]


def _keys(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT key FROM outbox ORDER BY id").fetchall()]


def test_two_processes_delivering_at_once_post_every_alert_exactly_once(
    alerted: Context, second_process: Context, source: ScriptedSource
) -> None:
    chat = Rendezvous()
    reports = deliver_at_once([alerted, second_process], chat)
    keys = Counter(p.key for p in chat.posts)
    assert set(keys) == set(_keys(alerted.store)) and len(keys) == 9
    assert set(keys.values()) == {1}  # no alert twice
    assert sum(r.sent for r in reports) == 9
    assert chat.lookups == []  # neither took a row the other held (it would look it up first)
    assert len(chat.by_thread) == 2  # both really delivered, side by side
    assert {r.status for r in all_rows(alerted.store)} == {"sent"}

    # Follow-ups, again from both at once: each lands once, in its item's thread.
    for doi in DOIS:
        source.add(doi.key, f"newer-{doi.value}", day=3)
    run_poll(alerted, source)
    firsts = {(p.channel, p.key.split(":")[2]): p.ts for p in chat.posts if p.key}
    chat.barrier.reset()
    chat.waited.clear()
    deliver_at_once([second_process, alerted], chat)
    follow_ups = chat.posts[9:]
    assert len(follow_ups) == 9 and set(Counter(p.key for p in chat.posts).values()) == {1}
    for p in follow_ups:
        assert p.key is not None
        assert p.thread_ts == firsts[(p.channel, p.key.split(":")[2])]


def test_a_row_a_live_process_is_sending_is_not_taken(alerted: Context, second_process: Context) -> None:
    chat = RecordingNotifier()
    first = outbox.due(alerted.store.db)[0]
    with second_process.store.transaction() as db:  # the other process is posting it right now
        taken = outbox.claim(db, first.id, token="other", now="2999-01-01T00:00:00+00:00",
                             stale_before="2999-01-01T00:00:00+00:00")
    assert taken is not None
    with alerted.store.transaction() as db:  # a second claim on the same row loses
        assert outbox.claim(db, first.id, token="mine", now="2999-01-01T00:00:01+00:00",
                            stale_before="2998-12-31T23:50:01+00:00") is None
    report = deliver_pending(alerted, chat)
    assert report.sent == 8 and report.busy == 1
    assert first.key not in {p.key for p in chat.posts}
