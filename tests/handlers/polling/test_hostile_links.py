"""Links anyone can post never stop a domain poll: a feed linking one bad URL of each kind and
one good page still files the good mention; the bad ones are named, and not fetched again."""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape

import pytest

from core.identifiers import parse_identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from sources.factory import HttpFactory
from sources.feeds import Feeds
from storage import items
from storage.mentions import mentions_of
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer


@pytest.fixture
def site() -> Iterator[FakeServer]:
    """The watched web site: one good landing page (a Handle in its tags) and one whose
    redirect leads nowhere usable."""
    with FakeServer() as srv:
        srv.route("GET", "/handle/1794/22871", body=(paths.DATA / "landing" / "dspace6.html").read_bytes(),
                  content_type="text/html; charset=utf-8")
        srv.route("GET", "/moved", status=302, headers={"Location": "http://[bad/"})
        yield srv


def bad_links(site: FakeServer) -> dict[str, str]:
    return {
        "nul": f"{site.url}/item/a\x00b",
        "del": f"{site.url}/item/a\x7fb",
        "long": f"{site.url}/item/" + "x" * 70_000,
        "bad redirect": f"{site.url}/moved",
    }


def feed_linking(links: list[str]) -> bytes:
    # Characters XML cannot carry raw go in as character references; feedparser reads them back.
    def ref(url: str) -> str:
        return "".join(f"&#{ord(c)};" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in escape(url))

    entries = "".join(
        f"<item><title>Post {n}</title><guid>post-{n}</guid><link>{ref(url)}</link></item>"
        for n, url in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{entries}</channel></rss>'.encode()


@pytest.fixture
def blog(site: FakeServer) -> Iterator[FakeServer]:
    links = [*bad_links(site).values(), f"{site.url}/handle/1794/22871"]
    with FakeServer() as srv:
        srv.route("GET", "/feed.xml", body=feed_linking(links), content_type="application/rss+xml")
        yield srv


def test_bad_links_are_named_and_left_out_and_the_good_one_is_filed(
    ctx: Context, site: FakeServer, blog: FakeServer
) -> None:
    host = site.url.removeprefix("http://")
    ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
    assert dispatch(ctx, "watch hdl:1794/22871", channel="C1").ok
    assert dispatch(ctx, f"watch domain {host}", channel="C1").ok
    config = sources_config(feeds=(blog.url + "/feed.xml",))
    feeds = Feeds(config, HttpFactory(config, sleep=lambda s: None))

    report = run_poll(ctx, feeds)

    handle_item = items.find_item_id(ctx.store.db, parse_identifier("hdl:1794/22871"))
    assert handle_item is not None
    assert [(m.title, m.site) for m in mentions_of(ctx.store.db, handle_item)] == [("Post 4", "Blog")]
    # Each bad link is named (shortened, escaped) with what is wrong with it.
    named = {bad.target: bad.error for bad in report.bad_links}
    assert len(named) == 4
    assert any("\\x00" in link and "control character" in why for link, why in named.items())
    assert any("\\x7f" in link and "control character" in why for link, why in named.items())
    assert any("70,0" in why and len(link) <= 120 for link, why in named.items())
    assert any(link.endswith("/moved") and "redirected to" in why for link, why in named.items())
    assert "4 links not read" in report.summary()
    assert len(site.requests_to("/moved")) == 1
    assert len(site.requests_to("/handle/1794/22871")) == 1
    assert {r.path for r in site.requests} == {"/moved", "/handle/1794/22871"}  # nothing else tried

    # The next poll reads the cache: neither the good nor the bad page is fetched again.
    again = run_poll(ctx, Feeds(config, HttpFactory(config, sleep=lambda s: None)))
    assert again.new_mentions == 0
    assert len(site.requests) == 2
    assert len(blog.requests_to("/feed.xml")) == 2  # the feed itself is asked every poll


def test_check_says_what_is_wrong_with_a_bad_url(ctx: Context) -> None:
    for url, why in [
        ("https://repo.example.edu/a\x7fb", "control character '\\x7f'"),
        ("https://repo.example.edu/" + "a" * 70_000, "links over 65,536 are not fetched"),
        ("http://[bad/", "is not a valid web address"),
    ]:
        reply = dispatch(ctx, f"check {url}")
        assert not reply.ok
        assert why in reply.text and "Something went wrong" not in reply.text
        assert len(reply.text) < 500
