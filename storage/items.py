"""Items and their identifiers (aliases of one item)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlite_utils import Database

from core.identifiers import from_key
from core.models import Identifier, Item
from core.times import utcnow


def find_item_id(db: Database, identifier: Identifier) -> int | None:
    row = db.execute("SELECT item_id FROM identifiers WHERE key = ?", [identifier.key]).fetchone()
    return int(row[0]) if row else None


def ensure_item(
    db: Database, identifiers: Iterable[Identifier], *, title: str | None = None
) -> tuple[int, bool]:
    """The id of the item any of ``identifiers`` names, creating it if none does.

    Identifiers not yet known become aliases of that item. Returns ``(item_id, created)``.
    Call inside a transaction when it belongs with other writes.
    """
    idents = list(dict.fromkeys(identifiers))
    if not idents:
        raise ValueError("an item needs at least one identifier")
    item_id = next((i for i in (find_item_id(db, ident) for ident in idents) if i), None)
    created = item_id is None
    now = utcnow()
    if item_id is None:
        cur = db.execute("INSERT INTO items (title, created_at) VALUES (?, ?)", [title, now])
        item_id = int(cur.lastrowid or 0)
    elif title:
        db.execute(
            "UPDATE items SET title = ? WHERE id = ? AND (title IS NULL OR title = '')",
            [title, item_id],
        )
    for ident in idents:
        db.execute(
            "INSERT OR IGNORE INTO identifiers (key, scheme, value, item_id, added_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [ident.key, ident.scheme, ident.value, item_id, now],
        )
    return item_id, created


def add_aliases(db: Database, item_id: int, identifiers: Iterable[Identifier]) -> list[Identifier]:
    """Attach identifiers to an item; returns those that were new."""
    added = []
    now = utcnow()
    for ident in identifiers:
        cur = db.execute(
            "INSERT OR IGNORE INTO identifiers (key, scheme, value, item_id, added_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [ident.key, ident.scheme, ident.value, item_id, now],
        )
        if cur.rowcount:
            added.append(ident)
    return added


def get_item(db: Database, item_id: int) -> Item | None:
    row = db.execute("SELECT id, title FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        return None
    keys = db.execute(
        "SELECT key FROM identifiers WHERE item_id = ? ORDER BY rowid", [item_id]
    ).fetchall()
    return Item(id=row[0], title=row[1], identifiers=tuple(from_key(k[0]) for k in keys))


def get_items(db: Database, item_ids: Iterable[int]) -> dict[int, Item]:
    """The items of ``item_ids`` that exist, in two queries however many are asked
    (a summary may name thousands)."""
    wanted = json.dumps(sorted(set(item_ids)))
    titles = {
        int(r[0]): r[1]
        for r in db.execute(
            "SELECT id, title FROM items WHERE id IN (SELECT value FROM json_each(?))", [wanted]
        ).fetchall()
    }
    keys: dict[int, list[str]] = {}
    for item_id, key in db.execute(
        "SELECT item_id, key FROM identifiers WHERE item_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY item_id, rowid",
        [wanted],
    ).fetchall():
        keys.setdefault(int(item_id), []).append(key)
    return {
        item_id: Item(id=item_id, title=title, identifiers=tuple(from_key(k) for k in keys.get(item_id, [])))
        for item_id, title in titles.items()
    }


def set_title(db: Database, item_id: int, title: str) -> None:
    db.execute("UPDATE items SET title = ? WHERE id = ?", [title, item_id])


def merge_owners(db: Database, identifiers: Iterable[Identifier]) -> int | None:
    """Make the items that any of ``identifiers`` names one item: the oldest keeps its id and
    takes the others' aliases, watches, mentions, counts and threads. Returns the kept id, or
    None when none of them is known. Call inside a transaction."""
    owners = sorted({i for i in (find_item_id(db, ident) for ident in identifiers) if i})
    if not owners:
        return None
    keep = owners[0]
    for gone in owners[1:]:
        _merge(db, keep=keep, gone=gone)
    return keep


def _merge(db: Database, *, keep: int, gone: int) -> None:
    db.execute("UPDATE identifiers SET item_id = ? WHERE item_id = ?", [keep, gone])
    db.execute("UPDATE mentions SET item_id = ? WHERE item_id = ?", [keep, gone])
    # Purged mentions' monthly numbers add up (the item row's delete would cascade them away).
    db.execute(
        "INSERT INTO mention_history (item_id, source, kind, month, mentions) SELECT ?, source, "
        "kind, month, mentions FROM mention_history WHERE item_id = ? ON CONFLICT "
        "(item_id, source, kind, month) DO UPDATE SET mentions = mentions + excluded.mentions",
        [keep, gone],
    )
    db.execute("UPDATE purged_mentions SET item_id = ? WHERE item_id = ?", [keep, gone])
    db.execute("UPDATE outbox SET item_id = ? WHERE item_id = ?", [keep, gone])
    # A channel watching both keeps its older watch, active and watched by hand if either was
    # (collections the two were in are all kept: collection_items moves below). Migration m009
    # merges too, before m013a added from_set and the tables of sets.
    sets = "from_set" in db["watches"].columns_dict
    by_hand = (", from_set = MIN(from_set, (SELECT w.from_set FROM watches w WHERE w.item_id = ? "
               "AND w.channel = watches.channel))") if sets else ""
    db.execute(
        "UPDATE watches SET active = MAX(active, (SELECT w.active FROM watches w WHERE "
        f"w.item_id = ? AND w.channel = watches.channel)){by_hand} "
        "WHERE item_id = ? AND channel IN (SELECT channel FROM watches WHERE item_id = ?)",
        [gone, *([gone] if sets else []), keep, gone],
    )
    # Two series of one (source, metric) cannot be interleaved: the kept item's series stays
    # and the next poll, asking by every alias, records the combined value.
    db.execute(
        "DELETE FROM counts WHERE item_id = ? AND EXISTS (SELECT 1 FROM counts k WHERE "
        "k.item_id = ? AND k.source = counts.source AND k.metric = counts.metric)",
        [gone, keep],
    )
    db.execute("UPDATE counts SET item_id = ? WHERE item_id = ?", [keep, gone])
    for table in ("watches", "baselines", "threads", *(("collection_items", "asked") if sets else ())):
        db.execute(f"UPDATE OR IGNORE {table} SET item_id = ? WHERE item_id = ?", [keep, gone])
        db.execute(f"DELETE FROM {table} WHERE item_id = ?", [gone])
    db.execute(
        "UPDATE items SET title = (SELECT title FROM items WHERE id = ?) "
        "WHERE id = ? AND (title IS NULL OR title = '')",
        [gone, keep],
    )
    db.execute("DELETE FROM items WHERE id = ?", [gone])
