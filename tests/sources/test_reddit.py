"""Reddit: app-only OAuth, then search and domain listings filtered to real links."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from core.identifiers import parse_identifier
from sources.errors import BadResponse, NotAuthorised
from sources.factory import HttpFactory
from sources.reddit import Reddit, parse_domain_listing, parse_listing
from tests import paths
from tests.fakes.config import sources_config

DATA = paths.DATA / "reddit"
PAPER = parse_identifier("10.1371/journal.pbio.1001555")
AUTH = "https://auth.reddit.test/api/v1/access_token"


def recorded(fixtures_dir: Path) -> Any:
    return json.loads((fixtures_dir / "reddit/search-listing-lagotto.json").read_text())


def domain_listing() -> Any:
    return json.loads((DATA / "domain-new.json").read_text())


def make(
    handler: Callable[[httpx.Request], httpx.Response], *, secret: str | None = "s3cret",
) -> Reddit:
    config = sources_config(
        user_agent="attention-bot/0.3.1 (+https://example.org) httpx",
        urls={"reddit": "https://oauth.reddit.test"}, reddit_auth_url=AUTH,
        reddit_client_id="cid", reddit_client_secret=secret, reddit_username="librarybot",
    )
    http = HttpFactory(config, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    return Reddit(config, http)


class FakeReddit:
    def __init__(self, listing: Any, token: Any | None = None) -> None:
        self.listing = listing
        self.token = token or json.loads((DATA / "token.json").read_text())
        self.auth: list[httpx.Request] = []
        self.api: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == AUTH:
            self.auth.append(request)
            return httpx.Response(200, json=self.token)
        self.api.append(request)
        return httpx.Response(200, json=self.listing)


# --- parsing ---
def test_recorded_search_keeps_the_three_posts_linking_the_paper(fixtures_dir: Path) -> None:
    found = parse_listing(recorded(fixtures_dir), identifier=PAPER)
    assert [m.external_id.split(":")[0] for m in found] == ["t3_1ee560", "t3_1dw0uy", "t3_1guo7v"]
    first = found[0]
    assert first.url == (
        "https://www.reddit.com/r/askscience/comments/1ee560/askscience_ama_we_are_the_authors_of_a_recent/"
    )
    assert first.title and first.title.startswith("r/askscience: AskScience AMA")
    assert first.kind == "forum" and first.occurred_at is not None


def test_recorded_search_tells_neighbouring_dois_apart(fixtures_dir: Path) -> None:
    other = parse_listing(recorded(fixtures_dir), identifier=parse_identifier("10.1371/journal.pbio.1001556"))
    assert [m.external_id.split(":")[0] for m in other] == ["t3_1dw0uy"]
    prefix = parse_identifier("10.1371/journal.pbio.100155")
    assert parse_listing(recorded(fixtures_dir), identifier=prefix) == []


def test_recorded_empty_search_gives_nothing(fixtures_dir: Path) -> None:
    cassette = yaml.safe_load((fixtures_dir / "reddit/search-doi-empty-lagotto.vcr.yml").read_text())
    body = json.loads(cassette["http_interactions"][0]["response"]["body"]["string"])
    assert parse_listing(body, identifier=PAPER) == []


def test_domain_listing_gives_each_linked_url_under_the_prefix() -> None:
    found = parse_domain_listing(domain_listing(), domain="repository.example.edu/items")
    assert [(m.external_id.split(":")[0], m.identifier.value if m.identifier else None) for m in found] == [
        ("t3_1k00aa1", "https://repository.example.edu/items/harbour-atlas"),
        ("t3_1k00bb2", "https://repository.example.edu/items/harbour-charts"),
    ]


def test_post_with_a_bad_time_still_counts_without_one() -> None:
    found = parse_domain_listing(domain_listing(), domain="repository.example.edu/other")
    assert len(found) == 1 and found[0].occurred_at is None


def test_something_other_than_a_listing_is_refused() -> None:
    with pytest.raises(BadResponse, match="Listing"):
        parse_listing(json.loads((DATA / "not-a-listing.json").read_text()), identifier=PAPER)


# --- fetching ---
def test_app_only_token_then_bearer_search_with_reddit_user_agent() -> None:
    fake = FakeReddit(domain_listing())
    source = make(fake)
    result = source.lookup(parse_identifier("10.5555/attn.2026.001"))
    token_request = fake.auth[0]
    assert token_request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:s3cret").decode()
    assert token_request.content == b"grant_type=client_credentials"
    assert fake.api[0].headers["authorization"] == "bearer app-only-token-1"
    assert fake.api[0].headers["user-agent"] == "python:attention-bot:0.3.1 (by /u/librarybot)"
    assert [r.url.params["q"] for r in fake.api] == [
        "url:10.5555/attn.2026.001", '"10.5555/attn.2026.001"'
    ]
    assert [m.external_id.split(":")[0] for m in result.mentions] == ["t3_1k00bb2"]
    source.lookup_domain("repository.example.edu/items")
    assert len(fake.auth) == 1  # the token is kept


def test_domain_lookup_reads_the_new_listing_of_the_host() -> None:
    fake = FakeReddit(domain_listing())
    result = make(fake).lookup_domain("https://repository.example.edu/items")
    assert fake.api[0].url.path == "/domain/repository.example.edu/new"
    assert len(result.mentions) == 2


def test_token_refusal_is_not_authorised() -> None:
    fake = FakeReddit(domain_listing(), token=json.loads((DATA / "token-error.json").read_text()))
    with pytest.raises(NotAuthorised, match="invalid_grant"):
        make(fake).lookup(PAPER)
    assert fake.api == []


def test_off_without_client_secret() -> None:
    fake = FakeReddit(domain_listing())
    source = make(fake, secret=None)
    assert source.configured() is False
    with pytest.raises(NotAuthorised, match="ATTENTION_REDDIT_CLIENT_SECRET"):
        source.lookup(PAPER)
    assert fake.auth == []


def test_revoked_token_is_renewed_once() -> None:
    fake = FakeReddit(domain_listing())
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) != AUTH and not calls:
            calls.append("refused")
            return httpx.Response(401, json={"message": "Unauthorized", "error": 401})
        return fake(request)

    result = make(handler).lookup_domain("repository.example.edu/items")
    assert len(fake.auth) == 2 and len(result.mentions) == 2
