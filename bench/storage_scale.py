"""Storage at scale, each figure against the best SQLite does with the same rows at that moment.

A temporary SQLite file with 100,000 watched items, 1,000,000 mentions and 5,000,000 count
rows over two years (bench.scale_data) is built once. Each repeat then measures:

- ingest: the bot's batched ingest (``storage.mentions.ingest_mentions``, 100,000 mentions a
  transaction) of the 1,000,000 mentions into a fresh copy of the bot's database with the items,
  against its limit: plain ``sqlite3`` ``executemany`` of the same tuples into a table with the
  same columns, unique key and indexes (read from the bot's schema), with the same batches,
  transactions and pragmas (WAL, ``synchronous``, the ingest's page cache). Batch by batch in
  turns: one batch to one, the same batch to the other, the next batch the other way round.
- the weekly summary (``build_summary`` + ``render_summary``, what the weekly job and `summary`
  use) and `top` (the command, as dispatched) for a channel watching every item, against their
  limit: the bare indexed aggregate they need, one SQL statement over the same week of the same
  database (the week's mentions per item and kind, and the items whose counts rose). Medians of
  several timings, taken in turns.

Reported too: bytes per mention (the mentions table and its indexes, from SQLite's ``dbstat``;
the whole file per mention as well), and that re-ingesting a batch adds no rows.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from bench.scale_data import CHANNEL, NOW, build_items, count_rows, mention_rows
from handlers.context import Context
from handlers.router import dispatch
from handlers.summaries.data import build_summary
from handlers.summaries.periods import recent_bounds, week_bounds
from handlers.summaries.render import render_summary
from storage import bulk, open_store
from storage.db import Store
from storage.mentions import INGEST_CACHE_KIB, MentionRow, ingest_mentions

#: Quick: a twentieth of the mentions over a twentieth of the span, so the week summarised
#: holds as many mentions as at full size (and 60% of its count rows).
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 100_000, "mentions": 1_000_000, "count_rows": 5_000_000, "span_days": 730,
             "batch": 100_000, "timings": 5},
    "quick": {"items": 5_000, "mentions": 50_000, "count_rows": 150_000, "span_days": 37,
              "batch": 25_000, "timings": 5},
    "smoke": {"items": 300, "mentions": 3_000, "count_rows": 10_000, "span_days": 730,
              "batch": 1_000, "timings": 1},
}
#: The bot's ingest against plain executemany of the same rows: at least this much of its rate.
GOAL_INGEST = 0.7
#: Summary and `top` against the bare aggregate they need: at most this many times its time.
GOAL_QUERY = 3.0

#: The limit of summary and `top`: the week's mentions per item and kind, and the items with a
#: count that rose (each count row keeps the value before it, migration m007).
BARE_AGGREGATE = (
    "SELECT item_id, kind, count(*) FROM mentions "
    "WHERE first_seen_at >= :start AND first_seen_at < :end GROUP BY item_id, kind UNION ALL SELECT item_id, NULL, count(*) FROM counts "
    "WHERE observed_at >= :start AND observed_at < :end AND value > prev_value GROUP BY item_id"
)


@dataclass
class Built:
    """What the repeats share: the big database, the mentions, a template with the items."""

    tmp: Path
    store: Store
    batches: list[list[MentionRow]]
    items_template: Path
    limit_schema: list[str]
    facts: dict[str, Any]
    turn: int = 0


def _mention_bytes(store: Store) -> int:
    """Bytes of the mentions table and its indexes (SQLite's dbstat)."""
    row = store.db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'mentions' OR name IN "
        "(SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'mentions')"
    ).fetchone()
    return int(row[0] or 0)


def limit_schema(store: Store) -> list[str]:
    """Statements making a plain mentions table as the bot's: its columns (types, NOT NULL,
    defaults, the integer primary key), unique key and indexes, but no foreign key; and the
    pragmas of the bot's connection and of its ingest."""
    db = store.db
    columns = []
    for _, name, kind, notnull, default, pk in db.execute("PRAGMA table_info(mentions)").fetchall():
        columns.append(
            f"{name} {kind}" + (" PRIMARY KEY" if pk else "") + (" NOT NULL" if notnull else "")
            + (f" DEFAULT {default}" if default is not None else "")
        )
    for _, index, unique, origin, _ in db.execute("PRAGMA index_list(mentions)").fetchall():
        if unique and origin == "u":  # a UNIQUE constraint of the table
            keys = [r[2] for r in db.execute(f"PRAGMA index_info({index})").fetchall()]
            columns.append(f"UNIQUE ({', '.join(keys)})")
    indexes = [
        r[0] for r in db.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'mentions' "
            "AND sql IS NOT NULL"
        ).fetchall()
    ]
    pragmas = [
        f"PRAGMA {p} = {db.execute(f'PRAGMA {p}').fetchone()[0]}" for p in ("journal_mode", "synchronous")
    ]
    return [
        *pragmas, f"PRAGMA cache_size = -{INGEST_CACHE_KIB}",
        f"CREATE TABLE mentions ({', '.join(columns)})", *indexes,
    ]


def _ingest_both(
    ours_path: Path, limit_path: Path, schema: list[str], batches: list[list[MentionRow]]
) -> dict[str, float]:
    """Seconds the bot's ingest and plain executemany take for ``batches``, one transaction a
    batch each, batch by batch in turns: a change of the machine's load falls on both alike."""
    store = open_store(ours_path)
    conn = sqlite3.connect(limit_path, isolation_level=None)
    insert = (
        "INSERT INTO mentions (source, external_id, item_id, url, title, kind, occurred_at, "
        "first_seen_at, api_url, poll_id, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    out = {"ours": 0.0, "limit": 0.0, "added": 0}

    def ours(batch: list[MentionRow]) -> None:
        with store.transaction() as db:
            out["added"] += ingest_mentions(db, batch)

    def limit(batch: list[MentionRow]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")

    try:
        for statement in schema:
            conn.execute(statement)
        for n, batch in enumerate(batches):
            pair = [("ours", ours), ("limit", limit)]
            for name, func in pair if n % 2 == 0 else reversed(pair):
                start = time.perf_counter()
                func(batch)
                out[name] += time.perf_counter() - start
        if conn.execute("SELECT count(*) FROM mentions").fetchone()[0] != sum(map(len, batches)):
            raise RuntimeError("the limit's table did not take every mention")
    finally:
        conn.close()
        store.close()
    return out


@contextmanager
def _prepare(p: Params) -> Iterator[Built]:
    span = timedelta(days=p["span_days"])
    rows = mention_rows(p["mentions"], p["items"], span=span)
    batches = list(iter(lambda: list(itertools.islice(rows, p["batch"])), []))
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp_name:
        tmp = Path(tmp_name)
        template = open_store(tmp / "items.db")
        build_items(template, p["items"], span=span)
        bulk.checkpoint(template.db)
        schema = limit_schema(template)
        template.close()
        shutil.copy(tmp / "items.db", tmp / "scale.db")
        store = open_store(tmp / "scale.db")
        try:
            started = time.perf_counter()
            for batch in batches:
                with store.transaction() as db:
                    ingest_mentions(db, batch)
            with store.transaction() as db:
                readded = ingest_mentions(db, batches[0])
            with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
                bulk.ingest_counts(db, count_rows(p["count_rows"], p["items"], span=span))
            store.db.execute("ANALYZE")
            bulk.checkpoint(store.db)
            stored = bulk.table_rows(store.db, "mentions")
            facts = {
                "bytes_per_mention": round(_mention_bytes(store) / stored, 1),
                "file_bytes_per_mention": round(bulk.bytes_on_disk(store.db) / stored, 1),
                "reingested_batch_rows_added": readded,
                "mentions_stored": stored,
                "count_rows_stored": bulk.table_rows(store.db, "counts"),
                "build_seconds": round(time.perf_counter() - started, 1),
            }
            yield Built(tmp, store, batches, tmp / "items.db", schema, facts)
        finally:
            store.close()


def _in_turns(timings: int, ours: Callable[[], Any], limit: Callable[[], Any]) -> tuple[float, float]:
    """Median seconds of ``ours`` and of ``limit``, timed one after the other ``timings`` times."""
    spent: dict[str, list[float]] = {"ours": [], "limit": []}
    for n in range(timings):
        pair = [("ours", ours), ("limit", limit)]
        for name, func in pair if n % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            func()
            spent[name].append(time.perf_counter() - start)
    return statistics.median(spent["ours"]), statistics.median(spent["limit"])


def _queries(built: Built, timings: int) -> dict[str, float]:
    """Summary and `top`, and the bare aggregate over each one's week."""
    ctx = Context(store=built.store, now=lambda: NOW)
    db = built.store.db
    week, top_week = week_bounds(NOW), recent_bounds(NOW, timedelta(days=7))

    def bare(bounds: tuple[str, str]) -> Callable[[], list[Any]]:
        return lambda: db.execute(BARE_AGGREGATE, {"start": bounds[0], "end": bounds[1]}).fetchall()

    summary_s, summary_limit_s = _in_turns(
        timings,
        lambda: render_summary(build_summary(ctx, CHANNEL, start=week[0], end=week[1], tz="UTC")),
        bare(week),
    )
    top_s, top_limit_s = _in_turns(
        timings, lambda: dispatch(ctx, "top", channel=CHANNEL, user="U0BENCH"), bare(top_week)
    )
    return {"summary": summary_s, "summary_limit": summary_limit_s, "top": top_s, "top_limit": top_limit_s}


def _trial(p: Params, built: Built) -> Trial:
    built.turn += 1
    limit_path, ours_path = built.tmp / f"limit-{built.turn}.db", built.tmp / f"ours-{built.turn}.db"
    shutil.copy(built.items_template, ours_path)
    ingest = _ingest_both(ours_path, limit_path, built.limit_schema, built.batches)
    added = int(ingest["added"])
    for path in built.tmp.glob(f"*-{built.turn}.db*"):
        path.unlink()
    q = _queries(built, p["timings"])

    ctx = Context(store=built.store, now=lambda: NOW)
    start, end = week_bounds(NOW)
    weekly = build_summary(ctx, CHANNEL, start=start, end=end, tz="UTC")
    top_reply = dispatch(ctx, "top", channel=CHANNEL, user="U0BENCH")
    rate, limit_rate = added / ingest["ours"], added / ingest["limit"]
    return Trial(
        figures={
            "mentions_per_second": round(rate),
            "weekly_summary_ms": round(q["summary"] * 1000, 1),
            "top_ms": round(q["top"] * 1000, 1),
            "mentions_added": added,
            **built.facts,
            "weekly_summary_new_mentions": weekly.new_mentions,
            "weekly_summary_items_with_attention": weekly.items_with_attention,
            "top_ok": top_reply.ok,
        },
        baseline={
            "mentions_per_second": round(limit_rate),
            "weekly_summary_aggregate_ms": round(q["summary_limit"] * 1000, 2),
            "top_aggregate_ms": round(q["top_limit"] * 1000, 2),
            "ingest": "sqlite3 executemany into a plain table: same columns, unique key, indexes, "
                      "batches, pragmas",
            "aggregate": BARE_AGGREGATE,
        },
        ratio={
            "ingest_of_limit": round(rate / limit_rate, 3),
            "summary_to_aggregate": round(q["summary"] / q["summary_limit"], 2),
            "top_to_aggregate": round(q["top"] / q["top_limit"], 2),
        },
    )


def _judge(p: Params, m: Measured) -> Verdict:
    f = m.figures
    whole = m.every(
        lambda t: t.figures["mentions_added"] == p["mentions"] and t.figures["top_ok"] is True
    ) and f["reingested_batch_rows_added"] == 0 and f["mentions_stored"] == p["mentions"]
    return Verdict(
        f"batched ingest >= {GOAL_INGEST:g} of plain executemany's rate; weekly summary and top "
        f"<= {GOAL_QUERY:g}x the bare aggregate over the same week; a re-ingested batch adds 0 rows",
        whole and m.ratio["ingest_of_limit"] >= GOAL_INGEST
        and m.ratio["summary_to_aggregate"] <= GOAL_QUERY and m.ratio["top_to_aggregate"] <= GOAL_QUERY,
    )


BENCH = Benchmark(
    name="storage_scale",
    sizes=SIZES,
    prepare=_prepare,
    trial=_trial,
    judge=_judge,
    key=("mentions_per_second", "mentions_per_second"),
)
