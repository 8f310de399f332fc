"""Streams, latency: at 200 events a second, the time from an event leaving the server to its
alert row in the outbox (p50, p99), against the same matches arriving at 20 events a second.

A loopback Jetstream (bench.stream_fakes, its own process) sends posts at a steady rate, each
stamped with the time it left (``time_us``, also in its address). One in ten names a watched
item, each a different one; the baseline sends only such posts, at the same 20 matches a
second. The bot (its own process, one core) runs the stream as `attention-bot run` does
(handlers.streams.run). This process watches the outbox every 10 ms and takes the moment a
row appears minus the moment its post left the server. Samples of all repeats are pooled.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Size, percentile, result
from bench.stream_fakes import StreamServer, watched_doi
from core.times import utcnow
from storage import bulk, open_store

GOAL_P99_S = 2.0
SIZES: dict[str, dict[str, Any]] = {
    "full": {"rate": 200, "seconds": 20, "repeat": 3, "items": 10_000},
    "smoke": {"rate": 200, "seconds": 1, "repeat": 1, "items": 1_000},
}
#: One post in this many names a watched item at the full rate.
MATCHING_EVERY = 10
POLL_SECONDS = 0.01


def _run_bot(path: str, url: str, cpu: int | None, stop_after: float) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from handlers.context import Context
    from handlers.streams.run import StreamRunner
    from sources import build_sources, build_streams
    from sources.config import SourcesConfig
    from sources.http import HttpFactory

    config = SourcesConfig(streams=("bluesky",), settings={"jetstream": {"url": (url,)}})
    http = HttpFactory(config)
    store = open_store(path)
    ctx = Context(
        store=store,
        sources=build_sources(config, http=http),
        streams=build_streams(config, http=http),
    )
    runner = StreamRunner(ctx, ctx.streams[0])
    stop = threading.Event()
    threading.Timer(stop_after, stop.set).start()
    runner.run(stop)


def _latencies(
    path: Path, *, rate: float, matching_every: int, seconds: float, items: int
) -> list[float]:
    count = int(rate * seconds)
    # A fresh interpreter: a forked one would count this process's memory as its own.
    mp = multiprocessing.get_context("spawn")
    cores = os.cpu_count() or 1
    seen: list[float] = []
    store = open_store(path)
    db = store.db
    last = int(db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])
    with StreamServer(
        "jetstream", count=count, rate=rate, matching_every=matching_every, cycle=items
    ) as server:
        bot = mp.Process(
            target=_run_bot, args=(str(path), server.url, 1 if cores > 1 else None, seconds + 3)
        )
        bot.start()
        end = time.monotonic() + seconds + 3
        while time.monotonic() < end:
            rows = db.execute(
                "SELECT id, payload FROM outbox WHERE id > ? ORDER BY id", [last]
            ).fetchall()
            now = time.time()
            for row_id, payload in rows:
                last = row_id
                for mention in json.loads(payload)["mentions"]:
                    sent_us = int(str(mention["url"]).rsplit("-", 1)[1])
                    seen.append(now - sent_us / 1_000_000)
            db.conn.commit()  # a fresh read snapshot next time
            time.sleep(POLL_SECONDS)
        bot.join(timeout=30)
    store.close()
    return seen


def _build(path: Path, items: int) -> None:
    store = open_store(path)
    with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
        bulk.watch_new_items(db, "C1", (("doi", watched_doi(n)) for n in range(items)), at=utcnow())
    store.close()


def _measure(path: Path, p: dict[str, Any], *, rate: float, matching_every: int) -> dict[str, Any]:
    samples: list[float] = []
    for _ in range(p["repeat"]):
        store = open_store(path)
        with store.transaction() as db:
            for table in ("outbox", "mentions", "polls", "source_state", "stream_state"):
                db.execute(f"DELETE FROM {table}")
        store.close()
        samples += _latencies(
            path, rate=rate, matching_every=matching_every, seconds=p["seconds"], items=p["items"]
        )
    expected = int(rate * p["seconds"]) // matching_every * p["repeat"]
    return {
        "events_per_second": rate,
        "alerts_seen": len(samples),
        "alerts_expected": expected,
        "p50_s": round(percentile(samples, 50), 3),
        "p99_s": round(percentile(samples, 99), 3),
        "max_s": round(max(samples), 3) if samples else None,
    }


def run(size: Size = "full") -> dict[str, Any]:
    p = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        path = Path(tmp) / "latency.db"
        _build(path, p["items"])
        ours = _measure(path, p, rate=p["rate"], matching_every=MATCHING_EVERY)
        base = _measure(path, p, rate=p["rate"] / MATCHING_EVERY, matching_every=1)
    complete = ours["alerts_seen"] >= 0.95 * ours["alerts_expected"] > 0
    return result(
        "stream_latency",
        params={
            "events_per_second": p["rate"],
            "seconds": p["seconds"],
            "repeat": p["repeat"],
            "watched_items": p["items"],
            "matching_every": MATCHING_EVERY,
            "size": size,
        },
        figures=ours,
        baseline=base,
        ratio={"p99_to_quiet": round(ours["p99_s"] / base["p99_s"], 2) if base["p99_s"] else None},
        goal=(
            f"p99 from an event leaving the server to its alert in the outbox <= {GOAL_P99_S:g} s "
            f"at {p['rate']} events/s"
        ),
        goal_met=complete and ours["p99_s"] <= GOAL_P99_S,
    )


if __name__ == "__main__":
    import sys

    size = sys.argv[1] if len(sys.argv) > 1 else "full"
    print(json.dumps(run(size), indent=2))  # type: ignore[arg-type]
