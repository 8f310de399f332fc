"""Which channel watches what: items, whole web sites (domains) and named collections."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from core.identifiers import from_key
from core.models import Identifier, Item
from core.times import utcnow
from storage.items import ensure_item, find_item_id, get_item


@dataclass(frozen=True)
class Watch:
    channel: str
    item: Item
    created_at: str
    muted_until: str | None
    active: bool
    collection: str | None


def watch_item(
    db: Database,
    channel: str,
    identifiers: list[Identifier],
    *,
    title: str | None = None,
    collection_id: int | None = None,
) -> tuple[int, bool]:
    """Make ``channel`` watch the item (in ``collection_id`` too, when given); returns
    ``(item_id, newly_watched)``. Watching it by hand keeps it when a set it came from goes."""
    item_id, _ = ensure_item(db, identifiers, title=title)
    cur = db.execute(
        "INSERT OR IGNORE INTO watches (channel, item_id, created_at) VALUES (?, ?, ?)",
        [channel, item_id, utcnow()],
    )
    if not cur.rowcount:
        db.execute(
            "UPDATE watches SET active = 1, from_set = 0 WHERE channel = ? AND item_id = ?",
            [channel, item_id],
        )
    if collection_id is not None:
        add_to_collection(db, collection_id, item_id)
    return item_id, bool(cur.rowcount)


def add_to_collection(db: Database, collection_id: int, item_id: int) -> bool:
    """Put an item in a collection (or set); True when it was not in it yet. An item may be
    in several collections of a channel at once."""
    cur = db.execute(
        "INSERT OR IGNORE INTO collection_items (collection_id, item_id, added_at) VALUES (?, ?, ?)",
        [collection_id, item_id, utcnow()],
    )
    return bool(cur.rowcount)


def unwatch_item(db: Database, channel: str, identifier: Identifier) -> bool:
    item_id = find_item_id(db, identifier)
    if item_id is None:
        return False
    cur = db.execute("DELETE FROM watches WHERE channel = ? AND item_id = ?", [channel, item_id])
    return bool(cur.rowcount)


#: A channel's watches of the items in its collection called ?: the join every per-collection
#: query shares (an item unwatched by hand stays a member, but is no longer counted).
IN_COLLECTION = (
    "JOIN collection_items ci ON ci.item_id = w.item_id "
    "JOIN collections c ON c.id = ci.collection_id AND c.channel = w.channel AND c.name = ?"
)


def list_watches(
    db: Database, channel: str, *, collection: str | None = None, limit: int | None = None
) -> list[Watch]:
    sql = "SELECT w.item_id, w.created_at, w.muted_until, w.active FROM watches w"
    params: list[object] = []
    if collection is not None:
        collection = find_collection(db, channel, collection) or collection
        sql += " " + IN_COLLECTION
        params.append(collection)
    sql += " WHERE w.channel = ? ORDER BY w.created_at, w.id"
    params.append(channel)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    out = []
    for item_id, created_at, muted_until, active in db.execute(sql, params).fetchall():
        item = get_item(db, item_id)
        if item is not None:
            out.append(Watch(channel, item, created_at, muted_until, bool(active), collection))
    return out


def count_watches(db: Database, channel: str) -> int:
    row = db.execute("SELECT count(*) FROM watches WHERE channel = ?", [channel]).fetchone()
    return int(row[0])


def channels_watching(db: Database, item_id: int, *, active_only: bool = True) -> list[str]:
    sql = "SELECT channel FROM watches WHERE item_id = ?"
    if active_only:
        sql += " AND active = 1"
    return [r[0] for r in db.execute(sql + " ORDER BY channel", [item_id]).fetchall()]


def watched_identifiers(
    db: Database, schemes: frozenset[str] | set[str] | None = None
) -> list[tuple[int, Identifier]]:
    """Every identifier of every actively watched item (optionally only some schemes)."""
    rows = db.execute(
        "SELECT DISTINCT i.item_id, i.key FROM identifiers i "
        "JOIN watches w ON w.item_id = i.item_id AND w.active = 1 ORDER BY i.item_id, i.rowid"
    ).fetchall()
    out = []
    for item_id, key in rows:
        ident = from_key(key)
        if schemes is None or ident.scheme in schemes:
            out.append((int(item_id), ident))
    return out


def watched_keys(db: Database) -> Iterator[tuple[str, int]]:
    """``(identifier key, item id)`` of every identifier of every actively watched item, as
    stored (no objects made: a stream's index of a million of them stays small)."""
    yield from db.execute(
        "SELECT key, item_id FROM identifiers WHERE item_id IN "
        "(SELECT item_id FROM watches WHERE active = 1)"
    )


def watched_identifiers_page(
    db: Database, *, after_item: int = 0, items: int = 1000, only: Collection[int] | None = None,
) -> list[tuple[int, Identifier]]:
    """Every identifier of the next ``items`` actively watched items with an id above
    ``after_item`` (and among ``only`` when given), by item id: a poll of 100,000 items walks
    them page by page instead of holding them all. Empty once there are no more."""
    among = "AND item_id IN (SELECT value FROM json_each(?)) " if only is not None else ""
    among_ids = [json.dumps(sorted(only))] if only is not None else []
    params: list[object] = [after_item, *among_ids, items]
    rows = db.execute(
        "SELECT DISTINCT i.item_id, i.key FROM identifiers i "
        "JOIN watches w ON w.item_id = i.item_id AND w.active = 1 "
        "WHERE i.item_id IN (SELECT DISTINCT item_id FROM watches "
        f"WHERE active = 1 AND item_id > ? {among}ORDER BY item_id LIMIT ?) "
        "ORDER BY i.item_id, i.rowid",
        params,
    ).fetchall()
    return [(int(item_id), from_key(key)) for item_id, key in rows]


def last_watch_before(db: Database, moment: str) -> int:
    """The id of the newest watch made before ``moment``: watches after it are new."""
    row = db.execute("SELECT min(id) FROM watches WHERE created_at >= ?", [moment]).fetchone()
    if row[0] is not None:
        return int(row[0]) - 1
    return int(db.execute("SELECT coalesce(max(id), 0) FROM watches").fetchone()[0])


def watched_after(db: Database, after: int) -> tuple[int, list[int]]:
    """The items of active watches made after the watch ``after`` (ids only grow), and the id
    of the newest watch: the next look starts there."""
    rows = db.execute(
        "SELECT id, item_id FROM watches WHERE id > ? AND active = 1 ORDER BY id", [after]
    ).fetchall()
    newest = max((int(r[0]) for r in rows), default=after)
    return newest, list(dict.fromkeys(int(r[1]) for r in rows))


def mute(db: Database, channel: str, item_id: int, until: str | None) -> bool:
    cur = db.execute(
        "UPDATE watches SET muted_until = ? WHERE channel = ? AND item_id = ?",
        [until, channel, item_id],
    )
    return bool(cur.rowcount)


def set_channel_active(db: Database, channel: str, active: bool, reason: str | None = None) -> None:
    """A channel that is gone (or removed the bot) stops getting alerts until it is back."""
    db.execute("UPDATE watches SET active = ? WHERE channel = ?", [int(active), channel])
    db.execute("UPDATE domain_watches SET active = ? WHERE channel = ?", [int(active), channel])
    db.execute(
        "INSERT INTO channel_settings (channel, active, inactive_reason, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(channel) DO UPDATE SET active = excluded.active, "
        "inactive_reason = excluded.inactive_reason, updated_at = excluded.updated_at",
        [channel, int(active), reason, utcnow()],
    )


def inactive_channels(db: Database) -> list[tuple[str, str | None]]:
    return [
        (r[0], r[1])
        for r in db.execute(
            "SELECT channel, inactive_reason FROM channel_settings WHERE active = 0 ORDER BY channel"
        ).fetchall()
    ]


def _collection(db: Database, channel: str, name: str) -> tuple[int, str] | None:
    """The channel's collection called ``name`` in any case (`Maps` is `maps`), oldest first.
    Compared here, not with SQLite's NOCASE, which folds only A-Z."""
    rows = db.execute(
        "SELECT id, name FROM collections WHERE channel = ? ORDER BY id", [channel]
    ).fetchall()
    wanted = name.casefold()
    return next(((int(r[0]), str(r[1])) for r in rows if str(r[1]).casefold() == wanted), None)


def find_collection(db: Database, channel: str, name: str) -> str | None:
    """The stored name of the channel's collection (or set) called ``name`` in any case."""
    found = _collection(db, channel, name)
    return found[1] if found else None


def ensure_collection(db: Database, channel: str, name: str, origin: str | None = None) -> int:
    """The collection's id (``Maps`` finds ``maps``), created when the channel has none such."""
    found = _collection(db, channel, name)
    if found is not None:
        return found[0]
    cur = db.execute(
        "INSERT INTO collections (channel, name, origin, created_at) VALUES (?, ?, ?, ?)",
        [channel, name, origin, utcnow()],
    )
    return int(cur.lastrowid or 0)


def unwatch_collection(db: Database, channel: str, name: str) -> tuple[int, int]:
    """Stop watching a channel's collection: the collection, its web sites, and its items
    except those also in another of the channel's collections or sets. Returns (items, sites)
    no longer watched; the items' history is kept."""
    found = _collection(db, channel, name)
    if found is None:
        return 0, 0
    coll_id = found[0]
    items = db.execute(
        "DELETE FROM watches WHERE channel = ? AND item_id IN (SELECT item_id FROM collection_items "
        "WHERE collection_id = ?) AND item_id NOT IN (SELECT ci.item_id FROM collection_items ci "
        "JOIN collections c ON c.id = ci.collection_id WHERE c.channel = ? AND c.id != ?)",
        [channel, coll_id, channel, coll_id],
    ).rowcount
    sites = db.execute(
        "DELETE FROM domain_watches WHERE channel = ? AND collection_id = ?", [channel, coll_id]
    ).rowcount
    db.execute("DELETE FROM collections WHERE id = ?", [coll_id])  # its members cascade
    return int(items), int(sites)


def watch_domain(
    db: Database, channel: str, target: str, *, collection_id: int | None = None
) -> bool:
    cur = db.execute(
        "INSERT OR IGNORE INTO domain_watches (channel, target, collection_id, created_at) "
        "VALUES (?, ?, ?, ?)",
        [channel, target, collection_id, utcnow()],
    )
    return bool(cur.rowcount)


def unwatch_domain(db: Database, channel: str, target: str) -> bool:
    cur = db.execute(
        "DELETE FROM domain_watches WHERE channel = ? AND target = ?", [channel, target]
    )
    return bool(cur.rowcount)


def list_domains(db: Database, channel: str | None = None) -> list[tuple[str, str]]:
    """``(channel, target)`` of active domain watches, for one channel or all."""
    sql = "SELECT channel, target FROM domain_watches WHERE active = 1"
    params: list[object] = []
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    return [(r[0], r[1]) for r in db.execute(sql + " ORDER BY channel, target", params).fetchall()]


def watched_among(db: Database, channel: str, item_ids: list[int]) -> list[int]:
    """Which of ``item_ids`` the channel watches."""
    return [
        int(r[0]) for r in db.execute(
            "SELECT item_id FROM watches WHERE channel = ? AND item_id IN "
            "(SELECT value FROM json_each(?))", [channel, json.dumps(item_ids)],
        ).fetchall()
    ]


def is_watched(db: Database, item_id: int, *, channel: str | None = None) -> bool:
    """Whether any channel (or ``channel``) watches the item."""
    sql = "SELECT 1 FROM watches WHERE item_id = ?"
    params: list[object] = [item_id]
    if channel is not None:
        sql, params = sql + " AND channel = ?", [item_id, channel]
    return db.execute(sql + " LIMIT 1", params).fetchone() is not None


def get_watched_item(db: Database, channel: str, identifier: Identifier) -> Item | None:
    item_id = find_item_id(db, identifier)
    if item_id is None:
        return None
    row = db.execute(
        "SELECT 1 FROM watches WHERE channel = ? AND item_id = ?", [channel, item_id]
    ).fetchone()
    return get_item(db, item_id) if row else None


def domain_watchers(db: Database) -> list[tuple[str, str, int | None]]:
    """``(channel, target, collection_id)`` of every active domain watch."""
    return [
        (r[0], r[1], r[2])
        for r in db.execute(
            "SELECT channel, target, collection_id FROM domain_watches WHERE active = 1 "
            "ORDER BY target, channel"
        ).fetchall()
    ]


def set_domain_collection(db: Database, channel: str, target: str, collection_id: int) -> None:
    db.execute(
        "UPDATE domain_watches SET collection_id = ?, active = 1 WHERE channel = ? AND target = ?",
        [collection_id, channel, target],
    )


def collection_domains(db: Database, channel: str, name: str) -> list[str]:
    """The domains and base URLs a channel's collection lists."""
    name = find_collection(db, channel, name) or name
    return [
        r[0]
        for r in db.execute(
            "SELECT d.target FROM domain_watches d JOIN collections c ON c.id = d.collection_id "
            "WHERE d.channel = ? AND c.name = ? ORDER BY d.target",
            [channel, name],
        ).fetchall()
    ]


def channel_collections(db: Database, channel: str) -> list[tuple[str, str | None, int, list[str]]]:
    """``(name, origin, items watched, domains)`` of each collection of a channel."""
    out = []
    for coll_id, name, origin in db.execute(
        "SELECT id, name, origin FROM collections WHERE channel = ? ORDER BY name", [channel]
    ).fetchall():
        n = db.execute(
            "SELECT count(*) FROM collection_items ci JOIN watches w ON w.item_id = ci.item_id "
            "AND w.channel = ? WHERE ci.collection_id = ?", [channel, coll_id]
        ).fetchone()[0]
        sites = [r[0] for r in db.execute(
            "SELECT target FROM domain_watches WHERE channel = ? AND collection_id = ? ORDER BY target",
            [channel, coll_id],
        ).fetchall()]
        out.append((name, origin, int(n), sites))
    return out


def collection_item_ids(db: Database, channel: str, name: str) -> set[int]:
    """The items a channel watches in one collection or set (for `list` and summaries of it)."""
    name = find_collection(db, channel, name) or name
    return {
        int(r[0])
        for r in db.execute(
            f"SELECT w.item_id FROM watches w {IN_COLLECTION} WHERE w.channel = ?", [name, channel]
        ).fetchall()
    }
