"""Answers whose fields come in another shape than documented are BadResponse, not a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from core.models import Identifier
from sources import bluesky, europepmc, hackernews, mastodon, reddit, wikipedia
from sources.errors import BadResponse
from tests import paths

DATA = paths.DATA / "shapes"
DOI = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")
API = "https://en.wikipedia.org/w/api.php"

CASES: list[tuple[str, str, Callable[[Any], object]]] = [
    ("europepmc", "europepmc-citation-object.json",
     lambda d: europepmc.parse_citations(d, identifier=DOI)),
    ("wikipedia", "wikipedia-search-object.json",
     lambda d: wikipedia.parse_search(d, lang="en", api=API, identifier=DOI)),
    ("bluesky", "bluesky-facets-object.json",
     lambda d: bluesky.parse_search_posts(d, identifier=DOI)),
    ("reddit", "reddit-data-string.json", lambda d: reddit.parse_listing(d, identifier=DOI)),
    ("hackernews", "hackernews-tags-number.json",
     lambda d: hackernews.parse_search(d, identifier=DOI)),
    ("mastodon", "mastodon-content-list.json",
     lambda d: mastodon.parse_search(d, identifier=DOI)),
]


@pytest.mark.parametrize(("source", "name", "parse"), CASES, ids=[c[1] for c in CASES])
def test_odd_shape_is_a_bad_response_naming_the_source(
    source: str, name: str, parse: Callable[[Any], object]
) -> None:
    data = json.loads((DATA / name).read_text())
    with pytest.raises(BadResponse, match="unexpected shape") as caught:
        parse(data)
    assert caught.value.source == source
