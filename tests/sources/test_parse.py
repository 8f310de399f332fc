"""Parsers of the five core sources, on real recorded responses and on edge cases of our own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.identifiers import parse_identifier
from core.models import Identifier
from sources import crossref, datacite, europepmc, hackernews, wikipedia
from sources.errors import BadResponse
from tests import paths

DATA = paths.DATA
PLOS = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")
PLOS_8776 = Identifier(scheme="doi", value="10.1371/journal.pone.0008776")
EN = "https://en.wikipedia.org/w/api.php"


def own(area: str, name: str) -> Any:
    return json.loads((DATA / area / name).read_text())


def cassette_bodies(path: Path) -> list[Any]:
    """JSON bodies of a VCR cassette's responses (plain-string bodies)."""
    data = yaml.safe_load(path.read_text())
    return [json.loads(i["response"]["body"]["string"]) for i in data["http_interactions"]]


# --- Wikipedia ---
def test_wikipedia_recorded_paged_search(fixtures_dir: Path) -> None:
    pages = cassette_bodies(fixtures_dir / "wikipedia/search-doi-paged-lagotto.vcr.yml")
    mentions, more = wikipedia.parse_search(pages[0], lang="en", api=EN, identifier=PLOS_8776)
    assert len(mentions) == 50
    # The article's own title; the wiki it is on is where it appeared, kept apart.
    assert (mentions[0].title, mentions[0].site) == ("Bostrycapulus aculeatus", "en.wikipedia")
    assert mentions[0].url == "https://en.wikipedia.org/wiki/Bostrycapulus_aculeatus"
    assert mentions[0].kind == "wikipedia"
    assert more == {"sroffset": 50, "continue": "-||"}
    every = [m for page in pages for m in wikipedia.parse_search(page, lang="en", api=EN, identifier=PLOS_8776)[0]]
    # Offset paging drifts while the index changes: pages repeat titles, lookup dedupes them.
    assert len(every) == 677 and len({m.external_id for m in every}) == 627


def test_wikipedia_recorded_no_results(fixtures_dir: Path) -> None:
    (body,) = cassette_bodies(fixtures_dir / "wikipedia/search-doi-no-results-lagotto.vcr.yml")
    assert wikipedia.parse_search(body, lang="en", api=EN, identifier=PLOS) == ([], None)


def test_wikipedia_recorded_error_envelope(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "wikipedia/search-error-text-disabled-lagotto.json").read_text())
    with pytest.raises(BadResponse, match="srsearch-text-disabled: text search is disabled"):
        wikipedia.parse_search(body, lang="en", api=EN, identifier=PLOS)


def test_wikipedia_own_error_envelope() -> None:
    with pytest.raises(BadResponse, match="maxlag"):
        wikipedia.parse_search(own("wikipedia", "error-maxlag.json"), lang="de", api=EN, identifier=PLOS)


def test_wikipedia_hits_carry_page_ids_and_lang() -> None:
    de = "https://de.wikipedia.org/w/api.php"
    mentions, _ = wikipedia.parse_search(
        own("wikipedia", "search-formatversion2-hits.json"), lang="de", api=de, identifier=PLOS
    )
    assert [m.external_id for m in mentions] == [
        "de:21487:doi:10.1371/journal.pone.0000030", "de:7158:doi:10.1371/journal.pone.0000030"
    ]
    assert mentions[1].url == "https://de.wikipedia.org/wiki/C%C3%B4te_d'Ivoire"


def test_wikipedia_missing_title_is_skipped() -> None:
    mentions, _ = wikipedia.parse_search(
        own("wikipedia", "search-missing-fields.json"), lang="en", api=EN, identifier=PLOS
    )
    assert [(m.title, m.site) for m in mentions] == [("Open access", "en.wikipedia")]


def test_wikipedia_exturlusage_keeps_links_under_the_domain() -> None:
    mentions, more = wikipedia.parse_exturlusage(
        own("wikipedia", "exturlusage-repo.json"), lang="en", api=EN, domain="repo.example.edu"
    )
    assert [m.identifier.value for m in mentions if m.identifier] == [
        "https://repo.example.edu/handle/123/456",
        "https://repo.example.edu/items/7",  # http and https are one item
        "https://repo.example.edu/items/8",
    ]
    assert mentions[0].url == "https://en.wikipedia.org/wiki/Glacier_retreat"
    assert more and more["eucontinue"].startswith("repo.example.edu")


def test_wikipedia_article_url_on_a_mirror() -> None:
    assert wikipedia.article_url("http://127.0.0.1:9/api.php", "A B") == "http://127.0.0.1:9/index.php?title=A_B"


# --- Hacker News ---
def test_hackernews_recorded_story_and_comment_shapes(fixtures_dir: Path) -> None:
    recorded = json.loads((fixtures_dir / "hackernews/algolia-v1-search-recorded-node-hacker-news-api.json").read_text())
    story = next(r["reply"] for r in recorded if r["url"] == "/api/v1/search_by_date?hitsPerPage=1&tags=(story)")
    url_item = parse_identifier(story["hits"][0]["url"])
    (m,) = hackernews.parse_search(story, identifier=url_item)
    assert m.url == f"https://news.ycombinator.com/item?id={story['hits'][0]['objectID']}"
    assert m.kind == "forum" and m.occurred_at is not None
    # The same reply does not mention our DOI: nothing is kept.
    assert hackernews.parse_search(story, identifier=PLOS) == []
    comments = next(r["reply"] for r in recorded if "tags=(comment)&query=apple" in r["url"])
    assert hackernews.parse_search(comments, identifier=PLOS) == []


def test_hackernews_drops_fuzzy_non_matches() -> None:
    found = hackernews.parse_search(own("hackernews", "search-fuzzy-mix.json"), identifier=PLOS)
    assert [m.external_id for m in found] == ["41000001", "41000010"]
    assert found[0].title == "Ten simple rules for open science"
    # The commenter is the mention's author, never part of its title.
    assert found[1].title == "Comment on “Ten simple rules for open science”"
    assert found[1].author == "dave"


def test_hackernews_empty_and_malformed() -> None:
    assert hackernews.parse_search(own("hackernews", "search-empty.json"), identifier=PLOS) == []
    with pytest.raises(BadResponse, match="without a list of hits"):
        hackernews.parse_search(own("hackernews", "no-hits-key.json"), identifier=PLOS)


def test_hackernews_domain_hits_carry_the_linked_url() -> None:
    found = hackernews.parse_domain(own("hackernews", "search-fuzzy-mix.json"), domain="journals.plos.org/plosone")
    assert [(m.external_id.split(":")[0], m.identifier.value if m.identifier else None) for m in found] == [
        ("41000003", "https://journals.plos.org/plosone"),
        ("41000010", "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0000030"),
    ]


# --- Crossref ---
def test_crossref_recorded_2016_work_has_no_count(fixtures_dir: Path) -> None:
    (body,) = cassette_bodies(fixtures_dir / "crossref/works-doi-lagotto.vcr.yml")
    assert body["message"]["DOI"] == "10.1371/journal.pone.0000030"
    # 2016 answers predate is-referenced-by-count: no count rather than a wrong zero.
    assert crossref.parse_work(body).counts == ()


def test_crossref_count_and_bad_shapes() -> None:
    (count,) = crossref.parse_work(own("crossref", "work-cited.json"), api_url="u").counts
    assert (count.metric, count.value, count.api_url) == ("citations", 42, "u")
    with pytest.raises(BadResponse, match="without a `message` object"):
        crossref.parse_work(own("crossref", "no-message.json"))


# --- DataCite ---
def test_datacite_recorded_doi_counts(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "datacite/dois-doi-figshare-bolognese.decoded.json").read_text())
    found = {c.metric: c.value for c in datacite.parse_doi(body).counts}
    assert found == {"citations": 0, "views": 0, "downloads": 0}


def test_datacite_list_is_not_a_single_doi(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "datacite/dois-list-rdatacite.decoded.json").read_text())
    with pytest.raises(BadResponse, match="data.attributes"):
        datacite.parse_doi(body)


def test_datacite_missing_counts_are_left_out() -> None:
    found = datacite.parse_doi(own("datacite", "doi-missing-counts.json")).counts
    assert [(c.metric, c.value) for c in found] == [("citations", 7)]
    with pytest.raises(BadResponse):
        datacite.parse_doi(own("datacite", "errors-404.json"))


# --- Europe PMC ---
def test_europepmc_recorded_citations(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "europepmc/citations-pmid-lagotto.json").read_text())
    pmid = Identifier(scheme="pmid", value="17183631")
    result = europepmc.parse_citations(body, identifier=pmid)
    assert [c.value for c in result.counts] == [23]
    assert result.mentions[0].url == "https://europepmc.org/article/MED/19749171"
    assert result.mentions[0].kind == "citation"
    assert len(result.mentions) <= europepmc.MAX_CITING


def test_europepmc_recorded_search(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "europepmc/search-fulltext-lagotto.json").read_text())
    first, result = europepmc.parse_search(body)
    assert first is not None and first["pmid"] == "25104065"
    assert [c.value for c in result.counts] == [0]


def test_europepmc_own_edge_cases() -> None:
    first, result = europepmc.parse_search(own("europepmc", "search-doi-hit.json"))
    assert first and [c.value for c in result.counts] == [23]
    assert europepmc.parse_search(own("europepmc", "search-empty.json"))[0] is None
    partial = europepmc.parse_citations(own("europepmc", "citations-missing-fields.json"), identifier=PLOS)
    assert [m.external_id for m in partial.mentions] == ["PMC:PMC123:doi:10.1371/journal.pone.0000030"]
    with pytest.raises(BadResponse, match="hitCount"):
        europepmc.parse_citations({"errCode": 500}, identifier=PLOS)
