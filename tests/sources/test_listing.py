"""Registries' lists of works: the recorded answers read as the live APIs send them, and paging
to the end against loopback fakes (a short page is the last, whatever cursor it carries)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources import crossref, datacite, europepmc, openalex
from sources.crossref import Crossref
from sources.errors import BadResponse
from sources.listing import pages
from storage import open_store
from tests.fakes.http import FakeServer, canned
from tests.fakes.registries import Registries, Work


def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_recorded_crossref_work_list_gives_its_dois_and_no_count_it_lacks(fixtures_dir: Path) -> None:
    page = crossref.parse_list(_json(fixtures_dir / "crossref/works-list-lagotto.json"), asked=1000)
    assert len(page.works) == 10 and page.total == 22993
    assert page.works[0].doi == "10.1787/gen_papers-v2008-art6-en"
    assert page.works[0].title == "Investment climate, capabilities and firm performance"
    # The 2014 records carry no is-referenced-by-count: no count, never a zero.
    assert all(w.counts == () for w in page.works)
    assert page.next_cursor is None  # 10 of 1,000 asked: the last page


def test_a_recorded_datacite_list_gives_its_dois(fixtures_dir: Path) -> None:
    page = datacite.parse_list(_json(fixtures_dir / "datacite/dois-list-rdatacite.decoded.json"), asked=5)
    assert [w.doi for w in page.works][:1] == ["10.5281/zenodo.3596961"]
    assert len(page.works) == 5 and page.total == 18666188
    # links.next pages by number, not cursor: nothing to follow.
    assert page.next_cursor is None


def test_a_recorded_openalex_list_skips_works_without_a_doi_and_says_so(fixtures_dir: Path) -> None:
    data = _json(fixtures_dir / "real/responses/openalex/commonmeta-works-sample5-list-2026.json")
    page = openalex.parse_list(data, asked=100)
    assert [(w.doi, w.counts[0].value) for w in page.works] == [
        ("10.5580/1cbc", 0.0), ("10.1016/j.landusepol.2004.08.009", 106.0)]
    assert len(page.skipped) == 3
    assert page.skipped[0] == "OpenAlex: a record without a DOI (https://openalex.org/W2600965442)"


def test_a_recorded_europepmc_search_gives_one_count_per_doi(fixtures_dir: Path) -> None:
    page = europepmc.parse_batch(_json(fixtures_dir / "europepmc/search-fulltext-lagotto.json"))
    found = {w.doi: w.counts[0].value for w in page.works}
    assert found["10.1038/nmeth.2694"] == 22.0 and found["10.1038/srep05994"] == 0.0


@pytest.mark.parametrize("data", [{}, {"message": {"items": "many"}}, [], {"message": None}])
def test_a_crossref_list_in_another_shape_is_a_bad_response(data: object) -> None:
    with pytest.raises(BadResponse, match="ATTENTION_CROSSREF_URL") as err:
        crossref.parse_list(data, asked=1000)
    assert err.value.source == "crossref"


@pytest.fixture
def registries() -> Iterator[Registries]:
    with FakeServer() as srv:
        yield Registries(srv)


def _crossref(reg: Registries, tmp_path: Path) -> Crossref:
    source = reg.context(open_store(tmp_path / "a.db")).source("crossref")
    assert isinstance(source, Crossref)
    return source


@pytest.mark.parametrize(("works", "requests"), [(2500, 3), (2000, 3), (999, 1), (0, 1)])
def test_crossref_paging_ends_on_a_short_or_empty_page(
    registries: Registries, tmp_path: Path, works: int, requests: int
) -> None:
    registries.add(*(Work(f"10.5555/p.{i}", citations=i) for i in range(works)))
    source = _crossref(registries, tmp_path)
    listed = [w for page in pages(source, "prefix", "10.5555") for w in page.works]
    assert len(listed) == works and len({w.doi for w in listed}) == works
    assert registries.calls("crossref") == requests  # next-cursor comes on every page, even the last
    first = registries.server.requests[0]
    assert first.query["cursor"] == ["*"] and first.query["rows"] == ["1000"]
    assert first.query["select"] == ["DOI,is-referenced-by-count,title"]


def test_datacite_follows_the_cursor_of_links_next(registries: Registries, tmp_path: Path) -> None:
    registries.add(*(Work(f"10.70000/d.{i}", agency="datacite", citations=2) for i in range(1500)))
    source = registries.context(open_store(tmp_path / "a.db")).source("datacite")
    assert source is not None
    listed = [w for page in pages(source, "prefix", "10.70000") for w in page.works]
    assert len(listed) == 1500 and listed[-1].counts[0].value == 2
    cursors = [r.query["page[cursor]"][0] for r in registries.server.requests]
    assert cursors == ["1", "k1000"]  # its own request, built from the cursor: no URL followed
    assert registries.server.requests[0].query["fields[dois]"] == ["doi,titles,citationCount,viewCount,downloadCount"]


def test_a_cursor_sent_twice_stops_the_listing(tmp_path: Path) -> None:
    with FakeServer() as srv:
        items = [{"DOI": f"10.5555/x.{i}"} for i in range(1000)]
        srv.route("GET", "/crossref/prefixes/10.5555/works", json={
            "message-type": "work-list", "message": {"items": items, "next-cursor": "same"}})
        reg = Registries.__new__(Registries)
        reg.server = srv
        source = Registries.context(reg, open_store(tmp_path / "a.db")).source("crossref")
        assert source is not None
        with pytest.raises(BadResponse, match="cursor it had sent before"):
            list(pages(source, "prefix", "10.5555"))
        assert len(srv.requests) == 2  # the first page, then the same cursor back: stop


def test_given_dois_are_one_request_without_a_cursor(registries: Registries, tmp_path: Path) -> None:
    registries.add(Work("10.5555/a", citations=4), Work("10.6666/b", citations=5))
    source = _crossref(registries, tmp_path)
    page = source.list_works("dois", ["10.5555/a", "10.6666/b", "10.7777/missing"])
    assert {w.doi: w.counts[0].value for w in page.works} == {"10.5555/a": 4.0, "10.6666/b": 5.0}
    assert page.next_cursor is None
    (req,) = registries.server.requests
    assert req.query["filter"] == ["doi:10.5555/a,doi:10.6666/b,doi:10.7777/missing"]
    assert "cursor" not in req.query


def test_html_where_a_list_should_be_is_a_bad_response(tmp_path: Path) -> None:
    with FakeServer() as srv:
        srv.routes[("GET", "/crossref/prefixes/10.5555/works")] = canned(body="<html>busy</html>", content_type="text/html")
        reg = Registries.__new__(Registries)
        reg.server = srv
        source = Registries.context(reg, open_store(tmp_path / "a.db")).source("crossref")
        assert source is not None
        with pytest.raises(BadResponse, match="HTML"):
            source.list_works("prefix", "10.5555")
