"""Polling a watched web site the way the scheduler does (``run_poll``), and reading back what
that one poll filed under each item."""

from __future__ import annotations

from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.polling.resolve import PageReader
from sources.base import Source
from storage.mentions import StoredMention, mentions_of


def poll_sites(
    ctx: Context, source: Source, *, resolver: PageReader | None = None
) -> list[tuple[int, list[StoredMention]]]:
    """Run one poll of ``source``; ``(item id, its new mentions)`` for each item that got some,
    in item order. The poll's own questions about single identifiers are answered too."""
    report = run_poll(ctx, source, resolver=resolver)
    rows = ctx.store.db.execute(
        "SELECT DISTINCT item_id FROM mentions WHERE poll_id = ? ORDER BY item_id", [report.poll_id]
    ).fetchall()
    found = []
    for (item_id,) in rows:
        ids = {r[0] for r in ctx.store.db.execute(
            "SELECT id FROM mentions WHERE poll_id = ? AND item_id = ?", [report.poll_id, item_id]
        ).fetchall()}
        found.append((item_id, [m for m in mentions_of(ctx.store.db, item_id, limit=1000) if m.id in ids]))
    return found
