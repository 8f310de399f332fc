"""Deciding that a post names an item: exact identifiers, never prefixes of longer ones."""

from __future__ import annotations

import pytest

from core.identifiers import parse_identifier
from sources.matching import bare_domain, host_of, links_under, mentions, snippet, text_mentions

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
