"""Filing what a poll found under its items and writing the alerts, in one transaction: shared
by the poll of one item at a time (handlers.polling.poll) and the sweep of many
(handlers.polling.sweep)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from core.models import Identifier, SourceResult
from handlers.alerts import detect
from handlers.context import Context
from handlers.polling.asking import owner_of, store_results
from sources.base import Source
from storage import Database, polls
from storage import asked as asked_store
from storage.mentions import StoredMention


def enqueue(
    ctx: Context, db: Any, *, source: Source, poll_id: int, owners: set[int], first: Callable[[int], bool],
    new_by_item: dict[int, list[StoredMention]], changed_by_item: dict[int, list[Any]],
) -> int:
    """Alert rows for the items that gained attention; ``first(owner)`` marks a baseline poll."""
    first_alerts = ctx.options.alert_on_first_poll
    written = 0
    for owner in sorted(owners):
        # The first poll of a pair only records what is already there, unless asked otherwise.
        if first(owner) and not first_alerts:
            continue
        written += len(
            detect.enqueue_alerts(
                ctx, db, item_id=owner, source=source, poll_id=poll_id,
                new_mentions=new_by_item.get(owner, []),
                changes=detect.rises(changed_by_item.get(owner, [])),
            )
        )
    return written


def store_and_detect(
    ctx: Context, source: Source, poll_id: int, item_id: int, results: list[SourceResult],
    *, asked: list[Identifier], db: Database | None = None,
) -> tuple[int, bool, int]:
    """Store one item's answers and write its alerts in ONE transaction (``db``'s, when given:
    a sweep stores a page of items in one), and note when the source asked about it.

    Returns (new mentions, baseline recorded, alerts written).
    """
    with ctx.store.transaction() if db is None else nullcontext(db) as db:
        asked_store.mark_asked(db, item_id, source.name)
        baseline = not polls.has_baseline(db, item_id, source.name)
        new_by_item: dict[int, list[StoredMention]] = {}
        changed_by_item: dict[int, list[Any]] = {}
        outcome = store_results(
            db, item_id, results, poll_id=poll_id, asked=asked, store_authors=ctx.options.store_authors
        )
        for m in outcome.new_mentions:
            new_by_item.setdefault(m.item_id, []).append(m)
        for count, before in outcome.changed_counts:
            changed_by_item.setdefault(owner_of(db, item_id, count.identifier), []).append((count, before))
        if baseline:
            polls.set_baseline(db, item_id, source.name)
        written = enqueue(
            ctx, db, source=source, poll_id=poll_id, owners=set(new_by_item) | set(changed_by_item),
            first=lambda owner: baseline if owner == item_id else not polls.has_baseline(db, owner, source.name),
            new_by_item=new_by_item, changed_by_item=changed_by_item,
        )
        found = sum(len(v) for v in new_by_item.values())
    return found, baseline, written
