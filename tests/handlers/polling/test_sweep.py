"""A poll sweeps watched DOIs in lists (handlers.polling.sweep): a few requests for thousands of
works, counts and alerts exactly as one lookup each would give, a work missing from a list is
not read as zero; and a source asked one work at a time asks those asked longest ago first when
its rate does not allow them all in one poll."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import Identifier
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import run_poll
from handlers.polling.sweep import sweeps
from handlers.router import dispatch
from sources.base import Source
from storage import counts, open_store, outbox, polls, watches
from tests.fakes.http import FakeServer, canned
from tests.fakes.registries import Registries, Work
from tests.fakes.scripted_source import ScriptedSource


@pytest.fixture
def registries() -> Iterator[Registries]:
    with FakeServer() as srv:
        yield Registries(srv)


@pytest.fixture
def ctx(registries: Registries, tmp_path: Path) -> Iterator[Context]:
    context = registries.context(open_store(tmp_path / "sweep.db"))
    yield context
    context.store.close()


def source(ctx: Context, name: str) -> Source:
    found = ctx.source(name)
    assert found is not None
    return found


def watch(ctx: Context, *dois: str, channel: str = "C1") -> None:
    with ctx.store.transaction() as db:
        for doi in dois:
            watches.watch_item(db, channel, [Identifier(scheme="doi", value=doi)])


def cited(ctx: Context, doi: str, name: str = "crossref") -> float | None:
    item = watches.get_watched_item(ctx.store.db, "C1", Identifier(scheme="doi", value=doi))
    assert item is not None
    return counts.latest(ctx.store.db, item.id, name, "citations")


def test_thousands_of_dois_under_a_prefix_are_swept_in_a_few_requests(ctx: Context, registries: Registries) -> None:
    registries.add(*(Work(f"10.5555/w.{i:04d}", citations=i % 7) for i in range(2500)))
    registries.add(Work("10.5555/unwatched", citations=99))
    watched = [f"10.5555/w.{i:04d}" for i in range(2500)] + ["10.5555/not-in-crossref"]
    watch(ctx, *watched)
    seen: list[tuple[int, int]] = []
    report = run_poll(ctx, source(ctx, "crossref"), progress=lambda d, t: seen.append((d, t)))
    assert registries.calls("crossref") == 3  # 2,501 works of one prefix: three pages, not 2,501 lookups
    assert report.swept == 2500 and report.baselines == 2500 and report.failures == ()
    assert report.items == 2501 and seen[-1] == (2501, 2501)
    assert cited(ctx, "10.5555/w.0006") == 6.0 and cited(ctx, "10.5555/w.0007") == 0.0
    # Missing from the list: no count at all, not a zero (and no lookup of its own either).
    assert cited(ctx, "10.5555/not-in-crossref") is None
    assert not any("/works/10.5555" in r.path for r in registries.server.requests)


def test_a_rise_in_a_list_alerts_exactly_as_a_lookup_would(ctx: Context, registries: Registries) -> None:
    works = [Work(f"10.5555/w.{i}", title=f"Paper {i}", citations=3) for i in range(120)]
    registries.add(*works)
    watch(ctx, *(w.doi or "" for w in works))
    crossref = source(ctx, "crossref")
    first = run_poll(ctx, crossref)
    assert first.alerts == 0 and first.baselines == 120  # the first poll is the baseline
    works[7].citations = 5
    second = run_poll(ctx, crossref)
    assert second.alerts == 1 and second.baselines == 0
    (row,) = outbox.due(ctx.store.db)
    assert row.channel == "C1" and row.payload["identifier"] == "10.5555/w.7"
    assert row.payload["counts"] == [{"source": "crossref", "metric": "citations", "before": 3.0, "after": 5.0}]
    works[7].citations = None  # gone from the next answer: nothing is stored, nothing alerts
    third = run_poll(ctx, crossref)
    assert third.alerts == 0 and cited(ctx, "10.5555/w.7") == 5.0


def test_a_big_prefix_with_few_works_watched_is_asked_by_doi_after_one_page(
    ctx: Context, registries: Registries
) -> None:
    registries.add(*(Work(f"10.1016/big.{i:05d}", citations=1) for i in range(5000)))
    watched = [f"10.1016/big.{i:05d}" for i in range(0, 5000, 50)]  # 100 of 5,000
    watch(ctx, *watched)
    report = run_poll(ctx, source(ctx, "crossref"))
    # Page 1 says the prefix holds 5,000 works: 4 more pages, or 2 requests naming the 98 left.
    assert registries.calls("crossref") == 1 + math.ceil(98 / 50)
    assert report.swept == 100 and all(cited(ctx, d) == 1.0 for d in watched)


def test_a_prefix_of_one_watched_doi_is_asked_in_a_list_of_dois(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.1111/a", citations=2), Work("10.2222/b", citations=3), Work("10.3333/c", citations=4))
    watch(ctx, "10.1111/a", "10.2222/b", "10.3333/c")
    run_poll(ctx, source(ctx, "crossref"))
    (req,) = registries.server.requests  # three prefixes, one request
    assert req.path == "/crossref/works" and req.query["filter"] == ["doi:10.1111/a,doi:10.2222/b,doi:10.3333/c"]
    assert [cited(ctx, d) for d in ("10.1111/a", "10.2222/b", "10.3333/c")] == [2.0, 3.0, 4.0]


def test_datacite_lists_a_prefix_and_asks_a_lone_doi_by_itself(ctx: Context, registries: Registries) -> None:
    registries.add(*(Work(f"10.70000/d.{i}", agency="datacite", citations=2) for i in range(30)))
    registries.server.route("GET", "/datacite/dois/10.80000/lone", json={
        "data": {"id": "10.80000/lone", "attributes": {"citationCount": 9}}})
    watch(ctx, *(f"10.70000/d.{i}" for i in range(30)), "10.80000/lone")
    report = run_poll(ctx, source(ctx, "datacite"))
    paths = sorted(r.path for r in registries.server.requests)
    assert paths == ["/datacite/dois", "/datacite/dois/10.80000/lone"]
    assert report.swept == 30 and cited(ctx, "10.70000/d.3", "datacite") == 2.0
    assert cited(ctx, "10.80000/lone", "datacite") == 9.0


def test_a_failing_list_is_reported_and_never_stops_the_other_prefixes(ctx: Context, registries: Registries) -> None:
    registries.add(*(Work(f"10.5555/a.{i}", citations=1) for i in range(60)))
    registries.add(*(Work(f"10.6666/b.{i}", citations=2) for i in range(60)))
    watch(ctx, *(f"10.5555/a.{i}" for i in range(60)), *(f"10.6666/b.{i}" for i in range(60)))
    calls = {"n": 0}
    answer = registries._crossref

    def flaky(req):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return canned(status=400, json={"status": "failed"}) if "10.5555" in req.path else answer(req)

    registries.server.route_fn("GET", "/crossref/prefixes/10.5555/works", flaky)
    report = run_poll(ctx, source(ctx, "crossref"))
    assert [f.target for f in report.failures] == ["prefix 10.5555"]
    assert "rejected the request (HTTP 400)" in report.failures[0].error
    assert cited(ctx, "10.5555/a.1") is None and cited(ctx, "10.6666/b.1") == 2.0


def test_an_item_with_two_dois_is_asked_one_doi_at_a_time(ctx: Context, registries: Registries) -> None:
    registries.add(*(Work(f"10.5555/w.{i}") for i in range(60)))
    registries.server.route("GET", "/crossref/works/10.5555/w.1", json={"message": {"is-referenced-by-count": 8}})
    registries.server.route("GET", "/crossref/works/10.9999/w.1-copy", json={"message": {"is-referenced-by-count": 6}})
    watch(ctx, *(f"10.5555/w.{i}" for i in range(60)))
    with ctx.store.transaction() as db:
        item = watches.get_watched_item(db, "C1", Identifier(scheme="doi", value="10.5555/w.1"))
        assert item is not None
        watches.watch_item(db, "C1", [item.identifiers[0], Identifier(scheme="doi", value="10.9999/w.1-copy")])
    run_poll(ctx, source(ctx, "crossref"))
    assert cited(ctx, "10.5555/w.1") == 8.0  # the larger of its two DOIs' counts, as a lookup gives
    assert {r.path for r in registries.server.requests} >= {"/crossref/works/10.5555/w.1", "/crossref/works/10.9999/w.1-copy"}


def test_europe_pmc_looks_up_the_citing_works_of_a_work_whose_count_rose(ctx: Context, registries: Registries) -> None:
    works = [Work(f"10.5555/e.{i}", citations=1) for i in range(3)]
    registries.add(*works)
    watch(ctx, *(w.doi or "" for w in works))
    europepmc = source(ctx, "europepmc")
    run_poll(ctx, europepmc)
    works[1].citations = 2
    registries.server.route("GET", "/europepmc/MED/40000001/citations", json={  # works[1]
        "hitCount": 2, "citationList": {"citation": [{"id": "123", "source": "MED", "title": "A citing paper"}]}})
    report = run_poll(ctx, europepmc)
    assert report.alerts == 1
    (row,) = outbox.due(ctx.store.db)
    assert [m["title"] for m in row.payload["mentions"]] == ["A citing paper"]
    assert row.payload["counts"][0]["after"] == 2.0
    searches = [r for r in registries.server.requests if r.path == "/europepmc/search"]
    assert len(searches) == 3  # two sweeps of one request each, one lookup of the risen work


def test_sources_asked_one_work_at_a_time_do_not_sweep(ctx: Context) -> None:
    assert [s.name for s in ctx.sources if sweeps(s)] == ["crossref", "datacite", "europepmc", "openalex"]
    assert not sweeps(ScriptedSource())


def test_a_source_that_cannot_ask_every_work_in_one_poll_asks_the_longest_unasked_first(tmp_path: Path) -> None:
    scripted = ScriptedSource()  # 1 request a second; polled every minute: 48 works a poll
    ctx = Context(store=open_store(tmp_path / "paced.db"), sources=[scripted],
                  options=Options(poll_intervals={"scripted": 1}))
    watch(ctx, *(f"10.5555/p.{i:03d}" for i in range(100)))
    def asked(numbers: range | list[int]) -> set[str]:
        return {f"doi:10.5555/p.{i:03d}" for i in numbers}

    first = run_poll(ctx, scripted)
    assert set(scripted.asked) == asked(range(48)) and first.unasked == 52
    assert "52 left for the next polls" in first.summary()
    scripted.asked.clear()
    run_poll(ctx, scripted)
    assert set(scripted.asked) == asked(range(48, 96))
    scripted.asked.clear()
    run_poll(ctx, scripted)
    # The four never asked, then those asked longest ago (the first poll's).
    assert set(scripted.asked) == asked([96, 97, 98, 99, *range(44)])
    assert polls.has_baseline(ctx.store.db, 1, "scripted")
    reply = dispatch(ctx, "sources", channel="C1")
    assert "100 one at a time: a round takes 2 min at 1 requests/s, over 3 polls" in reply.text


def test_a_doi_holding_a_comma_is_never_split_in_a_list_of_dois(ctx: Context, registries: Registries) -> None:
    registries.add(Work("10.1111/a", citations=2))
    registries.server.route("GET", "/crossref/works/10.1000/a%2Cb", json={"message": {"is-referenced-by-count": 5}})
    watch(ctx, "10.1111/a", "10.1000/a,b")
    run_poll(ctx, source(ctx, "crossref"))
    lists = [r.query["filter"][0] for r in registries.server.requests if r.path == "/crossref/works"]
    assert lists == ["doi:10.1111/a"]  # `doi:10.1000/a,b` would read as two filters
    assert cited(ctx, "10.1000/a,b") == 5.0 and cited(ctx, "10.1111/a") == 2.0
