"""OAI-PMH: parsing ListRecords, following resumption tokens, a malformed record skipped."""

from __future__ import annotations

import pytest

from handlers.commands.importing import harvest
from handlers.context import Context
from handlers.router import dispatch
from sources.errors import BadResponse
from sources.oaipmh import parse_list_records
from storage import watches
from tests import paths
from tests.fakes.http import Canned, FakeServer, Recorded

DATA = paths.DATA / "oaipmh"


def xml(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_parse_page_with_token_and_a_record_without_metadata() -> None:
    page = parse_list_records(xml("page1.xml"))
    assert page.resumption_token == "col_1794_1:page2:token"
    assert page.complete_list_size == 5
    first, second, broken = page.records
    assert first.title == "Salt marsh vegetation survey, 2016 field season"
    assert "http://hdl.handle.net/1794/22871" in first.identifiers
    assert second.identifiers == ("10.99999/ESTUARY.2018", "4821")
    assert broken.problem and "no metadata" in broken.problem


def test_last_page_has_an_empty_token_and_a_deleted_record() -> None:
    page = parse_list_records(xml("page2.xml"))
    assert page.resumption_token is None
    assert page.records[0].deleted


def test_no_records_match_is_empty_and_other_errors_are_bad_responses() -> None:
    assert parse_list_records(xml("no-records.xml")).records == ()
    with pytest.raises(BadResponse, match="badResumptionToken"):
        parse_list_records(xml("bad-token.xml"))
    with pytest.raises(BadResponse, match="cannot be read"):
        parse_list_records(b"<OAI-PMH><ListRecords>")
    with pytest.raises(BadResponse, match="not an OAI-PMH"):
        parse_list_records(b"<html><body>Service Unavailable</body></html>")


def test_entity_expansion_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(BadResponse):
        parse_list_records(bomb)


@pytest.fixture
def oai() -> FakeServer:
    def respond(req: Recorded) -> Canned:
        token = req.query.get("resumptionToken", [None])[0]
        name = "page2.xml" if token == "col_1794_1:page2:token" else "page1.xml"
        return Canned(200, xml(name), {"Content-Type": "text/xml; charset=utf-8"})

    srv = FakeServer().start()
    srv.route_fn("GET", "/oai/request", respond)
    yield srv
    srv.stop()


def test_harvest_follows_tokens_skips_bad_records_and_is_idempotent(ctx: Context, oai: FakeServer) -> None:
    ctx.options = ctx.options.model_copy(update={"allow_hosts": ("127.0.0.1",)})
    seen: list[tuple[int, int | None]] = []
    report = harvest(ctx, f"{oai.url}/oai/request", channel="C1", collection="marsh",
                     set_spec="col_1794_1", progress=lambda done, total: seen.append((done, total)))
    assert report.rows == 2 and report.new_items == 2 and report.deleted == 1
    assert len(report.refused) == 2
    assert "no metadata" in report.refused[0] and "Notebook" not in report.refused[1]
    assert seen[-1][1] == 5
    first, second = oai.requests
    assert first.query == {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"], "set": ["col_1794_1"]}
    assert second.query == {"verb": ["ListRecords"], "resumptionToken": ["col_1794_1:page2:token"]}

    listed = watches.list_watches(ctx.store.db, "C1", collection="marsh")
    keys = [[i.key for i in w.item.identifiers] for w in listed]
    # Handle first, the repository's URL for the same record an alias of the same item.
    assert keys[0] == ["handle:1794/22871", "url:https://scholarsbank.example.edu/xmlui/handle/1794/22871"]
    assert keys[1] == ["doi:10.99999/estuary.2018"]

    again = harvest(ctx, f"{oai.url}/oai/request", channel="C1", collection="marsh", set_spec="col_1794_1")
    assert again.rows == 2 and again.new_items == 0
    assert len(watches.list_watches(ctx.store.db, "C1")) == 2


def test_watch_collection_command_replies_with_a_summary(ctx: Context, oai: FakeServer) -> None:
    ctx.options = ctx.options.model_copy(update={"allow_hosts": ("127.0.0.1",)})
    reply = dispatch(ctx, f"watch collection marsh from {oai.url}/oai/request set=col_1794_1", channel="C1", user="U1")
    assert reply.ok
    assert reply.text.startswith("Collection marsh: imported 2 items (2 new); 1 deleted record skipped; 2 rows refused:")
    assert "Salt marsh" in dispatch(ctx, "list marsh", channel="C1").text


def test_harvest_from_a_private_address_is_refused_unless_allowed(ctx: Context, oai: FakeServer) -> None:
    reply = dispatch(ctx, f"watch collection marsh from {oai.url}/oai/request", channel="C1", user="U1")
    assert not reply.ok and "ATTENTION_ALLOW_HOSTS" in reply.text
    assert oai.requests == []


def test_a_repository_redirecting_into_the_bots_network_is_refused_mid_harvest(ctx: Context) -> None:
    with FakeServer() as repo, FakeServer() as hidden:
        hidden.route("GET", "/admin", body="secret")

        def respond(req: Recorded) -> Canned:
            if req.query.get("resumptionToken"):  # page 2 bounces to an address nobody allowed
                return Canned(302, b"", {"Location": f"{hidden.url}/admin"})
            return Canned(200, xml("page1.xml"), {"Content-Type": "text/xml"})

        repo.route_fn("GET", "/oai/request", respond)
        ctx.options = ctx.options.model_copy(update={"allow_hosts": (repo.url.removeprefix("http://"),)})
        reply = dispatch(ctx, f"watch collection marsh from {repo.url}/oai/request", channel="C1", user="U1")
        assert not reply.ok and "loopback" in reply.text and "ATTENTION_ALLOW_HOSTS" in reply.text
        assert "imported 2 items (2 new)" in reply.text and "run the same command again" in reply.text
        assert hidden.requests == []
        assert len(repo.requests) == 2
    # What came before the refusal stays imported.
    assert len(watches.list_watches(ctx.store.db, "C1", collection="marsh")) == 2
