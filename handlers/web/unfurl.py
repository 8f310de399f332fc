"""What Slack shows under a pasted link of a watched item (``link_shared`` -> ``chat.unfurl``):
the score, the sources that mentioned it this month and a Details link. A link of an item the
channel does not watch gets one line inviting it to; no source is ever asked."""

from __future__ import annotations

import shlex
from datetime import UTC
from typing import Any

from core.errors import InputError
from core.identifiers import display, parse_identifier
from handlers.context import Context
from handlers.render import (
    BUTTON_VALUE_CHARS,
    DETAILS,
    Block,
    actions,
    button,
    context,
    escape_mrkdwn,
    link,
    section,
)
from handlers.web import attention
from storage import items as items_store
from storage import mentions as mentions_store
from storage import watches as watches_store

#: Links unfurled per message (Slack sends a handful).
MAX_LINKS = 10
TOP_SOURCES = 3


def unfurls(ctx: Context, urls: list[str], *, channel: str) -> dict[str, dict[str, Any]]:
    """``{url: {"blocks": [...]}}`` for each link that names an item (others are left alone)."""
    out: dict[str, dict[str, Any]] = {}
    for url in list(dict.fromkeys(urls))[:MAX_LINKS]:
        try:
            ident = parse_identifier(url)
        except InputError:
            continue
        db = ctx.store.db
        item_id = items_store.find_item_id(db, ident)
        shown_here = item_id is not None and (
            watches_store.is_watched(db, item_id, channel=channel)
            # its badge and page are public anyway
            or (ctx.options.public_pages and watches_store.is_watched(db, item_id))
        )
        item = items_store.get_item(db, item_id) if shown_here and item_id is not None else None
        if item is None:
            typed = display(ident)
            out[url] = {"blocks": [context(
                f"attention-bot is not watching {escape_mrkdwn(typed)} here: "
                f"`/attention watch {escape_mrkdwn(shlex.quote(typed))}` to hear when it gets attention.")]}
            continue
        out[url] = {"blocks": _card(ctx, item, ident)}
    return out


def _card(ctx: Context, item: Any, asked: Any) -> list[Block]:
    facts = attention.facts_of(ctx, item, asked)
    name = item.title or display(attention.page_identifier(item, asked))
    public = ctx.options.public_url if ctx.options.public_pages else None
    page = f"{public}/items/{facts.path}" if public else None
    parts = ", ".join(attention.kind_label(k, n) for k, n in facts.kinds.items())
    blocks: list[Block] = [section(
        f"*{link(page, name) if page else escape_mrkdwn(name)}*\n"
        f"Attention score *{facts.shown_score}*" + (f": {escape_mrkdwn(parts)}" if parts else ": no attention yet")
    )]
    now = ctx.now().astimezone(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="seconds")
    recent = mentions_store.count_by_source_since(ctx.store.db, item.id, month_start)
    top = sorted(recent.items(), key=lambda p: (-p[1], p[0]))[:TOP_SOURCES]
    if top:
        shown = " · ".join(f"{escape_mrkdwn(_label(ctx, s))} {n}" for s, n in top)
        blocks.append(context(f"This month: {shown}"))
    else:
        blocks.append(context("No new mentions this month."))
    if page:
        blocks.append(context(link(page, "Details")))
    else:  # no public page: the alert's Details button (a private lookup) instead
        typed = shlex.quote(display(attention.page_identifier(item, asked)))
        if len(typed) < BUTTON_VALUE_CHARS - 10:
            blocks.append(actions("attention_unfurl_actions",
                                  [button("Details", action_id=DETAILS, value=f"lookup {typed}")]))
    return blocks


def _label(ctx: Context, source: str) -> str:
    found = ctx.source(source)
    return found.label if found is not None else source
