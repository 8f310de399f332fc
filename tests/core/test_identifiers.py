from __future__ import annotations

import pytest

from core.errors import InputError
from core.identifiers import display, from_key, identifier_url, parse_identifier


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("10.1038/nature12373", "doi:10.1038/nature12373"),
        ("10.1038/NATURE12373", "doi:10.1038/nature12373"),
        ("doi:10.1038/Nature12373", "doi:10.1038/nature12373"),
        ("DOI:10.1038/nature12373", "doi:10.1038/nature12373"),
        ("https://doi.org/10.1038/NATURE12373", "doi:10.1038/nature12373"),
        ("http://dx.doi.org/10.1038/nature12373", "doi:10.1038/nature12373"),
        ("https://doi.org/10.1002/(SICI)1097-4571%28199806%2949:8", "doi:10.1002/(sici)1097-4571(199806)49:8"),
        ("hdl:10546/620334", "handle:10546/620334"),
        ("10546/620334", "handle:10546/620334"),
        ("http://hdl.handle.net/10546/620334", "handle:10546/620334"),
        ("https://hdl.handle.net/2027/mdp.39015012345678", "handle:2027/mdp.39015012345678"),
        ("arXiv:1501.00001v2", "arxiv:1501.00001"),
        ("1501.00001", "arxiv:1501.00001"),
        ("hep-th/9901001", "arxiv:hep-th/9901001"),
        ("https://arxiv.org/abs/2101.00001v3", "arxiv:2101.00001"),
        ("12345678", "pmid:12345678"),
        ("PMID:12345678", "pmid:12345678"),
        ("PMC1234567", "pmcid:PMC1234567"),
        ("pmc1234567", "pmcid:PMC1234567"),
        ("0-306-40615-2", "isbn:9780306406157"),
        ("978-0-306-40615-7", "isbn:9780306406157"),
        ("9780306406157", "isbn:9780306406157"),
        ("ark:/13030/tf5p30086k", "ark:13030/tf5p30086k"),
        ("ark:13030/tf5p30086k", "ark:13030/tf5p30086k"),
        ("urn:nbn:de:101:1-201102033592", "urn:nbn:de:101:1-201102033592"),
        ("https://Digital.Library.example.edu/items/12?view=full#top", "url:https://digital.library.example.edu/items/12?view=full"),
        ("  10.1038/nature12373  ", "doi:10.1038/nature12373"),
    ],
)
def test_accepted_forms_normalise_to_one_key(typed: str, key: str) -> None:
    assert parse_identifier(typed).key == key


def test_doi_url_and_bare_doi_are_the_same_item() -> None:
    assert parse_identifier("https://doi.org/10.1038/NATURE12373") == parse_identifier("10.1038/nature12373")


def test_10_prefix_is_a_doi_not_a_handle() -> None:
    # Every DOI is syntactically a Handle; the documented rule picks DOI.
    assert parse_identifier("10.1234/abc").scheme == "doi"
    assert parse_identifier("hdl:10.1234/abc").scheme == "doi"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("10.1234", "is not a DOI: a DOI looks like 10.1234/abc"),
        ("hello", "is not an identifier this bot knows"),
        ("", "No identifier given"),
        ("   ", "No identifier given"),
        ("x" * 5000, "5,000 characters long"),
        ("ftp://example.org/file", "not http or https"),
        ("1234567890", "neither a PMID"),
        ("10.1038/nature12373 10.1038/x", "contains spaces"),
        ("ark:/13030", "is not an ARK"),
    ],
)
def test_refused_input_says_what_is_wrong_and_what_to_give(typed: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_identifier(typed)
    message = str(info.value)
    assert says in message
    # every refusal shows what a valid identifier looks like
    assert "looks like" in message or "Give a DOI (10.1234/abc" in message
    assert len(message) < 600  # a 5,000-character input is not echoed back whole


def test_links_percent_encode_awkward_dois() -> None:
    ident = parse_identifier("10.1002/<abc>#x;y")
    assert identifier_url(ident) == "https://doi.org/10.1002/%3Cabc%3E%23x%3By"


def test_display_and_key_round_trip() -> None:
    for typed in ("10.1/x", "hdl:2027/abc", "ark:/13030/tf5p30086k", "https://example.org/a"):
        ident = parse_identifier(typed)
        assert from_key(ident.key) == ident
    assert display(parse_identifier("ark:/13030/tf5p30086k")) == "ark:/13030/tf5p30086k"
