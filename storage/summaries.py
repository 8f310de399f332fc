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

from storage.db import utcnow
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
    only, only_params = items_filter("c.item_id", item_ids)
    # One read of the period's rows (index counts_observed) gives each series' first and last
    # value; one more asks the value before the period: a week of 5,000,000 rows has 30,000
    # changed series, and three queries each took seconds.
    first: dict[tuple[int, str, str], float] = {}
    last: dict[tuple[int, str, str], float] = {}
    for item_id, source, metric, value in db.execute(
        "SELECT c.item_id, c.source, c.metric, c.value FROM counts c "
        "JOIN watches w ON w.item_id = c.item_id AND w.channel = ? "
        f"WHERE c.observed_at >= ? AND c.observed_at < ?{only} "
        "ORDER BY c.item_id, c.source, c.metric, c.observed_at, c.id",
        [channel, start, end, *only_params],
    ).fetchall():
        key = (int(item_id), source, metric)
        first.setdefault(key, float(value))
        last[key] = float(value)
    series = list(first)
    before_of: dict[int, float] = {
        int(r[0]): float(r[1])
        for r in db.execute(
            "SELECT s.key, (SELECT d.value FROM counts d WHERE d.item_id = json_extract(s.value, '$[0]') "
            "AND d.source = json_extract(s.value, '$[1]') AND d.metric = json_extract(s.value, '$[2]') "
            "AND d.observed_at < ? ORDER BY d.observed_at DESC, d.id DESC LIMIT 1) AS before "
            "FROM json_each(?) s",
            [start, json.dumps(series)],
        ).fetchall()
        if r[1] is not None
    }
    out = []
    for n, key in enumerate(series):
        before = before_of.get(n, first[key])
        after = last[key]
        if after > before:
            out.append(CountRise(key[0], key[1], key[2], before, after))
    return out


def export_rows(
    db: Database, channel: str, *, start: str | None = None, end: str | None = None
) -> list[ExportRow]:
    """Every mention of the items a channel watches (first seen in [start, end) when given)."""
    sql = (
        "SELECT m.item_id, (SELECT group_concat(key, ' ') FROM (SELECT key FROM identifiers "
        "WHERE item_id = m.item_id ORDER BY rowid)), i.title, m.source, m.kind, m.title, m.url, "
        "m.occurred_at, m.first_seen_at FROM mentions m "
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
    return [ExportRow(int(r[0]), r[1] or "", *r[2:]) for r in db.execute(sql, params).fetchall()]


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
