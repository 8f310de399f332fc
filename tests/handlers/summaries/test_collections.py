"""Summaries and `top` of one collection, and summaries that name every source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.cli import main
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from handlers.summaries.data import SourceShare, Summary, build_summary
from handlers.summaries.render import render_summary
from sources import build_sources
from sources.config import SourcesConfig
from storage import Store, open_store
from storage.mentions import add_mentions, mentions_between
from storage.watches import ensure_collection, watch_item
from tests.fakes.summary_data import GLACIER, WEEK_END, WEEK_START, WORMS, mention, seed_week

#: Monday 26 October 2026, 00:00Z: the last 7 days hold news-1, wiki-1 and the three toots.
MONDAY = datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


@pytest.fixture
def maps_ctx(fresh_store: Store) -> Context:
    """C1 watches worms (no collection) and glacier (collection maps); C2 has a collection too."""
    seed_week(fresh_store)
    with fresh_store.transaction() as db:
        watch_item(db, "C1", [GLACIER], collection_id=ensure_collection(db, "C1", "maps"))
        ensure_collection(db, "C1", "notes")
        ensure_collection(db, "C2", "letters")
    return Context(
        store=fresh_store, options=Options(**{"summary_day": "mon", "summary_tz": "Europe/Berlin"}),
        sources=build_sources(SourcesConfig()),  # for their labels; never asked here
    )


def test_a_collection_summary_counts_only_that_collections_items(maps_ctx: Context) -> None:
    s = build_summary(maps_ctx, "C1", start=WEEK_START, end=WEEK_END, collection="maps")
    # Only glacier's two toots: worms' news, Wikipedia link and citation rise are not in maps.
    assert (s.new_mentions, s.items_with_attention, s.score, s.previous_score) == (2, 1, 1, 0)
    assert [c.label for c in s.top] == ["Glacier data"]
    assert [(b.source, b.mentions) for b in s.by_source] == [("mastodon", 2)]
    assert [w.label for w in s.newly_watched] == ["Glacier data"]
    reply = render_summary(s)
    assert reply.text.startswith("Attention summary for C1, collection maps, 19 Oct - 25 Oct 2026 (Europe/Berlin)")
    assert "Deep-sea worms" not in reply.text and "Crossref" not in reply.text
    assert reply.blocks and reply.blocks[0]["text"]["text"] == "Attention summary, collection maps: 19 Oct - 25 Oct 2026"
    # The whole channel still counts both items.
    assert build_summary(maps_ctx, "C1", start=WEEK_START, end=WEEK_END).items_with_attention == 2


def test_an_empty_collection_has_no_attention(maps_ctx: Context) -> None:
    s = build_summary(maps_ctx, "C1", start=WEEK_START, end=WEEK_END, collection="notes")
    assert not s.has_attention and not s.newly_watched
    assert "No new attention this time." in render_summary(s).text


def test_summary_and_top_commands_take_a_collection(maps_ctx: Context) -> None:
    with time_machine.travel(MONDAY, tick=False):
        reply = dispatch(maps_ctx, "summary maps", channel="C1")
        assert reply.ok, reply.text
        assert reply.text.startswith("Attention summary for C1, collection maps,")
        assert "3 new mentions, 1 item with attention" in reply.text
        assert "Deep-sea worms" not in reply.text
        assert reply.files and reply.files[0].content[:4] == b"\x89PNG"
        either_order = dispatch(maps_ctx, "summary maps 30d --private", channel="C1")
        assert either_order.ok and either_order.ephemeral and "collection maps" in either_order.text
        top = dispatch(maps_ctx, "top 3 30d maps", channel="C1")
        assert top.ok, top.text
        assert top.text.splitlines()[0].startswith("Top 1 of collection maps in the last 30 days (")
        assert "Glacier data (10.5555/glacier)" in top.text and "worms" not in top.text
        quiet = dispatch(maps_ctx, "top notes", channel="C1")
    assert quiet.ok and quiet.text.startswith("No item of collection notes gained attention in the last 7 days (")


def test_an_unknown_collection_names_the_channels_collections(maps_ctx: Context) -> None:
    bad = dispatch(maps_ctx, "summary atlas", channel="C1")
    assert not bad.ok
    assert "`atlas` is not a period (use 7d, 30d or 12w) or a collection of C1" in bad.text
    assert "collections here are maps, notes" in bad.text and "letters" not in bad.text
    top = dispatch(maps_ctx, "top 5 atlas", channel="C1")
    assert not top.ok and "collections here are maps, notes" in top.text
    none = dispatch(maps_ctx, "summary maps", channel="C9")
    assert not none.ok and "this channel has no collections yet" in none.text
    assert "`watch collection <name> from" in none.text
    # A period written wrong is still explained as a period.
    assert "use 7d, 30d or 12w" in dispatch(maps_ctx, "summary 7x", channel="C1").text
    two = dispatch(maps_ctx, "summary maps notes", channel="C1")
    assert not two.ok and "one collection at most" in two.text


def test_a_collection_named_like_a_number_is_still_found(maps_ctx: Context) -> None:
    with maps_ctx.store.transaction() as db:
        ensure_collection(db, "C1", "1794")
    with time_machine.travel(MONDAY, tick=False):
        reply = dispatch(maps_ctx, "top 1794", channel="C1")
    assert reply.ok and "collection 1794" in reply.text


def test_a_large_collection_is_filtered_in_one_query(maps_ctx: Context) -> None:
    # More ids than SQLite allows placeholders (a big OAI-PMH harvest): one JSON parameter instead.
    glacier = build_summary(maps_ctx, "C1", start=WEEK_START, end=WEEK_END, collection="maps").top[0].item_id
    ids = set(range(100_000, 140_000)) | {glacier}
    found = mentions_between(maps_ctx.store.db, WEEK_START, WEEK_END, channel="C1", item_ids=ids)
    assert [m.external_id for m in found] == ["toot-1", "toot-2"]


def test_summary_blocks_name_every_source_beyond_ten() -> None:
    shares = tuple(
        SourceShare(source=f"s{n}", label=f"Source {n:02d}", mentions=12 - n, score=12 - n, items=1)
        for n in range(1, 12)
    )
    s = Summary(
        channel="C1", start=WEEK_START, end=WEEK_END, new_mentions=66, items_with_attention=1,
        score=66, by_source=shares,
    )
    reply = render_summary(s)
    assert reply.blocks
    flat = str(reply.blocks)
    for n in range(1, 12):
        assert f"Source {n:02d}" in flat and f"Source {n:02d}" in reply.text
    [fields] = [b for b in reply.blocks if b.get("fields")][-1:]
    assert len(fields["fields"]) == 10
    assert "and 1 more source: Source 11 (1 mention)" in flat


def _recent_collection_store(path: Path) -> None:
    store = open_store(path)
    recent = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    with store.transaction() as db:
        worms, _ = watch_item(db, "C1", [WORMS], title="Deep-sea worms")
        glacier, _ = watch_item(db, "C1", [GLACIER], title="Glacier data", collection_id=ensure_collection(db, "C1", "maps"))
        add_mentions(db, worms, [mention("wikipedia", "w1", "wikipedia"), mention("feeds", "n1", "news")], seen_at=recent)
        add_mentions(db, glacier, [mention("mastodon", "t1", "social")], seen_at=recent)
    store.close()


def test_cli_summary_of_a_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _recent_collection_store(tmp_path / "attention.db")
    monkeypatch.setenv("ATTENTION_SUMMARY_POST_EMPTY", "true")  # whatever the last full week held
    assert main(["summary", "--channel", "C1", "--collection", "maps", "--period", "7d"]) == 0
    out = capsys.readouterr().out
    assert "Attention summary for C1, collection maps," in out
    assert "1 new mention, 1 item with attention" in out and "worms" not in out
    assert main(["summary", "--channel", "C1", "--collection", "atlas"]) == 1
    assert "There is no collection `atlas` in C1: collections here are maps." in capsys.readouterr().err
    posted = [main(["summary", "--channel", "C1", "--collection", "maps", "--post"]) for _ in range(2)]
    assert posted == [0, 0]
    out = capsys.readouterr().out
    assert "[#C1] Attention summary for C1, collection maps," in out  # the console is the chat
    assert "for C1, collection maps.\n" in out and "Posted the summary of" in out
    assert out.rstrip().endswith("for C1, collection maps was already posted: not posted again.")
