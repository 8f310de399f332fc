"""Migration m013a: who is in which collection moves from each watch's one collection_id to
collection_items, so a work can be in several collections and sets of a channel at once."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from core.models import Identifier
from storage import open_store, sets, watches
from storage.migrations import migrations

NOW = "2026-11-01T00:00:00+00:00"


def test_collections_kept_by_older_versions_keep_their_items(tmp_path: Path) -> None:
    path = tmp_path / "attention.db"
    old = Database(path)
    migrations.apply(old, stop_before="m013a_sets")
    old.execute("INSERT INTO collections (id, channel, name, created_at) VALUES (7, 'C1', 'maps', ?)", [NOW])
    old.execute("INSERT INTO items (id, created_at) VALUES (1, ?), (2, ?)", [NOW, NOW])
    old.execute("INSERT INTO identifiers (key, scheme, value, item_id, added_at) VALUES "
                "('doi:10.1/a', 'doi', '10.1/a', 1, ?), ('doi:10.1/b', 'doi', '10.1/b', 2, ?)", [NOW, NOW])
    old.execute("INSERT INTO watches (channel, item_id, collection_id, created_at) VALUES "
                "('C1', 1, 7, ?), ('C1', 2, NULL, ?)", [NOW, NOW])
    old.conn.commit()
    old.close()
    store = open_store(path)
    db = store.db
    assert [w.item.id for w in watches.list_watches(db, "C1", collection="maps")] == [1]
    assert watches.channel_collections(db, "C1") == [("maps", None, 1, [])]
    assert db.execute("SELECT count(*) FROM watches WHERE collection_id IS NOT NULL").fetchone()[0] == 0
    # Now the same work can be in a set too, and counts once in each.
    with store.transaction() as tx:
        row, created = sets.ensure_set(tx, "C1", "prefix", "prefix:10.1")
        joined = sets.add_works(tx, row, [(Identifier(scheme="doi", value="10.1/a"), None),
                                          (Identifier(scheme="doi", value="10.1/b"), "B")])
    assert created and [item_id for item_id, _ in joined] == [1, 2]
    assert watches.collection_item_ids(db, "C1", "maps") == {1}
    assert watches.collection_item_ids(db, "C1", "prefix:10.1") == {1, 2}
    assert watches.count_watches(db, "C1") == 2
    store.close()
