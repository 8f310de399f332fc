"""Commands as people type them: every form either works or is refused with a message saying
how to fix it, and a refusal changes nothing (issue 12, "Commands")."""

from __future__ import annotations

import pytest

from core.models import Identifier
from handlers.actions import run_action
from handlers.commands.forget import FORGET
from handlers.commands.importing import import_csv
from handlers.context import Context
from handlers.options import Options
from handlers.render import DETAILS, MUTE, UNWATCH
from handlers.router import dispatch
from storage import Store, channels, watches
from tests.fakes.scripted_source import ScriptedSource

HUGE = "9" * 5000  # past Python's limit on reading digits: must be a range error, not a crash


def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the audit log (which records refusals too)."""
    db = store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    return {t: db.execute(f"SELECT * FROM [{t}]").fetchall() for t in tables if t != "audit"}


@pytest.fixture
def watching(ctx: Context) -> Context:
    """C1 watches 10.1/x on its own and two items in the collection `Maps`."""
    ctx.sources = [ScriptedSource("wikipedia"), ScriptedSource("feeds")]
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
        maps = watches.ensure_collection(db, "C1", "Maps", "maps.csv")
        for n in (1, 2):
            watches.watch_item(db, "C1", [Identifier(scheme="doi", value=f"10.1/map{n}")], collection_id=maps)
        watches.watch_domain(db, "C1", "maps.example.edu", collection_id=maps)
    return ctx


REFUSED = [
    # (typed, what the message must say)
    ("top " + HUGE, "is not a number of items to show: give a whole number from 1 to 50"),
    ("top 0", "give a whole number from 1 to 50, e.g. `top 10`"),
    ("top 51", "give a whole number from 1 to 50"),
    ("audit " + HUGE, "is not a number of rows: give a whole number from 1 to 200"),
    ("audit 99999999999", "give a whole number from 1 to 200"),
    ("mute 10.1/x 99999999999", "is not a number of days: give from 0 to 365 days"),
    ("mute 10.1/x " + HUGE, "is not a number of days: give from 0 to 365 days"),
    ("mute 10.1/x 7x", "(`14`, `14d` or `2w`)"),
    ("mute 10.1/x 60w", "give from 0 to 365 days"),
    ("settings min-score " + HUGE, "is not a score rise: give a number from 0 to 10,000"),
    ("settings min-score 1e999", "give a number from 0 to 10,000"),
    ("settings min-score nan", "give a number from 0 to 10,000"),
    ("settings min-score -1", "give a number from 0 to 10,000"),
    ("settings min-score lots", "give a number from 0 to 10,000, e.g. `settings min-score 5`"),
    ("settings sources News, Twitter", "`twitter` is not a source or a kind of mention"),
    ("wach 10.1/y", "Unknown command `wach`: did you mean `watch`?"),
    ("lst", "did you mean `list`?"),
    ("sumary 7d", "did you mean `summary`?"),
    ("help wach", "There is no command `wach`: did you mean `watch`?"),
    ("unwatch collection atlases", "There is no collection `atlases` in C1. Collections here: Maps."),
    ("unwatch collection", "Give the collection's name: `unwatch collection maps`."),
]


@pytest.mark.parametrize(("typed", "says"), REFUSED, ids=[t[:30] for t, _ in REFUSED])
def test_refused_input_says_how_to_fix_it_and_changes_nothing(watching: Context, typed: str, says: str) -> None:
    before = dump(watching.store)
    reply = dispatch(watching, typed, channel="C1")
    assert not reply.ok, reply.text
    assert says in reply.text
    assert "Something went wrong" not in reply.text and len(reply.text) < 600  # no 5,000 digits echoed
    assert dump(watching.store) == before


ACCEPTED = [
    # (typed, what the reply says)
    ("mute 10.1/x 7d", "for 7 days"),
    ("mute 10.1/x 7 days", "for 7 days"),
    ("mute 10.1/x 2w", "for 14 days"),
    ("mute 10.1/x 0", "Unmuted"),
    ("top 50", "No item watched here gained attention"),
    ("settings sources News, Blog", "sources that alert: news, blog"),
    ("settings sources wikipedia ,feeds", "sources that alert: wikipedia, feeds"),
    ("settings min-score 2.5", "minimum score rise: 2.5"),
    ("list maps", "Collection Maps in C1: 2 items"),
    ("list MAPS", "Collection Maps in C1: 2 items"),
    ("summary maps", "collection Maps"),
    ("top 10 mApS", "No item of collection Maps gained attention"),
    ("Watch 10.1/new", "Now watching 1 item in C1"),
]


@pytest.mark.parametrize(("typed", "says"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_forms(watching: Context, typed: str, says: str) -> None:
    reply = dispatch(watching, typed, channel="C1")
    assert reply.ok, reply.text
    assert says in reply.text


def test_settings_sources_with_spaces_after_commas_is_stored(watching: Context) -> None:
    assert dispatch(watching, "settings sources News, Blog", channel="C1").ok
    assert channels.get_settings(watching.store.db, "C1").sources == ("news", "blog")


def test_unwatch_collection_stops_its_items_and_sites_in_any_case(watching: Context) -> None:
    reply = dispatch(watching, "unwatch collection MAPS", channel="C1")
    assert reply.ok
    assert reply.text == "Stopped watching collection Maps in C1: 2 items and 1 web site. Their history is kept."
    listed = dispatch(watching, "list", channel="C1").text
    assert "10.1/x" in listed and "map1" not in listed and "Maps" not in listed
    assert watches.list_domains(watching.store.db, "C1") == []


def test_a_collection_named_in_another_case_is_the_same_collection(watching: Context) -> None:
    with watching.store.transaction() as db:
        assert watches.ensure_collection(db, "C1", "maps") == watches.ensure_collection(db, "C1", "Maps")
    report = import_csv(watching, "doi\n10.1/map3\n", channel="C1", collection="MAPS", origin="more.csv")
    assert report.new_items == 1
    assert "Collection Maps in C1: 3 items" in dispatch(watching, "list maps", channel="C1").text


def test_the_import_reply_counts_items_not_rows_and_names_merges(watching: Context) -> None:
    with watching.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/paper")])
        watches.watch_item(db, "C1", [Identifier(scheme="handle", value="2027/paper")])
    csv = (
        "doi,handle,title\n"
        "10.1/a,,A\n"
        "10.1/b,,B\n"
        "10.1/B,,B again\n"  # the same DOI in another case: the same item
        "10.1/c,,C\n"
        "10.1/paper,2027/paper,One paper\n"  # two items watched here are one
    )
    report = import_csv(watching, csv, channel="C1", collection="new", origin="new.csv")
    text = report.summary()
    assert text.startswith("imported 4 items (3 new, 1 duplicate row)"), text
    assert "watched here as two items, now one: 10.1/paper and handle:2027/paper" in text
    assert "10.1/paper" in dispatch(watching, "list new", channel="C1").text


@pytest.mark.parametrize(("action", "value"), [
    (MUTE, "watch 10.9999/x"),
    (MUTE, "10.1/x; watch 10.9999/x"),
    (UNWATCH, "forget 10.1/x --yes"),
    (DETAILS, "unwatch 10.1/x"),
    (FORGET, "watch 10.9999/x"),
    (FORGET, "domain"),
    (MUTE, "10.1/x 10.1/map1"),
    ("attention_other", "10.1/x"),
])
def test_a_button_value_is_only_an_identifier_for_its_action(watching: Context, action: str, value: str) -> None:
    before = dump(watching.store)
    reply = run_action(watching, action, value, channel="C1", user="U1")
    assert not reply.ok and "nothing was changed" in reply.text
    assert dump(watching.store) == before


def test_buttons_run_their_own_command_old_and_new_values(watching: Context) -> None:
    assert "Muted 10.1/x" in run_action(watching, MUTE, "10.1/x", channel="C1", user="U1").text
    assert "Unmuted" in dispatch(watching, "mute 10.1/x 0", channel="C1").text
    # Alerts posted before values were identifiers carry the whole command.
    assert "Muted 10.1/x" in run_action(watching, MUTE, "mute '10.1/x' 7", channel="C1", user="U1").text
    assert "Lookup of 10.1/x" in run_action(watching, DETAILS, "lookup 10.1/x", channel="C1", user="U1").text
    assert "Stopped watching: 10.1/x" in run_action(watching, UNWATCH, "10.1/x", channel="C1", user="U1").text


def test_a_refused_button_is_audited_and_still_obeys_who_may(watching: Context) -> None:
    watching.options = Options(admins=("U0ADMIN",))
    refused = run_action(watching, MUTE, "10.1/x", channel="C1", user="U1")
    assert not refused.ok and "Only U0ADMIN may run `mute`" in refused.text
    run_action(watching, MUTE, "watch 10.9999/x", channel="C1", user="U1")
    outcomes = watching.store.db.execute("SELECT command, outcome FROM audit ORDER BY id").fetchall()
    assert [tuple(r) for r in outcomes] == [("mute", "refused"), ("mute", "refused")]
