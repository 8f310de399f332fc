"""Watching what a DOI prefix, a person or an institution publishes: `watch prefix|orcid|ror`
lists the works from loopback fakes of Crossref's, DataCite's and OpenAlex's list endpoints
(with their cursors), the set stays in sync, and it works wherever a collection does."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import Identifier
from handlers.alerts.deliver import deliver_pending
from handlers.commands.summaries import export_csv
from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.polling.sets import sync_sets
from handlers.router import dispatch, is_slow
from storage import open_store, outbox, watches
from tests.fakes.http import FakeServer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.registries import Registries, Work

ORCID = "0000-0002-1825-0097"
ROR = "02mhbdp94"


@pytest.fixture
def registries() -> Iterator[Registries]:
    with FakeServer() as srv:
        yield Registries(srv)


@pytest.fixture
def ctx(registries: Registries, tmp_path: Path) -> Iterator[Context]:
    context = registries.context(open_store(tmp_path / "sets.db"))
    yield context
    context.store.close()


def run(ctx: Context, text: str, channel: str = "C1") -> str:
    reply = dispatch(ctx, text, channel=channel)
    assert reply.ok, reply.text
    return reply.text


def watched(ctx: Context, doi: str, channel: str = "C1") -> bool:
    return watches.get_watched_item(ctx.store.db, channel, Identifier(scheme="doi", value=doi)) is not None


def notices(ctx: Context) -> list[str]:
    return [r.payload["text"] for r in outbox.due(ctx.store.db) if r.kind == "notice"]


def test_watch_prefix_lists_every_page_and_skips_a_record_without_a_doi(ctx: Context, registries: Registries) -> None:
    registries.add(*(Work(f"10.5555/p.{i:04d}", title=f"Paper {i}") for i in range(2300)))
    registries.add(Work(None, title="A record without its DOI", under="10.5555"))  # listed, not counted
    registries.add(Work("10.5555/ds.1", agency="datacite", title="A dataset"))
    registries.add(Work("10.6666/other", title="Another publisher"))
    shown: list[str] = []
    ctx.progress = shown.append
    text = run(ctx, "watch prefix 10.5555")
    assert text.startswith("Now watching prefix:10.5555 in C1: 2,301 works (Crossref 2,300, DataCite 1)")
    assert "1 record without a DOI skipped: Crossref: a record without a DOI" in text
    assert registries.calls("crossref") == 3 and registries.calls("openalex") == 0  # OpenAlex lists no prefix
    assert watched(ctx, "10.5555/p.2299") and watched(ctx, "10.5555/ds.1")
    assert not watched(ctx, "10.6666/other")
    assert shown[-1] == "prefix:10.5555: DataCite 1 / 1 works"
    item = watches.get_watched_item(ctx.store.db, "C1", Identifier(scheme="doi", value="10.5555/p.0007"))
    assert item is not None and item.title == "Paper 7"
    listing = run(ctx, "list")
    assert "Sets: prefix:10.5555 (2,301 works, listed " in listing
    one = run(ctx, "list prefix 10.5555")
    assert one.startswith("Set prefix:10.5555 (2,301 works, listed") and "and 2251 more - use export" in one


def test_watch_orcid_and_ror_ask_each_registry_and_count_a_work_once(ctx: Context, registries: Registries) -> None:
    both = Work("10.5555/both", orcids=(ORCID,), rors=(ROR,))
    registries.add(both, Work("10.5555/cr-only", orcids=(ORCID,)),
                   Work("10.70000/data", agency="datacite", orcids=(ORCID,), rors=(ROR,)),
                   Work("10.5555/someone-else", orcids=("0000-0001-5109-3700",)))
    text = run(ctx, f"watch orcid https://orcid.org/{ORCID}")
    # Crossref lists 2, DataCite 1, OpenAlex (which indexes both) 3: three works in all.
    assert text.startswith(f"Now watching orcid:{ORCID} in C1: 3 works (Crossref 2, DataCite 1, OpenAlex 3)")
    assert not watched(ctx, "10.5555/someone-else")
    crossref_query = next(r for r in registries.server.requests if r.path == "/crossref/works")
    assert crossref_query.query["filter"] == [f"orcid:{ORCID}"]
    text = run(ctx, f"watch ror ror.org/{ROR.upper()}")
    assert text.startswith(f"Now watching ror:{ROR} in C1: 2 works")
    datacite = [r for r in registries.server.requests if r.query.get("affiliation-id")]
    assert datacite and datacite[0].query["affiliation-id"] == [ROR]
    # One work in two sets counts once in each, and the channel watches it once.
    listing = run(ctx, "list")
    assert f"orcid:{ORCID} (3 works" in listing and f"ror:{ROR} (2 works" in listing
    assert watches.count_watches(ctx.store.db, "C1") == 3


@pytest.mark.parametrize(("typed", "says"), [
    ("watch orcid 0000-0002-1825-0098", "its last character is not the check digit"),
    ("watch orcid 0000-0002-1825", "is not an ORCID iD: it looks like 0000-0002-1825-0097"),
    ("watch ror 12mhbdp94", "is not a ROR id: a ROR id is 9 characters"),
    ("watch ror 02mhbdp95", "its last two digits are not the checksum"),
    ("watch ror https://ror.org/02mhbdp9", "is not a ROR id"),
    ("watch prefix 10.abc", "is not a DOI prefix: a prefix is 10. and digits"),
    ("watch prefix 10.5555/abc", "is not a DOI prefix"),
    ("watch prefix", "Give one DOI prefix: `watch prefix 10.5555`"),
    ("watch orcid 0000-0002-1825-0097 extra", "Give one ORCID iD"),
])
def test_a_refused_id_says_how_to_write_it_and_writes_nothing(
    ctx: Context, registries: Registries, typed: str, says: str
) -> None:
    reply = dispatch(ctx, typed, channel="C1")
    assert not reply.ok and says in reply.text
    db = ctx.store.db
    assert db.execute("SELECT count(*) FROM collections").fetchone()[0] == 0
    assert watches.count_watches(db, "C1") == 0 and registries.server.requests == []


def test_a_new_work_joins_at_the_next_sync_with_one_announcement_and_a_quiet_first_poll(
    ctx: Context, registries: Registries
) -> None:
    registries.add(*(Work(f"10.5555/p.{i}", title=f"Paper {i}", citations=2) for i in range(3)))
    run(ctx, "watch prefix 10.5555")
    run_poll(ctx, ctx.sources[0])  # Crossref: the set's baseline
    assert notices(ctx) == [] and sync_sets(ctx).startswith("sets: 0 sets listed")  # listed today already
    registries.add(Work("10.5555/new", title="A new paper", citations=4))
    assert sync_sets(ctx, everything=True) == "sets: 1 set listed, 1 new work joined"
    assert notices(ctx) == ["1 new work joined prefix:10.5555: A new paper"]
    chat = RecordingNotifier()
    deliver_pending(ctx, chat)
    assert [(p.channel, p.text) for p in chat.posts] == [("C1", "1 new work joined prefix:10.5555: A new paper")]
    assert sync_sets(ctx, everything=True) == "sets: 1 set listed, 0 new works joined"
    deliver_pending(ctx, chat)
    assert len(chat.posts) == 1  # met again: no second announcement
    report = run_poll(ctx, ctx.sources[0])
    assert report.baselines == 1 and report.alerts == 0  # its first poll only records its 4 citations


def test_summary_and_top_answer_for_the_set(ctx: Context, registries: Registries) -> None:
    ours = [Work(f"10.5555/p.{i}", title=f"Our paper {i}", citations=1) for i in range(3)]
    theirs = Work("10.6666/x", title="Not in the set", citations=1)
    registries.add(*ours, theirs)
    run(ctx, "watch prefix 10.5555")
    run(ctx, "watch 10.6666/x")
    run_poll(ctx, ctx.sources[0])
    ours[1].citations = theirs.citations = 9
    run_poll(ctx, ctx.sources[0])
    top = run(ctx, "top 5 7d prefix:10.5555")
    assert top.startswith("Top 1 of set prefix:10.5555 in the last 7 days (")
    assert "Our paper 1" in top and "10.6666/x" not in top
    everything = run(ctx, "top")
    assert "10.6666/x" in everything and "Our paper 1" in everything
    summary = dispatch(ctx, "summary prefix 10.5555", channel="C1")
    assert summary.ok and summary.text.startswith("Attention summary for C1, set prefix:10.5555,")
    assert "1 item with attention" in summary.text  # ours, not the work outside the set
    refused = dispatch(ctx, "top prefix:10.7777", channel="C1")
    assert not refused.ok and "prefix:10.5555" in refused.text  # names the sets it has


def test_unwatching_a_set_keeps_works_watched_by_hand_or_in_another_set(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.5555/a", orcids=(ORCID,)), Work("10.5555/b"), Work("10.5555/c"))
    run(ctx, "watch 10.5555/c")
    run(ctx, "watch prefix 10.5555")
    run(ctx, f"watch orcid {ORCID}")
    text = run(ctx, "unwatch prefix 10.5555")
    assert text == ("Stopped watching prefix:10.5555: 1 work no longer watched here; 2 works stay "
                    "(watched by hand, or in another set or collection).")
    assert watched(ctx, "10.5555/a") and not watched(ctx, "10.5555/b") and watched(ctx, "10.5555/c")
    missing = dispatch(ctx, "unwatch prefix 10.5555", channel="C1")
    assert not missing.ok and "prefix:10.5555 is not watched in C1" in missing.text


def test_export_names_the_sets_an_item_is_in(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.5555/a", orcids=(ORCID,), citations=1))
    run(ctx, "watch prefix 10.5555")
    run(ctx, f"watch orcid {ORCID}")
    from storage.mentions import add_mentions
    from tests.fakes.summary_data import mention

    with ctx.store.transaction() as db:
        item = watches.get_watched_item(db, "C1", Identifier(scheme="doi", value="10.5555/a"))
        assert item is not None
        add_mentions(db, item.id, [mention("feeds", "n1", "news", "A story")])
    (row,) = csv.DictReader(io.StringIO(export_csv(ctx, "C1")[0].decode("utf-8-sig")))
    assert row["collections"] == f"orcid:{ORCID}; prefix:10.5555"


def test_a_registry_that_fails_never_stops_the_others(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.5555/a"), Work("10.5555/ds", agency="datacite"))
    registries.failing.add("crossref")
    text = run(ctx, "watch prefix 10.5555")
    assert text.startswith("Now watching prefix:10.5555 in C1: 1 work (DataCite 1)")
    assert "Crossref: is unavailable (HTTP 503)" in text
    registries.failing.add("datacite")
    dispatch(ctx, "unwatch prefix 10.5555", channel="C1")
    failed = dispatch(ctx, "watch prefix 10.5555", channel="C1")
    assert not failed.ok and "Could not list prefix:10.5555 now; it is kept in C1" in failed.text


def test_listing_a_set_is_slow_in_slack_and_changes_things() -> None:
    assert is_slow("watch prefix 10.5555") and is_slow("watch orcid 0000-0002-1825-0097")
    assert not is_slow("watch 10.5555/x") and not is_slow("unwatch prefix 10.5555")


def test_a_work_unwatched_by_hand_is_not_brought_back_by_the_next_listing(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.5555/a"), Work("10.5555/b"))
    run(ctx, "watch prefix 10.5555")
    run(ctx, "unwatch 10.5555/b")
    assert sync_sets(ctx, everything=True) == "sets: 1 set listed, 0 new works joined"
    assert watched(ctx, "10.5555/a") and not watched(ctx, "10.5555/b")
    assert "prefix:10.5555 (1 work," in run(ctx, "list")
