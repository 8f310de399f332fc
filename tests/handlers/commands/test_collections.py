"""CSV imports, domain watches and the `check` audit, as a user types them."""

from __future__ import annotations

import pytest

from core.errors import InputError
from handlers.commands.check import audit, check_command
from handlers.commands.collections import normalise_target
from handlers.commands.importing import csv_rows, import_csv, record_identifiers
from handlers.context import Context
from handlers.replies import Command
from handlers.router import dispatch
from sources.errors import SourceTimeout
from sources.landing import extract_identifiers
from sources.oaipmh import OaiRecord
from sources.urlrules import parse_rules
from storage import watches
from tests import paths

DATA = paths.DATA
CSV = DATA / "collections" / "maps.csv"


def test_csv_import_by_header_names_with_aliases_and_refusals(ctx: Context) -> None:
    ctx.options = ctx.options.model_copy(update={"url_rules": "/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}"})
    report = import_csv(ctx, CSV.read_text(), channel="C1", collection="maps", origin=str(CSV))
    assert report.rows == 4 and report.new_items == 4
    assert report.refused == ["row 5: `not-an-id` is not an identifier this bot knows"]
    items = {w.item.title: [i.key for i in w.item.identifiers] for w in watches.list_watches(ctx.store.db, "C1", collection="maps")}
    assert items["Railway survey, 1880"] == ["doi:10.99999/map.3", "handle:1794/5003"]
    assert items["Harbour chart 1850"] == ["handle:1794/5001"]
    # A CONTENTdm URL gets its rule key too, so any view of the map finds the item.
    assert "key:contentdm:maps/12" in items["Contentdm map"]
    assert report.summary() == "imported 4 items (4 new); 1 row refused: row 5: `not-an-id` is not an identifier this bot knows"


def test_reimport_is_idempotent(ctx: Context) -> None:
    import_csv(ctx, CSV.read_text(), channel="C1", collection="maps", origin="x")
    again = import_csv(ctx, CSV.read_text(), channel="C1", collection="maps", origin="x")
    assert again.rows == 4 and again.new_items == 0
    assert watches.count_watches(ctx.store.db, "C1") == 4


def test_csv_without_header_uses_first_column_and_second_as_title() -> None:
    rows = list(csv_rows((DATA / "collections" / "noheader.csv").read_text()))
    assert [(i[0].key, t) for i, t in rows] == [("doi:10.99999/plain.1", "First"), ("handle:1794/7", "Second")]  # type: ignore[misc]


def test_watch_collection_from_a_local_file_only_in_the_shell(ctx: Context) -> None:
    ok = dispatch(ctx, f"watch collection maps from {CSV}", channel="C1", operator=True)
    assert ok.ok and ok.text.startswith("Collection maps: imported 4 items (4 new); 1 row refused")
    slack = dispatch(ctx, f"watch collection maps from {CSV}", channel="C1", user="U123")
    assert not slack.ok and "attention-bot import" in slack.text
    bad = dispatch(ctx, "watch collection maps of x.csv", channel="C1")
    assert not bad.ok and "watch collection <name> from" in bad.text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("digital.library.example.edu/collections/maps/", "digital.library.example.edu/collections/maps"),
        ("https://Repo.Example.edu", "repo.example.edu"),
        ("repo.example.edu:8443/handle", "repo.example.edu:8443/handle"),
        ("https://repo.example.edu:443/handle/", "repo.example.edu/handle"),  # links lose :443 too
        ("repo.example.edu:80", "repo.example.edu"),
    ],
)
def test_domain_targets_are_normalised(typed: str, stored: str) -> None:
    assert normalise_target(typed) == stored


@pytest.mark.parametrize("typed", ["ftp://repo.example.edu", "not a host", "repo", "repo.example.edu:99999", "repo.example.edu:0", "repo.example.edu/x?y=1"])
def test_bad_domain_targets_say_how_to_write_one(typed: str) -> None:
    with pytest.raises(Exception, match="host|port|path"):
        normalise_target(typed)


@pytest.mark.parametrize(("typed", "name"), [("repo.example.edu/\x1b[31mmaps", "\\x1b"), ("repo.example.edu/\u202eparg", "U+202E")])
def test_invisible_characters_in_a_site_are_refused_and_shown_escaped(ctx: Context, typed: str, name: str) -> None:
    reply = dispatch(ctx, f"watch domain {typed}", channel="C1")
    assert not reply.ok and name in reply.text and "do not show" in reply.text
    assert "\x1b" not in reply.text and "\u202e" not in reply.text
    assert watches.list_domains(ctx.store.db, "C1") == []


def test_a_wildcard_site_says_to_give_the_host() -> None:
    with pytest.raises(InputError, match="without a wildcard, e.g. `watch domain example.edu`"):
        normalise_target("*.example.edu")


def test_watch_and_unwatch_domain_with_a_collection_of_two_sites(ctx: Context) -> None:
    r = dispatch(ctx, "watch domain old-repo.example.edu collection=theses", channel="C1")
    assert r.ok and "Now watching links to old-repo.example.edu (collection theses)" in r.text
    dispatch(ctx, "watch domain repo.example.edu/handle/1794 collection=theses", channel="C1")
    assert watches.collection_domains(ctx.store.db, "C1", "theses") == ["old-repo.example.edu", "repo.example.edu/handle/1794"]
    assert "Already watched" in dispatch(ctx, "watch domain old-repo.example.edu", channel="C1").text
    assert "old-repo.example.edu" in dispatch(ctx, "list", channel="C1").text
    assert dispatch(ctx, "unwatch domain old-repo.example.edu", channel="C1").ok
    assert not dispatch(ctx, "unwatch domain old-repo.example.edu", channel="C1").ok
    assert not dispatch(ctx, "watch domain", channel="C1").ok


def _page(name: str, url: str = "https://repo.example.edu/item/1"):
    return extract_identifiers((DATA / "landing" / name).read_bytes(), base_url=url)


def test_audit_of_an_ojs_page_is_all_green() -> None:
    a = audit(_page("ojs.html"))
    assert a.altmetric_ok and a.scholar_missing == ()
    assert a.fix.startswith("nothing")


def test_audit_of_dspace7_says_to_declare_the_handle() -> None:
    a = audit(_page("dspace7.html"))
    assert not a.altmetric_ok
    assert 'content="https://hdl.handle.net/20.500.12345/678"' in a.fix


def test_audit_of_contentdm_page_with_a_url_rule() -> None:
    rules = parse_rules("/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}")
    a = audit(_page("contentdm.html", "https://cdm.example.edu/digital/collection/maps/id/12"), rules=rules)
    text = "\n".join(a.lines())
    assert "[ ] Persistent identifier: none" in text
    assert "[ ] Google Scholar: missing citation_title, citation_author, citation_publication_date" in text
    assert "key:contentdm:maps/12 (URL rule)" in text
    assert "citation_doi" in a.fix


def test_check_command_replies_with_a_checklist_or_a_named_failure(ctx: Context) -> None:
    cmd = Command("check", ["https://repo.example.edu/handle/1794/22871"], "C1")
    reply = check_command(ctx, cmd, reader=lambda url: _page("dspace6.html", url))
    assert reply.ok and "[x] Persistent identifier: handle:1794/22871 (dc.identifier (DCTERMS.URI))" in reply.text
    assert "Fix:" in reply.text

    def slow(url: str):
        raise SourceTimeout("repo.example.edu did not answer within 5 s", source="resolver")

    failed = check_command(ctx, cmd, reader=slow)
    assert not failed.ok and "did not answer within 5 s" in failed.text
    refused = dispatch(ctx, "check file:///etc/passwd")
    assert not refused.ok and "only http(s) addresses are checked" in refused.text


def test_check_refuses_a_private_address(ctx: Context) -> None:
    reply = dispatch(ctx, "check http://127.0.0.1:9/secret", channel="C1")
    assert not reply.ok and "loopback" in reply.text


def test_list_shows_each_collection_with_its_old_and_new_sites(ctx: Context) -> None:
    import_csv(ctx, CSV.read_text(), channel="C1", collection="maps", origin="maps.csv")
    dispatch(ctx, "watch domain old-repo.example.edu collection=theses", channel="C1")
    dispatch(ctx, "watch domain repo.example.edu/handle/1794 collection=theses", channel="C1")
    everything = dispatch(ctx, "list", channel="C1").text
    assert ("Collections: maps (4 items); theses (0 items, sites old-repo.example.edu, "
            "repo.example.edu/handle/1794)") in everything
    theses = dispatch(ctx, "list theses", channel="C1").text
    assert theses.splitlines()[:2] == [
        "Collection theses in C1: 0 items",
        "Web sites: old-repo.example.edu, repo.example.edu/handle/1794",
    ]
    maps = dispatch(ctx, "list maps", channel="C1").text
    assert maps.startswith("Collection maps in C1: 4 items, imported from maps.csv")
    assert "Harbour chart 1850" in maps and "old-repo" not in maps
    missing = dispatch(ctx, "list charts", channel="C1")
    assert not missing.ok and "Collections here: maps, theses." in missing.text


@pytest.mark.parametrize(
    ("name", "url", "fix"),
    [
        ("dspace6.html", "https://scholarsbank.example.edu/xmlui/handle/1794/22871", "Fix: nothing"),
        ("dspace7.html", "https://repository.example.edu/handle/20.500.12345/678", "Fix: declare the Handle the URL already carries"),
        ("eprints.html", "https://eprints.example.ac.uk/4821/", "Fix: add <meta name=\"citation_title\""),
        ("ojs.html", "https://journals.example.org/index.php/jlp/article/view/456", "Fix: nothing"),
        ("islandora.html", "https://islandora.example.edu/islandora/object/letters:1204", "Fix: give each item a DOI or Handle"),
        ("omeka.html", "https://omeka.example.edu/items/show/12", "Fix: give each item a DOI or Handle"),
        ("contentdm.html", "https://cdm.example.edu/digital/collection/maps/id/12", "Fix: give each item a DOI or Handle"),
        ("plain.html", "https://www.example.edu/hours", "Fix: give each item a DOI or Handle"),
        ("omeka-home-canonical.html", "https://omeka.example.edu/items/show/12",
         'Fix: make the page name itself, not the home page: <link rel="canonical" href="https://omeka.example.edu/items/show/12">'),
    ],
)
def test_check_of_each_platform_is_a_short_checklist_ending_in_one_fix(ctx: Context, name: str, url: str, fix: str) -> None:
    reply = check_command(ctx, Command("check", [url], "C1"), reader=lambda u: _page(name, u))
    lines = reply.text.splitlines()
    assert reply.ok and lines[0].startswith(f"Trackability of {url}")
    assert 6 <= len(lines) <= 8 and all(line.startswith(("[x] ", "[ ] ", "    Tags")) for line in lines[1:-1])
    assert [line for line in lines if line.startswith("Fix:")] == [lines[-1]]
    assert lines[-1].startswith(fix)
    # What this bot will count: the page's own identifiers, never the site's home page.
    assert "example.edu/ " not in lines[-2] + " " and "example.edu/," not in lines[-2]


def test_csv_rows_are_read_like_typed_identifiers(ctx: Context) -> None:
    """Cells pasted from web pages and spreadsheets follow the same rules as `watch`."""
    report = import_csv(ctx, (DATA / "collections" / "pasted.csv").read_text(encoding="utf-8"),
                        channel="C1", collection="pasted", origin="pasted.csv")
    keys = {w.item.title: [i.key for i in w.item.identifiers] for w in watches.list_watches(ctx.store.db, "C1", collection="pasted")}
    assert keys == {
        "A DOI link without https://": ["doi:10.99999/pasted.1"],
        "A DOI ending a sentence": ["doi:10.99999/pasted.2"],
        "A DOI in brackets": ["doi:10.99999/pasted.3"],
        "A page over http": ["url:https://repo.example.edu/items/7"],  # the newsletter row is this item
        "A Handle link without https://": ["handle:2027/abc"],
        "A PubMed link": ["pmid:12345678"],
        "A page without https://": ["url:https://example.org/page"],
    }
    assert (report.rows, report.new_items) == (8, 7)
    assert len(report.refused) == 3
    assert report.refused[0].startswith("row 9: `root:x:0:0:root:/root:/bin/bash` starts with `root:`")
    assert "(\\x1b)" in report.refused[1] and "(U+202E)" in report.refused[2]
    assert not any(ch in report.summary() for ch in "\x1b\u202e"), "never echoed raw"


def test_oai_dc_identifiers_are_read_like_typed_identifiers() -> None:
    record = OaiRecord(oai_id="oai:repo:7", title="Salt marsh", identifiers=(
        "https://repo.example.edu/items/7/", "http://repo.example.edu/items/7?utm_medium=oai",
        "hdl.handle.net/1794/22871", "http://hdl.handle.net/1794/22871", "doi.org/10.99999/MARSH.7.",
        "12345", "info:eu-repo/semantics/article", "10.99999/\u200bhidden",
    ))
    idents, title = record_identifiers(record)  # type: ignore[misc]
    assert [i.key for i in idents] == ["doi:10.99999/marsh.7", "handle:1794/22871", "url:https://repo.example.edu/items/7"]
    assert title == "Salt marsh"
