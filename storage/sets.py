"""Sets: collections whose works a registry lists (a DOI prefix, an ORCID iD, a ROR id).

A set is a row of ``collections`` with a ``kind`` and the set's name (``prefix:10.5555``) as its
name, so everything that takes a collection takes a set. Its works are watched by the channel
(``from_set`` = 1 unless also watched by hand) and are members in ``collection_items``; a work
can be in several sets and collections of a channel at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from core.models import Identifier
from core.times import utcnow
from storage.items import ensure_item
from storage.watches import add_to_collection

ORIGINS = {"prefix": "DOI prefix", "orcid": "ORCID iD", "ror": "ROR id"}


@dataclass(frozen=True)
class SetRow:
    id: int
    channel: str
    kind: str
    name: str
    synced_at: str | None

    @property
    def value(self) -> str:
        """The set's id (``10.5555``), without its kind."""
        return self.name.partition(":")[2]


_COLS = "id, channel, kind, name, synced_at"


def ensure_set(db: Database, channel: str, kind: str, name: str) -> tuple[SetRow, bool]:
    """The channel's set ``name`` (``prefix:10.5555``), made if new; ``(set, created)``.
    A collection of that name made some other way becomes the set."""
    cur = db.execute(
        "INSERT OR IGNORE INTO collections (channel, name, origin, created_at, kind) VALUES (?, ?, ?, ?, ?)",
        [channel, name, f"{ORIGINS.get(kind, kind)} {name.partition(':')[2]}", utcnow(), kind],
    )
    if not cur.rowcount:
        db.execute("UPDATE collections SET kind = ? WHERE channel = ? AND name = ?", [kind, channel, name])
    found = find_set(db, channel, name)
    assert found is not None
    return found, bool(cur.rowcount)


def find_set(db: Database, channel: str, name: str) -> SetRow | None:
    row = db.execute(
        f"SELECT {_COLS} FROM collections WHERE channel = ? AND name = ? AND kind IS NOT NULL",
        [channel, name],
    ).fetchone()
    return SetRow(*row) if row else None


def all_sets(db: Database, channel: str | None = None) -> list[SetRow]:
    """Every set (of one channel, when given), oldest first."""
    sql = f"SELECT {_COLS} FROM collections WHERE kind IS NOT NULL"
    params: list[object] = []
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    return [SetRow(*r) for r in db.execute(sql + " ORDER BY id", params).fetchall()]


def add_works(
    db: Database, row: SetRow, works: Iterable[tuple[Identifier, str | None]]
) -> list[tuple[int, str]]:
    """Put works in a set, watching them in its channel; ``(item id, label)`` of those that
    were not in the set before. A work the channel watched already stays as it was (active or
    not, by hand or not); a work met again adds nothing, so one unwatched by hand stays
    unwatched. Call inside a transaction."""
    joined = []
    now = utcnow()
    for ident, title in works:
        item_id, _ = ensure_item(db, [ident], title=title)
        if add_to_collection(db, row.id, item_id):
            db.execute(
                "INSERT OR IGNORE INTO watches (channel, item_id, created_at, from_set) VALUES (?, ?, ?, 1)",
                [row.channel, item_id, now],
            )
            joined.append((item_id, title or ident.value))
    return joined


def members(db: Database, row: SetRow) -> int:
    """Works in the set the channel still watches."""
    return int(db.execute(
        "SELECT count(*) FROM collection_items ci JOIN watches w ON w.item_id = ci.item_id "
        "AND w.channel = ? WHERE ci.collection_id = ?", [row.channel, row.id],
    ).fetchone()[0])


def mark_synced(db: Database, row: SetRow) -> None:
    db.execute("UPDATE collections SET synced_at = ? WHERE id = ?", [utcnow(), row.id])


def drop_set(db: Database, row: SetRow) -> int:
    """Forget a set and stop watching its works in its channel, except those watched by hand or
    in another of the channel's sets and collections; returns how many watches ended."""
    cur = db.execute(
        "DELETE FROM watches WHERE channel = ? AND from_set = 1 AND item_id IN (SELECT item_id "
        "FROM collection_items WHERE collection_id = ?) AND item_id NOT IN (SELECT ci.item_id FROM "
        "collection_items ci JOIN collections c ON c.id = ci.collection_id WHERE c.channel = ? "
        "AND c.id != ?)",
        [row.channel, row.id, row.channel, row.id],
    )
    db.execute("DELETE FROM collections WHERE id = ?", [row.id])  # its members cascade
    return int(cur.rowcount)
