"""Batched ingest (storage.mentions.ingest_mentions): what a backfill of many mentions relies on."""

from __future__ import annotations

from core.models import Identifier
from storage import Store, retention
from storage.mentions import MentionRow, count_by_source, ingest_mentions
from storage.watches import watch_item


def rows(item_id: int, n: int, *, seen: str = "2026-05-01T10:00:00+00:00") -> list[MentionRow]:
    return [
        ("hackernews", f"hn:{i}", item_id, f"https://news.ycombinator.com/item?id={i}", f"Story {i}",
         "forum", None, seen, None, None, None)
        for i in range(n)
    ]


def test_a_batch_goes_in_once_and_a_repeated_batch_adds_nothing(fresh_store: Store) -> None:
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [Identifier(scheme="doi", value="10.5555/ingest")])
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        assert ingest_mentions(db, rows(item_id, 500)) == 500
        assert ingest_mentions(db, rows(item_id, 600)) == 100  # only the 100 not seen before
        # The bigger page cache is for the call only: the bot's connection gets its own back.
        assert db.execute("PRAGMA cache_size").fetchone()[0] == cache
    assert count_by_source(fresh_store.db, item_id) == {"hackernews": 600}


def test_a_purged_mention_is_not_ingested_again(fresh_store: Store) -> None:
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [Identifier(scheme="doi", value="10.5555/ingest")])
        ingest_mentions(db, rows(item_id, 10, seen="2020-01-01T00:00:00+00:00"))
        assert retention.purge_mentions(db, older_than="2021-01-01T00:00:00+00:00") == 10
        assert ingest_mentions(db, rows(item_id, 12)) == 2
    assert count_by_source(fresh_store.db, item_id) == {"hackernews": 12}
