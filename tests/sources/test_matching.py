"""Deciding that a link or post names an item, or lies under a domain: exact identifiers,
never prefixes of longer ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.identifiers import parse_identifier
from sources.base import from_epoch, from_iso
from sources.matching import (
    bare_domain,
    clean_url,
    host_of,
    is_link_to,
    links_in,
    links_under,
    mentions,
    search_term,
    snippet,
    text_mentions,
    under_domain,
)

DOI = parse_identifier("10.5555/attn.2026.001")


@pytest.mark.parametrize(
    "text",
    [
        "see 10.5555/attn.2026.001.",
        "(doi:10.5555/ATTN.2026.001)",
        "https://publisher.example/info%3Adoi%2F10.5555%2Fattn.2026.001",
        "<a href='https://doi.org/10.5555/attn.2026.001'>paper</a>",
    ],
)
def test_doi_forms_people_write(text: str) -> None:
    assert mentions(DOI, text=text)


@pytest.mark.parametrize(
    "text",
    ["10.5555/attn.2026.0012", "10.5555/attn.2026.001/suppl", "10.5555/attn.2026.001-x", "x10.5555/attn.2026.001z"],
)
def test_longer_identifiers_are_not_this_one(text: str) -> None:
    assert not mentions(DOI, text=text)


def test_handle_needs_its_prefix_or_resolver() -> None:
    handle = parse_identifier("hdl:2027/abc.123")
    assert text_mentions("thesis at hdl:2027/abc.123", handle)
    assert mentions(handle, links=["https://hdl.handle.net/2027/abc.123"])
    assert not text_mentions("page 2027/abc.123", handle)  # a bare a/b could be anything


def test_arxiv_id_with_its_prefix() -> None:
    assert text_mentions("preprint arXiv:2101.00001 out", parse_identifier("2101.00001"))


def test_links_under_a_domain_prefix_are_normalised_and_distinct() -> None:
    text = '<a href="HTTPS://Repo.example.edu/items/1#top">a</a> https://repo.example.edu/items/1 https://repo.example.edu/itemsx'
    assert links_under("repo.example.edu/items", text=text) == ["https://repo.example.edu/items/1"]


def test_domain_forms() -> None:
    assert bare_domain("https://Repo.Example.edu/items/") == "repo.example.edu/items"
    assert host_of("repo.example.edu:8080/items") == "repo.example.edu"


def test_snippet_reads_html_and_cuts() -> None:
    assert snippet("<p>Hi <a href='x'>@<span>bob</span></a></p><p>there</p>") == "Hi @bob there"
    assert snippet("x" * 300, limit=10) == "x" * 9 + "…"
    assert snippet("") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.5555/attn.2026.001",
        "http://dx.doi.org/10.5555/ATTN.2026.001/",
        "https://publisher.example/doi/full/10.5555/attn.2026.001",
        "https://publisher.example/article?id=10.5555%2Fattn.2026.001",
    ],
)
def test_links_to_the_doi(url: str) -> None:
    assert is_link_to(url, DOI)


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.5555/attn.2026.0012",
        "https://doi.org/10.5555/attn.2026.001/suppl",
        "https://publisher.example/doi/10.5555/attn.2026.0012",
        "https://publisher.example/doi/x10.5555/attn.2026.001",
        "https://publisher.example/article?id=10.5555/attn.2026.001-x",
        "https://example.org/10.5555/attn.2026.001.pdf",
        None,
    ],
)
def test_links_to_a_longer_or_other_identifier_are_not_this_one(url: str | None) -> None:
    assert not is_link_to(url, DOI)


def test_handle_and_url_links_are_exact() -> None:
    handle = parse_identifier("hdl:2027/abc.123")
    assert is_link_to("https://hdl.handle.net/2027/abc.123", handle)
    assert not is_link_to("https://hdl.handle.net/2027/abc.1234", handle)
    assert not is_link_to("https://example.org/2027/abc.123", handle)
    page = parse_identifier("https://repo.example.edu/items/1")
    assert is_link_to("HTTPS://Repo.example.edu/items/1", page)
    assert not is_link_to("https://repo.example.edu/items/12", page)


@pytest.mark.parametrize(
    ("link", "item"),
    [
        # One page however the post wrote its link.
        ("http://repo.example.edu/items/1/", "https://repo.example.edu/items/1"),
        ("https://repo.example.edu:443/items/1?utm_source=mastodon&fbclid=x", "https://repo.example.edu/items/1"),
        # Links carrying a registered identifier, on any of its hosts.
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/", "PMC123"),
        ("http://pmc.ncbi.nlm.nih.gov/articles/PMC123", "PMC123"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/12345678", "12345678"),
        ("https://pubmed.ncbi.nlm.nih.gov/12345678", "12345678"),
        ("https://digital.library.example.edu/ark:/13030/tf5p30086k", "ark:/13030/tf5p30086k"),
        ("https://n2t.net/ark:/13030/tf5p30086k", "ark:/13030/tf5p30086k"),
    ],
)
def test_links_are_compared_in_the_form_items_are_kept(link: str, item: str) -> None:
    assert is_link_to(link, parse_identifier(item))


def test_links_to_another_registered_identifier_are_not_this_one() -> None:
    assert not is_link_to("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234/", parse_identifier("PMC123"))
    assert not is_link_to("https://n2t.net/ark:/13030/tf5p30086kx", parse_identifier("ark:/13030/tf5p30086k"))
    assert not is_link_to("https://repo.example.edu/items/1?id=2", parse_identifier("https://repo.example.edu/items/1"))


def test_links_in_html_and_text_are_found_once() -> None:
    text = '<a href="https://a.example/x">a</a> see https://a.example/x, and https://b.example/y).'
    assert links_in(text) == ["https://a.example/x", "https://b.example/y"]
    assert links_in(None) == []


def test_clean_url_keeps_only_http_links() -> None:
    assert clean_url("//repo.example.edu/items/1") == clean_url("https://repo.example.edu/items/1")
    assert clean_url("mailto:someone@example.org") is None
    assert clean_url("") is None


def test_under_domain_needs_a_whole_path_segment() -> None:
    assert under_domain("https://repo.example.edu/items/1", "https://Repo.example.edu/items/")
    assert under_domain("http://repo.example.edu/items", "repo.example.edu/items")
    assert not under_domain("https://repo.example.edu/itemsx/1", "repo.example.edu/items")
    assert not under_domain("https://other.example.edu/items/1", "repo.example.edu")


def test_search_terms() -> None:
    assert search_term(DOI) == "10.5555/attn.2026.001"
    assert search_term(parse_identifier("https://repo.example.edu/items/1")) == "repo.example.edu/items/1"
    assert search_term(parse_identifier("2101.00001")) == "arXiv:2101.00001"


def test_timestamps_from_epoch_and_iso() -> None:
    when = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert from_epoch(when.timestamp()) == when
    assert from_epoch(str(int(when.timestamp()))) == when
    assert from_epoch("soon") is None
    assert from_iso("2026-05-01T10:00:00Z") == when
    assert from_iso("2026-05-01T10:00:00") == when  # naive means UTC
    assert from_iso("") is None and from_iso(None) is None and from_iso("May 1") is None
