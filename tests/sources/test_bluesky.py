"""Bluesky: searchPosts behind a cached session; only posts that really link are kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.identifiers import parse_identifier
from sources.bluesky import Bluesky, parse_domain_posts, parse_search_posts, token_expiry
from sources.errors import BadResponse, NotAuthorised
from sources.factory import HttpFactory
from tests import paths
from tests.fakes.config import sources_config

DATA = paths.DATA / "bluesky"
DOI = parse_identifier("10.5555/attn.2026.001")
BASE = "https://pds.test/xrpc"
SESSION = json.loads((DATA / "session.json").read_text())
EXP = 1778407200.0  # the "exp" inside session.json's accessJwt


def recorded(fixtures_dir: Path) -> Any:
    return json.loads((fixtures_dir / "bluesky/searchPosts-redistricting-bskyr.json").read_text())


def mix() -> Any:
    return json.loads((DATA / "search-doi-mix.json").read_text())


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(
    handler: Callable[[httpx.Request], httpx.Response], *, password: str | None = "app-pass",
    clock: Clock | None = None,
) -> Bluesky:
    config = sources_config(
        urls={"bluesky": BASE}, bluesky_handle="bot.example.social", bluesky_app_password=password
    )
    http = HttpFactory(config, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    return Bluesky(config, http, clock=clock or Clock(EXP - 7200))


class FakePDS:
    """Answers createSession and searchPosts; ``refuse`` tokens get 401."""

    def __init__(self, search: Any) -> None:
        self.search = search
        self.sessions = 0
        self.searches: list[httpx.Request] = []
        self.refuse: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("com.atproto.server.createSession"):
            self.sessions += 1
            return httpx.Response(200, json=SESSION)
        self.searches.append(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.refuse:
            self.refuse.discard(token)
            return httpx.Response(401, json={"error": "InvalidToken"})
        return httpx.Response(200, json=self.search)


# --- parsing ---
def test_recorded_search_finds_the_post_embedding_a_url(fixtures_dir: Path) -> None:
    url = parse_identifier(
        "https://missionlocal.org/2023/12/redistricting-reform-elections-commission-report-supervisors/"
    )
    found = parse_search_posts(recorded(fixtures_dir), identifier=url)
    # The post's URL names its author by DID, not by handle: the handle is kept only as author.
    assert [m.url for m in found] == [
        "https://bsky.app/profile/did:plc:tb6kdi6xp44xmafqow5wqqd7/post/3kgho46gd7q2h"
    ]
    assert found[0].author == "@lwvsf.bsky.social"
    assert found[0].title and "lwvsf" not in found[0].title
    assert found[0].kind == "social" and found[0].occurred_at is not None


def test_recorded_search_has_nothing_for_an_unrelated_doi(fixtures_dir: Path) -> None:
    assert parse_search_posts(recorded(fixtures_dir), identifier=DOI) == []


def test_recorded_search_by_domain(fixtures_dir: Path) -> None:
    found = parse_domain_posts(recorded(fixtures_dir), domain="www.dailykos.com")
    assert len(found) == 3
    assert all(m.identifier and m.identifier.value.startswith("https://www.dailykos.com/stories/")
               for m in found)


def test_doi_in_a_link_facet_or_the_text_counts_but_not_a_longer_doi() -> None:
    urls = [m.url for m in parse_search_posts(mix(), identifier=DOI)]
    assert urls == [
        "https://bsky.app/profile/did:plc:aaaa1111/post/3lfacet001",
        "https://bsky.app/profile/did:plc:bbbb2222/post/3ltext0002",
    ]


def test_external_embed_counts_for_a_url_item() -> None:
    item = parse_identifier("https://repository.example.edu/items/harbour-atlas")
    assert [m.url for m in parse_search_posts(mix(), identifier=item)] == [
        "https://bsky.app/profile/did:plc:cccc3333/post/3lembed003"
    ]


def test_answer_without_posts_is_refused_and_empty_is_fine() -> None:
    with pytest.raises(BadResponse, match="posts"):
        parse_search_posts({"hitsTotal": 0}, identifier=DOI)
    assert parse_search_posts(json.loads((DATA / "search-empty.json").read_text()), identifier=DOI) == []


def test_token_expiry_is_read_from_the_jwt() -> None:
    assert token_expiry(SESSION["accessJwt"], now=0) == EXP
    assert token_expiry("not-a-jwt", now=100) == 100 + 3600


# --- fetching ---
def test_session_is_created_once_and_reused() -> None:
    pds = FakePDS(mix())
    source = make(pds)
    source.lookup(DOI)
    source.lookup(parse_identifier("https://repository.example.edu/items/harbour-atlas"))
    assert pds.sessions == 1
    assert all(r.headers["authorization"] == "Bearer " + SESSION["accessJwt"] for r in pds.searches)


def test_doi_lookup_asks_doi_org_links_and_the_text() -> None:
    pds = FakePDS(mix())
    result = make(pds).lookup(DOI)
    params = [dict(r.url.params) for r in pds.searches]
    assert {"q": "*", "url": "https://doi.org/10.5555/attn.2026.001", "limit": "100", "sort": "latest"} in params
    assert any(p["q"] == '"10.5555/attn.2026.001"' for p in params)
    assert len(result.mentions) == 2  # the same posts from both searches count once


def test_session_is_renewed_before_the_token_expires() -> None:
    pds = FakePDS(mix())
    clock = Clock(EXP - 7200)
    source = make(pds, clock=clock)
    source.lookup_domain("repository.example.edu")
    clock.now = EXP - 30
    source.lookup_domain("repository.example.edu")
    assert pds.sessions == 2


def test_401_logs_in_again_once() -> None:
    pds = FakePDS(mix())
    pds.refuse.add(SESSION["accessJwt"])
    result = make(pds).lookup_domain("repository.example.edu")
    assert pds.sessions == 2
    assert [m.identifier.value for m in result.mentions if m.identifier] == [
        "https://repository.example.edu/items/harbour-atlas"
    ]
    assert pds.searches[-1].url.params["domain"] == "repository.example.edu"


def test_refused_login_names_the_settings() -> None:
    source = make(lambda r: httpx.Response(401, json={"error": "AuthenticationRequired"}))
    with pytest.raises(NotAuthorised, match="ATTENTION_BLUESKY_APP_PASSWORD"):
        source.lookup(DOI)


def test_off_without_an_app_password() -> None:
    pds = FakePDS(mix())
    source = make(pds, password=None)
    assert source.configured() is False
    with pytest.raises(NotAuthorised):
        source.lookup(DOI)
    assert pds.sessions == 0


def test_a_refused_login_is_tried_once_per_lookup() -> None:
    # createSession allows few calls: a wrong app password must not be sent twice per search.
    logins: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        logins.append(request)
        return httpx.Response(401, json={"error": "AuthenticationRequired"})

    with pytest.raises(NotAuthorised, match="ATTENTION_BLUESKY_APP_PASSWORD"):
        make(refuse).lookup_domain("repository.example.edu")
    assert len(logins) == 1
