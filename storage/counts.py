"""Counts: a time series of numbers per (item, source, metric)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from core.models import Count

#: Appends one observation with the value before it in its series (``prev_value``, NULL for a
#: series' first row): the last one observed at or before it. Summaries read a period's rises
#: from the period's own rows this way (storage.summaries.count_rises).
INSERT_COUNT = (
    "INSERT INTO counts (item_id, source, metric, value, observed_at, api_url, prev_value) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, (SELECT p.value FROM counts p WHERE p.item_id = ?1 "
    "AND p.source = ?2 AND p.metric = ?3 AND p.observed_at <= ?5 "
    "ORDER BY p.observed_at DESC, p.id DESC LIMIT 1)"
)


def latest(db: Database, item_id: int, source: str, metric: str) -> float | None:
    row = db.execute(
        "SELECT value FROM counts WHERE item_id = ? AND source = ? AND metric = ? "
        "ORDER BY observed_at DESC, id DESC LIMIT 1",
        [item_id, source, metric],
    ).fetchone()
    return float(row[0]) if row else None


def record_counts(
    db: Database, item_id: int, counts: Iterable[Count]
) -> list[tuple[Count, float | None]]:
    """Store counts that changed since the last observation.

    Returns ``(count, previous_value)`` for each stored one; previous is None the first time.
    An unchanged value is not stored again, so the series holds changes, not every poll.
    """
    changed = []
    for c in counts:
        before = latest(db, item_id, c.source, c.metric)
        if before is not None and before == c.value:
            continue
        db.execute(
            INSERT_COUNT,
            [item_id, c.source, c.metric, c.value, c.observed_at.isoformat(timespec="seconds"), c.api_url],
        )
        changed.append((c, before))
    return changed


def latest_all(db: Database, item_id: int) -> dict[tuple[str, str], float]:
    """The newest value of every (source, metric) of an item."""
    rows = db.execute(
        "SELECT source, metric, value FROM counts c WHERE item_id = ? AND id = ("
        "SELECT id FROM counts d WHERE d.item_id = c.item_id AND d.source = c.source "
        "AND d.metric = c.metric ORDER BY observed_at DESC, id DESC LIMIT 1) ORDER BY source, metric",
        [item_id],
    ).fetchall()
    return {(r[0], r[1]): float(r[2]) for r in rows}


def value_at(db: Database, item_id: int, source: str, metric: str, at: str) -> float | None:
    """The value as it stood at time ``at`` (the last observation before it)."""
    row = db.execute(
        "SELECT value FROM counts WHERE item_id = ? AND source = ? AND metric = ? "
        "AND observed_at < ? ORDER BY observed_at DESC, id DESC LIMIT 1",
        [item_id, source, metric, at],
    ).fetchone()
    return float(row[0]) if row else None


@dataclass(frozen=True)
class Observation:
    """The newest value of one (source, metric) of an item, with where and when it was read."""

    source: str
    metric: str
    value: float
    observed_at: str
    api_url: str | None


def latest_observations(db: Database, item_id: int) -> list[Observation]:
    """:func:`latest_all` with each value's provenance: the request and the time it was read."""
    rows = db.execute(
        "SELECT source, metric, value, observed_at, api_url FROM counts c WHERE item_id = ? AND id = ("
        "SELECT id FROM counts d WHERE d.item_id = c.item_id AND d.source = c.source "
        "AND d.metric = c.metric ORDER BY observed_at DESC, id DESC LIMIT 1) ORDER BY source, metric",
        [item_id],
    ).fetchall()
    return [Observation(r[0], r[1], float(r[2]), r[3], r[4]) for r in rows]
