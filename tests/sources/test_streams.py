"""The streams' pure parsers, on events shaped like Jetstream's and EventStreams' own."""

from __future__ import annotations

import json
from typing import Any

from sources.jetstream import parse_event, parse_message, subscribe_url
from sources.wikimedia_stream import parse_links_change, wiki_counts
from tests import paths

DATA = paths.DATA / "streams"


def _events(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text())


def test_a_new_post_carries_its_links_text_and_public_address() -> None:
    facet, embed, media, text, *_ = (parse_event(e) for e in _events("jetstream-posts.json"))
    assert facet is not None and facet.post is not None
    assert facet.position == "1764547200000001"
    assert facet.post.url == "https://bsky.app/profile/did:plc:facet1/post/3lfacet1"
    assert facet.post.id == "at://did:plc:facet1/app.bsky.feed.post/3lfacet1"  # as the search's
    assert facet.post.links == ("https://doi.org/10.5555/ABC",)
    assert (
        embed is not None
        and embed.post is not None
        and embed.post.links == ("http://dx.doi.org/10.5555%2Fabc",)
    )
    assert (
        media is not None
        and media.post is not None
        and media.post.links == ("https://hdl.handle.net/2027/abc",)
    )
    assert (
        text is not None
        and text.post is not None
        and text.post.text == "Cite it as doi:10.5555/ABC."
    )
    assert text.post.occurred_at is not None and text.post.occurred_at.year == 2026


def test_deletes_identities_and_unreadable_messages_only_move_the_position() -> None:
    events = _events("jetstream-posts.json")
    delete, identity = parse_event(events[6]), parse_event(events[7])
    assert delete is not None and delete.post is None and delete.position == "1764547200000007"
    assert identity is not None and identity.post is None
    assert parse_message("not json") is None
    assert parse_message(json.dumps({"kind": "commit"})) is None  # no time_us: no event at all
    odd = parse_message(
        json.dumps(
            {
                "did": "d",
                "time_us": 5,
                "kind": "commit",
                "commit": {
                    "operation": "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": "r",
                    "record": {"text": "x", "facets": "not a list", "embed": ["odd"]},
                },
            }
        )
    )
    assert odd is not None and odd.post is not None and odd.post.links == ()


def test_the_subscription_asks_for_posts_from_the_cursor() -> None:
    url = subscribe_url(
        "wss://js.example/subscribe?wantedCollections=app.bsky.feed.like", "1764547195000000"
    )
    assert (
        url
        == "wss://js.example/subscribe?wantedCollections=app.bsky.feed.post&cursor=1764547195000000"
    )
    assert subscribe_url("wss://js.example/subscribe", None).endswith(
        "?wantedCollections=app.bsky.feed.post"
    )


def test_an_added_external_link_on_a_wikipedia_article_is_a_candidate() -> None:
    added, on_de, removed, wiktionary, talk, ja = (
        parse_links_change(e, position=str(n))
        for n, e in enumerate(_events("page-links-change.json"))
    )
    assert added.post is not None
    assert added.post.links == ("https://doi.org/10.5555/ABC",)  # the internal link is not
    assert added.post.url == "https://en.wikipedia.org/wiki/Salt_marsh"
    assert added.post.id == "en:4242"  # as a polled search names it
    assert added.post.title == "Salt marsh (en.wikipedia)"
    assert added.at is not None and added.position == "0"
    assert on_de.post is not None and on_de.post.links == ("http://repo.example.edu/maps/12",)
    assert removed.post is None  # removed links are not mentions
    assert wiktionary.post is None and talk.post is None
    assert ja.post is not None and ja.post.url.startswith("https://ja.wikipedia.org/wiki/%E6")


def test_stream_wikis_limits_the_wikipedias_counted() -> None:
    assert wiki_counts("en.wikipedia.org", ())
    assert not wiki_counts("en.wiktionary.org", ())
    assert wiki_counts("de.wikipedia.org", ("en", "de"))
    assert wiki_counts("de.wikipedia.org", ("de.wikipedia.org",))
    assert not wiki_counts("fr.wikipedia.org", ("en", "de"))
    event = _events("page-links-change.json")[1]
    assert parse_links_change(event, position="1", wikis=("en",)).post is None


def test_the_registrant_prefix_a_stream_filters_on_is_the_parsers() -> None:
    from core.identifiers import parse_identifier
    from sources.matching import identifiers_in, naming_prefix

    for typed in (
        "10.5555/ABC",
        "doi:10.5555/abc",
        "https://doi.org/10.5555%2Fabc",
        "HTTP://DX.DOI.ORG/10.5555/abc",
        "//doi.org/10.5555/abc",
        "https://hdl.handle.net/10.5555/abc",
    ):
        assert naming_prefix(typed) == "10.5555", typed
        assert parse_identifier(typed.removeprefix("//")).value.split("/")[0] == "10.5555"
    assert naming_prefix("hdl:2027/abc") == naming_prefix("hdl.handle.net/2027/abc") == "2027"
    assert naming_prefix("arXiv:2101.00001") is None  # not filtered: parsed
    text = "see 10.5555/abc, 10.9999/x and hdl:2027/abc"
    assert [i.key for i in identifiers_in(text, prefixes={"10.5555"})] == ["doi:10.5555/abc"]
    assert len(identifiers_in(text)) == 3
