"""The poll job end to end with real sources on loopback fakes: domain watches alert, counts
of an item's aliases are merged, feed validators survive a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.identifiers import parse_identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from sources.altmetric import Altmetric
from sources.factory import HttpFactory
from sources.feeds import Feeds
from sources.wikipedia import Wikipedia
from storage import counts, outbox, state, watches
from storage.db import open_store
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import Canned, FakeServer, Recorded, canned

DATA = paths.DATA
DOI = parse_identifier("10.1234/abc")
HANDLE = parse_identifier("hdl:1794/22871")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def pending(ctx: Context) -> list[outbox.OutboxRow]:
    return list(outbox.due(ctx.store.db))


# --- 1. domain watches alert ---
class FakeWiki:
    """A Wikipedia whose list of articles linking to the domain grows between polls."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.links: list[tuple[int, str, str]] = []
        server.route_fn("GET", "/w/api.php", self.respond)

    def respond(self, rec: Recorded) -> Canned:
        if rec.query.get("list") == ["exturlusage"]:
            rows = [{"pageid": p, "ns": 0, "title": t, "url": u} for p, t, u in self.links]
            return canned(json={"batchcomplete": True, "query": {"exturlusage": rows}})
        return canned(json={"batchcomplete": True, "query": {"search": []}})

    def source(self) -> Wikipedia:
        config = sources_config(urls={"wikipedia": f"{self.server.url}/w/api.php"}, wikipedia_langs=("en",))
        return Wikipedia(config, HttpFactory(config, sleep=lambda s: None))


def test_a_new_wikipedia_article_linking_under_a_watched_domain_alerts_once(
    ctx: Context, server: FakeServer
) -> None:
    landing = FakeServer().start()
    try:
        landing.route("GET", "/handle/1794/22871", body=(DATA / "landing" / "dspace6.html").read_bytes(),
                      content_type="text/html; charset=utf-8")
        host = landing.url.removeprefix("http://")
        ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
        assert dispatch(ctx, f"watch domain {host}", channel="C1").ok
        wiki = FakeWiki(server)
        source = wiki.source()
        page = f"{landing.url}/handle/1794/22871"
        wiki.links = [(4242, "Salt marsh", page)]

        first = run_poll(ctx, source)
        assert first.new_mentions == 1 and first.alerts == 0  # the baseline: already out there
        assert pending(ctx) == []

        wiki.links.append((4243, "Wetland", page))
        second = run_poll(ctx, source)
        assert second.new_mentions == 1 and second.alerts == 1
        (row,) = pending(ctx)
        assert row.channel == "C1"
        assert [m["title"] for m in row.payload["mentions"]] == ["Wetland (en.wikipedia)"]
        assert row.payload["title"] == "Salt marsh vegetation survey, 2016 field season"

        third = run_poll(ctx, source)
        assert third.new_mentions == 0 and third.alerts == 0 and len(pending(ctx)) == 1
    finally:
        landing.stop()


def test_a_domain_already_watched_alerts_about_a_newly_linked_page_under_it(
    ctx: Context, server: FakeServer
) -> None:
    host = "repo.example.edu"
    assert dispatch(ctx, f"watch domain {host}", channel="C1").ok  # no allow_hosts: not fetched
    wiki = FakeWiki(server)
    source = wiki.source()
    wiki.links = [(1, "Old article", f"https://{host}/item/1")]
    assert run_poll(ctx, source).alerts == 0
    wiki.links.append((2, "New article", f"https://{host}/item/2"))
    assert run_poll(ctx, source).alerts == 1
    (row,) = pending(ctx)
    assert row.payload["identifier"].endswith("/item/2")


# --- 2. counts of an item's aliases are merged ---
def altmetric(server: FakeServer) -> Altmetric:
    config = sources_config(urls={"altmetric": server.url}, altmetric_api_key="k")
    return Altmetric(config, HttpFactory(config, sleep=lambda s: None))


def test_altmetric_attention_split_between_doi_and_handle_is_summed(
    ctx: Context, server: FakeServer
) -> None:
    server.route("GET", "/doi/10.1234/abc", json={"score": 10, "cited_by_posts_count": 3})
    server.route("GET", "/handle/1794/22871", json={"score": 4, "cited_by_posts_count": 1})
    source = altmetric(server)
    ctx.sources = [source]
    with ctx.store.transaction() as db:
        item_id = watches.watch_item(db, "C1", [DOI, HANDLE], title="A paper")[0]
    run_poll(ctx, source)
    assert counts.latest(ctx.store.db, item_id, "altmetric", "score") == 14
    assert counts.latest(ctx.store.db, item_id, "altmetric", "posts") == 4

    again = run_poll(ctx, source)
    assert again.alerts == 0 and pending(ctx) == []
    rows = ctx.store.db.execute("SELECT count(*) FROM counts WHERE metric = 'score'").fetchone()[0]
    assert rows == 1  # no flip between 10 and 4

    # A lookup by one alias shows that alias's number but does not overwrite the item's sum.
    reply = dispatch(ctx, "lookup 10.1234/abc")
    assert "score 10" in reply.text
    assert counts.latest(ctx.store.db, item_id, "altmetric", "score") == 14
    assert run_poll(ctx, source).alerts == 0

    server.route("GET", "/handle/1794/22871", json={"score": 6, "cited_by_posts_count": 1})
    rose = run_poll(ctx, source)
    assert rose.alerts == 1
    (row,) = pending(ctx)
    assert {"source": "altmetric", "metric": "score", "before": 14.0, "after": 16.0} in row.payload["counts"]


def test_an_alias_that_failed_does_not_record_half_the_attention(ctx: Context, server: FakeServer) -> None:
    server.route("GET", "/doi/10.1234/abc", json={"score": 10})
    server.route("GET", "/handle/1794/22871", json={"score": 4})
    source = altmetric(server)
    with ctx.store.transaction() as db:
        item_id = watches.watch_item(db, "C1", [DOI, HANDLE])[0]
    run_poll(ctx, source)
    server.route("GET", "/handle/1794/22871", status=500, body="oops")
    report = run_poll(ctx, source)
    assert [f.target for f in report.failures] == [HANDLE.key]
    assert counts.latest(ctx.store.db, item_id, "altmetric", "score") == 14  # not a drop to 10


# --- 3. feed validators survive a restart ---
def test_a_restarted_bot_sends_the_stored_etag_and_a_304_is_quiet(tmp_path: Path, server: FakeServer) -> None:
    body = (DATA / "feeds" / "rss-blog.xml").read_bytes()

    def respond(rec: Recorded) -> Canned:
        if rec.headers.get("if-none-match") == '"v1"':
            return canned(status=304)
        return canned(body=body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    server.route_fn("GET", "/feed", respond)
    config = sources_config(feeds=(server.url + "/feed",))
    path = tmp_path / "restart.db"

    def process() -> tuple[Context, Feeds]:
        ctx = Context(store=open_store(path))
        return ctx, Feeds(config, HttpFactory(config, sleep=lambda s: None))

    first_ctx, first_feeds = process()
    with first_ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [parse_identifier("10.5555/attn.2026.001")])
    assert run_poll(first_ctx, first_feeds).new_mentions == 3
    assert state.url_validators(first_ctx.store.db, "feeds") == {server.url + "/feed": ('"v1"', None)}
    first_ctx.store.close()

    ctx, feeds = process()
    report = run_poll(ctx, feeds)
    assert server.requests_to("/feed")[-1].headers.get("if-none-match") == '"v1"'
    assert len(server.requests_to("/feed")) == 2
    assert report.new_mentions == 0 and report.failures == () and report.alerts == 0
    assert state.get_state(ctx.store.db, "feeds").last_error is None
    ctx.store.close()
