"""Polls (one row per poll of one source) and baselines (which item/source pairs were polled)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from core.times import utcnow


@dataclass(frozen=True)
class PollRow:
    id: int
    source: str
    started_at: str
    finished_at: str | None
    items: int
    new_mentions: int
    error: str | None


_COLS = "id, source, started_at, finished_at, items, new_mentions, error"


def start_poll(db: Database, source: str, *, scope: str | None = None) -> int:
    """A new poll row; ``scope="new"`` for a poll that asks only items never asked before,
    ``"first"`` for the first ask of newly watched items (handlers.polling.first)."""
    cur = db.execute(
        "INSERT INTO polls (source, started_at, scope) VALUES (?, ?, ?)", [source, utcnow(), scope]
    )
    return int(cur.lastrowid or 0)


def last_full_poll(db: Database, source: str) -> str | None:
    """When the newest poll that asked about every item (and did not fail) started."""
    row = db.execute(
        "SELECT max(started_at) FROM polls WHERE source = ? AND scope IS NULL "
        "AND finished_at IS NOT NULL AND error IS NULL",
        [source],
    ).fetchone()
    return row[0] if row else None


def baselined_among(db: Database, source: str, item_ids: list[int]) -> set[int]:
    """Which of ``item_ids`` ``source`` has been asked about before (they have a baseline)."""
    return {
        int(r[0])
        for r in db.execute(
            "SELECT item_id FROM baselines WHERE source = ? "
            "AND item_id IN (SELECT value FROM json_each(?))",
            [source, json.dumps(item_ids)],
        ).fetchall()
    }


def finish_poll(
    db: Database, poll_id: int, *, items: int, new_mentions: int, error: str | None = None
) -> None:
    db.execute(
        "UPDATE polls SET finished_at = ?, items = ?, new_mentions = ?, error = ? WHERE id = ?",
        [utcnow(), items, new_mentions, error[:500] if error else None, poll_id],
    )


def last_polls(db: Database) -> dict[str, PollRow]:
    """The newest poll of every source that has been polled."""
    rows = db.execute(
        f"SELECT {_COLS} FROM polls p WHERE id = (SELECT max(id) FROM polls q WHERE q.source = p.source)"
    ).fetchall()
    return {r[1]: PollRow(*r) for r in rows}


def poll_totals(db: Database) -> dict[str, tuple[int, int]]:
    """Per source: polls finished, and how many of them failed."""
    return {
        r[0]: (int(r[1]), int(r[2]))
        for r in db.execute(
            "SELECT source, count(*), count(error) FROM polls WHERE finished_at IS NOT NULL GROUP BY source"
        ).fetchall()
    }


def has_baseline(db: Database, item_id: int, source: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM baselines WHERE item_id = ? AND source = ?", [item_id, source]
    ).fetchone()
    return row is not None


def set_baseline(db: Database, item_id: int, source: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO baselines (item_id, source, at) VALUES (?, ?, ?)",
        [item_id, source, utcnow()],
    )


def has_domain_baseline(db: Database, target: str, source: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM domain_baselines WHERE target = ? AND source = ?", [target, source]
    ).fetchone()
    return row is not None


def set_domain_baseline(db: Database, target: str, source: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO domain_baselines (target, source, at) VALUES (?, ?, ?)",
        [target, source, utcnow()],
    )
