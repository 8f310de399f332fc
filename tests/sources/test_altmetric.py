"""Altmetric: counts and the details page from the Details Page API, and its faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from core.identifiers import parse_identifier
from sources.altmetric import Altmetric, parse_altmetric
from sources.errors import BadResponse, NotAuthorised, RateLimited, SourceUnavailable
from sources.factory import HttpFactory
from tests import paths
from tests.fakes.config import sources_config

DATA = paths.DATA / "altmetric"
DOI = parse_identifier("10.5555/attn.2026.001")
BASE = "https://altmetric.test/v1"


def counts_of(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {c.metric: c.value for c in result.counts}


def make(
    handler: Callable[[httpx.Request], httpx.Response], *, key: str | None = "k-123",
    disabled: tuple[str, ...] = (),
) -> Altmetric:
    config = sources_config(urls={"altmetric": BASE}, altmetric_api_key=key, disabled=disabled)
    http = HttpFactory(config, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    return Altmetric(config, http)


# --- parsing the real recorded answers ---
def test_docs_counts_example_gives_score_twitter_and_details(fixtures_dir: Path) -> None:
    data = json.loads((fixtures_dir / "altmetric/docs-v1-doi-counts-example.json").read_text())
    result = parse_altmetric(data, identifier=parse_identifier("10.1038/news.2011.498"))
    counts = counts_of(result)
    assert counts["score"] == 114.5
    assert counts["twitter"] == 134 and counts["posts"] == 138
    assert "mendeley" not in counts  # -1 means "unknown", not minus one reader
    assert result.details_url == "http://www.altmetric.com/details.php?citation_id=657451"
    assert all(c.identifier and c.identifier.value == "10.1038/news.2011.498" for c in result.counts)


def test_citations_list_items_have_the_same_shape(fixtures_dir: Path) -> None:
    data = json.loads((fixtures_dir / "altmetric/docs-v1-citations-example.json").read_text())
    assert counts_of(parse_altmetric(data["results"][0]))["score"] == 114.5


def test_fetch_shape_counts_blogs_news_policy_and_reddit(fixtures_dir: Path) -> None:
    name = "altmetric/fetch-doi-10.1007-s13280-011-0222-9-blogs-news-reddit.json"
    counts = counts_of(parse_altmetric(json.loads((fixtures_dir / name).read_text())))
    assert counts["score"] == pytest.approx(38.358)
    assert (counts["blogs"], counts["news"], counts["policies"], counts["reddit"]) == (4, 1, 2, 1)
    assert counts["mendeley"] == 69  # sent as the string "69"


def test_fetch_shape_with_wikipedia_and_string_readers(fixtures_dir: Path) -> None:
    name = "altmetric/fetch-doi-10.1001-jama.2013.950-twitter-wikipedia.json"
    counts = counts_of(parse_altmetric(json.loads((fixtures_dir / name).read_text())))
    assert counts["wikipedia"] == 1 and counts["twitter"] == 9 and counts["mendeley"] == 57


def test_item_with_no_posts_array_scores_zero(fixtures_dir: Path) -> None:
    name = "altmetric/fetch-doi-10.1109-ssdm.2004.1311188-no-posts.json"
    counts = counts_of(parse_altmetric(json.loads((fixtures_dir / name).read_text())))
    assert counts["score"] == 0 and counts["posts"] == 0


def test_handle_item_counts_its_policy_mention(fixtures_dir: Path) -> None:
    name = "altmetric/fetch-doi-10.21201-2017.0322-with-handle.json"
    counts = counts_of(parse_altmetric(json.loads((fixtures_dir / name).read_text())))
    assert counts["policies"] == 1 and counts["score"] == 3


def test_truncated_docs_example_is_a_bad_response(fixtures_dir: Path) -> None:
    body = (fixtures_dir / "altmetric/docs-fetch-doi-example.json").read_bytes()
    source = make(lambda r: httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    with pytest.raises(BadResponse, match="malformed or truncated JSON"):
        source.lookup(DOI)


# --- parsing our own edge cases ---
def test_every_cited_by_count_becomes_a_named_metric() -> None:
    result = parse_altmetric(json.loads((DATA / "counts-doi-full.json").read_text()), identifier=DOI)
    counts = counts_of(result)
    assert counts == {
        "score": 47.25, "posts": 31, "accounts": 27, "news": 3, "blogs": 2, "policies": 1,
        "wikipedia": 4, "bluesky": 12, "twitter": 5, "reddit": 1, "newfangled": 3,
        "mendeley": 40,
    }
    assert result.details_url == "https://www.altmetric.com/details.php?citation_id=998877"


def test_answer_without_score_or_counts_is_refused() -> None:
    with pytest.raises(BadResponse, match="without a score"):
        parse_altmetric(json.loads((DATA / "no-score.json").read_text()))


def test_truncated_answer_is_refused() -> None:
    body = (DATA / "truncated.json").read_bytes()
    source = make(lambda r: httpx.Response(200, content=body))
    with pytest.raises(BadResponse, match="truncated"):
        source.lookup(DOI)


# --- fetching ---
def test_key_is_sent_and_the_doi_is_in_the_path_unencoded() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=(DATA / "counts-doi-full.json").read_bytes())

    result = make(handler).lookup(DOI)
    assert seen[0].url.path == "/v1/doi/10.5555/attn.2026.001"
    assert seen[0].url.params["key"] == "k-123"
    assert counts_of(result)["news"] == 3
    assert result.counts[0].api_url == BASE + "/doi/10.5555/attn.2026.001"  # no key in the store


def test_handle_is_asked_under_its_own_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(404, text="Not Found")

    make(handler).lookup(parse_identifier("hdl:2027/abc.123"))
    assert seen == ["/v1/handle/2027/abc.123"]


def test_404_means_no_attention_yet_not_an_error() -> None:
    result = make(lambda r: httpx.Response(404, text="Not Found")).lookup(DOI)
    assert result.counts == () and result.mentions == () and result.details_url is None


def test_403_names_the_setting_to_fix() -> None:
    with pytest.raises(NotAuthorised, match="ALTMETRIC_API_KEY"):
        make(lambda r: httpx.Response(403, text="Forbidden")).lookup(DOI)


def test_502_is_maintenance() -> None:
    with pytest.raises(SourceUnavailable, match="maintenance"):
        make(lambda r: httpx.Response(502, text="Bad Gateway")).lookup(DOI)


def test_html_with_200_is_a_bad_response() -> None:
    page = "<!DOCTYPE html><html><body>Sign in</body></html>"
    source = make(lambda r: httpx.Response(200, text=page, headers={"content-type": "text/html"}))
    with pytest.raises(BadResponse, match="HTML"):
        source.lookup(DOI)


def test_spent_hourly_quota_stops_the_next_call_before_it_is_sent() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            200, content=(DATA / "counts-doi-full.json").read_bytes(),
            headers={"X-HourlyRateLimit-Limit": "1200", "X-HourlyRateLimit-Remaining": "0"},
        )

    source = make(handler)
    source.lookup(DOI)
    with pytest.raises(RateLimited):
        source.lookup(DOI)
    assert len(calls) == 1


def test_not_configured_without_a_key() -> None:
    assert make(lambda r: httpx.Response(500), key=None).configured() is False
    assert make(lambda r: httpx.Response(500)).configured() is True
    assert make(lambda r: httpx.Response(500), disabled=("altmetric",)).configured() is False
    assert Altmetric.needs == ("api_key",)
