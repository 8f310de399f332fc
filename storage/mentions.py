"""Mentions: unique on (source, the source's own id). Adding returns only what is new."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from core.models import Mention
from storage.db import utcnow


@dataclass(frozen=True)
class StoredMention:
    id: int
    item_id: int
    source: str
    external_id: str
    url: str | None
    title: str | None
    kind: str
    occurred_at: str | None
    first_seen_at: str
    api_url: str | None


_COLUMNS = "id, item_id, source, external_id, url, title, kind, occurred_at, first_seen_at, api_url"


def _utc_text(moment: datetime) -> str:
    # Times are compared and sorted as text: one kept in its source's offset (Bluesky's
    # +09:00) would sort hours away from the rest. A naive time is taken as UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def add_mentions(
    db: Database,
    item_id: int,
    mentions: Iterable[Mention],
    *,
    poll_id: int | None = None,
    seen_at: str | None = None,
) -> list[StoredMention]:
    """Store mentions of one item; return those not seen before (in the order given)."""
    now = seen_at or utcnow()
    new = []
    for m in mentions:
        occurred = _utc_text(m.occurred_at) if m.occurred_at else None
        cur = db.execute(
            "INSERT OR IGNORE INTO mentions (source, external_id, item_id, url, title, kind, "
            "occurred_at, first_seen_at, api_url, poll_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [m.source, m.external_id, item_id, m.url, m.title, m.kind, occurred, now, m.api_url, poll_id],
        )
        if cur.rowcount:
            new.append(
                StoredMention(
                    int(cur.lastrowid or 0), item_id, m.source, m.external_id, m.url, m.title,
                    m.kind, occurred, now, m.api_url,
                )
            )
    return new


def _rows(db: Database, sql: str, params: list[object]) -> list[StoredMention]:
    return [StoredMention(*row) for row in db.execute(sql, params).fetchall()]


def mentions_of(db: Database, item_id: int, *, limit: int = 100) -> list[StoredMention]:
    return _rows(
        db,
        f"SELECT {_COLUMNS} FROM mentions WHERE item_id = ? "
        "ORDER BY COALESCE(occurred_at, first_seen_at) DESC, id DESC LIMIT ?",
        [item_id, limit],
    )


#: Mentions stored by the first poll of their item by their source (the baseline): the poll
#: records the baseline after storing them, in the same transaction, so they are not later.
_NOT_BASELINE = (
    " AND NOT EXISTS (SELECT 1 FROM baselines b WHERE b.item_id = m.item_id "
    "AND b.source = m.source AND m.first_seen_at <= b.at)"
)


def items_filter(column: str, item_ids: Collection[int] | None) -> tuple[str, list[object]]:
    """`` AND <column> IN (...)`` limiting a query to ``item_ids`` (nothing when None).

    The ids go as one JSON parameter: a collection of 12,000 items would pass SQLite's limit
    on ``?`` placeholders.
    """
    if item_ids is None:
        return "", []
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(sorted(item_ids))]


def mentions_between(
    db: Database,
    start: str,
    end: str,
    *,
    channel: str | None = None,
    exclude_baseline: bool = False,
    item_ids: Collection[int] | None = None,
) -> list[StoredMention]:
    """Mentions first seen in [start, end), for the items a channel watches (or all), and of
    ``item_ids`` only when given (a collection's items).

    ``exclude_baseline`` leaves out what an item's first poll found: attention it already had
    when it was watched, not attention it gained.
    """
    columns = ", ".join("m." + c.strip() for c in _COLUMNS.split(","))
    only, only_params = items_filter("m.item_id", item_ids)
    where = "m.first_seen_at >= ? AND m.first_seen_at < ?" + only + (_NOT_BASELINE if exclude_baseline else "")
    if channel is None:
        return _rows(
            db,
            f"SELECT {columns} FROM mentions m WHERE {where} ORDER BY m.first_seen_at, m.id",
            [start, end, *only_params],
        )
    return _rows(
        db,
        f"SELECT {columns} FROM mentions m JOIN watches w ON w.item_id = m.item_id AND w.channel = ? "
        f"WHERE {where} ORDER BY m.first_seen_at, m.id",
        [channel, start, end, *only_params],
    )


def stored_ids(db: Database, source: str, external_ids: Collection[str]) -> set[str]:
    """Which of a source's mention ids are stored already."""
    rows = db.execute(
        "SELECT external_id FROM mentions WHERE source = ? AND external_id IN "
        "(SELECT value FROM json_each(?))",
        [source, json.dumps(list(external_ids))],
    ).fetchall()
    return {r[0] for r in rows}


def count_by_source(db: Database, item_id: int) -> dict[str, int]:
    return {
        r[0]: int(r[1])
        for r in db.execute(
            "SELECT source, count(*) FROM mentions WHERE item_id = ? GROUP BY source", [item_id]
        ).fetchall()
    }


def kinds_of(db: Database, item_id: int, *, before: str | None = None) -> list[str]:
    """The kind of every mention of an item (first seen before ``before``), for scoring."""
    sql = "SELECT kind FROM mentions WHERE item_id = ?"
    params: list[object] = [item_id]
    if before is not None:
        sql += " AND first_seen_at < ?"
        params.append(before)
    return [r[0] for r in db.execute(sql, params).fetchall()]
