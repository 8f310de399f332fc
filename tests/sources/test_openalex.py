"""OpenAlex: the citation count of a work, off without a key."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from core.identifiers import parse_identifier
from sources.errors import BadResponse, NotAuthorised
from sources.factory import HttpFactory
from sources.openalex import OpenAlex, parse_work
from tests import paths
from tests.fakes.config import sources_config

DATA = paths.DATA / "openalex"
DOI = parse_identifier("10.5555/attn.2026.001")


def make(handler: Callable[[httpx.Request], httpx.Response], *, key: str | None = "oa-key") -> OpenAlex:
    config = sources_config(urls={"openalex": "https://openalex.test"}, openalex_api_key=key)
    http = HttpFactory(config, transport=httpx.MockTransport(handler), sleep=lambda s: None)
    return OpenAlex(config, http)


def test_work_gives_its_citation_count_and_page() -> None:
    result = parse_work(json.loads((DATA / "work-doi.json").read_text()), identifier=DOI)
    assert [(c.metric, c.value) for c in result.counts] == [("citations", 17)]
    assert result.details_url == "https://openalex.org/W4400000001"


def test_work_without_count_is_refused() -> None:
    with pytest.raises(BadResponse, match="cited_by_count"):
        parse_work(json.loads((DATA / "work-missing-count.json").read_text()))


def test_truncated_answer_is_refused() -> None:
    body = (DATA / "truncated.json").read_bytes()
    with pytest.raises(BadResponse, match="truncated"):
        make(lambda r: httpx.Response(200, content=body)).lookup(DOI)


def test_key_and_doi_path_are_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=(DATA / "work-doi.json").read_bytes())

    result = make(handler).lookup(DOI)
    assert seen[0].url.path == "/works/doi:10.5555/attn.2026.001"
    assert seen[0].url.params["api_key"] == "oa-key"
    assert result.counts[0].value == 17
    assert "oa-key" not in (result.counts[0].api_url or "")


def test_pmid_is_asked_by_its_own_prefix() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(404, json={"error": "not found"})

    assert make(handler).lookup(parse_identifier("pmid:12345678")).counts == ()
    assert seen == ["/works/pmid:12345678"]


def test_unknown_work_is_empty_not_an_error() -> None:
    assert make(lambda r: httpx.Response(404, json={"error": "404"})).lookup(DOI).counts == ()


def test_refused_key_names_the_setting() -> None:
    with pytest.raises(NotAuthorised, match="OPENALEX_API_KEY"):
        make(lambda r: httpx.Response(401, json={"error": "bad key"})).lookup(DOI)


def test_off_without_a_key() -> None:
    source = make(lambda r: httpx.Response(500), key=None)
    assert source.configured() is False
    with pytest.raises(NotAuthorised, match="OPENALEX_API_KEY"):
        source.lookup(DOI)
    assert make(lambda r: httpx.Response(500)).configured() is True
