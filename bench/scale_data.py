"""The synthetic data of storage_scale: watched items, mentions and count rows over two years,
shaped like the bot's. Attention is skewed (a few items get most mentions), sources and kinds
come in realistic proportions, ids and URLs are as long as the real ones."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from core.models import Identifier, opaque_id
from storage import bulk
from storage.db import Store
from storage.mentions import MentionRow
from storage.watches import watch_item

CHANNEL = "C0BENCH"
#: The summaries are asked for at this moment; the data covers the two years before it (a
#: shorter span at smaller sizes, so a week still holds as many rows).
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)

# (source, kind, share of mentions)
_MIX = (
    ("bluesky", "social", 0.30), ("mastodon", "social", 0.22), ("reddit", "forum", 0.12),
    ("feeds", "blog", 0.10), ("feeds", "news", 0.06), ("wikipedia", "wikipedia", 0.08),
    ("hackernews", "forum", 0.07), ("europepmc", "citation", 0.03), ("feeds", "policy", 0.02),
)
# (source, metric) series a watched item may have
_SERIES = (("altmetric", "score"), ("crossref", "citations"), ("openalex", "cited_by"), ("europepmc", "citations"))


def _doi(index: int) -> str:
    return f"10.5555/bench.{index}"


def _skewed(rng: random.Random, n: int) -> int:
    # Cubing a uniform number: the top 1% of items get about a fifth of the attention.
    return min(n - 1, int(n * rng.random() ** 3))


def mention_rows(n: int, n_items: int, *, span: timedelta = SPAN, seed: int = 7) -> Iterator[MentionRow]:
    """``n`` distinct mentions of items 1..n_items (item ids as created by :func:`build_items`)
    first seen over the ``span`` before NOW."""
    rng = random.Random(seed)
    sources = [(s, k) for s, k, _ in _MIX]
    weights = [w for _, _, w in _MIX]
    picks = rng.choices(sources, weights, k=n)
    step = span / n
    for seq, (source, kind) in enumerate(picks):
        item = _skewed(rng, n_items) + 1
        # Mentions arrive in the order they are first seen, and sources' ids grow with time
        # (Bluesky TIDs, Mastodon snowflakes, HN and Reddit counters): as a poll stores them.
        seen = NOW - span + step * seq
        occurred = (seen - timedelta(hours=rng.random() * 48)).isoformat(timespec="seconds")
        slug = f"{seq:08x}{rng.getrandbits(24):06x}"
        if source == "bluesky":
            # A post's id starts with its author's DID, random: ids do not grow with time.
            did = f"did:plc:{rng.getrandbits(120):030x}"
            ext = f"at://{did}/app.bsky.feed.post/3k{slug[:11]}"
            url = f"https://bsky.app/profile/{did}/post/3k{slug[:11]}"
            title = "A post linking to the paper, with the first words of what it says"
        elif source == "mastodon":
            # Stored hashed with what it mentions, as sources.mastodon does: random order too.
            status = f"https://mastodon.social/users/u{seq % 5000}/statuses/1{slug}"
            ext = f"{opaque_id(status)}:doi:{_doi(item - 1)}"
            url = f"https://mastodon.social/@u{seq % 5000}/1{slug}"
            title = "Toot: new paper on the ecology of coastal wetlands, worth a read"
        elif source == "wikipedia":
            ext = f"en:{seq}:{rng.getrandbits(30)}"
            url = f"https://en.wikipedia.org/wiki/Article_{slug}"
            title = f"Article {slug}"
        else:
            ext = f"{source}:{slug}"
            url = f"https://www.example-{source}.org/{seen.year}/{slug}/a-readable-slug-of-the-title"
            title = "Discussion: what the new study on wetlands means for policy"
        api_url = f"https://api.example-{source}.org/search?q=doi%3A{_doi(item - 1)}"
        yield (source, ext, item, url, title, kind, occurred, seen.isoformat(timespec="seconds"),
               api_url, None, None)


def count_rows(n: int, n_items: int, *, span: timedelta = SPAN, seed: int = 11) -> Iterator[bulk.CountRow]:
    """``n`` count observations over the ``span`` before NOW; a series' value grows with time,
    so later is never smaller."""
    rng = random.Random(seed)
    step = span / n
    for seq in range(n):
        item = _skewed(rng, n_items) + 1
        source, metric = _SERIES[item % 4] if rng.random() < 0.7 else rng.choice(_SERIES)
        seen = NOW - span + step * seq  # polls record counts as time goes by
        days = (seen - (NOW - span)).total_seconds() / 86400
        value = float(int(days * (1 + item % 7) / 10))
        yield (item, source, metric, value, seen.isoformat(timespec="seconds"), None)


def build_items(store: Store, n_items: int, *, span: timedelta = SPAN) -> None:
    """Items 1..n_items, each with a DOI, all watched by CHANNEL (one transaction): most since
    the start of the ``span``, the last 0.1% since the last week (newly watched)."""
    with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
        for i in range(n_items):
            watch_item(db, CHANNEL, [Identifier(scheme="doi", value=_doi(i))])
        bulk.set_watch_times(db, CHANNEL, (NOW - span).isoformat(timespec="seconds"))
        recent = range(n_items - max(1, n_items // 1000) + 1, n_items + 1)
        bulk.set_watch_times(db, CHANNEL, (NOW - timedelta(days=4)).isoformat(timespec="seconds"), item_ids=recent)
