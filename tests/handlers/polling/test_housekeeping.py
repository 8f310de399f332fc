"""Retention: old mentions are purged daily, their monthly numbers kept, so totals and scores
do not change; old audit rows go; the scheduler runs it every day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.scheduler import HOUSEKEEPING_JOB, add_jobs, start_scheduler
from bot.settings import load_settings
from core.models import Identifier, Mention
from core.scoring import score
from handlers.context import Context
from handlers.options import Options
from handlers.polling.housekeeping import run_housekeeping
from storage import items, retention
from storage.mentions import add_mentions, count_by_source, kinds_of, mentions_of
from tests.fakes.notifier import RecordingNotifier

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
DOI = Identifier(scheme="doi", value="10.1234/old-and-new")


def mention(source: str, external_id: str, kind: str) -> Mention:
    return Mention(source=source, external_id=external_id, kind=kind, url=f"https://example.org/{external_id}",
                   title=f"Post {external_id}")


def seeded(ctx: Context) -> int:
    """One item with 3 mentions first seen in 2023 and 2 seen this month."""
    with ctx.store.transaction() as db:
        item_id, _ = items.ensure_item(db, [DOI])
        add_mentions(db, item_id, [mention("mastodon", "t1", "social"), mention("mastodon", "t2", "social")],
                     seen_at="2023-03-04T10:00:00+00:00")
        add_mentions(db, item_id, [mention("feeds", "n1", "news")], seen_at="2023-05-20T23:59:59+00:00")
        add_mentions(db, item_id, [mention("mastodon", "t3", "social"), mention("feeds", "n2", "news")],
                     seen_at="2026-06-10T08:00:00+00:00")
        db.execute(
            "INSERT INTO audit (at, user, channel, command, args, outcome) VALUES "
            "('2026-01-02T00:00:00+00:00', 'U1', 'C1', 'watch', '10.1/x', 'ok'), "
            "('2026-06-01T00:00:00+00:00', 'U1', 'C1', 'unwatch', '10.1/x', 'ok')"
        )
    return item_id


def history(ctx: Context) -> list[tuple[str, str, str, int]]:
    return [
        tuple(r) for r in ctx.store.db.execute(
            "SELECT source, kind, month, mentions FROM mention_history ORDER BY source, month"
        ).fetchall()
    ]


def test_purge_keeps_monthly_counts_and_totals_and_a_second_purge_does_nothing(ctx: Context) -> None:
    item_id = seeded(ctx)
    db = ctx.store.db
    totals, kinds = count_by_source(db, item_id), sorted(kinds_of(db, item_id))
    assert totals == {"mastodon": 3, "feeds": 2}

    with ctx.store.transaction() as tx:
        assert retention.purge_mentions(tx, older_than="2024-06-15T09:00:00+00:00") == 3
    # The posts (and their URLs and titles) are gone; what is left is their number per month.
    assert sorted(m.external_id for m in mentions_of(db, item_id)) == ["n2", "t3"]
    assert history(ctx) == [("feeds", "news", "2023-05", 1), ("mastodon", "social", "2023-03", 2)]
    assert count_by_source(db, item_id) == totals
    assert sorted(kinds_of(db, item_id)) == kinds
    # A score at a time after the purged months counts them; before them, it does not.
    assert sorted(kinds_of(db, item_id, before="2026-06-01T00:00:00+00:00")) == ["news", "social", "social"]
    assert kinds_of(db, item_id, before="2023-03-01T00:00:00+00:00") == []

    with ctx.store.transaction() as tx:
        assert retention.purge_mentions(tx, older_than="2024-06-15T09:00:00+00:00") == 0
    assert history(ctx)[1] == ("mastodon", "social", "2023-03", 2)
    assert count_by_source(db, item_id) == totals


def test_a_later_purge_adds_to_the_month_already_kept(ctx: Context) -> None:
    item_id = seeded(ctx)
    with ctx.store.transaction() as tx:
        retention.purge_mentions(tx, older_than="2023-03-31T00:00:00+00:00")  # the two toots
        add_mentions(tx, item_id, [mention("mastodon", "t0", "social")], seen_at="2023-03-30T00:00:00+00:00")
        assert retention.purge_mentions(tx, older_than="2024-01-01T00:00:00+00:00") == 2
    assert history(ctx) == [("feeds", "news", "2023-05", 1), ("mastodon", "social", "2023-03", 3)]
    assert count_by_source(ctx.store.db, item_id) == {"mastodon": 4, "feeds": 2}


def test_housekeeping_uses_the_settings_and_says_what_it_purged(ctx: Context) -> None:
    item_id = seeded(ctx)
    ctx.now = lambda: NOW
    before = score(kinds_of(ctx.store.db, item_id), {})
    ctx.options = Options(**{"retention_days": 730, "audit_days": 90})
    text = run_housekeeping(ctx)
    assert "3 mentions first seen before 2024-06-15 purged" in text
    assert "1 audit row before 2026-03-17 deleted" in text
    assert [r[0] for r in ctx.store.db.execute("SELECT command FROM audit").fetchall()] == ["unwatch"]
    assert score(kinds_of(ctx.store.db, item_id), {}) == before
    assert "0 mentions" in run_housekeeping(ctx) and "0 audit rows" in run_housekeeping(ctx)


def test_housekeeping_defaults_to_two_years_and_ninety_days(ctx: Context) -> None:
    seeded(ctx)
    ctx.now = lambda: NOW
    text = run_housekeeping(ctx)  # no settings given
    assert "3 mentions first seen before 2024-06-15" in text and "1 audit row before 2026-03-17" in text


def test_a_longer_retention_keeps_the_old_mentions(ctx: Context) -> None:
    item_id = seeded(ctx)
    ctx.now = lambda: NOW
    ctx.options = Options(**{"retention_days": 3650})
    assert "0 mentions" in run_housekeeping(ctx)
    assert len(mentions_of(ctx.store.db, item_id)) == 5


def test_the_scheduler_runs_housekeeping_daily_under_a_fixed_id(ctx: Context, tmp_path: Path) -> None:
    settings = load_settings(db=tmp_path / "attention.db")
    scheduler = start_scheduler(settings, ctx, RecordingNotifier())
    try:
        job = scheduler.get_job(HOUSEKEEPING_JOB)
        assert job is not None and job.coalesce is True and job.max_instances == 1
        assert str(job.trigger.fields[job.trigger.FIELD_NAMES.index("hour")]) == "3"
        assert job.trigger.jitter
        count = len(scheduler.get_jobs())
        add_jobs(scheduler, settings, ctx, RecordingNotifier())  # a second add replaces it
        assert len(scheduler.get_jobs()) == count
    finally:
        scheduler.shutdown(wait=False)


def test_two_items_made_one_keep_both_purged_histories(ctx: Context) -> None:
    handle = Identifier(scheme="handle", value="10.5555/old")
    with ctx.store.transaction() as db:
        first = seeded(ctx)
        second, _ = items.ensure_item(db, [handle])
        add_mentions(db, second, [mention("mastodon", "h1", "social")], seen_at="2023-03-09T00:00:00+00:00")
        retention.purge_mentions(db, older_than="2024-01-01T00:00:00+00:00")
        # A page declaring both identifiers makes them one item (the older keeps its id).
        assert items.merge_owners(db, [DOI, handle]) == first
    assert history(ctx) == [("feeds", "news", "2023-05", 1), ("mastodon", "social", "2023-03", 3)]
    assert count_by_source(ctx.store.db, first) == {"mastodon": 4, "feeds": 2}


def test_a_purged_post_the_source_still_returns_is_not_new_again(ctx: Context) -> None:
    # Sources keep answering with old posts: after the purge, the next poll must neither store
    # nor alert about them, and totals must not double.
    from handlers.polling.poll import run_poll
    from storage import outbox, watches
    from storage.forget import forget_items
    from tests.fakes.scripted_source import ScriptedSource

    source = ScriptedSource("blogs")
    ctx.sources = [source]
    ctx.options = Options(**{"alert_on_first_poll": True})
    with ctx.store.transaction() as db:
        item_id, _ = watches.watch_item(db, "C1", [DOI])
    source.add(DOI.key, "post-1")
    first = run_poll(ctx, source)
    assert first.new_mentions == 1 and first.alerts == 1
    with ctx.store.transaction() as db:
        db.execute("UPDATE outbox SET status = 'sent'")
        assert retention.purge_mentions(db, older_than="9999-01-01T00:00:00+00:00") == 1

    again = run_poll(ctx, source)
    assert again.new_mentions == 0 and again.alerts == 0
    assert count_by_source(ctx.store.db, item_id) == {"blogs": 1}
    assert outbox.due(ctx.store.db) == []
    # What is kept of the purged post is a hash, not its id or URL.
    (key,) = ctx.store.db.execute("SELECT key FROM purged_mentions").fetchone()
    assert "post-1" not in key
    # Forgetting the item leaves no trace of it there either.
    with ctx.store.transaction() as db:
        forget_items(db, [item_id])
    assert ctx.store.db.execute("SELECT count(*) FROM purged_mentions").fetchone()[0] == 0
