"""The five core sources asking a loopback fake: the requests they send, and each fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from core.models import Identifier
from sources.base import Source
from sources.crossref import Crossref
from sources.datacite import DataCite
from sources.errors import BadResponse
from sources.europepmc import EuropePMC
from sources.factory import HttpFactory
from sources.hackernews import HackerNews
from sources.wikipedia import MAX_PAGES, Wikipedia
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer, canned

DATA = paths.DATA
DOI = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")
S = TypeVar("S", bound=Source)


@pytest.fixture
def srv() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def build(cls: type[S], srv: FakeServer, **config: object) -> S:
    urls = {
        "wikipedia": srv.url + "/{lang}/w/api.php",
        "hackernews": srv.url + "/hn",
        "crossref": srv.url + "/crossref",
        "datacite": srv.url + "/datacite",
        "europepmc": srv.url + "/epmc",
    }
    cfg = sources_config(urls=urls, **config)  # type: ignore[arg-type]
    factory = HttpFactory(cfg, sleep=lambda s: None)
    return cls(cfg, factory)


def file_body(area: str, name: str) -> str:
    return (DATA / area / name).read_text()


# --- Wikipedia ---
def test_wikipedia_asks_each_language_and_follows_continue_up_to_the_cap(srv: FakeServer) -> None:
    page = file_body("wikipedia", "search-formatversion2-hits.json")  # always says "continue"
    srv.route("GET", "/en/w/api.php", body=page, content_type="application/json")
    srv.route("GET", "/de/w/api.php", body=page, content_type="application/json")
    result = build(Wikipedia, srv, wikipedia_langs=("en", "de")).lookup(DOI)
    assert len(srv.requests_to("/en/w/api.php")) == MAX_PAGES
    assert srv.requests_to("/en/w/api.php")[1].query["sroffset"] == ["2"]
    # Repeated pages give the same articles: one mention per (wiki, article).
    assert sorted(m.external_id.split(":")[0] for m in result.mentions) == ["de", "de", "en", "en"]
    assert result.mentions[0].api_url and "srsearch=%2210.1371" in result.mentions[0].api_url


@pytest.mark.parametrize(
    ("name", "content_type", "message"),
    [
        ("error-maxlag.json", "application/json", "maxlag"),
        ("maintenance-page.html", "text/html; charset=utf-8", "HTML page"),
        ("truncated-search.json", "application/json", "truncated JSON"),
    ],
)
def test_wikipedia_bad_answers_served_with_200(srv: FakeServer, name: str, content_type: str, message: str) -> None:
    srv.route("GET", "/en/w/api.php", body=file_body("wikipedia", name), content_type=content_type)
    with pytest.raises(BadResponse, match=message) as info:
        build(Wikipedia, srv, wikipedia_langs=("en",)).lookup(DOI)
    assert info.value.source == "wikipedia"


def test_wikipedia_domain_uses_exturlusage(srv: FakeServer) -> None:
    srv.route_fn("GET", "/en/w/api.php", [
        canned(body=file_body("wikipedia", "exturlusage-repo.json"), content_type="application/json"),
        canned(json={"batchcomplete": True, "query": {"exturlusage": []}}),
    ])
    result = build(Wikipedia, srv, wikipedia_langs=("en",)).lookup_domain("https://repo.example.edu/")
    first, second = srv.requests_to("/en/w/api.php")
    assert first.query["list"] == ["exturlusage"] and first.query["euquery"] == ["repo.example.edu"]
    assert first.query["euprotocol"] == [""] and first.query["eunamespace"] == ["0"]
    assert first.query["eulimit"] == ["500"]
    assert second.query["eucontinue"] == ["repo.example.edu/bitstream|2001"]
    assert len(result.mentions) == 3 and all(m.identifier for m in result.mentions)


# --- Hacker News ---
def test_hackernews_asks_stories_by_url_and_comments(srv: FakeServer) -> None:
    srv.route("GET", "/hn/search_by_date", body=file_body("hackernews", "search-fuzzy-mix.json"),
              content_type="application/json")
    result = build(HackerNews, srv).lookup(DOI)
    asked = srv.requests_to("/hn/search_by_date")
    assert [r.query.get("tags") for r in asked] == [["story"], ["story"], ["comment"]]
    assert asked[0].query["restrictSearchableAttributes"] == ["url"]
    assert asked[1].query["query"] == ["doi.org/10.1371/journal.pone.0000030"]
    assert [m.external_id for m in result.mentions] == ["41000010", "41000001"]  # newest first


# --- Crossref ---
def test_crossref_sends_mailto_and_reads_the_count(srv: FakeServer) -> None:
    srv.route("GET", f"/crossref/works/{DOI.value}", body=file_body("crossref", "work-cited.json"),
              content_type="application/json")
    result = build(Crossref, srv, contact_email="ops@example.org").lookup(DOI)
    assert [(c.metric, c.value) for c in result.counts] == [("citations", 42)]
    assert srv.requests[0].query["mailto"] == ["ops@example.org"]


def test_crossref_404_is_an_empty_answer_and_truncation_is_bad(srv: FakeServer) -> None:
    assert build(Crossref, srv).lookup(DOI).counts == ()
    srv.route("GET", f"/crossref/works/{DOI.value}", body=file_body("crossref", "truncated-work.json"),
              content_type="application/json")
    with pytest.raises(BadResponse, match="truncated"):
        build(Crossref, srv).lookup(DOI)


# --- DataCite ---
def test_datacite_404_is_empty_and_counts_are_read(srv: FakeServer) -> None:
    srv.route("GET", f"/datacite/dois/{DOI.value}", status=404, body=file_body("datacite", "errors-404.json"),
              content_type="application/vnd.api+json")
    assert build(DataCite, srv).lookup(DOI).counts == ()
    srv.route("GET", f"/datacite/dois/{DOI.value}", body=file_body("datacite", "doi-missing-counts.json"),
              content_type="application/vnd.api+json")
    assert [c.metric for c in build(DataCite, srv).lookup(DOI).counts] == ["citations"]


# --- Europe PMC ---
def test_europepmc_doi_search_then_citing_works(srv: FakeServer, fixtures_dir: Path) -> None:
    srv.route("GET", "/epmc/search", body=file_body("europepmc", "search-doi-hit.json"),
              content_type="application/json")
    srv.route("GET", "/epmc/MED/17183631/citations",
              body=(fixtures_dir / "europepmc/citations-pmid-lagotto.json").read_text(),
              content_type="application/json")
    result = build(EuropePMC, srv).lookup(DOI)
    assert srv.requests_to("/epmc/search")[0].query["query"] == ['DOI:"10.1371/journal.pone.0000030"']
    assert [c.value for c in result.counts] == [23]
    assert result.mentions and result.mentions[0].kind == "citation"


def test_europepmc_pmid_and_pmcid_paths(srv: FakeServer) -> None:
    empty = {"hitCount": 0, "citationList": {"citation": []}}
    srv.route("GET", "/epmc/MED/123/citations", json=empty)
    srv.route("GET", "/epmc/PMC/PMC77/citations", json=empty)
    src = build(EuropePMC, srv)
    assert [c.value for c in src.lookup(Identifier(scheme="pmid", value="123")).counts] == [0]
    assert [c.value for c in src.lookup(Identifier(scheme="pmcid", value="PMC77")).counts] == [0]
    assert srv.requests_to("/epmc/MED/123/citations")[0].query["format"] == ["json"]


# --- The faults every JSON source meets served with HTTP 200 ---
FAULTY = [
    (HackerNews, "/hn/search_by_date", DOI, "hackernews/search-fuzzy-mix.json"),
    (Crossref, f"/crossref/works/{DOI.value}", DOI, "crossref/work-cited.json"),
    (DataCite, f"/datacite/dois/{DOI.value}", DOI, "datacite/doi-missing-counts.json"),
    (EuropePMC, "/epmc/MED/17183631/citations", Identifier(scheme="pmid", value="17183631"),
     "europepmc/citations-missing-fields.json"),
]


@pytest.mark.parametrize(("cls", "path", "ident", "good"), FAULTY, ids=lambda v: getattr(v, "name", ""))
def test_html_error_page_with_200_is_named(srv: FakeServer, cls: type[Source], path: str,
                                           ident: Identifier, good: str) -> None:
    srv.route("GET", path, body=file_body("wikipedia", "maintenance-page.html"),
              content_type="text/html; charset=utf-8")
    with pytest.raises(BadResponse, match=r"HTML page instead of JSON \(HTTP 200\)") as info:
        build(cls, srv).lookup(ident)
    assert info.value.source == cls.name


@pytest.mark.parametrize(("cls", "path", "ident", "good"), FAULTY, ids=lambda v: getattr(v, "name", ""))
def test_truncated_json_is_named(srv: FakeServer, cls: type[Source], path: str,
                                 ident: Identifier, good: str) -> None:
    whole = (DATA / good).read_text()
    srv.route("GET", path, body=whole[: len(whole) // 2], content_type="application/json")
    with pytest.raises(BadResponse, match="malformed or truncated JSON") as info:
        build(cls, srv).lookup(ident)
    assert info.value.source == cls.name
