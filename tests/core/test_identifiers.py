from __future__ import annotations

import pytest

from core.errors import InputError
from core.identifiers import (
    display,
    from_key,
    identifier_url,
    normalise_url,
    parse_identifier,
    restate,
    split_typed,
)


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


# --- issue 12: every way a librarian pastes an identifier --------------------------------------

#: (what is typed, the key it is stored under). One row per form the issue names.
PASTED = [
    # A host name first: a URL without its scheme, folded like a full URL.
    ("doi.org/10.1038/nature12373", "doi:10.1038/nature12373"),
    ("dx.doi.org/10.1038/NATURE12373", "doi:10.1038/nature12373"),
    ("hdl.handle.net/2027/abc", "handle:2027/abc"),
    ("arxiv.org/abs/2101.00001", "arxiv:2101.00001"),
    ("arxiv.org/pdf/2101.00001v2", "arxiv:2101.00001"),
    ("example.org/page", "url:https://example.org/page"),
    ("www.example.org/page", "url:https://www.example.org/page"),
    ("Example.ORG", "url:https://example.org/"),
    ("repository.example.ac.uk:8443/items/7", "url:https://repository.example.ac.uk:8443/items/7"),
    # A bare Handle has a numeric prefix.
    ("2027/abc", "handle:2027/abc"),
    ("1721.1/12345", "handle:1721.1/12345"),
    ("20.500.12345/x", "handle:20.500.12345/x"),
    ("hdl:abc/def", "handle:abc/def"),
    ("hdl:hdl.handle.net/2027/abc", "handle:2027/abc"),
    ("hdl:https://hdl.handle.net/2027/abc", "handle:2027/abc"),
    ("doi:https://doi.org/10.1038/X", "doi:10.1038/x"),
    # Punctuation from the sentence around it.
    ("10.1038/nature12373.", "doi:10.1038/nature12373"),
    ("10.1038/nature12373,", "doi:10.1038/nature12373"),
    ("(doi:10.1038/nature12373)", "doi:10.1038/nature12373"),
    ("<https://doi.org/10.1038/x>", "doi:10.1038/x"),
    ('"10.1038/x"', "doi:10.1038/x"),
    ("'10.1038/x'", "doi:10.1038/x"),
    ("\u201c10.1038/x\u201d", "doi:10.1038/x"),
    ("\u201e10.1038/x\u201c", "doi:10.1038/x"),
    ("\u00ab10.1038/x\u00bb", "doi:10.1038/x"),
    ("`10.1038/x`", "doi:10.1038/x"),
    ("10.1038/x;", "doi:10.1038/x"),
    ("[10.1038/x].", "doi:10.1038/x"),
    ("10.1038/x)", "doi:10.1038/x"),
    ("10.1016/0001-8708(79)90013-7", "doi:10.1016/0001-8708(79)90013-7"),
    ("(10.1016/0001-8708(79)90013-7).", "doi:10.1016/0001-8708(79)90013-7"),
    ("https://en.wikipedia.org/wiki/Salt_marsh_(ecology)", "url:https://en.wikipedia.org/wiki/Salt_marsh_(ecology)"),
    ("https://example.org/page.", "url:https://example.org/page"),
    # One item, however its URL is written.
    ("http://example.org/page", "url:https://example.org/page"),
    ("https://example.org:443/page", "url:https://example.org/page"),
    ("http://example.org:80/page", "url:https://example.org/page"),
    ("https://example.org/page/", "url:https://example.org/page"),
    ("https://example.org/", "url:https://example.org/"),
    ("https://example.org/page?utm_source=news&utm_medium=email&UTM_Campaign=x", "url:https://example.org/page"),
    ("https://example.org/page?fbclid=IwAR0", "url:https://example.org/page"),
    ("https://example.org/page?gclid=Cj0K", "url:https://example.org/page"),
    ("https://example.org/page?mc_cid=1a&mc_eid=2b", "url:https://example.org/page"),
    ("https://example.org/page?id=3&utm_source=x#top", "url:https://example.org/page?id=3"),
    ("https://example.org:8080/page", "url:https://example.org:8080/page"),
    # URLs carrying a registered identifier become it.
    ("https://pubmed.ncbi.nlm.nih.gov/12345678/", "pmid:12345678"),
    ("pubmed.ncbi.nlm.nih.gov/12345678", "pmid:12345678"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/12345678", "pmid:12345678"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/", "pmcid:PMC123"),
    ("https://ncbi.nlm.nih.gov/pmc/articles/PMC123/", "pmcid:PMC123"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC123/", "pmcid:PMC123"),
    ("https://n2t.net/ark:/13030/tf5p30086k", "ark:13030/tf5p30086k"),
    ("https://digital.library.example.edu/ark:/13030/tf5p30086k/", "ark:13030/tf5p30086k"),
    ("https://identifiers.org/doi:10.1038/NATURE12373", "doi:10.1038/nature12373"),
    ("identifiers.org/pubmed:12345678", "pmid:12345678"),
    # URN: "urn:" and the namespace id in any case.
    ("URN:NBN:de:101:1-201102033592", "urn:nbn:de:101:1-201102033592"),
    ("urn:nbn:de:101:1-201102033592", "urn:nbn:de:101:1-201102033592"),
    ("Urn:ISBN:0-395-36341-1", "urn:isbn:0-395-36341-1"),
    # Not hosts: a DOI, Handles and an old arXiv id whose class looks like a country (.GT).
    ("10.1038/x", "doi:10.1038/x"),
    ("math.GT/0309136", "arxiv:math.GT/0309136"),
]


@pytest.mark.parametrize(("typed", "key"), PASTED)
def test_every_pasted_form_is_the_item_it_names(typed: str, key: str) -> None:
    assert parse_identifier(typed).key == key


#: (what is typed, what the refusal says). Every one also shows what to give instead.
REFUSED = [
    ("root:x:0:0:root:/root:/bin/bash", "starts with `root:`, which is no identifier scheme"),
    ("abc/def", "a Handle without hdl: starts with a number"),
    ("example.invalidtld/page", "give it with https://"),
    ("(see 10.1038/x", "contains spaces"),
    ("()", "No identifier given"),
    ('"  "', "No identifier given"),
    ("info:doi/10.1038/x", "starts with `info:`"),
    ("hdl:example.org/page", "is not a Handle: it names a web page"),
]


@pytest.mark.parametrize(("typed", "says"), REFUSED)
def test_what_is_not_an_identifier_is_refused_with_a_way_out(typed: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_identifier(typed)
    assert says in str(info.value)
    assert "Give a DOI (10.1234/abc" in str(info.value)


#: Invisible characters and how the refusal names them. NUL, ANSI colour escapes, every
#: bidirectional embedding, override and isolate, zero-width marks and a byte-order mark.
HIDDEN = [
    ("\x00", "\\x00"), ("\x1b[31m", "\\x1b"), ("\x7f", "\\x7f"), ("\x85", "\\x85"),
    *[(chr(c), f"U+{c:04X}") for c in range(0x202A, 0x202F)],
    *[(chr(c), f"U+{c:04X}") for c in range(0x2066, 0x206A)],
    ("\u200b", "U+200B"), ("\u200c", "U+200C"), ("\u200d", "U+200D"), ("\u2060", "U+2060"),
    ("\ufeff", "U+FEFF"), ("\u200e", "U+200E"),
]


@pytest.mark.parametrize(("char", "name"), HIDDEN)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_invisible_characters_are_refused_and_shown_escaped(char: str, name: str, where: str) -> None:
    typed = {"start": char + "10.1038/x", "middle": "10.1038/" + char + "x", "end": "10.1038/x" + char}[where]
    with pytest.raises(InputError) as info:
        parse_identifier(typed)
    message = str(info.value)
    assert name in message and "does not show" in message
    assert char not in message  # never echoed raw
    assert not any(ch in message for ch in "\x00\x1b\u202e\u2066\u200b")


@pytest.mark.parametrize("typed", ["https://doi.org/10.1038/x%00", "hdl.handle.net/2027/%E2%80%AEabc", "https://n2t.net/ark:/13030/%1B[31m"])
def test_invisible_characters_percent_encoded_in_a_resolver_link_are_refused(typed: str) -> None:
    with pytest.raises(InputError, match="do not show once decoded"):
        parse_identifier(typed)


def test_several_invisible_characters_are_each_named_once() -> None:
    with pytest.raises(InputError) as info:
        parse_identifier("\u202e10.1038/x\x00\x00")
    assert "(U+202E, \\x00)" in str(info.value) and "characters that do not show" in str(info.value)


@pytest.mark.parametrize(
    ("args", "typed"),
    [
        (["a,b"], ["a", "b"]),
        (["a,", "b"], ["a", "b"]),
        (["a", ",b"], ["a", "b"]),
        (["10.1038/x,hdl:2027/abc,,"], ["10.1038/x", "hdl:2027/abc"]),
        (["https://example.org/view?ids=1,2"], ["https://example.org/view?ids=1,2"]),
        (["example.org/a,b"], ["example.org/a,b"]),
        (["https://doi.org/10.1000/a,b,10.1038/x"], ["https://doi.org/10.1000/a,b", "10.1038/x"]),
        (["https://example.org/a,https://example.org/b"], ["https://example.org/a", "https://example.org/b"]),
        (["https://example.org/a,doi:10.1/x"], ["https://example.org/a", "doi:10.1/x"]),
        ([","], []),
    ],
)
def test_commas_separate_identifiers_but_not_inside_a_url(args: list[str], typed: list[str]) -> None:
    assert split_typed(args) == typed


@pytest.mark.parametrize(
    ("stored", "now"),
    [
        ("handle:doi.org/10.1038/nature12373", "doi:10.1038/nature12373"),
        ("handle:hdl.handle.net/2027/abc", "handle:2027/abc"),
        ("handle:example.org/page", "url:https://example.org/page"),
        ("handle:2027/abc", "handle:2027/abc"),
        ("handle:abc/def", "handle:abc/def"),  # typed with hdl: then, still fine
        ("handle:root:x:0:0:root:/root:/bin/bash", "handle:root:x:0:0:root:/root:/bin/bash"),  # kept: no better reading
        ("url:http://example.org/page/", "url:https://example.org/page"),
        ("url:https://example.org/page?utm_source=x", "url:https://example.org/page"),
        ("url:https://pubmed.ncbi.nlm.nih.gov/12345678/", "pmid:12345678"),
        ("url:https://pmc.ncbi.nlm.nih.gov/articles/PMC123/", "pmcid:PMC123"),
        ("urn:NBN:de:101:1-201102033592", "urn:nbn:de:101:1-201102033592"),
        ("doi:10.1038/nature12373.", "doi:10.1038/nature12373"),
        ("doi:10.1038/nature12373", "doi:10.1038/nature12373"),
        ("key:contentdm:maps/12", "key:contentdm:maps/12"),
        ("isbn:9780306406157", "isbn:9780306406157"),
        ("ark:13030/tf5p30086k", "ark:13030/tf5p30086k"),
    ],
)
def test_stored_identifiers_are_restated_under_todays_rules(stored: str, now: str) -> None:
    assert restate(from_key(stored)).key == now


def test_normalise_url_gives_a_url_even_for_a_resolver_link() -> None:
    # Links in posts are compared as URLs; only parse_identifier folds them into DOIs.
    assert normalise_url("http://DOI.org/10.1038/X/") == "https://doi.org/10.1038/X"
    assert normalise_url("mailto:a@example.org") == "mailto:a@example.org"


@pytest.mark.parametrize("typed", [typed for typed, _ in PASTED] + [
    "https://example.org/a./", "https://example.org/a)/", "https://doi.org/10.1038/x./", "hdl:2027/abc,",
    "https://example.org/Salt_marsh_(ecology)/", "https://example.org/a,b/",
])
def test_what_the_bot_shows_reads_back_as_the_same_item(typed: str) -> None:
    # Buttons, `list` and replies show display(); people and buttons type it back.
    ident = parse_identifier(typed)
    assert parse_identifier(display(ident)) == ident
    assert restate(ident) == ident
