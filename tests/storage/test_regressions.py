"""Regressions found in the final review of storage/ and handlers/."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.models import Identifier, Mention
from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.notifier import DeliveryError
from handlers.router import dispatch
from storage import items, mentions, outbox, watches
from storage.db import Store
from tests.fakes.notifier import RecordingNotifier


def test_connections_of_finished_threads_are_closed(fresh_store: Store) -> None:
    """Each `lookup` asks its sources on new threads: their connections must not pile up
    (every one holds open files) for as long as the bot runs."""
    def use() -> None:
        fresh_store.db.execute("SELECT 1").fetchone()

    for _ in range(30):
        t = threading.Thread(target=use)
        t.start()
        t.join()
    use()  # a new connection in this thread sweeps the ones left by finished threads
    last = threading.Thread(target=use)
    last.start()
    last.join()
    use()
    assert _open_files(fresh_store) <= 3 * 3  # this thread's and the last one's: db, -wal, -shm


def _open_files(store: Store) -> int:
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("counting open files needs /proc (Linux)")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith(store.path)
        except OSError:
            continue
    return count


def test_other_channels_are_delivered_while_one_channel_keeps_failing(ctx: Context) -> None:
    """A channel with more rows waiting than one delivery run takes must not starve the rest."""
    with ctx.store.transaction() as db:
        for n in range(8):
            outbox.enqueue(db, key=f"a{n}", channel="CA", kind="summary", payload={"text": f"a{n}"})
        outbox.enqueue(db, key="b0", channel="CB", kind="summary", payload={"text": "b0"})
    chat = RecordingNotifier()
    chat.fail_next("CA", DeliveryError("ratelimited"))
    report = deliver_pending(ctx, chat, limit=5)
    assert [p.channel for p in chat.posts] == ["CB"]
    assert report.sent == 1 and report.retrying == 1


def test_mention_times_are_stored_in_utc(fresh_store: Store) -> None:
    """Times are compared and sorted as text: one written with another offset sorts wrong."""
    ident = Identifier(scheme="doi", value="10.1234/tz")
    tokyo = timezone(timedelta(hours=9))
    with fresh_store.transaction() as db:
        item_id, _ = items.ensure_item(db, [ident])
        mentions.add_mentions(db, item_id, [
            # 01:00 UTC on the 24th, written in Tokyo time
            Mention(source="s", external_id="early", occurred_at=datetime(2026, 11, 24, 10, 0, tzinfo=tokyo)),
            Mention(source="s", external_id="later", occurred_at=datetime(2026, 11, 24, 3, 0, tzinfo=UTC)),
        ])
    stored = mentions.mentions_of(fresh_store.db, item_id)
    assert [m.external_id for m in stored] == ["later", "early"]
    assert stored[1].occurred_at == "2026-11-24T01:00:00+00:00"


def test_a_csv_import_refused_whole_leaves_no_collection(ctx: Context, tmp_path: Path) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("identifier\nnot an id\nneither\n")
    reply = dispatch(ctx, f"watch collection maps from {csv_file}", channel="C1", operator=True)
    assert not reply.ok and "refused" in reply.text
    assert watches.channel_collections(ctx.store.db, "C1") == []
    assert "maps" not in dispatch(ctx, "list", channel="C1").text




def test_summary_text_counts_newly_watched_beyond_the_first_ten(ctx: Context) -> None:
    """A collection imported this week is counted, not listed item by item in the text."""
    with ctx.store.transaction() as db:
        for n in range(25):
            watches.watch_item(db, "C1", [Identifier(scheme="doi", value=f"10.1234/n{n}")], title=f"Paper {n}")
    text = dispatch(ctx, "summary", channel="C1").text
    assert "Newly watched (25):" in text
    assert "Paper 9" in text and "Paper 10" not in text
    assert "and 15 more - use export" in text


@pytest.mark.parametrize("text", ["mute 10.1234/abc ²", "top ²", "top 5 ²"])
def test_superscript_digits_are_refused_with_a_message(ctx: Context, text: str) -> None:
    """`isdigit` accepts ², which `int` refuses: that used to end in "Something went wrong"."""
    dispatch(ctx, "watch 10.1234/abc", channel="C1")
    reply = dispatch(ctx, text, channel="C1")
    assert not reply.ok and "went wrong" not in reply.text and "²" in reply.text


def test_a_lookup_between_polls_does_not_swallow_the_alert(ctx: Context) -> None:
    """An alert's Details button runs `lookup`: what it finds must still alert at the next poll."""
    from handlers.polling.poll import run_poll
    from tests.fakes.scripted_source import ScriptedSource

    source = ScriptedSource()
    ctx.sources = [source]
    doi = Identifier(scheme="doi", value="10.1234/abc")
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [doi])
    source.add(doi.key, "old", day=1)
    run_poll(ctx, source)  # the baseline
    source.add(doi.key, "fresh", day=2)
    source.set_count(doi.key, "citations", 3)
    reply = dispatch(ctx, "lookup 10.1234/abc", channel="C1")
    assert "2 mentions (1 new)" in reply.text
    report = run_poll(ctx, source)
    assert report.new_mentions == 1 and report.alerts == 1
    (row,) = [r for r in outbox.due(ctx.store.db) if r.channel == "C1"]
    assert [m["title"] for m in row.payload["mentions"]] == ["Story fresh"]


def test_list_does_not_call_an_item_muted_after_its_mute_ran_out(ctx: Context) -> None:
    dispatch(ctx, "watch 10.1234/abc", channel="C1")
    dispatch(ctx, "mute 10.1234/abc 1", channel="C1")
    assert "muted until" in dispatch(ctx, "list", channel="C1").text
    later = ctx.now() + timedelta(days=2)
    ctx.now = lambda: later
    assert "muted until" not in dispatch(ctx, "list", channel="C1").text
