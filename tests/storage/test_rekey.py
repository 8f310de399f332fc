"""Migration m009: identifiers stored by older versions get today's keys (issue 12)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from core.identifiers import parse_identifier
from core.models import Mention
from storage import items, open_store, watches
from storage.mentions import add_mentions
from storage.migrations import migrations

NOW = "2026-11-01T00:00:00+00:00"


def _old_database(path: Path) -> Database:
    """A database as the version before m009 left it."""
    db = Database(path)
    migrations.apply(db, stop_before="m009_identifiers_rekeyed")
    return db


def _item(db: Database, *keys: str, channel: str | None = None, mentions: tuple[str, ...] = ()) -> int:
    item_id = int(db.execute("INSERT INTO items (title, created_at) VALUES (NULL, ?)", [NOW]).lastrowid or 0)
    for key in keys:
        scheme, _, value = key.partition(":")
        db.execute("INSERT INTO identifiers (key, scheme, value, item_id, added_at) VALUES (?, ?, ?, ?, ?)",
                   [key, scheme, value, item_id, NOW])
    if channel:
        db.execute("INSERT INTO watches (channel, item_id, created_at) VALUES (?, ?, ?)", [channel, item_id, NOW])
    for external_id in mentions:
        db.execute("INSERT INTO mentions (source, external_id, item_id, kind, first_seen_at) "
                   "VALUES ('wikipedia', ?, ?, 'wikipedia', ?)", [external_id, item_id, NOW])
    return item_id


def test_old_keys_are_restated_and_items_that_are_one_are_merged(tmp_path: Path) -> None:
    path = tmp_path / "attention.db"
    old = _old_database(path)
    with old.conn:
        _item(old, "handle:doi.org/10.1038/nature12373", channel="C1")
        _item(old, "doi:10.1038/nature12373", channel="C2")
        _item(old, "url:http://repo.example.edu/items/7/", channel="C1",
              mentions=("en:1:url:http://repo.example.edu/items/7/", "en:2:url:http://repo.example.edu/items/7/"))
        _item(old, "url:https://repo.example.edu/items/7", channel="C1",
              mentions=("en:1:url:https://repo.example.edu/items/7",))
        _item(old, "url:https://pubmed.ncbi.nlm.nih.gov/12345678/", mentions=("en:3:url:https://pubmed.ncbi.nlm.nih.gov/12345678/",))
        _item(old, "handle:root:x:0:0:root:/root:/bin/bash")
        _item(old, "key:contentdm:maps/12", "url:https://maps.example.edu/12?utm_source=x")
        old.execute("INSERT INTO resolved_urls VALUES ('http://repo.example.edu/items/7/', "
                    "'{\"found\": [[\"url:http://repo.example.edu/items/7/\", \"og:url\", false]]}', 'ok', ?)", [NOW])
    old.conn.close()

    store = open_store(path)  # applies m009
    db = store.db
    keys = {k for (k,) in db.execute("SELECT key FROM identifiers").fetchall()}
    assert keys == {
        "doi:10.1038/nature12373", "url:https://repo.example.edu/items/7", "pmid:12345678",
        "handle:root:x:0:0:root:/root:/bin/bash",  # no better reading: left as it was
        "key:contentdm:maps/12", "url:https://maps.example.edu/12",
    }
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 5

    # The DOI typed both ways is one item, watched in both channels.
    doi = items.find_item_id(db, parse_identifier("https://doi.org/10.1038/NATURE12373"))
    assert doi is not None and sorted(watches.channels_watching(db, doi)) == ["C1", "C2"]

    # The page over http and https is one item; the post both found is one mention, and a poll
    # finding it again under the new key adds nothing.
    page = items.find_item_id(db, parse_identifier("http://repo.example.edu/items/7/"))
    assert page is not None
    ids = sorted(e for (e,) in db.execute("SELECT external_id FROM mentions WHERE item_id = ?", [page]).fetchall())
    assert ids == ["en:1:url:https://repo.example.edu/items/7", "en:2:url:https://repo.example.edu/items/7"]
    again = [Mention(source="wikipedia", external_id=e, kind="wikipedia") for e in ids]
    assert add_mentions(db, page, again) == []
    assert watches.channels_watching(db, page) == ["C1"]

    pmid = items.find_item_id(db, parse_identifier("pmid:12345678"))
    assert db.execute("SELECT external_id FROM mentions WHERE item_id = ?", [pmid]).fetchall() == [("en:3:pmid:12345678",)]
    assert db.execute("SELECT count(*) FROM resolved_urls").fetchone()[0] == 0
    store.close()


def test_a_database_already_in_todays_form_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    old = _old_database(path)
    with old.conn:
        _item(old, "doi:10.1038/nature12373", "url:https://repo.example.edu/items/7", channel="C1",
              mentions=("en:1:doi:10.1038/nature12373",))
        old.execute("INSERT INTO resolved_urls VALUES ('https://repo.example.edu/items/7', '{}', 'ok', ?)", [NOW])
    before = old.execute("SELECT * FROM identifiers").fetchall()
    old.conn.close()
    store = open_store(path)
    assert store.db.execute("SELECT * FROM identifiers").fetchall() == before
    assert store.db.execute("SELECT count(*) FROM resolved_urls").fetchone()[0] == 1
    store.close()
