"""Storage at scale: 100,000 watched items, 1,000,000 mentions and 5,000,000 count rows over two
years, in a temporary SQLite file.

Figures: the batched ingest rate (``storage.mentions.ingest_mentions``, 100,000 mentions a
transaction), the time of the weekly summary and of `top` for a channel watching every item
(medians of repeats), bytes per mention on disk, and that re-ingesting a batch adds nothing.
Baseline: the per-row path the poll uses (``storage.mentions.add_mentions``) on the first
batch of the same stream, into a database with the same items, against that first batch.

The data is synthetic but shaped like the bot's: attention is skewed (a few items get most
mentions), sources and kinds in realistic proportions, ids and URLs as long as the real ones.
"""

from __future__ import annotations

import itertools
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Size, median_seconds, result
from core.models import Identifier, Mention, opaque_id
from handlers.context import Context
from handlers.router import dispatch
from handlers.summaries.data import build_summary
from handlers.summaries.periods import week_bounds
from handlers.summaries.render import render_summary
from storage import bulk, open_store
from storage.db import Store
from storage.mentions import MentionRow, add_mentions, ingest_mentions
from storage.watches import watch_item

SIZES: dict[str, dict[str, int]] = {
    "full": {"items": 100_000, "mentions": 1_000_000, "counts": 5_000_000, "baseline_mentions": 100_000, "repeat": 5},
    "smoke": {"items": 300, "mentions": 3_000, "counts": 10_000, "baseline_mentions": 1_000, "repeat": 1},
}
BATCH = 100_000
CHANNEL = "C0BENCH"
#: The summaries are asked for at this moment; the data covers the two years before it.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
GOAL_RATE = 100_000
GOAL_SECONDS = 0.100

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


def mention_rows(n: int, n_items: int, *, seed: int = 7) -> Iterator[MentionRow]:
    """``n`` distinct mentions of items 1..n_items (item ids as created by :func:`build_items`)."""
    rng = random.Random(seed)
    sources = [(s, k) for s, k, _ in _MIX]
    weights = [w for _, _, w in _MIX]
    picks = rng.choices(sources, weights, k=n)
    step = SPAN / n
    for seq, (source, kind) in enumerate(picks):
        item = _skewed(rng, n_items) + 1
        # Mentions arrive in the order they are first seen, and sources' ids grow with time
        # (Bluesky TIDs, Mastodon snowflakes, HN and Reddit counters): as a poll stores them.
        seen = NOW - SPAN + step * seq
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


def count_rows(n: int, n_items: int, *, seed: int = 11) -> Iterator[bulk.CountRow]:
    """``n`` count observations; a series' value grows with time, so later is never smaller."""
    rng = random.Random(seed)
    step = SPAN / n
    for seq in range(n):
        item = _skewed(rng, n_items) + 1
        source, metric = _SERIES[item % 4] if rng.random() < 0.7 else rng.choice(_SERIES)
        seen = NOW - SPAN + step * seq  # polls record counts as time goes by
        days = (seen - (NOW - SPAN)).total_seconds() / 86400
        value = float(int(days * (1 + item % 7) / 10))
        yield (item, source, metric, value, seen.isoformat(timespec="seconds"), None)


def build_items(store: Store, n_items: int) -> None:
    """Items 1..n_items, each with a DOI, all watched by CHANNEL (one transaction): most since
    the start of the two years, the last 0.1% since the last week (newly watched)."""
    with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
        for i in range(n_items):
            watch_item(db, CHANNEL, [Identifier(scheme="doi", value=_doi(i))])
        bulk.set_watch_times(db, CHANNEL, (NOW - SPAN).isoformat(timespec="seconds"))
        recent = range(n_items - max(1, n_items // 1000) + 1, n_items + 1)
        bulk.set_watch_times(db, CHANNEL, (NOW - timedelta(days=4)).isoformat(timespec="seconds"), item_ids=recent)


def _ingest(store: Store, rows: Iterator[MentionRow], n: int) -> tuple[float, float, int]:
    """Ingest ``n`` rows in batches; (seconds in total, seconds for the first batch, added)."""
    spent = first = 0.0
    added = done = 0
    while done < n:
        batch = list(itertools.islice(rows, min(BATCH, n - done)))
        if not batch:
            break
        start = time.perf_counter()
        with store.transaction() as db:
            added += ingest_mentions(db, batch)
        spent += time.perf_counter() - start
        done += len(batch)
        first = first or spent
    return spent, first, added


def _baseline(tmp: Path, n_items: int, n: int) -> float:
    """Seconds the per-row path takes for the first ``n`` mentions of the stream."""
    store = open_store(tmp / "baseline.db")
    try:
        build_items(store, min(n_items, n))
        by_batch: list[list[tuple[int, Mention, str]]] = []
        rows = mention_rows(n, min(n_items, n))
        for _ in range(0, n, BATCH):
            batch = []
            for source, ext, item, url, title, kind, occurred, seen, api_url, _, _ in itertools.islice(rows, BATCH):
                mention = Mention(
                    source=source, external_id=ext, url=url, title=title, kind=kind,
                    occurred_at=datetime.fromisoformat(occurred) if occurred else None, api_url=api_url,
                )
                batch.append((item, mention, seen))
            by_batch.append(batch)
        spent = 0.0
        for batch in by_batch:
            start = time.perf_counter()
            with store.transaction() as db:
                for item, mention, seen in batch:
                    add_mentions(db, item, [mention], seen_at=seen)
            spent += time.perf_counter() - start
        return spent
    finally:
        store.close()


def _mention_bytes(store: Store) -> int:
    """Bytes of the mentions table and its indexes (SQLite's dbstat)."""
    row = store.db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'mentions' OR name IN "
        "(SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'mentions')"
    ).fetchone()
    return int(row[0] or 0)


def run(size: Size = "full") -> dict[str, Any]:
    p = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp_name:
        tmp = Path(tmp_name)
        store = open_store(tmp / "scale.db")
        try:
            started = time.perf_counter()
            build_items(store, p["items"])
            items_s = time.perf_counter() - started

            rows = mention_rows(p["mentions"], p["items"])
            ingest_s, first_s, added = _ingest(store, rows, p["mentions"])
            first_n = min(BATCH, p["mentions"])

            again = list(itertools.islice(mention_rows(p["mentions"], p["items"]), BATCH))
            with store.transaction() as db:
                readded = ingest_mentions(db, again)

            started = time.perf_counter()
            with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
                bulk.ingest_counts(db, count_rows(p["counts"], p["items"]))
            counts_s = time.perf_counter() - started
            store.db.execute("ANALYZE")
            bulk.checkpoint(store.db)
            mention_bytes = _mention_bytes(store)
            file_bytes = bulk.bytes_on_disk(store.db)
            stored = bulk.table_rows(store.db, "mentions")
            counts_stored = bulk.table_rows(store.db, "counts")

            ctx = Context(store=store, now=lambda: NOW)
            start, end = week_bounds(NOW)
            weekly = build_summary(ctx, CHANNEL, start=start, end=end, tz="UTC")
            summary_s = median_seconds(
                lambda: render_summary(build_summary(ctx, CHANNEL, start=start, end=end, tz="UTC")),
                repeat=p["repeat"],
            )
            top_reply = dispatch(ctx, "top", channel=CHANNEL, user="U0BENCH")
            top_s = median_seconds(lambda: dispatch(ctx, "top", channel=CHANNEL, user="U0BENCH"), repeat=p["repeat"])
        finally:
            store.close()
        base_n = p["baseline_mentions"]
        base_s = _baseline(tmp, p["items"], base_n)

    rate = added / ingest_s
    first_rate = first_n / first_s if first_s else 0.0
    base_rate = base_n / base_s
    figures = {
        "mentions_per_second": round(rate),
        "mentions_per_second_first_batch": round(first_rate),
        "weekly_summary_ms": round(summary_s * 1000, 1),
        "top_ms": round(top_s * 1000, 1),
        "bytes_per_mention": round(mention_bytes / stored, 1),
        "file_bytes_per_mention": round(file_bytes / stored, 1),
        "reingested_batch_rows_added": readded,
        "mentions_stored": stored,
        "count_rows_stored": counts_stored,
        "weekly_summary_new_mentions": weekly.new_mentions,
        "weekly_summary_items_with_attention": weekly.items_with_attention,
        "top_ok": top_reply.ok,
        "build_items_seconds": round(items_s, 1),
        "build_counts_seconds": round(counts_s, 1),
    }
    met = (
        rate >= GOAL_RATE and summary_s <= GOAL_SECONDS and top_s <= GOAL_SECONDS
        and readded == 0 and stored == p["mentions"] and top_reply.ok
    )
    return result(
        "storage_scale",
        params={
            "items": p["items"], "mentions": p["mentions"], "count_rows": p["counts"],
            "span_days": SPAN.days, "batch": BATCH, "repeats": p["repeat"], "size": size,
        },
        figures=figures,
        baseline={
            "path": "storage.mentions.add_mentions, one statement per mention",
            "mentions": base_n,
            "mentions_per_second": round(base_rate),
        },
        ratio={"ingest_speedup_first_batch": round(first_rate / base_rate, 1)},
        goal=(
            f">= {GOAL_RATE:,} mentions/s batched; weekly summary and top <= {GOAL_SECONDS * 1000:.0f} ms "
            "each; a re-ingested batch adds 0 rows"
        ),
        goal_met=met,
    )
