"""Mastodon: statuses that really link to an item, across several servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from core.identifiers import parse_identifier
from sources.errors import BadResponse, NotAuthorised, SourceUnavailable
from sources.factory import HttpFactory
from sources.mastodon import Mastodon, parse_domain_search, parse_search
from tests import paths
from tests.fakes.config import sources_config

DATA = paths.DATA / "mastodon"
DOI = parse_identifier("10.5555/attn.2026.001")
ONE, TWO = "https://one.social.test", "https://two.social.test"


def recorded_search(fixtures_dir: Path) -> Any:
    cassette = yaml.safe_load((fixtures_dir / "mastodon/v2-search-mastodon-social-mastodonpy.vcr.yaml").read_text())
    search = next(i for i in cassette["interactions"] if "/api/v2/search" in i["request"]["uri"])
    return json.loads(search["response"]["body"]["string"])


def mix() -> Any:
    return json.loads((DATA / "search-doi-mix.json").read_text())


def make(
    handler: Callable[[httpx.Request], httpx.Response], *, servers: tuple[str, ...] = (ONE, TWO),
    token: str | None = None,
) -> Mastodon:
    config = sources_config(mastodon_servers=servers, mastodon_token=token)
    http = HttpFactory(config, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    return Mastodon(config, http)


# --- parsing ---
def test_recorded_search_keeps_only_the_status_linking_the_url(fixtures_dir: Path) -> None:
    video = parse_identifier("https://www.youtube.com/watch?v=MWCSw_cNxKc")
    found = parse_search(recorded_search(fixtures_dir), identifier=video)
    assert [m.url for m in found] == ["https://icosahedron.website/@greg/116388148912635764"]
    assert found[0].kind == "social" and found[0].occurred_at is not None
    # Who wrote it is kept apart from the text (stored only with ATTENTION_STORE_AUTHORS=true).
    assert found[0].title and found[0].title.startswith("@cancel @halcy not only")
    assert found[0].author == "@greg@icosahedron.website"


def test_recorded_search_has_no_mention_of_an_unrelated_doi(fixtures_dir: Path) -> None:
    assert parse_search(recorded_search(fixtures_dir), identifier=DOI) == []


def test_recorded_search_by_domain_gives_the_linked_url(fixtures_dir: Path) -> None:
    found = parse_domain_search(recorded_search(fixtures_dir), domain="www.youtube.com")
    assert [m.identifier.value for m in found if m.identifier] == [
        "https://www.youtube.com/watch?v=MWCSw_cNxKc"
    ]


def test_doi_matches_links_and_text_but_not_a_longer_doi() -> None:
    found = parse_search(mix(), identifier=DOI)
    urls = [m.url for m in found]
    assert "https://scholar.example.social/@ada/1001" in urls  # a doi.org link in the content
    assert "https://mastodon.example/users/eve/statuses/5005" in urls  # doi: in text; no url -> uri
    assert "https://mastodon.example/@dee/4004" not in urls  # 10.5555/attn.2026.0012
    # The boost carries the boosted status: same id, so it is one mention once stored.
    assert len({m.external_id for m in found}) == 2


def test_preview_card_link_counts_for_a_url_item() -> None:
    item = parse_identifier("https://repository.example.edu/items/harbour-atlas")
    assert [m.url for m in parse_search(mix(), identifier=item)] == ["https://mastodon.example/@bo/2002"]


def test_only_public_and_unlisted_posts_are_kept_even_when_a_token_shows_more() -> None:
    # A token lets search return followers-only and direct posts its account can see.
    found = parse_search(json.loads((DATA / "search-visibility.json").read_text()), identifier=DOI)
    assert sorted(m.url or "" for m in found) == [
        "https://mastodon.example/@kim/7002", "https://mastodon.example/@pat/7001",
    ]


def test_answer_without_statuses_is_refused_and_empty_is_fine() -> None:
    with pytest.raises(BadResponse, match="statuses"):
        parse_search(json.loads((DATA / "search-no-statuses.json").read_text()), identifier=DOI)
    assert parse_search(json.loads((DATA / "search-empty.json").read_text()), identifier=DOI) == []


# --- fetching ---
def test_search_sends_query_type_and_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=mix())

    result = make(handler, servers=(ONE,), token="tok-1").lookup(DOI)
    assert seen[0].url.path == "/api/v2/search"
    assert seen[0].url.params["q"] == "10.5555/attn.2026.001"
    assert seen[0].url.params["type"] == "statuses"
    assert seen[0].headers["authorization"] == "Bearer tok-1"
    assert len(result.mentions) == 2


def test_no_token_header_without_a_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"statuses": []})

    make(handler, servers=(ONE,)).lookup(DOI)
    assert "authorization" not in seen[0].headers


def test_401_without_token_says_to_set_one() -> None:
    source = make(lambda r: httpx.Response(401, json={"error": "auth"}), servers=(ONE,))
    with pytest.raises(NotAuthorised, match="ATTENTION_MASTODON_TOKEN") as info:
        source.lookup(DOI)
    assert ONE in str(info.value)


def test_one_failing_server_does_not_hide_the_other() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "one.social.test":
            return httpx.Response(503, text="down")
        return httpx.Response(200, json=mix())

    result = make(handler).lookup(DOI)
    assert len(result.mentions) == 2


def test_every_server_failing_is_an_error() -> None:
    source = make(lambda r: httpx.Response(503, text="down"))
    with pytest.raises(SourceUnavailable, match="1 more servers failed"):
        source.lookup(DOI)


def test_a_status_seen_through_two_servers_is_one_mention() -> None:
    result = make(lambda r: httpx.Response(200, json=mix())).lookup(DOI)
    assert len(result.mentions) == 2


def test_domain_lookup_searches_the_host_and_keeps_links_under_it() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["q"])
        return httpx.Response(200, json=mix())

    result = make(handler, servers=(ONE,)).lookup_domain("https://Repository.example.edu/items/")
    assert seen == ["repository.example.edu/items"]
    assert [m.identifier.value for m in result.mentions if m.identifier] == [
        "https://repository.example.edu/items/harbour-atlas"
    ]


def test_the_token_goes_only_to_the_first_server() -> None:
    # A token is issued by one server; the others must never see it.
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        return httpx.Response(200, json={"statuses": []})

    make(handler, servers=(ONE, TWO), token="tok-1").lookup(DOI)
    assert seen == {"one.social.test": "Bearer tok-1", httpx.URL(TWO).host: None}
