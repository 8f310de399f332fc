"""The link resolver's cache: what each landing page said, and when it was fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from core.times import utcnow


@dataclass(frozen=True)
class CachedPage:
    url: str
    #: JSON text the handler layer wrote (identifiers with their tags, the title).
    identifiers: str
    #: ``ok``, or why the page gave nothing (``refused: ...``, ``error: ...``).
    status: str
    fetched_at: str


def get_cached(db: Database, url: str, *, now: datetime, ttl_hours: float) -> CachedPage | None:
    """The cached answer for ``url`` if it is younger than ``ttl_hours``."""
    row = db.execute(
        "SELECT url, identifiers, status, fetched_at FROM resolved_urls WHERE url = ?", [url]
    ).fetchone()
    if row is None:
        return None
    page = CachedPage(*row)
    try:
        fetched = datetime.fromisoformat(page.fetched_at)
    except ValueError:
        return None
    return page if now - fetched < timedelta(hours=ttl_hours) else None


def put_cached(db: Database, url: str, identifiers: str, status: str, *, at: str | None = None) -> None:
    db.execute(
        "INSERT INTO resolved_urls (url, identifiers, status, fetched_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET identifiers = excluded.identifiers, "
        "status = excluded.status, fetched_at = excluded.fetched_at",
        [url, identifiers, status, at or utcnow()],
    )
