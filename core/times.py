"""Times as the bot stores them (ISO 8601 in UTC, to the second) and as people read them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """``2026-12-02T05:27:00+00:00``: how times are stored and compared."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse(text: str) -> datetime:
    """A stored time back; a naive one is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def shown(text: str | None, *, never: str = "never") -> str:
    """``2026-12-02 05:27 UTC`` for people, from a stored time (as given when unreadable)."""
    if not text:
        return never
    try:
        return parse(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def still_ahead(text: str | None, now: datetime) -> bool:
    """Whether a stored time (a mute's end, a rest's end) is still to come."""
    if not text:
        return False
    try:
        return parse(text) > now
    except ValueError:
        return False


def utcnow() -> str:
    """Now, as times are stored: ISO 8601 text in UTC, to the second."""
    return iso(datetime.now(UTC))
