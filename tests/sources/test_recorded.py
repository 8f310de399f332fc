"""The recorded files the core sources' parsers were not yet tested on: cassettes with encoded
bodies, old formats and retired APIs. Each is either read as the live API's answer or refused
with a message that says what came back, never silently read as "nothing found"."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.models import Identifier
from sources import crossref, datacite
from sources.config import SourcesConfig
from sources.crossref import Crossref
from sources.datacite import DataCite
from sources.errors import BadResponse
from sources.factory import HttpFactory
from sources.wikipedia import Wikipedia
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer

FIGSHARE = Identifier(scheme="doi", value="10.6084/m9.figshare.4234751.v1")
PLOS = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")


class _CassetteLoader(yaml.SafeLoader):
    """VCR 3 writes gzip bodies as ``!binary`` base64."""


_CassetteLoader.add_constructor("!binary", lambda loader, node: base64.b64decode(loader.construct_scalar(node)))  # type: ignore[arg-type]


def raw_bodies(path: Path) -> list[tuple[str, bytes]]:
    """(request URI, response body bytes as sent on the wire) for each interaction."""
    data = yaml.load(path.read_text(), Loader=_CassetteLoader)  # noqa: S506 - SafeLoader subclass
    out = []
    for interaction in data["http_interactions"]:
        body = interaction["response"]["body"]["string"]
        # R vcr keeps base64 as a plain string (no tag); VCR 3 tags it !binary.
        raw = body if isinstance(body, bytes) else base64.b64decode(body)
        out.append((interaction["request"]["uri"], raw))
    return out


def unzip(raw: bytes) -> Any:
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


@pytest.fixture
def srv() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def config_for(srv: FakeServer) -> SourcesConfig:
    return sources_config(
        urls={"crossref": srv.url + "/crossref", "datacite": srv.url + "/datacite",
              "wikipedia": srv.url + "/w/api.php"},
        wikipedia_langs=("en",),
    )


# --- DataCite cassettes ---
def test_datacite_cassette_body_served_gzipped_gives_the_counts(srv: FakeServer, fixtures_dir: Path) -> None:
    (_, ra), (uri, raw) = raw_bodies(fixtures_dir / "datacite/dois-doi-figshare-bolognese.vcr.yml")
    assert unzip(ra) == [{"DOI": "10.6084", "RA": "DataCite"}]
    assert uri.startswith(f"https://api.datacite.org/dois/{FIGSHARE.value}")
    # The recorded bytes, as DataCite sent them: gzip, decoded by the client.
    srv.route("GET", f"/datacite/dois/{FIGSHARE.value}", body=raw,
              headers={"Content-Encoding": "gzip"}, content_type="application/vnd.api+json")
    cfg = config_for(srv)
    result = DataCite(cfg, HttpFactory(cfg, sleep=lambda s: None)).lookup(FIGSHARE)
    assert {c.metric: c.value for c in result.counts} == {"citations": 0, "views": 0, "downloads": 0}
    assert result.counts[0].api_url == f"{srv.url}/datacite/dois/{FIGSHARE.value}"
    # The decoded copy beside the cassette is the same answer.
    decoded = json.loads((fixtures_dir / "datacite/dois-doi-figshare-bolognese.decoded.json").read_text())
    assert unzip(raw) == decoded


@pytest.mark.parametrize(
    ("cassette", "decoded"),
    [
        ("dois-list-rdatacite.vcr.yml", "dois-list-rdatacite.decoded.json"),
        ("events-list-rdatacite.vcr.yml", "events-list-rdatacite.decoded.json"),
    ],
)
def test_datacite_lists_are_refused_as_one_doi(fixtures_dir: Path, cassette: str, decoded: str) -> None:
    ((_, raw),) = raw_bodies(fixtures_dir / "datacite" / cassette)
    body = unzip(raw)
    assert body == json.loads((fixtures_dir / "datacite" / decoded).read_text())
    assert isinstance(body["data"], list) and len(body["data"]) == 5
    # A list where one DOI was asked means the base URL is wrong: say so, not "no counts".
    with pytest.raises(BadResponse, match="without `data.attributes`"):
        datacite.parse_doi(body)


def test_datacite_retired_solr_search_is_refused(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "datacite/solr-search-doi-lagotto.json").read_text())
    assert body["response"]["numFound"] == 1
    with pytest.raises(BadResponse, match="data.attributes"):
        datacite.parse_doi(body)


# --- Crossref ---
def test_crossref_work_list_is_not_one_work(fixtures_dir: Path) -> None:
    body = json.loads((fixtures_dir / "crossref/works-list-lagotto.json").read_text())
    with pytest.raises(BadResponse, match="`work-list` instead of one work: check ATTENTION_CROSSREF_URL"):
        crossref.parse_work(body)


def test_crossref_cited_by_xml_served_where_json_was_asked(srv: FakeServer, fixtures_dir: Path) -> None:
    # The members-only cited-by service answers XML (here not even well-formed): not our API.
    xml = (fixtures_dir / "crossref/cited-by-forward-link-hirmeos.xml").read_bytes()
    srv.route("GET", f"/crossref/works/{PLOS.value}", body=xml, content_type="application/xml")
    cfg = config_for(srv)
    with pytest.raises(BadResponse, match="XML instead of JSON .*check its URL setting") as info:
        Crossref(cfg, HttpFactory(cfg)).lookup(PLOS)
    assert info.value.source == "crossref"


def test_retired_event_data_answer_is_refused_as_truncated(srv: FakeServer, fixtures_dir: Path) -> None:
    # Crossref Event Data is retired; an old mirror of it answers truncated JSON.
    body = (fixtures_dir / "eventdata/events-list-paperbuzz.json").read_bytes()
    srv.route("GET", f"/crossref/works/{PLOS.value}", body=body, content_type="application/json")
    cfg = config_for(srv)
    with pytest.raises(BadResponse, match="malformed or truncated JSON"):
        Crossref(cfg, HttpFactory(cfg)).lookup(PLOS)


# --- Wikipedia's old XML format ---
@pytest.mark.parametrize(
    "name", ["search-xml-one-hit-total-impact.xml", "search-xml-empty-total-impact.xml"]
)
def test_wikipedia_xml_answer_is_refused_clearly(srv: FakeServer, fixtures_dir: Path, name: str) -> None:
    # We ask format=json; an endpoint answering XML (even one with a hit) is misconfigured.
    srv.route("GET", "/w/api.php", body=(fixtures_dir / "wikipedia" / name).read_bytes(),
              content_type="text/xml; charset=utf-8")
    cfg = config_for(srv)
    with pytest.raises(BadResponse, match="XML instead of JSON") as info:
        Wikipedia(cfg, HttpFactory(cfg)).lookup(PLOS)
    assert info.value.source == "wikipedia"
    assert srv.requests_to("/w/api.php")[0].query["format"] == ["json"]


def test_xml_without_a_content_type_is_still_named(srv: FakeServer, fixtures_dir: Path) -> None:
    body = (fixtures_dir / "wikipedia/search-xml-one-hit-total-impact.xml").read_bytes()
    srv.route("GET", "/w/api.php", body=body, content_type="application/octet-stream")
    cfg = config_for(srv)
    with pytest.raises(BadResponse, match="XML instead of JSON"):
        Wikipedia(cfg, HttpFactory(cfg)).lookup(PLOS)
