"""Per-source state: cursors, validators for conditional requests, health and back-off."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from core.times import utcnow


@dataclass(frozen=True)
class SourceState:
    source: str
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    consecutive_failures: int = 0
    backoff_until: str | None = None
    next_run_at: str | None = None
    #: Why it rests: FAILURES in a row, or the SERVER asked (Retry-After, a spent quota).
    backoff_reason: str | None = None


FAILURES, SERVER = "failures", "server"

_FIELDS = (
    "source, cursor, etag, last_modified, last_success, last_error, last_error_at, "
    "consecutive_failures, backoff_until, next_run_at, backoff_reason"
)


def get_state(db: Database, source: str) -> SourceState:
    r = db.execute(f"SELECT {_FIELDS} FROM source_state WHERE source = ?", [source]).fetchone()
    return SourceState(*r) if r else SourceState(source=source)


def _ensure(db: Database, source: str) -> None:
    db.execute("INSERT OR IGNORE INTO source_state (source) VALUES (?)", [source])


def record_success(db: Database, source: str) -> None:
    _ensure(db, source)
    db.execute(
        "UPDATE source_state SET last_success = ?, consecutive_failures = 0, backoff_until = NULL, "
        "backoff_reason = NULL WHERE source = ?",
        [utcnow(), source],
    )


def record_failure(
    db: Database, source: str, error: str, *, backoff_after: int = 3, base_minutes: int = 5
) -> SourceState:
    """Count a failure; after ``backoff_after`` in a row the source rests, doubling each time."""
    _ensure(db, source)
    db.execute(
        "UPDATE source_state SET last_error = ?, last_error_at = ?, "
        "consecutive_failures = consecutive_failures + 1 WHERE source = ?",
        [error[:500], utcnow(), source],
    )
    state = get_state(db, source)
    if state.consecutive_failures >= backoff_after:
        steps = min(state.consecutive_failures - backoff_after, 6)
        until = datetime.now(UTC) + timedelta(minutes=base_minutes * 2**steps)
        rest(db, source, until, reason=FAILURES)
        state = get_state(db, source)
    return state


def rest(db: Database, source: str, until: datetime, *, reason: str) -> None:
    """Let ``source`` rest until ``until`` (never shortening a longer rest already set)."""
    _ensure(db, source)
    at = until.astimezone(UTC).isoformat(timespec="seconds")
    db.execute(
        "UPDATE source_state SET backoff_until = ?, backoff_reason = ? "
        "WHERE source = ? AND (backoff_until IS NULL OR backoff_until < ?)",
        [at, reason, source, at],
    )


def in_backoff(state: SourceState, now: datetime | None = None) -> bool:
    if not state.backoff_until:
        return False
    return datetime.fromisoformat(state.backoff_until) > (now or datetime.now(UTC))


def set_validators(
    db: Database, source: str, *, etag: str | None = None, last_modified: str | None = None,
    cursor: str | None = None,
) -> None:
    _ensure(db, source)
    db.execute(
        "UPDATE source_state SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
        "cursor = COALESCE(?, cursor) WHERE source = ?",
        [etag, last_modified, cursor, source],
    )


def set_next_run(db: Database, source: str, at: str | None) -> None:
    _ensure(db, source)
    db.execute("UPDATE source_state SET next_run_at = ? WHERE source = ?", [at, source])


def all_states(db: Database) -> dict[str, SourceState]:
    return {
        r[0]: SourceState(*r) for r in db.execute(f"SELECT {_FIELDS} FROM source_state").fetchall()
    }


def url_validators(db: Database, source: str) -> dict[str, tuple[str | None, str | None]]:
    """Per-URL (ETag, Last-Modified) kept for a source that fetches many URLs (feeds), stored
    as JSON in its ``cursor``; an unreadable value counts as none kept."""
    raw = get_state(db, source).cursor
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, tuple[str | None, str | None]] = {}
    for url, pair in data.items():
        if isinstance(pair, list) and len(pair) == 2:
            out[str(url)] = (pair[0] or None, pair[1] or None)
    return out


def set_url_validators(
    db: Database, source: str, validators: dict[str, tuple[str | None, str | None]]
) -> None:
    _ensure(db, source)
    kept = {url: list(pair) for url, pair in validators.items() if any(pair)}
    db.execute(
        "UPDATE source_state SET cursor = ? WHERE source = ?",
        [json.dumps(kept, sort_keys=True), source],
    )
