"""Identifier extraction on real landing pages (read in place) and pages modelled on each
platform's templates (tests/data/landing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.models import Identifier
from sources.landing import extract_identifiers
from tests import paths

DATA = paths.DATA / "landing"


def page(name: str, base_url: str = "https://site.example.edu/item/1"):
    return extract_identifiers((DATA / name).read_bytes(), base_url=base_url)


def keys(p) -> list[str]:
    return [f.identifier.key for f in p.found]


def test_plos_citation_doi_first_and_references_ignored(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "landing-pages" / "plos-one-article-lagotto.html").read_bytes()
    p = extract_identifiers(html, base_url="http://www.plosone.org/article/info")
    assert p.found[0].identifier == Identifier(scheme="doi", value="10.1371/journal.pone.0000030")
    assert p.found[0].tag == "citation_doi"
    # The page cites dozens of works in citation_reference: none of them is this page.
    assert [k for k in keys(p) if k.startswith("doi:")] == ["doi:10.1371/journal.pone.0000030"]
    assert p.title and p.title.startswith("Triose Phosphate Isomerase Deficiency")
    assert "citation_title" in p.tags and "citation_author" in p.tags
    assert p.canonical == "http://dx.plos.org/10.1371/journal.pone.0000030"


def test_canonical_only_page_yields_the_url_encoded_doi(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "landing-pages" / "canonical-link-only-lagotto.html").read_bytes()
    p = extract_identifiers(html, base_url="http://journals.plos.org/x")
    assert "doi:10.1371/journal.pone.0000030" in keys(p)
    assert "url:https://journals.plos.org/plosone/article?id=10.1371%2Fjournal.pone.0000030" in keys(p)
    assert {f.tag for f in p.found} == {"link rel=canonical"}
    # Read out of a query string: lower rank than a declared identifier.
    doi = next(f for f in p.found if f.identifier.scheme == "doi")
    assert doi.inferred and p.registered


def test_opengraph_only_page_gives_title_and_its_url(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "landing-pages" / "opengraph-only-lagotto.html").read_bytes()
    p = extract_identifiers(html, base_url="http://journals.plos.org/x")
    assert p.title and p.title.startswith("Triose Phosphate")
    assert {f.tag for f in p.found} == {"og:url"}
    assert not p.supported_tags  # nothing Altmetric or Scholar reads


def test_pangaea_dc_identifier_holding_a_doi_url(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "landing-pages" / "pangaea-dataset-dc-identifier-bolognese.decoded.html").read_bytes()
    p = extract_identifiers(html, base_url="https://doi.pangaea.de/10.1594/PANGAEA.836178")
    assert keys(p) == ["doi:10.1594/pangaea.836178"]
    assert p.found[0].tag == "dc.identifier (DCTERMS.URI)"
    assert p.cite_as == "https://doi.org/10.1594/PANGAEA.836178"
    # The DC.source names the paper the dataset supplements: it is not this item.
    assert "doi:10.5194/essd-7-93-2015" not in keys(p)


def test_dspace6_handle_from_dc_identifier() -> None:
    p = page("dspace6.html")
    handle = next(f for f in p.found if f.identifier.scheme == "handle")
    assert handle.identifier.value == "1794/22871"
    assert handle.tag == "dc.identifier (DCTERMS.URI)" and not handle.inferred
    assert "url:https://scholarsbank.example.edu/xmlui/handle/1794/22871" in keys(p)
    assert "doi:10.5555/unrelated.1" not in keys(p)  # a DOI in the body is not the item's


def test_dspace7_handle_read_from_citation_abstract_html_url() -> None:
    p = page("dspace7.html")
    assert "handle:20.500.12345/678" in keys(p)
    assert p.registered[0].tag == "citation_abstract_html_url"
    assert {"citation_title", "citation_author", "citation_publication_date"} <= set(p.tags)


def test_eprints_doi_in_id_number() -> None:
    p = page("eprints.html")
    assert [f.tag for f in p.registered] == ["eprints.id_number"]
    assert p.registered[0].identifier.value == "10.5194/tc-13-1-2019"
    assert "url:https://eprints.example.ac.uk/4821" in keys(p)
    assert p.title == "Glacier mass balance in the Tien Shan"


def test_ojs_citation_doi_ahead_of_dc_identifier_doi_and_no_article_number() -> None:
    p = page("ojs.html")
    assert p.found[0].identifier.key == "doi:10.99999/jlp.v8i2.456"
    assert p.found[0].tag == "citation_doi"
    # DC.Identifier "456" is OJS's article number, not a PMID.
    assert not any(f.identifier.scheme == "pmid" for f in p.found)
    assert "doi:10.1234/study.2020" not in keys(p)  # citation_reference


def test_islandora_only_a_relative_canonical_link() -> None:
    p = page("islandora.html", base_url="https://islandora.example.edu/islandora/object/letters:1204")
    assert keys(p) == ["url:https://islandora.example.edu/islandora/object/letters%3A1204"]
    assert p.registered == ()


@pytest.mark.parametrize("name", ["omeka.html", "contentdm.html", "plain.html"])
def test_pages_without_tags_give_nothing_but_a_title(name: str) -> None:
    p = page(name)
    assert p.found == ()
    assert p.title


def test_json_ld_identifier_property_value_and_same_as() -> None:
    html = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "ScholarlyArticle", "identifier": {"@type": "PropertyValue", "propertyID": "doi",
       "value": "10.5555/graph.1"}, "sameAs": ["https://hdl.handle.net/2027/abc"],
       "citation": [{"@type": "CreativeWork", "identifier": "https://doi.org/10.5555/cited"}]}]}
    </script><script type="application/ld+json">{not json</script></head></html>"""
    p = extract_identifiers(html, base_url="https://x.example.org/a")
    assert keys(p) == ["doi:10.5555/graph.1", "handle:2027/abc"]
    assert [f.tag for f in p.found] == ["json-ld identifier", "json-ld sameAs"]


def test_prism_bepress_and_prefixed_dc_values() -> None:
    html = """<html><head>
    <meta name="bepress_citation_doi" content="10.5555/bepress.9">
    <meta name="prism.doi" content="doi:10.5555/prism.7">
    <meta name="DC.identifier" content="hdl:1885/4242">
    <link rel="cite-as" href="https://doi.org/10.5555/CITE.AS">
    </head></html>"""
    p = extract_identifiers(html, base_url="https://x.example.org/a")
    assert keys(p) == ["handle:1885/4242", "doi:10.5555/prism.7", "doi:10.5555/bepress.9", "doi:10.5555/cite.as"]


def test_json_ld_nested_past_the_stack_is_skipped_not_a_crash() -> None:
    deep = "[" * 100_000 + '"doi:10.1/x"' + "]" * 100_000
    page = (
        '<html><head><meta name="citation_doi" content="10.1371/journal.pone.0000030">'
        f'<script type="application/ld+json">{{"identifier": {deep}}}</script></head></html>'
    )
    found = extract_identifiers(page.encode(), base_url="https://repo.example.edu/item/1")
    assert [f.identifier.value for f in found.found] == ["10.1371/journal.pone.0000030"]


def test_tag_values_are_read_like_typed_identifiers_but_forgive_invisible_characters() -> None:
    html = """<html><head>
    <meta name="citation_doi" content="10.5555/zero.width\u200b">
    <meta name="DC.identifier" content="doi.org/10.5555/SCHEMELESS.1.">
    <meta name="DC.identifier" content="hdl.handle.net/1885/4242">
    <meta name="DC.identifier" content="Journal of Salt Marshes/12">
    <meta name="DC.identifier" content="http://pubmed.ncbi.nlm.nih.gov/12345678/">
    </head></html>"""
    p = extract_identifiers(html, base_url="https://x.example.org/a")
    # A page is not a person who can retype: invisible marks are dropped, never stored. Text
    # that is neither a web address nor a numeric-prefix Handle is no identifier at all; a
    # PubMed link is the PMID it carries.
    assert keys(p) == ["doi:10.5555/zero.width", "doi:10.5555/schemeless.1", "handle:1885/4242", "pmid:12345678"]
