"""`forget` leaves no row behind that names the item (or web site), in any table, and nothing
else is touched; without `--yes` it changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from core.models import Identifier, Mention
from handlers.alerts.deliver import deliver_pending
from handlers.commands.forget import FORGET
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from sources.errors import BadResponse
from storage import resolved, watches
from storage.db import Store
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource

GONE = [
    Identifier(scheme="doi", value="10.1234/forget-me"),
    Identifier(scheme="handle", value="2027/forget-me-too"),
    Identifier(scheme="url", value="https://repo.example.edu/items/42"),
]
KEPT = Identifier(scheme="doi", value="10.5555/keep-me")
#: Text that must not survive anywhere once the item is forgotten.
TRACES = ["10.1234/forget-me", "2027/forget-me-too", "repo.example.edu/items/42", "A paper to forget"]


def dump(store: Store) -> dict[str, list[dict[str, str]]]:
    """Every row of every table, every column as text."""
    db = store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    out = {}
    for table in tables:
        cur = db.execute(f"SELECT * FROM [{table}]")
        cols = [c[0] for c in cur.description]
        out[table] = [{c: str(v) for c, v in zip(cols, row, strict=True)} for row in cur.fetchall()]
    return out


def traces_of(store: Store, item_id: int, texts: list[str]) -> list[str]:
    """Where the item id (in item columns) or any of ``texts`` still appears."""
    found = []
    for table, rows in dump(store).items():
        for row in rows:
            for col, value in row.items():
                if (col == "item_id" or (table == "items" and col == "id")) and value == str(item_id):
                    found.append(f"{table}.{col} = {value}")
                low = value.lower()
                found += [f"{table}.{col} names {t}" for t in texts if t.lower() in low]
    return found


def item_of(ctx: Context, ident: Identifier) -> int:
    row = ctx.store.db.execute("SELECT item_id FROM identifiers WHERE key = ?", [ident.key]).fetchone()
    assert row, f"{ident.key} is not stored"
    return int(row[0])


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def populated(ctx: Context, source: ScriptedSource) -> Iterator[Context]:
    """Two items with everything an item collects: aliases, watches in two channels (one in
    digest mode), mentions, counts, baselines, sent and pending alerts, a digest carrying both,
    alert threads, monthly history, a cached landing page, audit rows and a poll error."""
    ctx.sources = [source]
    ctx.options = Options(**{"alert_on_first_poll": True, "alert_max_mentions": 5})
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as clock:
        with ctx.store.transaction() as db:
            watches.watch_item(db, "C1", GONE, title="A paper to forget")
            watches.watch_item(db, "C1", [KEPT], title="A paper to keep")
        for text, channel in [("watch 10.1234/forget-me 10.5555/keep-me", "C2"), ("settings mode digest", "C2"),
                              ("mute hdl:2027/forget-me-too 0", "C1")]:
            assert dispatch(ctx, text, channel=channel, user="U0ADMIN").ok
        source.add(GONE[0].key, "a1", title="Story about 10.1234/forget-me")
        source.add(KEPT.key, "b1")
        source.set_count(GONE[0].key, "citations", 3)
        run_poll(ctx, source)
        clock.move_to(datetime(2026, 3, 3, 9, tzinfo=UTC))
        notifier = RecordingNotifier()
        deliver_pending(ctx, notifier)  # C1's alerts sent (threads), C2's digest of both sent
        source.add(GONE[0].key, "a2")
        source.add(KEPT.key, "b2")
        source.errors[GONE[1].key] = BadResponse("answered oddly for hdl:2027/forget-me-too", source=source.name)
        run_poll(ctx, source)  # pending alerts, held digest rows, a poll error naming the Handle
    item_id = item_of(ctx, GONE[0])
    with ctx.store.transaction() as db:
        resolved.put_cached(db, GONE[2].value, json.dumps(
            {"title": "A paper to forget", "found": [[GONE[0].key, "citation_doi", False]]}), "ok")
        resolved.put_cached(db, "https://repo.example.edu/items/43", json.dumps(
            {"title": "Another", "found": [[KEPT.key, "citation_doi", False]]}), "ok")
        for iid in (item_id, item_of(ctx, KEPT)):
            db.execute("INSERT INTO mention_history (item_id, source, kind, month, mentions) "
                       "VALUES (?, 'scripted', 'news', '2024-01', 4)", [iid])
    yield ctx


def test_the_populated_store_really_names_the_item_everywhere(populated: Context) -> None:
    # Guards the test below: each kind of row it checks is really there before the forget.
    tables = {t for t in (r.split(" ")[0].split(".")[0] for r in traces_of(
        populated.store, item_of(populated, GONE[0]), TRACES))}
    expected = {"identifiers", "watches", "mentions", "counts", "baselines", "threads", "outbox",
                "mention_history", "resolved_urls", "audit", "source_state", "items"}
    assert not expected - tables, tables


def test_forget_without_yes_changes_nothing_and_says_what_would_go(populated: Context) -> None:
    before = dump(populated.store)
    reply = dispatch(populated, "forget 10.1234/forget-me", channel="C1", user="U0ADMIN")
    assert reply.ok and reply.ephemeral
    assert "3 aliases" in reply.text and "watched in 2 channels" in reply.text and "every channel" in reply.text
    assert "Nothing was changed yet" in reply.text and "forget 10.1234/forget-me --yes" in reply.text
    after = dump(populated.store)
    assert {t: r for t, r in after.items() if t != "audit"} == {t: r for t, r in before.items() if t != "audit"}
    # Slack gets a danger button that runs the same command with --yes
    (button,) = [e for b in reply.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == FORGET and button["style"] == "danger"
    assert button["value"] == "10.1234/forget-me"  # the action_id says it is a forget


def test_forget_yes_leaves_no_row_naming_the_item_and_keeps_the_other(populated: Context) -> None:
    item_id, kept_id = item_of(populated, GONE[0]), item_of(populated, KEPT)
    kept_before = traces_of(populated.store, kept_id, ["10.5555/keep-me"])
    reply = dispatch(populated, "forget https://doi.org/10.1234/FORGET-ME --yes", channel="C1", user="U0ADMIN")
    assert reply.ok, reply.text
    assert "everywhere" in reply.text and "3 aliases" in reply.text
    assert traces_of(populated.store, item_id, TRACES) == []
    # The other item keeps everything: its aliases, watches, mentions, cached page, digest alert.
    kept_after = traces_of(populated.store, kept_id, ["10.5555/keep-me"])
    assert sorted(kept_after) == sorted(kept_before)
    assert any("outbox.payload" in t for t in kept_after)
    listed = dispatch(populated, "list", channel="C2").text
    assert "10.5555/keep-me" in listed and "forget-me" not in listed
    # The audit log says a forget happened, not what was forgotten.
    rows = dump(populated.store)["audit"]
    assert rows[-1]["command"] == "forget" and rows[-1]["args"] == "1 item (confirmed)"


def test_forget_an_unknown_item_says_so(ctx: Context) -> None:
    reply = dispatch(ctx, "forget 10.9999/never-seen --yes")
    assert not reply.ok and "not known to the bot" in reply.text


def test_forget_domain_removes_the_site_its_items_and_pages(populated: Context, source: ScriptedSource) -> None:
    db = populated.store.db
    with populated.store.transaction() as tx:
        watches.watch_domain(tx, "C1", "repo.example.edu/items")
        watches.watch_domain(tx, "C2", "repo.example.edu")
        watches.watch_domain(tx, "C2", "other.example.org")
        watches.watch_item(tx, "C1", [Identifier(scheme="url", value="https://repo.example.edu/items/7")])
    preview = dispatch(populated, "forget domain repo.example.edu", channel="C1", user="U0ADMIN")
    assert preview.ok and "2 site watches" in preview.text and "2 items" in preview.text
    assert db.execute("SELECT count(*) FROM domain_watches").fetchone()[0] == 3
    gone = [item_of(populated, GONE[0]), item_of(populated, Identifier(scheme="url", value="https://repo.example.edu/items/7"))]
    reply = dispatch(populated, "forget domain Repo.Example.edu --yes", channel="C1", user="U0ADMIN")
    assert reply.ok, reply.text
    assert traces_of(populated.store, gone[0], ["repo.example.edu", *TRACES]) == []
    assert traces_of(populated.store, gone[1], []) == []
    assert [r[0] for r in db.execute("SELECT target FROM domain_watches").fetchall()] == ["other.example.org"]
    assert "10.5555/keep-me" in dispatch(populated, "list", channel="C1").text


def test_forget_domain_wants_a_host_without_a_path(ctx: Context) -> None:
    reply = dispatch(ctx, "forget domain repo.example.edu/items")
    assert not reply.ok and "`forget domain repo.example.edu`" in reply.text


def test_forgotten_item_in_a_pending_digest_is_taken_out_of_it(ctx: Context, source: ScriptedSource) -> None:
    ctx.sources = [source]
    ctx.options = Options(**{"alert_on_first_poll": True})
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as clock:
        dispatch(ctx, "watch 10.1234/forget-me 10.5555/keep-me", channel="C2")
        dispatch(ctx, "settings mode digest", channel="C2")
        source.mentions[GONE[0].key] = [Mention(source="scripted", external_id="x1", url="https://example.org/x1")]
        source.add(KEPT.key, "k1")
        run_poll(ctx, source)
        clock.move_to(datetime(2026, 3, 3, 9, tzinfo=UTC))
        from handlers.alerts.detect import build_digests

        (key,) = build_digests(ctx)
    assert dispatch(ctx, "forget 10.1234/forget-me --yes", channel="C2").ok
    row = ctx.store.db.execute("SELECT payload, status FROM outbox WHERE key = ?", [key]).fetchone()
    payload = json.loads(row[0])
    assert row[1] == "pending" and [a["identifier"] for a in payload["alerts"]] == ["10.5555/keep-me"]


def test_forgetting_a_web_site_with_more_items_than_sqlite_takes_parameters(fresh_store: Store) -> None:
    # SQLite refuses a statement with more `?` than its limit (32,766 in its default builds,
    # 999 in older ones): a big repository's site has more pages than that.
    import sqlite3

    from storage import forget as forget_store
    from storage.items import ensure_item

    fresh_store.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    n = 1_500
    with fresh_store.transaction() as db:
        for i in range(n):
            ensure_item(db, [Identifier(scheme="url", value=f"https://big.example.edu/items/{i}")])
        ensure_item(db, [Identifier(scheme="doi", value="10.5555/stays")])
        found = forget_store.forget_domain(db, "big.example.edu")
    assert found.items == n
    left = fresh_store.db.execute("SELECT key FROM identifiers").fetchall()
    assert left == [("doi:10.5555/stays",)]
