"""The card Slack shows under a pasted link: a watched item's score, this month's sources and a
Details link; an invitation for anything else; never a question to a source."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import Block

from core.identifiers import parse_identifier
from core.models import Mention
from handlers.context import Context
from handlers.options import Options
from handlers.render import DETAILS
from handlers.router import dispatch
from handlers.web.unfurl import unfurls
from storage import items, mentions
from tests.fakes.scripted_source import ScriptedSource

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _ctx(ctx: Context, **options: object) -> Context:
    ctx.options = Options(**options)  # type: ignore[arg-type]
    ctx.now = lambda: NOW
    return ctx


def _mention(n: int, source: str, kind: str) -> Mention:
    return Mention(source=source, external_id=f"{source}{n}", kind=kind, url=f"https://{source}.example/{n}")


def test_a_watched_items_link_shows_its_score_this_months_sources_and_a_details_link(ctx: Context) -> None:
    ctx = _ctx(ctx, public_url="https://attention.example.edu")
    dispatch(ctx, "watch 10.1038/nature12373", channel="C1")
    item_id = items.find_item_id(ctx.store.db, parse_identifier("10.1038/nature12373"))
    assert item_id is not None
    with ctx.store.transaction() as db:
        mentions.add_mentions(db, item_id, [_mention(n, "mastodon", "social") for n in range(3)],
                              seen_at="2026-11-05T00:00:00+00:00")
        mentions.add_mentions(db, item_id, [_mention(1, "feeds", "news")], seen_at="2026-11-06T00:00:00+00:00")
        mentions.add_mentions(db, item_id, [_mention(2, "feeds", "news")], seen_at=(NOW - timedelta(days=60)).isoformat())
    url = "https://doi.org/10.1038/NATURE12373"
    cards = unfurls(ctx, [url, "https://example.org/not-watched", "not a link"], channel="C1")
    assert set(cards) == {url, "https://example.org/not-watched"}
    text = json.dumps(cards[url])
    assert "Attention score *18*: 2 news, 3 social" in text  # 2 x 8 + 3 x 0.5, whole from 10
    assert "This month: mastodon 3 \\u00b7 feeds 1" in text  # the older news story is not this month's
    assert "<https://attention.example.edu/items/doi/10.1038/nature12373|Details>" in text
    for block in cards[url]["blocks"]:
        Block.parse(block)  # every block is valid Block Kit


def test_without_a_public_address_details_is_the_private_lookup_button(ctx: Context) -> None:
    ctx = _ctx(ctx)
    dispatch(ctx, "watch hdl:2027/abc", channel="C1")
    card = unfurls(ctx, ["https://hdl.handle.net/2027/abc"], channel="C1")["https://hdl.handle.net/2027/abc"]
    (button,) = card["blocks"][-1]["elements"]
    assert button["action_id"] == DETAILS and button["value"] == "lookup handle:2027/abc"
    assert "No new mentions this month" in json.dumps(card)


def test_an_unwatched_link_is_one_line_inviting_a_watch_and_asks_no_source(ctx: Context) -> None:
    source = ScriptedSource()
    ctx = _ctx(ctx, public_pages=False)
    ctx.sources = [source]
    dispatch(ctx, "watch 10.1038/nature12373", channel="C0OTHER")
    cards = unfurls(ctx, ["https://doi.org/10.1038/nature12373", "https://doi.org/10.5555/new"], channel="C1")
    for card in cards.values():
        (block,) = card["blocks"]
        assert block["type"] == "context" and "/attention watch 10." in json.dumps(block)
    assert source.asked == []
