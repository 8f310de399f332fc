"""Each count row keeps the value before it in its series: summaries read a week's rises from
the week's rows alone, before and after an upgrade of an older database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from core.identifiers import parse_identifier
from core.models import Count
from storage import bulk, open_store
from storage.counts import record_counts
from storage.db import Store, migrations
from storage.summaries import CountRise, count_rises
from storage.watches import watch_item

WEEK = ("2026-10-19T00:00:00+00:00", "2026-10-26T00:00:00+00:00")


def _watch(store: Store, channel: str, doi: str) -> int:
    with store.transaction() as db:
        return watch_item(db, channel, [parse_identifier(doi)])[0]


def test_record_counts_keeps_the_previous_value_and_the_week_shows_the_rise(fresh_store: Store) -> None:
    item = _watch(fresh_store, "C1", "10.1234/abc")
    with fresh_store.transaction() as db:
        for day, value in (("2026-10-01", 3), ("2026-10-20", 4), ("2026-10-22", 7)):
            at = datetime.fromisoformat(f"{day}T00:00:00+00:00")
            record_counts(db, item, [Count(source="crossref", metric="citations", value=value, observed_at=at)])
    prev = [r[0] for r in fresh_store.db.execute("SELECT prev_value FROM counts ORDER BY observed_at")]
    assert prev == [None, 3.0, 4.0]
    assert count_rises(fresh_store.db, "C1", *WEEK) == [CountRise(item, "crossref", "citations", 3.0, 7.0)]


def test_a_series_first_seen_in_the_week_rises_from_its_first_value(fresh_store: Store) -> None:
    item = _watch(fresh_store, "C1", "10.1234/new")
    with fresh_store.transaction() as db:
        bulk.ingest_counts(db, [
            (item, "altmetric", "score", 10.0, "2026-10-20T00:00:00+00:00", None),
            (item, "altmetric", "score", 26.0, "2026-10-21T00:00:00+00:00", None),
            (item, "altmetric", "score", 30.0, "2026-10-27T00:00:00+00:00", None),  # after the week
        ])
    assert count_rises(fresh_store.db, "C1", *WEEK) == [CountRise(item, "altmetric", "score", 10.0, 26.0)]


def _old_database(path: Path) -> None:
    db = Database(path)
    migrations.apply(db, stop_before="m007_counts_prev_value")
    db.execute("INSERT INTO items (id, title, created_at) VALUES (1, 'A paper', '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO watches (channel, item_id, created_at) VALUES ('C1', 1, '2026-01-01T00:00:00+00:00')")
    # Stored out of time order (ids do not follow observed_at), two series interleaved.
    rows = [
        (1, "crossref", "citations", 5.0, "2026-10-21T00:00:00+00:00"),
        (1, "crossref", "citations", 2.0, "2026-09-01T00:00:00+00:00"),
        (1, "openalex", "cited_by", 9.0, "2026-10-20T00:00:00+00:00"),
        (1, "crossref", "citations", 3.0, "2026-10-02T00:00:00+00:00"),
        (1, "openalex", "cited_by", 8.0, "2026-10-01T00:00:00+00:00"),
        (1, "openalex", "cited_by", 8.0, "2026-10-24T00:00:00+00:00"),
    ]
    for row in rows:
        db.execute(
            "INSERT INTO counts (item_id, source, metric, value, observed_at) VALUES (?, ?, ?, ?, ?)", row
        )
    db.conn.commit()
    db.conn.close()


def test_upgrading_fills_in_previous_values_so_old_weeks_read_the_same(tmp_path: Path) -> None:
    _old_database(tmp_path / "attention.db")
    store = open_store(tmp_path / "attention.db")
    try:
        got = store.db.execute(
            "SELECT source, observed_at, prev_value FROM counts ORDER BY source, observed_at"
        ).fetchall()
        assert [r[2] for r in got] == [None, 2.0, 3.0, None, 8.0, 9.0]
        # citations 3 -> 5 rose; cited_by went 8 -> 9 -> 8 and ended where it began.
        assert count_rises(store.db, "C1", *WEEK) == [CountRise(1, "crossref", "citations", 3.0, 5.0)]
        plan = " ".join(r[3] for r in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT item_id, value, prev_value FROM counts WHERE observed_at >= ?", ["x"]
        ))
        assert "COVERING INDEX counts_period" in plan
    finally:
        store.close()


