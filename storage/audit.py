"""The audit log: who ran which changing command, when and in which channel.

Rows are purged after ATTENTION_AUDIT_DAYS by storage.retention (not here).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from core.times import utcnow

OUTCOMES = ("ok", "refused", "error")
#: Longest args text kept: a pasted list of identifiers must not bloat the log.
MAX_ARGS = 500


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    user: str
    channel: str
    command: str
    args: str | None
    outcome: str


def record(
    db: Database, *, user: str, channel: str, command: str, args: str | None, outcome: str,
    at: str | None = None,
) -> int:
    """Add one row; returns its id. ``outcome`` is one of :data:`OUTCOMES`."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    cur = db.execute(
        "INSERT INTO audit (at, user, channel, command, args, outcome) VALUES (?, ?, ?, ?, ?, ?)",
        [at or utcnow(), user, channel, command, (args or "")[:MAX_ARGS] or None, outcome],
    )
    return int(cur.lastrowid or 0)


def recent(db: Database, *, limit: int = 20) -> list[AuditRow]:
    """The newest ``limit`` rows, newest first."""
    rows = db.execute(
        "SELECT id, at, user, channel, command, args, outcome FROM audit ORDER BY at DESC, id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [AuditRow(*r) for r in rows]
