"""One work, one item: identifiers found together on a landing page (or in one import row) that
already belong to two items make those items one; a template's home-page canonical link does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.identifiers import parse_identifier
from core.models import Count, Mention
from handlers.context import Context
from handlers.router import dispatch
from sources.factory import HttpFactory
from sources.landing import LandingPage, extract_identifiers
from sources.wikipedia import Wikipedia
from storage import counts, items, outbox, watches
from storage.mentions import add_mentions, mentions_of
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.http import FakeServer
from tests.fakes.polls import poll_sites

DATA = paths.DATA
SITE = "https://scholarsbank.example.edu"


def reader_of(pages: dict[str, str]):  # type: ignore[no-untyped-def]
    """A PageReader serving tests/data/landing files by URL path."""

    def read(url: str) -> LandingPage:
        name = next(file for path, file in pages.items() if path in url)
        return extract_identifiers((DATA / "landing" / name).read_bytes(), base_url=url)

    return read


@pytest.fixture
def wiki_linking():  # type: ignore[no-untyped-def]
    servers: list[FakeServer] = []

    def start(*urls: str) -> Wikipedia:
        srv = FakeServer().start()
        servers.append(srv)
        srv.route("GET", "/w/api.php", json={"batchcomplete": True, "query": {"exturlusage": [
            {"pageid": 100 + n, "ns": 0, "title": f"Article {n}", "url": url} for n, url in enumerate(urls)
        ]}})
        config = sources_config(urls={"wikipedia": f"{srv.url}/w/api.php"}, wikipedia_langs=("en",))
        return Wikipedia(config, HttpFactory(config, sleep=lambda s: None))

    yield start
    for srv in servers:
        srv.stop()


def test_a_page_declaring_a_doi_and_a_handle_watched_apart_makes_them_one_item(ctx: Context, wiki_linking) -> None:  # type: ignore[no-untyped-def]
    db = ctx.store.db
    dispatch(ctx, "watch 10.99999/estuary.2018", channel="C1")
    dispatch(ctx, "watch hdl:1794/30001", channel="C1")
    dispatch(ctx, "watch domain scholarsbank.example.edu", channel="C1")
    doi_item = items.find_item_id(db, parse_identifier("10.99999/estuary.2018"))
    hdl_item = items.find_item_id(db, parse_identifier("hdl:1794/30001"))
    assert doi_item != hdl_item
    with ctx.store.transaction() as tx:
        add_mentions(tx, hdl_item, [Mention(source="mastodon", external_id="toot-1", title="A toot about the Handle")])
    source = wiki_linking(f"{SITE}/handle/1794/30001?show=full")

    poll_sites(ctx, source, resolver=reader_of({"/handle/1794/30001": "dspace7-doi-and-handle.html"}))

    # The oldest item (watched by DOI) keeps its id and takes the Handle's aliases and mentions.
    assert items.find_item_id(db, parse_identifier("hdl:1794/30001")) == doi_item
    assert items.get_item(db, hdl_item) is None
    titles = sorted(m.title or "" for m in mentions_of(db, doi_item))
    assert titles == ["A toot about the Handle", "Article 0"]
    listing = dispatch(ctx, "list", channel="C1").text
    assert listing.count("10.99999/estuary.2018") == 1
    assert "handle:1794/30001" in listing.splitlines()[1]  # on the same line: one item
    assert watches.count_watches(db, "C1") == 1


def test_merging_keeps_watches_collections_threads_and_one_count_series(ctx: Context) -> None:
    db = ctx.store.db
    doi, hdl = parse_identifier("10.99999/estuary.2018"), parse_identifier("hdl:1794/30001")
    with ctx.store.transaction() as tx:
        maps = watches.ensure_collection(tx, "C1", "maps")
        a, _ = watches.watch_item(tx, "C1", [doi])
        b, _ = watches.watch_item(tx, "C1", [hdl], title="Estuary cores", collection_id=maps)
        watches.watch_item(tx, "C2", [hdl])
        counts.record_counts(tx, a, [Count(source="altmetric", metric="score", value=5)])
        counts.record_counts(tx, b, [Count(source="altmetric", metric="score", value=3),
                                     Count(source="crossref", metric="citations", value=7)])
        outbox.set_thread(tx, "C2", b, "1700000000.000100")
        assert items.merge_owners(tx, [hdl, doi]) == a
    assert [w.item.title for w in watches.list_watches(db, "C1", collection="maps")] == ["Estuary cores"]
    assert watches.channels_watching(db, a) == ["C1", "C2"]
    assert outbox.thread_ts(db, "C2", a) == "1700000000.000100"  # later alerts stay in the thread
    assert counts.latest_all(db, a) == {("altmetric", "score"): 5.0, ("crossref", "citations"): 7.0}


def test_an_import_row_with_a_doi_and_a_handle_joins_their_items(ctx: Context, tmp_path: Path) -> None:
    dispatch(ctx, "watch 10.99999/map.3", channel="C1")
    dispatch(ctx, "watch hdl:1794/5003", channel="C1")
    csv = tmp_path / "maps.csv"
    csv.write_text("doi,handle,title\n10.99999/map.3,1794/5003,\"Railway survey, 1880\"\n")
    reply = dispatch(ctx, f"watch collection maps from {csv}", channel="C1", operator=True)
    assert reply.ok and "imported 1 item (0 new)" in reply.text
    (w,) = watches.list_watches(ctx.store.db, "C1", collection="maps")
    assert [i.key for i in w.item.identifiers] == ["doi:10.99999/map.3", "handle:1794/5003"]


def test_a_canonical_link_to_the_home_page_does_not_fold_every_page_into_one(ctx: Context, wiki_linking) -> None:  # type: ignore[no-untyped-def]
    dispatch(ctx, "watch domain omeka.example.edu", channel="C1")
    source = wiki_linking("https://omeka.example.edu/items/show/12", "https://omeka.example.edu/items/show/13")
    found = poll_sites(ctx, source, resolver=reader_of({"/items/show/": "omeka-home-canonical.html"}))
    assert len(found) == 2  # two letters, two items
    for item_id, _ in found:
        item = items.get_item(ctx.store.db, item_id)
        assert item is not None and "url:https://omeka.example.edu/" not in [i.key for i in item.identifiers]


def test_mentions_found_before_a_merge_in_the_same_poll_land_on_the_merged_item(ctx: Context, wiki_linking) -> None:  # type: ignore[no-untyped-def]
    db = ctx.store.db
    dispatch(ctx, "watch 10.99999/estuary.2018", channel="C1")
    dispatch(ctx, "watch hdl:1794/30001", channel="C1")
    dispatch(ctx, "watch domain scholarsbank.example.edu", channel="C1")
    # The old xmlui page names only the Handle; the new page names the DOI too and merges.
    source = wiki_linking(f"{SITE}/xmlui/handle/1794/30001", f"{SITE}/handle/1794/30001")
    reader = reader_of({"/xmlui/": "dspace6-handle-only.html", "/handle/": "dspace7-doi-and-handle.html"})

    found = poll_sites(ctx, source, resolver=reader)

    doi_item = items.find_item_id(db, parse_identifier("10.99999/estuary.2018"))
    assert [(item, len(new)) for item, new in found] == [(doi_item, 2)]
    assert sorted(m.title or "" for m in mentions_of(db, doi_item)) == ["Article 0", "Article 1"]
