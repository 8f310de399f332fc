"""`lookup` and `sources` in process, with sources pointed at a loopback fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from core.models import Count, Identifier, SourceResult
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from sources import build_sources
from sources.altmetric import Altmetric
from sources.base import Source
from sources.factory import HttpFactory
from storage import items, state
from storage.db import Store
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer

DATA = paths.DATA
DOI = "10.1371/journal.pone.0000030"


class NeedsKey(Source):
    name = "altmetric"
    label = "Altmetric"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    Settings = Altmetric.Settings
    needs = Altmetric.needs
    setup_note = Altmetric.setup_note


@pytest.fixture
def srv() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def live(fresh_store: Store, srv: FakeServer) -> Context:
    config = sources_config(
        urls={name: f"{srv.url}/{name}" for name in ("hackernews", "crossref", "datacite", "europepmc")}
        | {"wikipedia": f"{srv.url}/w/api.php"},
        wikipedia_langs=("en",),
        mastodon_servers=(f"{srv.url}/mastodon",),
        disabled=("europepmc", "mastodon"),
    )
    sources = build_sources(config)
    sources.append(NeedsKey(config, sources[0].http))
    return Context(store=fresh_store, sources=sources, options=Options(lookup_timeout=5))


def test_lookup_stores_an_unwatched_item_and_reports_nothing_found(live: Context, srv: FakeServer) -> None:
    srv.route("GET", "/w/api.php", json={"query": {"search": []}})
    srv.route("GET", "/hackernews/search_by_date", json={"hits": []})
    srv.route("GET", f"/crossref/works/{DOI}", body=(DATA / "crossref/work-cited.json").read_text(),
              content_type="application/json")
    reply = dispatch(live, f"lookup https://doi.org/{DOI}")
    assert reply.ok
    assert "Wikipedia: nothing found" in reply.text
    assert "DataCite: nothing found" in reply.text  # its 404 is "not a DataCite DOI"
    assert "Crossref: citations 42" in reply.text
    assert "Europe PMC" not in reply.text and "Altmetric" not in reply.text
    # Slack gets the same answer as blocks, with outside text escaped.
    assert reply.blocks and reply.blocks[0]["type"] == "header"
    assert any("*Crossref*: citations 42" in b.get("text", {}).get("text", "") for b in reply.blocks)
    assert items.find_item_id(live.store.db, Identifier(scheme="doi", value=DOI)) is not None


def test_lookup_without_a_source_for_the_scheme(live: Context) -> None:
    reply = dispatch(live, "lookup 978-0-306-40615-7")
    assert not reply.ok and "No configured source can be asked about ISBN identifiers" in reply.text


def test_lookup_rejects_bad_input(live: Context) -> None:
    reply = dispatch(live, "lookup 10.1234")
    assert not reply.ok and "is not a DOI" in reply.text
    assert "Give one identifier" in dispatch(live, "lookup").text


def test_sources_lists_health_and_setup(live: Context) -> None:
    with live.store.transaction() as db:
        state.record_success(db, "crossref")
        for _ in range(3):
            state.record_failure(db, "hackernews", "timed out after 10 s")
        state.set_next_run(db, "wikipedia", "2999-05-01T10:00:00+00:00")
    text = dispatch(live, "sources").text
    lines = {line.split(":")[0]: line for line in text.splitlines()}
    assert "next poll 2999-05-01 10:00 UTC" in lines["Wikipedia"]
    assert "last success 20" in lines["Crossref"]
    assert "resting after 3 failures in a row until" in lines["Hacker News"]
    assert "last error" in lines["Hacker News"] and "timed out after 10 s" in lines["Hacker News"]
    assert "switched off" in lines["Europe PMC"] and "ATTENTION_DISABLED_SOURCES" in lines["Europe PMC"]
    assert "not configured - set ALTMETRIC_API_KEY" in lines["Altmetric"]
    # A resting source is skipped by the polls until its rest is over.
    assert "asked again at the first poll after" in lines["Hacker News"]
    # Never scheduled: says what schedules it and how often.
    assert "next poll once `attention-bot run` is running (every 24 h)" in lines["Crossref"]


def test_sources_says_when_a_scheduled_poll_is_overdue(live: Context) -> None:
    with live.store.transaction() as db:
        state.set_next_run(db, "wikipedia", "2020-01-01T00:00:00+00:00")
        state.set_next_run(db, "crossref", "2999-01-01T00:00:00+00:00")
    live.options = live.options.model_copy(update={"poll_intervals": {"hackernews": 90}})
    lines = {line.split(":")[0]: line for line in dispatch(live, "sources").text.splitlines()}
    assert "next poll was due 2020-01-01 00:00 UTC: is `attention-bot run` running?" in lines["Wikipedia"]
    assert lines["Crossref"].endswith("next poll 2999-01-01 00:00 UTC")
    assert "(every 1.5 h)" in lines["Hacker News"]


def test_lookup_failures_leave_scheduled_poll_health_alone(live: Context, srv: FakeServer) -> None:
    srv.route("GET", "/w/api.php", json={"query": {"search": []}})
    srv.route("GET", "/hackernews/search_by_date", body=(DATA / "wikipedia/maintenance-page.html").read_text(),
              content_type="text/html")
    srv.route("GET", f"/crossref/works/{DOI}", json={"message": {}})
    for _ in range(4):
        assert "Hacker News: answered with an HTML page" in dispatch(live, f"lookup {DOI}").text
    # Each lookup asked it: someone's question never made it rest, nor shows as a poll failure.
    assert len(srv.requests_to("/hackernews/search_by_date")) >= 4
    line = next(x for x in dispatch(live, "sources").text.splitlines() if x.startswith("Hacker News"))
    assert "resting" not in line and "failure" not in line and "last error" not in line


def test_lookup_shows_a_resting_source(live: Context, srv: FakeServer) -> None:
    with live.store.transaction() as db:
        for _ in range(3):
            state.record_failure(db, "crossref", "is unavailable (HTTP 503)")
    srv.route("GET", "/w/api.php", json={"query": {"search": []}})
    srv.route("GET", "/hackernews/search_by_date", json={"hits": []})
    reply = dispatch(live, f"lookup {DOI}")
    assert "Crossref: resting after 3 failures in a row" in reply.text
    assert not srv.requests_to(f"/crossref/works/{DOI}")


class Hangs(Source):
    name = "hangs"
    label = "Hangs"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})

    release = threading.Event()
    answered = threading.Event()

    def lookup(self, identifier: Identifier) -> SourceResult:
        self.release.wait(30)  # a source that never answers within any sane time
        self.answered.set()
        return SourceResult(source=self.name)


class Quick(Source):
    name = "quick"
    label = "Quick"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})

    def lookup(self, identifier: Identifier) -> SourceResult:
        return SourceResult(source=self.name, counts=(Count(source=self.name, metric="citations", value=7),))


def test_whole_lookup_ends_in_its_time_bound_whatever_a_source_does(fresh_store: Store) -> None:
    config = sources_config()
    http = HttpFactory(config)
    ctx = Context(store=fresh_store, sources=[Hangs(config, http), Quick(config, http)], options=Options(lookup_timeout=0.5))
    Hangs.release.clear()
    Hangs.answered.clear()
    try:
        reply = dispatch(ctx, f"lookup {DOI}")
        # The reply came while the source was still hanging: bounded by lookup_timeout.
        assert not Hangs.answered.is_set()
    finally:
        Hangs.release.set()
    assert "Hangs: timed out after 0.5 s" in reply.text
    assert "Quick: citations 7" in reply.text
    assert "1 of 2 sources answered" in reply.text


def test_sources_names_channels_that_stopped_getting_alerts(ctx: Context) -> None:
    from storage.watches import set_channel_active

    with ctx.store.transaction() as db:
        set_channel_active(db, "C0GONE", False, "channel_not_found")
    text = dispatch(ctx, "sources").text
    assert "Channels not getting alerts" in text and "C0GONE (channel_not_found)" in text
