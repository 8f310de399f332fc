"""The outbox: messages to deliver, each with a unique idempotency key.

Life of a row: ``pending`` -> ``sending`` (claimed just before the notifier is called) -> ``sent``
(with the message ts). Several bot processes may deliver from one database (cron's
``poll --once`` beside ``run``): a claim is a conditional UPDATE, so only one of them gets a
row. A ``sending`` row whose claim is older than the lease was in flight at a crash: it may or
may not have reached the chat, so the delivery loop checks the channel for its key before
sending it again. A younger claim belongs to a process that may still be sending: left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from core.times import utcnow


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    channel: str
    item_id: int | None
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    ts: str | None
    thread_ts: str | None
    #: The token of the delivery run that last claimed the row, and when (ISO 8601, UTC).
    claim: str | None = None
    claimed_at: str | None = None


_COLS = "id, key, channel, item_id, kind, payload, status, attempts, ts, thread_ts, claim, claimed_at"


def _row(r: tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(
        r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8], r[9], r[10], r[11]
    )


def enqueue(
    db: Database, *, key: str, channel: str, kind: str, payload: dict[str, Any], item_id: int | None = None,
    status: str = "pending", not_before: str | None = None,
) -> bool:
    """Add a message unless one with the same key exists; True when added.
    ``status="held"`` keeps it for a channel's daily digest instead of sending it;
    ``not_before`` keeps it back until then, so that what comes meanwhile can join it."""
    cur = db.execute(
        "INSERT OR IGNORE INTO outbox (key, channel, item_id, kind, payload, created_at, status, not_before) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [key, channel, item_id, kind, json.dumps(payload, default=str), utcnow(), status, not_before],
    )
    return bool(cur.rowcount)


def open_group(
    db: Database, channel: str, item_id: int, *, now: str, round_start: str | None = None
) -> OutboxRow | None:
    """The alert about this item waiting for this channel that a new alert may join: still in
    its window (``not_before`` after ``now``), or written since ``round_start`` (one round of
    `poll --once`), and never tried (a row tried once may be in the chat already)."""
    r = db.execute(
        f"SELECT {_COLS} FROM outbox WHERE channel = ? AND item_id = ? AND kind = 'alert' "
        "AND status = 'pending' AND attempts = 0 AND (not_before > ? OR created_at >= ?) "
        "ORDER BY id DESC LIMIT 1",
        [channel, item_id, now, round_start or "~"],
    ).fetchone()
    return _row(r) if r else None


def regroup(db: Database, row_id: int, payload: dict[str, Any]) -> bool:
    """Replace a waiting alert's payload with one that includes a later alert; False when the
    row was claimed meanwhile (then the later alert needs a row of its own)."""
    cur = db.execute(
        "UPDATE outbox SET payload = ? WHERE id = ? AND status = 'pending' AND attempts = 0",
        [json.dumps(payload, default=str), row_id],
    )
    return bool(cur.rowcount)


def due(
    db: Database, *, limit: int = 100, after_id: int = 0, ready_at: str | None = None
) -> list[OutboxRow]:
    """Rows still to deliver, oldest first (``sending`` ones are from an interrupted run);
    ``after_id`` pages on past rows already looked at. With ``ready_at``, rows kept back until
    later than that are left for a later run."""
    wait = " AND (not_before IS NULL OR not_before <= ?)" if ready_at else ""
    return [
        _row(r)
        for r in db.execute(
            f"SELECT {_COLS} FROM outbox WHERE status IN ('pending', 'sending') AND id > ?{wait} "
            "ORDER BY id LIMIT ?",
            [after_id, *([ready_at] if ready_at else []), limit],
        ).fetchall()
    ]


def next_ready(db: Database) -> str | None:
    """When the earliest row kept back becomes due (for scheduling the next delivery)."""
    r = db.execute(
        "SELECT min(not_before) FROM outbox WHERE status = 'pending' AND not_before IS NOT NULL"
    ).fetchone()
    return r[0] if r and r[0] else None


def claim(db: Database, row_id: int, *, token: str, now: str, stale_before: str) -> OutboxRow | None:
    """Take a row to send it: a ``pending`` one, or a ``sending`` one whose claim is older than
    ``stale_before`` (its process died mid-way). Returns the claimed row (``attempts`` counts
    this try), or None when another delivery holds it or it is no longer due.

    Each UPDATE is atomic in SQLite and checks the state it changes, so of two processes
    claiming the same row at once exactly one sees rowcount 1.
    """
    cur = db.execute(
        "UPDATE outbox SET status = 'sending', claim = ?, claimed_at = ?, attempts = attempts + 1 "
        "WHERE id = ? AND (status = 'pending' OR (status = 'sending' "
        "AND (claimed_at IS NULL OR claimed_at < ?)))",
        [token, now, row_id, stale_before],
    )
    if cur.rowcount != 1:
        return None
    r = db.execute(f"SELECT {_COLS} FROM outbox WHERE id = ?", [row_id]).fetchone()
    return _row(r) if r else None


def _owned(claim_token: str | None) -> tuple[str, list[str]]:
    # Only the run holding the claim may settle a row: a run whose lease ran out and was taken
    # over must not put it back to pending under the new owner's feet.
    return (" AND claim = ?", [claim_token]) if claim_token is not None else ("", [])


def mark_sent(
    db: Database, row_id: int, *, ts: str | None, thread_ts: str | None = None, claim: str | None = None
) -> bool:
    """Record the message ts; False when ``claim`` no longer holds the row."""
    where, args = _owned(claim)
    cur = db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, ts = ?, thread_ts = ?, last_error = NULL "
        "WHERE id = ?" + where,
        [utcnow(), ts, thread_ts, row_id, *args],
    )
    return bool(cur.rowcount)


def mark_failed(db: Database, row_id: int, error: str, *, final: bool, claim: str | None = None) -> bool:
    """Back to ``pending`` for the next run, or ``failed`` when ``final``; False when ``claim``
    no longer holds the row."""
    where, args = _owned(claim)
    cur = db.execute(
        "UPDATE outbox SET status = ?, last_error = ? WHERE id = ?" + where,
        ["failed" if final else "pending", error[:500], row_id, *args],
    )
    return bool(cur.rowcount)


def get(db: Database, key: str) -> OutboxRow | None:
    r = db.execute(f"SELECT {_COLS} FROM outbox WHERE key = ?", [key]).fetchone()
    return _row(r) if r else None


def thread_ts(db: Database, channel: str, item_id: int) -> str | None:
    r = db.execute(
        "SELECT ts FROM threads WHERE channel = ? AND item_id = ?", [channel, item_id]
    ).fetchone()
    return r[0] if r else None


def set_thread(db: Database, channel: str, item_id: int, ts: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO threads (channel, item_id, ts) VALUES (?, ?, ?)", [channel, item_id, ts]
    )


def held(db: Database) -> list[tuple[OutboxRow, str]]:
    """Rows kept for digests, oldest first, with when each was created."""
    return [
        (_row(r[:-1]), r[-1])
        for r in db.execute(
            f"SELECT {_COLS}, created_at FROM outbox WHERE status = 'held' ORDER BY id"
        ).fetchall()
    ]


def mark_digested(db: Database, row_ids: list[int], digest_key: str) -> None:
    """Held rows now carried by the digest message ``digest_key``."""
    for row_id in row_ids:
        db.execute(
            "UPDATE outbox SET status = 'digested', last_error = ? WHERE id = ? AND status = 'held'",
            [f"in {digest_key}", row_id],
        )


def backlog(db: Database) -> dict[str, int]:
    """Rows per status that are not delivered yet (pending, sending, held) or gave up (failed)."""
    return {
        r[0]: int(r[1])
        for r in db.execute(
            "SELECT status, count(*) FROM outbox WHERE status IN ('pending', 'sending', 'held', 'failed') "
            "GROUP BY status"
        ).fetchall()
    }


def sent_by_kind(db: Database) -> dict[str, int]:
    """Rows delivered, per kind (``alert``, ``digest``, ``summary`` ...)."""
    return {
        r[0]: int(r[1])
        for r in db.execute("SELECT kind, count(*) FROM outbox WHERE status = 'sent' GROUP BY kind").fetchall()
    }


def fail_channel(db: Database, channel: str, error: str) -> int:
    """Give up on every undelivered row of a channel that is gone; returns how many."""
    cur = db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ? WHERE channel = ? "
        "AND status IN ('pending', 'sending', 'held')",
        [error[:500], channel],
    )
    return int(cur.rowcount)
