"""End to end: a fake Wikipedia links to a fake landing page whose tags carry a Handle; one
domain poll files the mention under the watched item with that Handle."""

from __future__ import annotations

import pytest

from core.identifiers import parse_identifier
from handlers.context import Context
from handlers.polling.domains import distinct_targets
from handlers.router import dispatch
from sources.factory import HttpFactory
from sources.wikipedia import Wikipedia
from storage import items, watches
from storage.mentions import mentions_of
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer
from tests.fakes.polls import poll_sites

DATA = paths.DATA


@pytest.fixture
def landing() -> FakeServer:
    srv = FakeServer().start()
    srv.route("GET", "/handle/1794/22871", body=(DATA / "landing" / "dspace6.html").read_bytes(),
              content_type="text/html; charset=utf-8")
    yield srv
    srv.stop()


@pytest.fixture
def wiki(landing: FakeServer) -> FakeServer:
    srv = FakeServer().start()
    srv.route("GET", "/w/api.php", json={
        "batchcomplete": True,
        "query": {"exturlusage": [
            {"pageid": 4242, "ns": 0, "title": "Salt marsh", "url": f"{landing.url}/handle/1794/22871?show=full"},
            {"pageid": 4243, "ns": 0, "title": "Wetland", "url": f"{landing.url}/handle/1794/22871?show=full"},
            {"pageid": 9, "ns": 0, "title": "Elsewhere", "url": "https://other.example.org/x"},
        ]},
    })
    yield srv
    srv.stop()


def wikipedia_source(wiki: FakeServer) -> Wikipedia:
    config = sources_config(urls={"wikipedia": f"{wiki.url}/w/api.php"}, wikipedia_langs=("en",))
    return Wikipedia(config, HttpFactory(config, sleep=lambda s: None))


def test_a_wikipedia_link_to_the_landing_page_counts_for_the_watched_handle(
    ctx: Context, wiki: FakeServer, landing: FakeServer
) -> None:
    host = landing.url.removeprefix("http://")
    ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
    assert dispatch(ctx, "watch hdl:1794/22871", channel="C1").ok
    assert dispatch(ctx, f"watch domain {host}", channel="C1").ok
    handle_item = items.find_item_id(ctx.store.db, parse_identifier("hdl:1794/22871"))

    found = poll_sites(ctx, wikipedia_source(wiki))

    assert [item for item, _ in found] == [handle_item]
    (_, new), = found
    assert sorted((m.title, m.site) for m in new) == [("Salt marsh", "en.wikipedia"), ("Wetland", "en.wikipedia")]
    assert len(mentions_of(ctx.store.db, handle_item)) == 2
    # The page's URL is now an alias of the Handle's item: links by URL count for it too.
    item = items.get_item(ctx.store.db, handle_item)
    assert item is not None and f"url:https://{host}/handle/1794/22871?show=full" in [i.key for i in item.identifiers]
    # One question per domain, one fetch per distinct link (the poll also searched for the
    # watched Handle itself, as it does for every watched identifier).
    by_domain = [r for r in wiki.requests if r.query.get("list") == ["exturlusage"]]
    assert len(by_domain) == 1 and by_domain[0].query["euquery"] == [host]
    assert len(landing.requests) == 1

    again = poll_sites(ctx, wikipedia_source(wiki))
    assert again == []  # nothing new; the landing page came from the cache
    assert len(landing.requests) == 1


def test_an_item_found_only_through_the_domain_is_watched_in_its_collection(
    ctx: Context, wiki: FakeServer, landing: FakeServer
) -> None:
    host = landing.url.removeprefix("http://")
    ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
    dispatch(ctx, f"watch domain {host}/handle collection=marsh", channel="C2")
    found = poll_sites(ctx, wikipedia_source(wiki))
    assert len(found) == 1
    listed = watches.list_watches(ctx.store.db, "C2", collection="marsh")
    assert [w.item.title for w in listed] == ["Salt marsh vegetation survey, 2016 field season"]
    assert "handle:1794/22871" in [i.key for i in listed[0].item.identifiers]


def test_a_landing_page_on_a_private_address_is_not_fetched_but_the_link_still_counts(
    ctx: Context, wiki: FakeServer, landing: FakeServer
) -> None:
    host = landing.url.removeprefix("http://")
    dispatch(ctx, f"watch domain {host}", channel="C1")  # no allow_hosts: loopback is refused
    found = poll_sites(ctx, wikipedia_source(wiki))
    assert landing.requests == []
    (item_id, new), = found
    item = items.get_item(ctx.store.db, item_id)
    assert item is not None and [i.scheme for i in item.identifiers] == ["url"]
    assert len(new) == 2


def test_nested_targets_are_asked_once() -> None:
    assert distinct_targets(["repo.example.edu/handle", "repo.example.edu", "other.example.org", "repo.example.edu"]) == [
        "repo.example.edu", "other.example.org"
    ]
