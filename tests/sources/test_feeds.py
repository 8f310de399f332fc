"""Blog and news feeds: entries naming an item, conditional GET, bozo feeds, one broken feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.identifiers import parse_identifier
from sources.errors import BadResponse
from sources.factory import HttpFactory
from sources.feeds import (
    CACHE_SECONDS,
    Feeds,
    entry_domain_mentions,
    entry_mentions,
    parse_feed,
    split_feed,
)
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import Canned, FakeServer, Recorded, canned

DATA = paths.DATA / "feeds"
DOI = parse_identifier("10.5555/attn.2026.001")
ATLAS = parse_identifier("https://repository.example.edu/items/harbour-atlas")
RSS = "application/rss+xml; charset=utf-8"


def read(name: str) -> tuple[str | None, list]:  # type: ignore[type-arg]
    return parse_feed((DATA / name).read_bytes(), url=f"https://feeds.test/{name}")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def make(feeds: list[str], clock: Clock | None = None) -> Feeds:
    config = sources_config(feeds=tuple(feeds))
    return Feeds(config, HttpFactory(config, sleep=lambda s: None), clock=clock or Clock())


# --- parsing ---
def test_rss_entries_naming_the_doi_in_any_form() -> None:
    title, entries = read("rss-blog.xml")
    found = entry_mentions(entries, DOI, feed_url="https://notes.example.org/feed/", feed_title=title)
    assert [m.url for m in found] == [
        "https://notes.example.org/2026/05/harbour-maps/",  # doi.org link, upper case
        "https://notes.example.org/2026/05/reading-list/",  # doi:10.5555/... in text
        "https://publisher.example.com/article/info%3Adoi%2F10.5555%2Fattn.2026.001",  # encoded
    ]  # and not the entry citing 10.5555/attn.2026.0012 or ...001-supplement
    first = found[0]
    assert (first.title, first.site) == ("Maps of the old harbour, now online", "Library Science Notes")
    assert first.kind == "blog" and first.occurred_at is not None
    assert first.occurred_at.isoformat() == "2026-05-05T09:30:00+00:00"
    assert first.api_url == "https://notes.example.org/feed/"


def test_handles_bare_and_as_links() -> None:
    _, entries = read("rss-blog.xml")
    for handle in ("hdl:2027/abc.123", "hdl:1811/77000"):
        found = entry_mentions(entries, parse_identifier(handle), feed_url="f")
        assert [m.url for m in found] == ["https://notes.example.org/2026/05/reading-list/"]


def test_atom_entry_with_related_link_and_html_summary() -> None:
    title, entries = read("atom-news.xml")
    assert title == "Campus News"
    assert [m.url for m in entry_mentions(entries, DOI, feed_url="f", kind="news")] == [
        "https://news.example.edu/2026/05/10/harbour-atlas"
    ]
    assert [m.kind for m in entry_mentions(entries, ATLAS, feed_url="f", kind="news")] == ["news"]


def test_domain_gives_each_linked_url_under_the_prefix() -> None:
    _, entries = read("rss-blog.xml")
    found = entry_domain_mentions(entries, "repository.example.edu/items", feed_url="f")
    assert [m.identifier.value for m in found if m.identifier] == [
        "https://repository.example.edu/items/harbour-atlas?view=full"
    ]  # .../itemsarchive/9 is not under /items


def test_bozo_feed_with_entries_is_used() -> None:
    _, entries = read("bozo-with-entries.xml")
    assert [m.url for m in entry_mentions(entries, DOI, feed_url="f")] == [
        "https://sloppy.example.net/posts/atlas"
    ]


def test_empty_feed_has_no_entries_and_is_not_an_error() -> None:
    assert read("empty-rss.xml") == ("Quiet Blog", [])


def test_html_page_with_200_is_not_a_feed() -> None:
    with pytest.raises(BadResponse, match="not an RSS or Atom feed"):
        read("html-200.html")


def test_recorded_researchblogging_xml_is_not_a_feed(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "blogs/researchblogging-search-lagotto.xml").read_bytes()
    with pytest.raises(BadResponse, match="not an RSS or Atom feed"):
        parse_feed(body, url="https://researchblogging.test/")


def test_recorded_wordpress_json_is_a_bozo_without_entries(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "blogs/wordpress-search-lagotto.json").read_bytes()
    with pytest.raises(BadResponse, match="not a readable RSS or Atom feed"):
        parse_feed(body, url="https://wordpress.test/", headers={"Content-Type": "application/json"})


def test_feed_spec_may_say_news() -> None:
    assert split_feed("news:https://news.example.edu/feed") == ("news", "https://news.example.edu/feed")
    assert split_feed("https://blog.example.org/rss") == ("blog", "https://blog.example.org/rss")


# --- fetching ---
def test_conditional_get_sends_validators_and_304_keeps_old_entries(server: FakeServer) -> None:
    body = (DATA / "rss-blog.xml").read_bytes()

    def respond(rec: Recorded) -> Canned:
        if rec.headers.get("if-none-match") == '"v1"':
            return canned(status=304)
        return canned(body=body, content_type=RSS,
                      headers={"ETag": '"v1"', "Last-Modified": "Tue, 05 May 2026 10:00:00 GMT"})

    server.route_fn("GET", "/feed", respond)
    clock = Clock()
    source = make([server.url + "/feed"], clock)
    assert len(source.lookup(DOI).mentions) == 3
    assert source.validators() == {server.url + "/feed": ('"v1"', "Tue, 05 May 2026 10:00:00 GMT")}
    clock.now += CACHE_SECONDS + 1
    assert len(source.lookup(DOI).mentions) == 3  # 304: nothing new, the same entries stand
    second = server.requests_to("/feed")[1]
    assert second.headers["if-none-match"] == '"v1"'
    assert second.headers["if-modified-since"] == "Tue, 05 May 2026 10:00:00 GMT"


def test_remembered_validators_are_sent_on_the_first_fetch(server: FakeServer) -> None:
    server.route("GET", "/feed", status=304)
    source = make([server.url + "/feed"])
    source.remember_validators({server.url + "/feed": ('"kept"', None)})
    assert source.lookup(DOI).mentions == ()
    assert server.requests_to("/feed")[0].headers["if-none-match"] == '"kept"'


def test_one_poll_fetches_each_feed_once(server: FakeServer) -> None:
    server.route("GET", "/feed", body=(DATA / "rss-blog.xml").read_bytes(), content_type=RSS)
    source = make([server.url + "/feed"])
    source.lookup(DOI)
    source.lookup(parse_identifier("hdl:2027/abc.123"))
    source.lookup_domain("repository.example.edu")
    assert len(server.requests_to("/feed")) == 1


def test_a_broken_feed_does_not_hide_the_others(server: FakeServer) -> None:
    server.route("GET", "/good", body=(DATA / "atom-news.xml").read_bytes(), content_type="application/atom+xml")
    server.route("GET", "/html", body=(DATA / "html-200.html").read_bytes(), content_type="text/html")
    source = make([server.url + "/html", "news:" + server.url + "/good"])
    result = source.lookup(DOI)
    assert [(m.url, m.kind) for m in result.mentions] == [
        ("https://news.example.edu/2026/05/10/harbour-atlas", "news")
    ]


def test_every_feed_failing_is_an_error(server: FakeServer) -> None:
    server.route("GET", "/html", body=(DATA / "html-200.html").read_bytes(), content_type="text/html")
    source = make([server.url + "/html", server.url + "/missing"])
    with pytest.raises(BadResponse, match="1 more feeds failed"):
        source.lookup(DOI)


def test_a_hanging_feed_is_fetched_once_per_poll_not_once_per_item(server: FakeServer, tmp_path: Path) -> None:
    from handlers.context import Context
    from handlers.polling.poll import run_poll
    from storage import open_store, watches

    server.route("GET", "/hangs", body="<rss/>", content_type=RSS, delay=30)
    config = sources_config(feeds=(server.url + "/hangs",), timeout=0.5)
    source = Feeds(config, HttpFactory(config, sleep=lambda s: None))
    ctx = Context(store=open_store(tmp_path / "a.db"))
    with ctx.store.transaction() as db:
        for n in range(6):
            watches.watch_item(db, "C1", [parse_identifier(f"10.5555/hang.{n}")])
    report = run_poll(ctx, source)
    ctx.store.close()
    assert len(server.requests_to("/hangs")) == 1  # one timeout, not six in a row
    assert report.failures and all("timed out after 0.5 s" in f.error or "resting" in f.error
                                   for f in report.failures)


def test_a_failed_feed_is_asked_again_once_the_cache_expires(server: FakeServer) -> None:
    server.route("GET", "/flaky", status=404)
    clock = Clock()
    source = make([server.url + "/flaky"], clock)
    for _ in range(3):
        with pytest.raises(BadResponse, match=r"not found \(HTTP 404\): check ATTENTION_FEEDS$"):
            source.lookup(DOI)
    assert len(server.requests_to("/flaky")) == 1
    clock.now += CACHE_SECONDS + 1
    with pytest.raises(BadResponse):
        source.lookup(DOI)
    assert len(server.requests_to("/flaky")) == 2


ATOM_RELATIVE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Notes</title><id>urn:x</id>
<entry><id>tag:notes,1</id><title>Maps</title><link href="/blog/2013/01/30/Plex"/>
<summary type="html">&lt;a href="../items/atlas"&gt;the atlas&lt;/a&gt;</summary></entry>
</feed>"""


def test_relative_entry_links_are_read_against_the_feed_url() -> None:
    _, entries = parse_feed(ATOM_RELATIVE, url="https://notes.example.org/blog/index.atom")
    assert entries[0].link == "https://notes.example.org/blog/2013/01/30/Plex"
    assert "https://notes.example.org/items/atlas" in entries[0].text
    found = entry_domain_mentions(entries, "notes.example.org/items", feed_url="f")
    assert [m.identifier.value for m in found if m.identifier] == ["https://notes.example.org/items/atlas"]


def test_relative_links_of_a_served_feed_match_a_watched_domain(server: FakeServer) -> None:
    server.route("GET", "/blog/index.atom", body=ATOM_RELATIVE, content_type="application/atom+xml")
    host = server.url.removeprefix("http://")
    result = make([server.url + "/blog/index.atom"]).lookup_domain(host + "/blog")
    assert [m.url for m in result.mentions] == [f"{server.url}/blog/2013/01/30/Plex"]


def test_recorded_atom_with_relative_links_gives_absolute_ones(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "real/responses/feeds/feedjira-samruby-intertwingly-atom-relative-links-2013.xml").read_bytes()
    _, entries = parse_feed(body, url="http://intertwingly.net/blog/index.atom")
    assert entries[0].link == "http://intertwingly.net/blog/2013/01/30/Plex"
    assert all(link.startswith("http") for e in entries for link in e.links)


def test_not_configured_without_feeds() -> None:
    assert make([]).configured() is False
    assert make(["https://blog.example.org/rss"]).configured() is True
