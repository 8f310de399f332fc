"""Deciding which items gained attention, for which channel, and writing the outbox.

Called by the poll job inside the transaction that stored the new mentions and counts, so an
alert is written if and only if what it reports is: a crash loses neither, and a rerun of the
same poll cannot add it twice (the outbox key is unique per channel + item + poll).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.identifiers import display, identifier_url
from core.models import Count, titled
from core.scoring import score
from core.times import iso, still_ahead
from handlers.context import Context
from sources.base import Source
from storage import Database, channels, items, outbox
from storage import mentions as mentions_store
from storage.mentions import StoredMention

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class CountChange:
    source: str
    metric: str
    before: float
    after: float

    def text(self) -> str:
        return f"{self.metric.replace('_', ' ')} {self.before:g} -> {self.after:g}"


def alert_key(channel: str, item_id: int, poll_id: int) -> str:
    return f"alert:{channel}:{item_id}:{poll_id}"


def rises(changed: Iterable[tuple[Count, float | None]]) -> list[CountChange]:
    """Counts that went up since the last observation (a first observation is not a rise)."""
    latest: dict[tuple[str, str], CountChange] = {}
    for count, before in changed:
        if before is not None and count.value > before:
            latest[(count.source, count.metric)] = CountChange(count.source, count.metric, before, count.value)
    return list(latest.values())


def _newest_first(mentions: Sequence[StoredMention]) -> list[StoredMention]:
    return sorted(mentions, key=lambda m: (m.occurred_at or m.first_seen_at, m.id), reverse=True)


def build_payload(
    db: Database,
    *,
    item_id: int,
    source: Source,
    poll_id: int,
    new_mentions: Sequence[StoredMention],
    changes: Sequence[CountChange],
    weights: Mapping[str, float],
    max_mentions: int,
) -> dict[str, Any]:
    """Everything an alert shows, as JSON-able data (rendered at delivery time)."""
    item = items.get_item(db, item_id)
    kinds = mentions_store.kinds_of(db, item_id)
    before_kinds = list(kinds)
    for m in new_mentions:
        if m.kind in before_kinds:
            before_kinds.remove(m.kind)
    ordered = _newest_first(new_mentions)
    shown = ordered[:max_mentions]
    primary = item.primary if item else None
    return {
        "item_id": item_id,
        "title": item.title if item else None,
        "identifier": display(primary) if primary else f"item {item_id}",
        "identifier_url": identifier_url(primary) if primary else None,
        "source": source.name,
        "source_label": getattr(source, "label", source.name),
        "poll_id": poll_id,
        "mentions": [
            {
                "title": titled(m.title, m.site),
                "url": m.url,
                "kind": m.kind,
                "source": m.source,
                "occurred_at": m.occurred_at,
                # Only a stored author (ATTENTION_STORE_AUTHORS=true) reaches the outbox.
                **({"author": m.author} if m.author else {}),
            }
            for m in shown
        ],
        "more": len(ordered) - len(shown),
        "new_count": len(ordered),
        "counts": [
            {"source": c.source, "metric": c.metric, "before": c.before, "after": c.after}
            for c in changes
        ],
        "score": score(kinds, weights),
        "score_before": score(before_kinds, weights),
    }


def _labels(names: Sequence[str]) -> str:
    """``Wikipedia``, ``Wikipedia and Hacker News``, ``A, B and C``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def merge_payloads(older: dict[str, Any], newer: dict[str, Any], *, max_mentions: int) -> dict[str, Any]:
    """One alert saying what two alerts about the same item said: every source, the newest
    mentions first (at most ``max_mentions`` shown, the rest counted), every count that rose,
    and the score from before the first to after the last."""
    sources = list(older.get("sources") or [{"name": older["source"], "label": older["source_label"]}])
    for s in newer.get("sources") or [{"name": newer["source"], "label": newer["source_label"]}]:
        if s not in sources:
            sources.append(s)
    mentions = sorted(
        [*newer.get("mentions", []), *older.get("mentions", [])],
        key=lambda m: str(m.get("occurred_at") or ""), reverse=True,
    )
    total = int(older.get("new_count") or 0) + int(newer.get("new_count") or 0)
    shown = mentions[:max_mentions]
    return {
        **newer,
        "source": sources[0]["name"],
        "source_label": _labels([s["label"] for s in sources]),
        "sources": sources,
        "mentions": shown,
        "new_count": total,
        "more": total - len(shown),
        # Each count keeps the label of the source that reported it.
        "counts": [
            {**c, "source_label": c.get("source_label") or p.get("source_label")}
            for p in (older, newer) for c in p.get("counts", [])
        ],
        "score_before": older.get("score_before", newer.get("score_before")),
    }


def enqueue_alerts(
    ctx: Context,
    db: Database,
    *,
    item_id: int,
    source: Source,
    poll_id: int,
    new_mentions: Sequence[StoredMention],
    changes: Sequence[CountChange],
) -> list[str]:
    """Write one outbox row per channel that should hear about this item; returns their keys.

    Call inside the transaction that stored ``new_mentions``. Channels that muted the item,
    filter this source out, or want a bigger score rise are skipped; a channel hearing only
    some kinds of mention gets only those. Inactive watches (a channel that is gone) are not
    recipients at all.
    """
    if not new_mentions and not changes:
        return []
    max_mentions = ctx.options.alert_max_mentions
    payloads: dict[tuple[int, ...] | None, dict[str, Any]] = {}

    def payload_for(chosen: Sequence[StoredMention] | None) -> dict[str, Any]:
        """The whole alert (None), or only the chosen mentions of it; built once each."""
        key = None if chosen is None else tuple(m.id for m in chosen)
        if key not in payloads:
            payloads[key] = build_payload(
                db, item_id=item_id, source=source, poll_id=poll_id,
                new_mentions=new_mentions if chosen is None else chosen,
                changes=changes if chosen is None else (), weights=ctx.score_weights,
                max_mentions=max_mentions,
            )
        return payloads[key]

    now = ctx.now()
    group_wait = timedelta(seconds=ctx.options.alert_group_seconds)
    keys = []
    for r in channels.recipients(db, item_id):
        s = r.settings
        if still_ahead(r.muted_until, now):
            continue
        if s.sources is None or source.name in s.sources:
            payload = payload_for(None)
        else:
            # The channel chose kinds of mention (`settings sources news,wikipedia`): a feed's
            # news stories alert there, its blog posts and a source's counts do not.
            kept = [m for m in new_mentions if m.kind in s.sources]
            if not kept:
                continue
            payload = payload_for(kept)
        if s.min_score_rise > 0 and payload["score"] - payload["score_before"] < s.min_score_rise:
            continue
        if s.mode == "digest":
            key = alert_key(r.channel, item_id, poll_id)
            if outbox.enqueue(db, key=key, channel=r.channel, kind="alert", payload=payload,
                              item_id=item_id, status="held"):
                keys.append(key)
            continue
        # A message about this item still waits for this channel: this alert joins it.
        waiting = outbox.open_group(
            db, r.channel, item_id, now=iso(now),
            round_start=iso(ctx.round_started) if ctx.round_started else None,
        )
        if waiting is not None and outbox.regroup(
            db, waiting.id, merge_payloads(waiting.payload, payload, max_mentions=max_mentions)
        ):
            keys.append(waiting.key)
            continue
        key = alert_key(r.channel, item_id, poll_id)
        if outbox.enqueue(
            db, key=key, channel=r.channel, kind="alert", payload=payload, item_id=item_id,
            not_before=iso(now + group_wait),
        ):
            keys.append(key)
    return keys


def digest_day(created_at: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(created_at).astimezone(tz).date()


def build_digests(ctx: Context) -> list[str]:
    """Gather alerts held for digest channels into one message per channel per finished day.

    A day's digest is built at the first delivery after that day ends (in the summary time
    zone); the held rows and the digest row change in one transaction.
    """
    tz = ZoneInfo(ctx.options.summary_tz)
    today = ctx.now().astimezone(tz).date()
    keys = []
    with ctx.store.transaction() as db:
        groups: dict[tuple[str, date], list[outbox.OutboxRow]] = {}
        for row, created_at in outbox.held(db):
            day = digest_day(created_at, tz)
            if day < today:
                groups.setdefault((row.channel, day), []).append(row)
        for (channel, day), rows in sorted(groups.items()):
            key = f"digest:{channel}:{day.isoformat()}"
            payload = {"channel": channel, "day": day.isoformat(), "alerts": [r.payload for r in rows]}
            if not outbox.enqueue(db, key=key, channel=channel, kind="digest", payload=payload):
                # Held rows created after that day's digest (a poll across midnight): a second one.
                key = f"{key}:{rows[0].id}"
                outbox.enqueue(db, key=key, channel=channel, kind="digest", payload=payload)
            outbox.mark_digested(db, [r.id for r in rows], key)
            keys.append(key)
    return keys
