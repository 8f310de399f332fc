"""What a poll asks a source about, and when it last did (table ``asked``).

A source that answers many works in one request (handlers.polling.sweep) is asked about the
items whose one identifier it answers for is a DOI; a source asked one work at a time goes
through the rest, those asked longest ago first when it cannot ask them all in one poll.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

from sqlite_utils import Database

from core.identifiers import from_key
from core.models import Identifier
from core.times import utcnow

_ACTIVE = "EXISTS (SELECT 1 FROM watches w WHERE w.item_id = i.item_id AND w.active = 1)"


def single_dois(
    db: Database, schemes: Collection[str], *, after: str = "", limit: int = 1000
) -> list[tuple[str, int]]:
    """``(DOI, item id)`` of actively watched items whose only identifier in ``schemes`` is one
    DOI, by DOI after ``after``: the works a sweep can answer from a list. An item with two
    such identifiers is asked one by one, so its answers merge into one number as always."""
    rows = db.execute(
        f"SELECT i.value, i.item_id FROM identifiers i WHERE i.scheme = 'doi' AND i.value > ? "
        f"AND {_ACTIVE} AND (SELECT count(*) FROM identifiers j WHERE j.item_id = i.item_id "
        "AND j.scheme IN (SELECT value FROM json_each(?))) = 1 ORDER BY i.value LIMIT ?",
        [after, json.dumps(sorted(schemes)), limit],
    ).fetchall()
    return [(str(doi), int(item_id)) for doi, item_id in rows]


def count_single_dois(db: Database, schemes: Collection[str]) -> int:
    row = db.execute(
        f"SELECT count(*) FROM identifiers i WHERE i.scheme = 'doi' AND {_ACTIVE} AND (SELECT "
        "count(*) FROM identifiers j WHERE j.item_id = i.item_id AND j.scheme IN (SELECT value "
        "FROM json_each(?))) = 1",
        [json.dumps(sorted(schemes))],
    ).fetchone()
    return int(row[0])


def watched_by_last_asked(db: Database, source: str) -> list[int]:
    """Every actively watched item, those the source never asked about first, then those it
    asked longest ago (ties by id)."""
    return [
        int(r[0])
        for r in db.execute(
            "SELECT w.item_id FROM (SELECT DISTINCT item_id FROM watches WHERE active = 1) w "
            "LEFT JOIN asked a ON a.item_id = w.item_id AND a.source = ? "
            "ORDER BY a.at IS NOT NULL, a.at, w.item_id",
            [source],
        ).fetchall()
    ]


def identifiers_of(db: Database, item_ids: Iterable[int]) -> list[tuple[int, Identifier]]:
    """``(item id, identifier)`` of the given items, in the order given (aliases in theirs)."""
    order = list(item_ids)
    found: dict[int, list[Identifier]] = {}
    for item_id, key in db.execute(
        "SELECT item_id, key FROM identifiers WHERE item_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY item_id, rowid",
        [json.dumps(order)],
    ).fetchall():
        found.setdefault(int(item_id), []).append(from_key(key))
    return [(item_id, ident) for item_id in order for ident in found.get(item_id, [])]


def mark_asked(db: Database, item_id: int, source: str) -> None:
    db.execute(
        "INSERT INTO asked (item_id, source, at) VALUES (?, ?, ?) "
        "ON CONFLICT (item_id, source) DO UPDATE SET at = excluded.at",
        [item_id, source, utcnow()],
    )


def lookups_by_scheme(db: Database) -> dict[str, int]:
    """Identifiers of actively watched items, per scheme: what a round of lookups asks."""
    return {
        str(scheme): int(n)
        for scheme, n in db.execute(
            f"SELECT i.scheme, count(*) FROM identifiers i WHERE {_ACTIVE} GROUP BY i.scheme"
        ).fetchall()
    }
