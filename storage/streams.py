"""What the streams keep: how each is doing (``stream_state``), and a counter every change to
what is watched moves (``watch_version``), so a stream's in-memory index of the watched
identifiers is rebuilt when, and only when, watches change (in this process or another).

A stream's resume position is its ``source_state.cursor`` (storage.state), written in the
transaction that stores what the stream matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from core.times import iso

#: (table, columns whose change matters) of what a stream's index is built from.
_WATCHED = (
    ("watches", "active, item_id"),
    ("identifiers", "key, item_id"),
    ("domain_watches", "active, target"),
)


def create_tables(db: Database) -> None:
    """Migration m015: the stream tables, the watch counter and its triggers."""
    db.execute(
        "CREATE TABLE watch_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO watch_version (id, n) VALUES (1, 0)")
    bump = "BEGIN UPDATE watch_version SET n = n + 1 WHERE id = 1; END"
    for table, columns in _WATCHED:
        db.execute(f"CREATE TRIGGER {table}_added AFTER INSERT ON {table} {bump}")
        db.execute(f"CREATE TRIGGER {table}_removed AFTER DELETE ON {table} {bump}")
        db.execute(f"CREATE TRIGGER {table}_changed AFTER UPDATE OF {columns} ON {table} {bump}")
    db.execute(
        """CREATE TABLE stream_state (
            stream TEXT PRIMARY KEY,
            connected INTEGER NOT NULL DEFAULT 0,
            host TEXT,
            lag_seconds REAL,
            day TEXT,
            events_today INTEGER NOT NULL DEFAULT 0,
            matched_today INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_error_at TEXT,
            updated_at TEXT
        )"""
    )
    # 'new' for a poll that asked only items never asked before (a stream stood in for it).
    db.execute("ALTER TABLE polls ADD COLUMN scope TEXT")


def watch_version(db: Database) -> int:
    """A number that changes whenever what is watched changes."""
    row = db.execute("SELECT n FROM watch_version WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class StreamState:
    stream: str
    connected: bool = False
    host: str | None = None
    lag_seconds: float | None = None
    day: str | None = None
    events_today: int = 0
    matched_today: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    #: When the stream's process last said how it is (ISO 8601, UTC).
    updated_at: str | None = None


_COLS = (
    "stream, connected, host, lag_seconds, day, events_today, matched_today, last_error, "
    "last_error_at, updated_at"
)


def get_stream_state(db: Database, stream: str) -> StreamState | None:
    r = db.execute(f"SELECT {_COLS} FROM stream_state WHERE stream = ?", [stream]).fetchone()
    return StreamState(r[0], bool(r[1]), *r[2:]) if r else None


def record_stream(
    db: Database,
    stream: str,
    *,
    now: datetime,
    connected: bool,
    host: str | None = None,
    lag_seconds: float | None = None,
    events: int = 0,
    matched: int = 0,
    error: str | None = None,
) -> None:
    """Say how a stream is doing; ``events`` and ``matched`` are added to today's numbers
    (UTC days), which start again at 0 on a new day."""
    day, at = now.date().isoformat(), iso(now)
    db.execute(
        "INSERT INTO stream_state (stream, day) VALUES (?, ?) ON CONFLICT (stream) DO NOTHING",
        [stream, day],
    )
    db.execute(
        "UPDATE stream_state SET events_today = 0, matched_today = 0, day = ? "
        "WHERE stream = ? AND (day IS NULL OR day <> ?)",
        [day, stream, day],
    )
    db.execute(
        "UPDATE stream_state SET connected = ?, host = COALESCE(?, host), "
        "lag_seconds = COALESCE(?, lag_seconds), events_today = events_today + ?, "
        "matched_today = matched_today + ?, updated_at = ? WHERE stream = ?",
        [int(connected), host, lag_seconds, events, matched, at, stream],
    )
    if error is not None:
        db.execute(
            "UPDATE stream_state SET last_error = ?, last_error_at = ? WHERE stream = ?",
            [error[:500], at, stream],
        )
