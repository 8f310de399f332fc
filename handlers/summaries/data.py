"""Summaries of a channel's attention over a period: the data (handlers.summary_render shows it).

Pure given the store and the times passed in. Periods are half-open ``[start, end)`` in UTC ISO
text, compared with ``first_seen_at``: a mention counts in the week the bot first saw it, so a
week already summarised never changes afterwards.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from core.identifiers import display, identifier_url
from core.models import Item
from core.scoring import weights as score_weights
from core.sets import kind_of
from core.times import iso, parse
from handlers.context import Context
from storage import Database
from storage import items as items_store
from storage import mentions as mentions_store
from storage import summaries as summaries_store
from storage import watches as watches_store

TOP_ITEMS = 5
#: Newly watched items listed by name; the rest are counted.
NEWLY_WATCHED_SHOWN = 10


class CountChange(BaseModel):
    """A number a source reports that rose in the period (citations 3 -> 5)."""

    model_config = ConfigDict(frozen=True)

    metric: str
    before: float
    after: float
    source_label: str


class ItemChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: int
    label: str
    identifier: str | None = None
    url: str | None = None
    new_mentions: int = 0
    score_before: float = 0.0
    score_after: float = 0.0
    #: Source labels of the new mentions, most mentions first.
    sources: tuple[str, ...] = ()
    #: Counts that rose in the period.
    counts: tuple[CountChange, ...] = ()

    @property
    def gain(self) -> float:
        return round(self.score_after - self.score_before, 2)


class SourceShare(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    label: str
    mentions: int
    score: float
    items: int


class DayCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: str
    source: str
    mentions: int


class NewlyWatched(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: int
    label: str
    identifier: str | None = None
    url: str | None = None
    watched_at: str


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    start: str
    end: str
    tz: str = "UTC"
    #: The collection summarised, or None for everything the channel watches.
    collection: str | None = None
    #: What the period is: "the last 7 days" (on demand), "the week" (the weekly post).
    window: str = ""
    new_mentions: int = 0
    items_with_attention: int = 0
    score: float = 0.0
    previous_score: float = 0.0
    top: tuple[ItemChange, ...] = ()
    by_source: tuple[SourceShare, ...] = ()
    #: Local calendar days of the period, oldest first, and mentions per day and source.
    days: tuple[str, ...] = ()
    daily: tuple[DayCount, ...] = ()
    newly_watched: tuple[NewlyWatched, ...] = ()

    @property
    def has_attention(self) -> bool:
        return self.items_with_attention > 0

    @property
    def period_days(self) -> int:
        if self.days:  # calendar days: the last 7 days are 7 even while today is not over
            return len(self.days)
        return max(1, round((parse(self.end) - parse(self.start)).total_seconds() / 86400))

    @property
    def scope(self) -> str:
        """``C1`` or ``C1, collection maps``: what the summary covers."""
        return self.channel + (f", {kind_of(self.collection)} {self.collection}" if self.collection else "")

    @property
    def label(self) -> str:
        """``19 Oct - 25 Oct 2026`` in the summary's time zone."""
        zone = ZoneInfo(self.tz)
        first = parse(self.start).astimezone(zone)
        last = (parse(self.end) - timedelta(seconds=1)).astimezone(zone)
        if first.date() == last.date():
            return f"{last:%d %b %Y}"
        return f"{first:%d %b} - {last:%d %b %Y}"


def _item_label(item: Item) -> str:
    """The title, else the identifier as people write it (``10.1234/abc``, not ``doi:10.1234/abc``)."""
    return item.title or (display(item.primary) if item.primary else item.label)


def _source_label(ctx: Context, name: str) -> str:
    source = ctx.source(name)
    return source.label if source is not None else name


def _days(start: str, end: str, zone: ZoneInfo) -> list[date]:
    first = parse(start).astimezone(zone).date()
    last = (parse(end) - timedelta(seconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


#: How an item without mentions ranks before its rising counts are counted: it gained no score.
_COUNTS_ONLY = (0.0, 0)


def _choose_top(
    db: Database,
    top: int,
    *,
    channel: str | None,
    start: str,
    end: str,
    ranks: dict[int, tuple[float, int]],
    counts_only: set[int],
) -> tuple[list[int], dict[int, Item]]:
    """The ``top`` items, and those items: ranked on the score gained, then new mentions (the
    ``ranks`` of items with mentions), then how many of their counts rose, then by name.

    A week of a big watchlist has tens of thousands of items with attention: the rising
    counts and the names are looked up only for the items tied where the list is cut."""
    if top <= 0:
        return [], {}
    keys = [*ranks.values(), *([_COUNTS_ONLY] * min(top, len(counts_only)))]
    cut = heapq.nsmallest(top, keys)[-1] if keys else _COUNTS_ONLY
    sure = [i for i, k in ranks.items() if k < cut]
    tied = [i for i, k in ranks.items() if k == cut]
    if cut > _COUNTS_ONLY:
        sure += counts_only
    elif cut == _COUNTS_ONLY:
        tied += counts_only
    if len(sure) + len(tied) > top:
        # Ties: more rising counts first, then by name, among those that can still make it.
        rises = summaries_store.rises_per_item(db, channel, start, end, item_ids=tied)
        least = heapq.nlargest(top - len(sure), (rises.get(i, 0) for i in tied))[-1]
        tied = [i for i in tied if rises.get(i, 0) >= least]
    else:
        rises = {}
    known = items_store.get_items(db, [*sure, *tied])

    def label_of(item_id: int) -> str:
        item = known.get(item_id)
        return (_item_label(item) if item else f"item {item_id}").lower()

    tied.sort(key=lambda i: (-rises.get(i, 0), label_of(i)))
    return sure + tied[: top - len(sure)], known


def build_summary(
    ctx: Context,
    channel: str,
    *,
    start: str,
    end: str,
    tz: str | None = None,
    top: int = TOP_ITEMS,
    collection: str | None = None,
    window: str = "",
) -> Summary:
    """What happened to the attention of a channel's items in [start, end), or of the items of
    one of its collections (a name unknown there gives an empty summary: check it first).

    Mentions count in the period the bot first saw them; the chart places each on the day it
    was written when the source says and that day is in the period (else the day it was seen)."""
    zone_name = tz or ctx.options.summary_tz
    zone = ZoneInfo(zone_name)
    table = score_weights(ctx.score_weights)

    def weight(kind: str) -> float:
        return table.get(kind, table["other"])

    def item_score(item_id: int, before: str) -> float:
        kinds = mentions_store.kind_counts_of(db, item_id, before=before)
        return round(sum(weight(k) * n for k, n in kinds.items()), 2)

    db = ctx.store.db
    item_ids = watches_store.collection_item_ids(db, channel, collection) if collection else None
    # A channel watching every item (a bot with one channel) needs no check of its watches.
    scope = None if summaries_store.watches_every_item(db, channel) else channel
    # What an item's first poll found is attention it had before it was watched, not news:
    # unless those were alerted about too (ATTENTION_ALERT_ON_FIRST_POLL).
    fresh_only = not ctx.options.alert_on_first_poll
    found = mentions_store.mention_facts_between(
        db, start, end, channel=scope, exclude_baseline=fresh_only, item_ids=item_ids
    )
    length = parse(end) - parse(start)
    previous = mentions_store.kind_counts_between(
        db, iso(parse(start) - length), start, channel=scope, exclude_baseline=fresh_only,
        item_ids=item_ids,
    )
    rising = summaries_store.rising_items(db, scope, start, end, item_ids=item_ids)

    # One pass over the period's mentions (10,000 a week of a big watchlist) for everything
    # counted from them.
    kind_weight = {kind: weight(kind) for kind in {f[2] for f in found}}
    mention_count: Counter[int] = Counter()
    gained: defaultdict[int, float] = defaultdict(float)
    shares: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    items_of: dict[str, set[int]] = defaultdict(set)
    daily: Counter[tuple[str, str]] = Counter()
    days = _days(start, end, zone)
    # Local midnights as UTC text: a mention's day is found by comparing text, not by parsing
    # 10,000 times.
    midnights = [iso(datetime.combine(d, time(0), tzinfo=zone)) for d in days[1:]]
    day_texts = [d.isoformat() for d in days]
    for item_id, source, kind, seen, written in found:
        mention_count[item_id] += 1
        gained[item_id] += kind_weight[kind]
        share = shares[source]
        share[0] += 1
        share[1] += kind_weight[kind]
        items_of[source].add(item_id)
        # Stored times are UTC ISO text of one form, so they compare as text.
        when = written if written and start <= written < end else seen
        daily[(day_texts[bisect.bisect_right(midnights, when)], source)] += 1
    attended = len(mention_count.keys() | rising)

    chosen, known = _choose_top(
        db, top, channel=scope, start=start, end=end,
        ranks={i: (-round(gained[i], 2), -n) for i, n in mention_count.items()},
        counts_only=rising - mention_count.keys(),
    )
    per_item: dict[int, Counter[str]] = {i: Counter() for i in chosen}
    for item_id, source, _, _, _ in found:
        if item_id in per_item:
            per_item[item_id][source] += 1
    rises_of: dict[int, list[summaries_store.CountRise]] = defaultdict(list)
    for r in summaries_store.count_rises(db, channel, start, end, item_ids=chosen) if chosen else ():
        rises_of[r.item_id].append(r)
    changes = []
    for item_id in chosen:
        item = known.get(item_id)
        primary = item.primary if item else None
        # The score it ended with, less what it gained: old mentions found when it was
        # watched are part of its score, never of its gain.
        after = item_score(item_id, end)
        changes.append(
            ItemChange(
                item_id=item_id,
                label=_item_label(item) if item else f"item {item_id}",
                identifier=display(primary) if primary else None,
                url=identifier_url(primary) if primary else None,
                new_mentions=mention_count[item_id],
                score_before=round(after - gained[item_id], 2),
                score_after=after,
                sources=tuple(_source_label(ctx, s) for s, _ in per_item[item_id].most_common()),
                counts=tuple(
                    CountChange(metric=r.metric, before=r.before, after=r.after,
                                source_label=_source_label(ctx, r.source))
                    for r in rises_of[item_id]
                ),
            )
        )
    changes.sort(key=lambda c: (-c.gain, -c.new_mentions, -len(c.counts), c.label.lower()))

    by_source = sorted(
        (
            SourceShare(source=s, label=_source_label(ctx, s), mentions=int(n), score=round(p, 2),
                        items=len(items_of[s]))
            for s, (n, p) in shares.items()
        ),
        key=lambda s: (-s.score, -s.mentions, s.label.lower()),
    )

    watched = []
    for w in summaries_store.watched_between(db, channel, start, end, item_ids=item_ids):
        item = items_store.get_item(db, w.item_id)
        if item is None:
            continue
        watched.append(
            NewlyWatched(
                item_id=item.id, label=_item_label(item), watched_at=w.created_at,
                identifier=display(item.primary) if item.primary else None,
                url=identifier_url(item.primary) if item.primary else None,
            )
        )

    return Summary(
        channel=channel, start=start, end=end, tz=zone_name, collection=collection, window=window,
        new_mentions=len(found),
        items_with_attention=attended,
        score=round(sum(kind_weight[f[2]] for f in found), 2),
        previous_score=round(sum(weight(kind) * n for kind, n in previous.items()), 2),
        top=tuple(changes),
        by_source=tuple(by_source),
        days=tuple(day_texts),
        daily=tuple(DayCount(day=d, source=s, mentions=n) for (d, s), n in sorted(daily.items())),
        newly_watched=tuple(watched),
    )
