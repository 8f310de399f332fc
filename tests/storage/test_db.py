from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.identifiers import parse_identifier
from core.models import Mention
from storage import Store, open_store
from storage.items import get_item
from storage.mentions import add_mentions
from storage.watches import channels_watching, list_watches, watch_item


def test_schema_is_created_by_migrations_and_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    first = open_store(path)
    tables = set(first.db.table_names())
    assert {"items", "identifiers", "watches", "mentions", "counts", "outbox", "source_state"} <= tables
    applied = first.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    first.close()
    again = open_store(path)
    assert again.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == applied
    again.close()


def test_wal_busy_timeout_and_foreign_keys_are_on(fresh_store: Store) -> None:
    db = fresh_store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_two_channels_watching_one_item_share_one_row(fresh_store: Store) -> None:
    doi = parse_identifier("10.1038/nature12373")
    with fresh_store.transaction() as db:
        a, new_a = watch_item(db, "C1", [doi])
        b, new_b = watch_item(db, "C2", [parse_identifier("https://doi.org/10.1038/NATURE12373")])
    assert a == b and new_a and new_b
    assert fresh_store.db.execute("SELECT count(*) FROM items").fetchone()[0] == 1
    assert channels_watching(fresh_store.db, a) == ["C1", "C2"]


def test_identifiers_of_one_thing_are_aliases_of_one_item(fresh_store: Store) -> None:
    doi, handle = parse_identifier("10.21201/2017.0322"), parse_identifier("hdl:10546/620334")
    url = parse_identifier("https://oxfamilibrary.openrepository.com/handle/10546/620334")
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [doi, handle, url], title="An Economy for the 99%")
        again, new = watch_item(db, "C1", [handle])
    assert again == item_id and not new
    item = get_item(fresh_store.db, item_id)
    assert item is not None and set(item.identifiers) == {doi, handle, url}
    assert [w.item.title for w in list_watches(fresh_store.db, "C1")] == ["An Economy for the 99%"]


def test_a_failed_transaction_leaves_nothing_behind(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction() as db:
        watch_item(db, "C1", [parse_identifier("10.1/a")])
        raise RuntimeError("crash between two writes")
    assert fresh_store.db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    assert fresh_store.db.execute("SELECT count(*) FROM watches").fetchone()[0] == 0


def test_two_threads_writing_at_once_lose_nothing(fresh_store: Store) -> None:
    """The scheduler thread stores mentions while a Slack thread adds watches."""
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C0", [parse_identifier("10.1/shared")])
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def poller() -> None:
        try:
            start.wait()
            for n in range(200):
                with fresh_store.transaction() as db:
                    add_mentions(db, item_id, [Mention(source="test", external_id=f"m{n}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def listener() -> None:
        try:
            start.wait()
            for n in range(200):
                with fresh_store.transaction() as db:
                    watch_item(db, "C1", [parse_identifier(f"10.1/item{n}")])
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=poller), threading.Thread(target=listener)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db = fresh_store.db
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 200
    assert db.execute("SELECT count(*) FROM watches WHERE channel = 'C1'").fetchone()[0] == 200


def test_mentions_are_unique_on_source_and_external_id(fresh_store: Store) -> None:
    with fresh_store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [parse_identifier("10.1/a")])
        first = add_mentions(db, item_id, [Mention(source="hn", external_id="1"), Mention(source="hn", external_id="2")])
        second = add_mentions(db, item_id, [Mention(source="hn", external_id="2"), Mention(source="hn", external_id="3")])
    assert [m.external_id for m in first] == ["1", "2"]
    assert [m.external_id for m in second] == ["3"]


def test_closing_the_store_leaves_a_busy_threads_connection_working(tmp_path: Path) -> None:
    # A lookup thread still waiting on a hung source writes when the source answers, possibly
    # after shutdown closed the store: closing its connection under it crashed the interpreter.
    store = open_store(tmp_path / "a.db")
    opened, closed, done = threading.Event(), threading.Event(), threading.Event()
    written: list[int] = []

    def late_writer() -> None:
        store.db.execute("SELECT 1")
        opened.set()
        closed.wait(5)
        with store.transaction() as db:
            db.execute("INSERT INTO items (title, created_at) VALUES ('late', '2026-01-01')")
        written.append(1)
        done.set()

    thread = threading.Thread(target=late_writer)
    thread.start()
    assert opened.wait(5)
    store.close()
    closed.set()
    assert done.wait(5)
    thread.join(5)
    assert written == [1]
    again = open_store(tmp_path / "a.db")
    assert again.db.execute("SELECT title FROM items").fetchall() == [("late",)]
    again.close()
