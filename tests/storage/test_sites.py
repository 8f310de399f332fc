"""m012: where a mention appeared leaves its title for a column of its own, where that is certain."""

from __future__ import annotations

from core.models import Identifier
from storage import Store
from storage.sites import split_stored_sites
from storage.watches import watch_item


def _stored(store: Store, rows: list[tuple[str, str, str | None, str]]) -> dict[str, tuple[str, str | None]]:
    with store.transaction() as db:
        item, _ = watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
        for source, ext, api_url, title in rows:  # as versions before m012 wrote them
            db.execute(
                "INSERT INTO mentions (source, external_id, item_id, title, kind, first_seen_at, api_url) "
                "VALUES (?, ?, ?, ?, 'blog', '2026-01-01T00:00:00+00:00', ?)", [source, ext, item, title, api_url])
        split_stored_sites(db)
    return {r[0]: (r[1], r[2]) for r in store.db.execute("SELECT external_id, title, site FROM mentions")}


def test_old_titles_are_split_only_where_certain(fresh_store: Store) -> None:
    got = _stored(fresh_store, [
        ("wikipedia", "w1", None, "Salt marsh (en.wikipedia)"),
        ("wikipedia", "w2", None, "Mercury (planet)"),
        ("feeds", "f1", "https://notes.example.org/feed", "Harbour maps (Library Notes)"),
        ("feeds", "f2", "https://notes.example.org/feed", "Reading list (Library Notes)"),
        ("feeds", "g1", "https://one.example.org/feed", "A post (with brackets)"),  # alone: unsure
        ("feeds", "h1", "https://mixed.example.org/feed", "One (A)"),
        ("feeds", "h2", "https://mixed.example.org/feed", "Two (B)"),
    ])
    assert got == {
        "w1": ("Salt marsh", "en.wikipedia"),
        "w2": ("Mercury (planet)", None),
        "f1": ("Harbour maps", "Library Notes"),
        "f2": ("Reading list", "Library Notes"),
        "g1": ("A post (with brackets)", None),
        "h1": ("One (A)", None),
        "h2": ("Two (B)", None),
    }
