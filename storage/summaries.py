"""Queries for summaries, `top` and exports, and the chart uploads that follow a summary.

A summary's chart is an outbox row of its own (kind ``summary_chart``) with statuses the
delivery loop never picks up: ``upload`` -> ``uploading`` (committed before the upload) ->
``sent``. A row found ``uploading`` was cut off by a crash and is not uploaded again: a chart
may go missing then, but never shows twice.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from core.times import utcnow
from storage.mentions import items_filter

UPLOAD, UPLOADING = "upload", "uploading"


@dataclass(frozen=True)
class NewWatch:
    item_id: int
    created_at: str


@dataclass(frozen=True)
class CountRise:
    item_id: int
    source: str
    metric: str
    before: float
    after: float


@dataclass(frozen=True)
class ExportRow:
    item_id: int
    identifiers: str
    item_title: str | None
    source: str
    kind: str
    title: str | None
    url: str | None
    occurred_at: str | None
    first_seen_at: str
    #: The channel's collections and sets the item is in, by name, ``; `` between them.
    collections: str = ""
    #: Where on the source the mention appeared (a wiki, a feed's name).
    site: str | None = None


@dataclass(frozen=True)
class Upload:
    id: int
    key: str
    channel: str
    status: str
    attempts: int
    payload: dict[str, Any]


def channels_with_watches(db: Database) -> list[str]:
    """Channels with at least one active watch: the ones that get a weekly summary."""
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT channel FROM watches WHERE active = 1 ORDER BY channel"
        ).fetchall()
    ]


def watched_between(
    db: Database, channel: str, start: str, end: str, *, item_ids: Collection[int] | None = None
) -> list[NewWatch]:
    """Items the channel started watching in [start, end) (of ``item_ids`` only, when given)."""
    only, only_params = items_filter("item_id", item_ids)
    return [
        NewWatch(int(r[0]), r[1])
        for r in db.execute(
            "SELECT item_id, created_at FROM watches WHERE channel = ? AND created_at >= ? "
            f"AND created_at < ?{only} ORDER BY created_at, id",
            [channel, start, end, *only_params],
        ).fetchall()
    ]


def count_rises(
    db: Database, channel: str, start: str, end: str, *, item_ids: Collection[int] | None = None
) -> list[CountRise]:
    """Counts of the channel's items (of ``item_ids`` only, when given) that rose in [start, end):
    value before start -> last value before end. A series first seen inside the period rises
    from its first value (an item watched this week whose Altmetric score went 10 -> 26 was
    alerted about: so is it here)."""
    # "+": read the period's rows and keep the items asked, never each item's whole history
    # (the most mentioned items have 100,000 rows).
    only, only_params = items_filter("+c.item_id", item_ids)
    # Each row keeps the value before it in its series (``prev_value``, migration m007), so
    # one read of the period's rows in time order (index counts_period) says it all: the
    # first row's previous value is the one before the period, the last row's value the one
    # at its end. A week of 5,000,000 rows has 33,000 changed series; a seek each took 0.3 s.
    before: dict[tuple[int, str, str], float] = {}
    after: dict[tuple[int, str, str], float] = {}
    for item_id, source, metric, value, prev in db.execute(
        "SELECT c.item_id, c.source, c.metric, c.value, c.prev_value FROM counts c "
        "JOIN watches w ON w.item_id = c.item_id AND w.channel = ? "
        f"WHERE c.observed_at >= ? AND c.observed_at < ?{only} ORDER BY c.observed_at, c.id",
        [channel, start, end, *only_params],
    ).fetchall():
        key = (int(item_id), source, metric)
        if key not in before:
            # NULL: the series' first row ever, so it rises from its first value.
            before[key] = float(value if prev is None else prev)
        after[key] = float(value)
    return [
        CountRise(key[0], key[1], key[2], before[key], value)
        for key, value in sorted(after.items())
        if value > before[key]
    ]


def watches_every_item(db: Database, channel: str) -> bool:
    """Whether the channel watches every stored item (a watch is unique per channel and item):
    then a summary's queries need no check against its watches, 30,000 seeks a week of a big
    watchlist. A bot with one channel is like this."""
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    watched = db.execute("SELECT count(*) FROM watches WHERE channel = ?", [channel]).fetchone()[0]
    return bool(items) and int(watched) == int(items)


def rising_items(
    db: Database, channel: str | None, start: str, end: str, *, item_ids: Collection[int] | None = None
) -> set[int]:
    """The channel's items (every item when None: see :func:`watches_every_item`) with a count
    that rose in [start, end), as :func:`rises_per_item` says, without counting the rises of
    each: a week of a big watchlist has 33,000 changed series, and grouping their rows by
    series took 35 ms.

    Counts rarely fall: a series with no falling row in the period rose if any of its rows
    rose (its changes add up to its rise), so the ids of the rising rows say it (handed over
    as they come: 37,000 ints are quicker to Python than SQLite's DISTINCT). Items with a
    falling row are counted series by series."""
    only, only_params = items_filter("+item_id", item_ids)
    period = f"observed_at >= ? AND observed_at < ?{only}"
    params = [start, end, *only_params]
    falling = {
        int(r[0])
        for r in db.execute(
            f"SELECT DISTINCT item_id FROM counts WHERE {period} AND value < prev_value", params
        ).fetchall()
    }
    rising = {
        r[0] for r in db.execute(f"SELECT item_id FROM counts WHERE {period} AND value > prev_value", params)
    }
    if falling:
        rising -= falling
        rising |= rises_per_item(db, channel, start, end, item_ids=falling).keys()
    if rising and channel is not None:
        rising = {
            int(r[0])
            for r in db.execute(
                "SELECT item_id FROM watches WHERE channel = ? AND item_id IN (SELECT value FROM json_each(?))",
                [channel, json.dumps(sorted(rising))],
            ).fetchall()
        }
    return rising


def rises_per_item(
    db: Database, channel: str | None, start: str, end: str, *, item_ids: Collection[int] | None = None
) -> dict[int, int]:
    """How many counts of each of the channel's items (every item's when None) rose in
    [start, end), as :func:`count_rises` would say, counted by SQLite: a summary breaks ties
    on this between the items where its list is cut.

    The changes along a series add up to its rise over the period (each row keeps the value
    before it), so no row needs to be matched with the series' first one; rounding keeps a
    series that went 8.1 -> 9.3 -> 8.1 from rising by a float's last bit."""
    # "+": read the period's rows and keep the items asked, never each item's whole history.
    only, only_params = items_filter("+c.item_id", item_ids)
    join, join_params = "", []
    if channel is not None:
        join, join_params = " JOIN watches w ON w.item_id = s.item_id AND w.channel = ?", [channel]
    rows = db.execute(
        "SELECT s.item_id, count(*) FROM (SELECT c.item_id, "
        "round(sum(c.value - coalesce(c.prev_value, c.value)), 9) AS rise FROM counts c "
        f"WHERE c.observed_at >= ? AND c.observed_at < ?{only} GROUP BY c.item_id, c.source, c.metric) s"
        f"{join} WHERE s.rise > 0 GROUP BY s.item_id",
        [start, end, *only_params, *join_params],
    ).fetchall()
    return {int(item_id): int(n) for item_id, n in rows}


def export_rows(
    db: Database, channel: str, *, start: str | None = None, end: str | None = None
) -> list[ExportRow]:
    """Every mention of the items a channel watches (first seen in [start, end) when given)."""
    sql = (
        "SELECT m.item_id, (SELECT group_concat(key, ' ') FROM (SELECT key FROM identifiers "
        "WHERE item_id = m.item_id ORDER BY rowid)), i.title, m.source, m.kind, m.title, m.url, "
        "m.occurred_at, m.first_seen_at, (SELECT group_concat(name, '; ') FROM (SELECT c.name "
        "FROM collection_items ci JOIN collections c ON c.id = ci.collection_id WHERE "
        "ci.item_id = m.item_id AND c.channel = w.channel ORDER BY c.name)), m.site FROM mentions m "
        "JOIN watches w ON w.item_id = m.item_id AND w.channel = ? "
        "JOIN items i ON i.id = m.item_id"
    )
    params: list[object] = [channel]
    if start is not None:
        sql += " WHERE m.first_seen_at >= ?"
        params.append(start)
    if end is not None:
        sql += (" AND" if start is not None else " WHERE") + " m.first_seen_at < ?"
        params.append(end)
    sql += " ORDER BY m.first_seen_at, m.id"
    return [
        ExportRow(int(r[0]), r[1] or "", r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] or "", r[10])
        for r in db.execute(sql, params).fetchall()
    ]


def pending_uploads(db: Database, *, channel: str | None = None) -> list[Upload]:
    sql = (
        "SELECT id, key, channel, status, attempts, payload FROM outbox "
        "WHERE kind = 'summary_chart' AND status IN (?, ?)"
    )
    params: list[object] = [UPLOAD, UPLOADING]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    return [
        Upload(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]))
        for r in db.execute(sql + " ORDER BY id", params).fetchall()
    ]


def mark_uploading(db: Database, row_id: int) -> None:
    db.execute(
        "UPDATE outbox SET status = ?, attempts = attempts + 1 WHERE id = ?", [UPLOADING, row_id]
    )


def mark_uploaded(db: Database, row_id: int, *, thread_ts: str | None) -> None:
    db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, thread_ts = ?, last_error = NULL WHERE id = ?",
        [utcnow(), thread_ts, row_id],
    )


def mark_upload_failed(db: Database, row_id: int, error: str, *, final: bool) -> None:
    """A failed upload is tried again by the next summary run unless ``final``."""
    db.execute(
        "UPDATE outbox SET status = ?, last_error = ? WHERE id = ?",
        ["failed" if final else UPLOAD, error[:500], row_id],
    )
