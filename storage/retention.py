"""Retention: old mentions become monthly numbers, old audit rows go.

Mentions first seen before a cut-off (ATTENTION_RETENTION_DAYS) are deleted, and their number
per item, source, kind and month of first sight is added to ``mention_history``: the posts and
their URLs are gone, the long-term figures (``count_by_source``, scores) stay the same.
Call both inside one transaction (``Store.transaction``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from core.models import opaque_id


def purge_mentions(db: Database, *, older_than: str) -> int:
    """Move mentions first seen before ``older_than`` (UTC ISO text) into ``mention_history``
    and delete them; returns how many were purged (0 when there is nothing that old)."""
    db.execute(
        "INSERT INTO mention_history (item_id, source, kind, month, mentions) "
        "SELECT item_id, source, kind, substr(first_seen_at, 1, 7), count(*) FROM mentions "
        "WHERE first_seen_at < ? GROUP BY item_id, source, kind, substr(first_seen_at, 1, 7) "
        "ON CONFLICT (item_id, source, kind, month) "
        "DO UPDATE SET mentions = mentions + excluded.mentions",
        [older_than],
    )
    # Sources keep returning old posts: remember (as a hash) what was purged, so the next poll
    # does not store and alert about it as new.
    db.conn.executemany(
        "INSERT OR IGNORE INTO purged_mentions (source, key, item_id) VALUES (?, ?, ?)",
        (
            (source, opaque_id(external_id), item_id)
            for source, external_id, item_id in db.execute(
                "SELECT source, external_id, item_id FROM mentions WHERE first_seen_at < ?", [older_than]
            ).fetchall()
        ),
    )
    return int(db.execute("DELETE FROM mentions WHERE first_seen_at < ?", [older_than]).rowcount)


def purge_audit(db: Database, *, older_than: str) -> int:
    """Delete audit rows written before ``older_than``; returns how many."""
    return int(db.execute("DELETE FROM audit WHERE at < ?", [older_than]).rowcount)


def _drop_authors(payload: Any) -> bool:
    """Remove ``author`` from an alert payload's mentions (and a digest's alerts'); True if any."""
    alerts = payload.get("alerts") if isinstance(payload, dict) else None
    changed = False
    for alert in [payload, *(alerts if isinstance(alerts, list) else [])]:
        entries = alert.get("mentions") if isinstance(alert, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.pop("author", None) is not None:
                changed = True
    return changed


def clear_authors(db: Database) -> int:
    """Forget every stored author (ATTENTION_STORE_AUTHORS switched off again): the mentions'
    author column and the authors in alert and digest payloads. Returns mentions cleared."""
    cleared = int(db.execute("UPDATE mentions SET author = NULL WHERE author IS NOT NULL").rowcount)
    rows = db.execute(
        "SELECT id, payload FROM outbox WHERE kind IN ('alert', 'digest') AND instr(payload, '\"author\"') > 0"
    ).fetchall()
    for row_id, text in rows:
        try:
            payload = json.loads(text)
        except ValueError:
            continue
        if _drop_authors(payload):
            db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [json.dumps(payload), row_id])
    return cleared
