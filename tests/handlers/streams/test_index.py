"""The in-memory index: what an event names, with the parser's own normalisation, and that it
notices when watches change."""

from __future__ import annotations

import json

from core.identifiers import parse_identifier
from handlers.context import Context
from handlers.router import dispatch
from handlers.streams.index import WatchIndex
from sources.jetstream import parse_event
from sources.streaming import Post
from storage import items
from storage.streams import watch_version
from tests import paths

EVENTS = json.loads((paths.DATA / "streams" / "jetstream-posts.json").read_text())


def _item(ctx: Context, typed: str) -> int:
    found = items.find_item_id(ctx.store.db, parse_identifier(typed))
    assert found is not None
    return found


def test_a_post_names_an_item_by_facet_embed_card_or_text_and_near_misses_name_none(
    ctx: Context,
) -> None:
    assert dispatch(ctx, "watch 10.5555/abc hdl:2027/abc", channel="C1").ok
    assert dispatch(ctx, "watch domain repo.example.edu/maps", channel="C1").ok
    index = WatchIndex.load(ctx.store.db)
    posts = [
        e.post for e in (parse_event(raw) for raw in EVENTS) if e is not None and e.post is not None
    ]
    found = {p.id.rsplit("/", 1)[1]: index.match(p) for p in posts}
    doi, handle = _item(ctx, "10.5555/abc"), _item(ctx, "hdl:2027/abc")
    assert set(found["3lfacet1"].items) == {doi}  # facet: https://doi.org/10.5555/ABC
    assert set(found["3lembed2"].items) == {doi}  # card: http://dx.doi.org/10.5555%2Fabc
    assert set(found["3lmedia3"].items) == {handle}  # card inside recordWithMedia
    assert set(found["3ltext4"].items) == {doi}  # "Cite it as doi:10.5555/ABC."
    assert not found["3lmiss5"]  # 10.5555/abc1 and 10.5555/abcd are other DOIs
    assert found["3lsite6"].site_links == ["https://repo.example.edu/maps/12"]
    assert not found["3lplain9"]


def test_urls_match_whatever_their_scheme_case_or_tracking_and_publisher_links_by_their_doi(
    ctx: Context,
) -> None:
    assert dispatch(
        ctx, "watch https://example.org/page 10.1371/journal.pone.0012345", channel="C1"
    ).ok
    index = WatchIndex.load(ctx.store.db)
    page, plos = _item(ctx, "https://example.org/page"), _item(ctx, "10.1371/journal.pone.0012345")
    for link in ("http://EXAMPLE.org/page/", "https://example.org:443/page?utm_source=x#top"):
        assert set(index.match(Post(id="p", url="u", links=(link,))).items) == {page}, link
    publisher = "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0012345"
    assert set(index.match(Post(id="p", url="u", links=(publisher,))).items) == {plos}
    text = Post(id="p", url="u", text="read https://example.org/page today")
    assert set(index.match(text).items) == {page}
    assert not index.match(Post(id="p", url="u", links=("https://example.org/page2",)))


def test_matching_asks_the_database_nothing(ctx: Context) -> None:
    assert dispatch(ctx, "watch 10.5555/abc", channel="C1").ok
    index = WatchIndex.load(ctx.store.db)
    statements: list[str] = []
    ctx.store.db.conn.set_trace_callback(statements.append)
    try:
        for raw in EVENTS * 50:
            event = parse_event(raw)
            if event is not None and event.post is not None:
                index.match(event.post)
    finally:
        ctx.store.db.conn.set_trace_callback(None)
    assert statements == []


def test_watching_unwatching_and_sites_move_the_watch_version(ctx: Context) -> None:
    db = ctx.store.db
    seen = [watch_version(db)]
    for command in (
        "watch 10.5555/abc",
        "watch domain repo.example.edu",
        "unwatch 10.5555/abc",
        "unwatch domain repo.example.edu",
    ):
        assert dispatch(ctx, command, channel="C1").ok
        seen.append(watch_version(db))
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False)), seen
    before = watch_version(db)
    assert dispatch(ctx, "list", channel="C1").ok
    assert watch_version(db) == before  # reading changes nothing
