"""Streams, matching: events a second one stream reads and matches on one core, with 1,000,000
watched identifiers and 1,000 watched web sites, against the same events with 1,000 watched
identifiers (flat in items: the ratio should be near 1); and the peak RSS of that process.

A loopback server in a process of its own (bench.stream_fakes) replays Jetstream posts and
EventStreams link changes as fast as the bot reads them. The bot side runs in another process
pinned to one core: the real stream source (websockets / httpx-sse), the real runner
(handlers.streams.run: reader thread, in-memory index, batched stores), against a database with
the watched items. Matching events (1 in 2,000) name items watched in every run, so both runs
store the same mentions. Links under watched sites are not resolved (no page fetches here).
Figures are medians of the repeats.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Size, result
from bench.stream_fakes import SHARED_ITEMS, StreamServer, watched_doi
from core.times import utcnow
from storage import bulk, open_store
from storage.watches import watch_domain

GOAL_RATE = 20_000
GOAL_RATIO = 0.8
GOAL_MB = 400
SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "ids": 1_000_000,
        "baseline_ids": 1_000,
        "domains": 1_000,
        "events": 200_000,
        "repeat": 3,
    },
    "smoke": {"ids": 3_000, "baseline_ids": 1_000, "domains": 50, "events": 2_000, "repeat": 1},
}
STREAMS = ("jetstream", "wikimedia_stream")


def _keys(n_ids: int) -> Any:
    """The watched identifiers: the shared DOIs first, then DOIs, Handles and pages of 50 sites."""
    for n in range(n_ids):
        if n < SHARED_ITEMS or n % 20 < 14:
            yield "doi", watched_doi(n)
        elif n % 20 < 17:
            yield "handle", f"2027/bench.{n}"
        else:
            yield "url", f"https://repo{n % 50}.example.edu/items/{n}"


def build(path: Path, n_ids: int, n_domains: int) -> None:
    store = open_store(path)
    with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
        bulk.watch_new_items(db, "C1", _keys(n_ids), at=utcnow())
        for d in range(n_domains):
            watch_domain(db, "C1", f"site{d}.example.edu/collections/{d}")
    store.close()


def _forget_matches(path: Path) -> None:
    """Each repeat stores the same mentions anew."""
    store = open_store(path)
    with store.transaction() as db:
        for table in ("outbox", "mentions", "polls", "source_state", "stream_state"):
            db.execute(f"DELETE FROM {table}")
    store.close()


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(path: str, kind: str, url: str, cpu: int | None, out: Any) -> None:
    """In its own process: load the index, read the replay to its end, report."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from handlers.context import Context
    from handlers.streams.run import StreamRunner
    from sources import build_sources, build_streams
    from sources.config import SourcesConfig
    from sources.errors import SourceUnavailable
    from sources.http import HttpFactory

    def no_pages(link: str) -> Any:
        raise SourceUnavailable("no page fetches in the benchmark", source="resolver")

    config = SourcesConfig(
        streams=("bluesky", "wikipedia"),
        settings={"jetstream": {"url": (url,)}, "wikimedia_stream": {"url": url}},
    )
    http = HttpFactory(config)
    store = open_store(path)
    ctx = Context(
        store=store,
        sources=build_sources(config, http=http),
        streams=build_streams(config, http=http),
    )
    stream = next(s for s in ctx.streams if s.name == kind)
    runner = StreamRunner(ctx, stream, resolver=no_pages)
    start = time.perf_counter()
    runner.refresh_index(force=True)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    read = runner.session(threading.Event())
    seconds = time.perf_counter() - start
    out.put(
        {
            "events": read,
            "seconds": seconds,
            "index_seconds": loaded,
            "matched": runner.stats.matched,
            "mentions": runner.stats.new_mentions,
            "peak_rss_mb": _vm_hwm_mb(),
        }
    )


def one_run(path: Path, kind: str, events: int) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    # A fresh interpreter: a forked one would count this process's memory as its own.
    mp = multiprocessing.get_context("spawn")
    out = mp.Queue()
    with StreamServer(kind if kind == "jetstream" else "eventstreams", count=events) as server:
        proc = mp.Process(
            target=_measure, args=(str(path), kind, server.url, 1 if cores > 1 else None, out)
        )
        proc.start()
        got = out.get(timeout=900)
        proc.join(timeout=60)
    if got["events"] != events:
        raise RuntimeError(f"{kind}: read {got['events']} of {events} events")
    return got


def _figures(path: Path, p: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in STREAMS:
        runs = []
        for _ in range(p["repeat"]):
            _forget_matches(path)
            runs.append(one_run(path, kind, p["events"]))
        figures[kind] = {
            "events_per_second": round(statistics.median(r["events"] / r["seconds"] for r in runs)),
            "matched": runs[0]["matched"],
            "new_mentions": runs[0]["mentions"],
            "index_load_seconds": round(statistics.median(r["index_seconds"] for r in runs), 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            "repeats": len(runs),
        }
    figures["events_per_second"] = min(figures[k]["events_per_second"] for k in STREAMS)
    figures["peak_rss_mb"] = max(figures[k]["peak_rss_mb"] for k in STREAMS)
    return figures


def run(size: Size = "full") -> dict[str, Any]:
    p = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        build(big, p["ids"], p["domains"])
        build(small, p["baseline_ids"], p["domains"])
        ours = _figures(big, p)
        base = _figures(small, p)
    ratio = {
        k: round(ours[k]["events_per_second"] / base[k]["events_per_second"], 3) for k in STREAMS
    }
    same_matches = all(ours[k]["matched"] == base[k]["matched"] > 0 for k in STREAMS)
    return result(
        "stream_match",
        params={
            "watched_identifiers": p["ids"],
            "baseline_identifiers": p["baseline_ids"],
            "watched_sites": p["domains"],
            "events": p["events"],
            "repeat": p["repeat"],
            "size": size,
        },
        figures=ours,
        baseline=base,
        ratio=ratio,
        goal=(
            f">= {GOAL_RATE:,} events/s on one core with {p['ids']:,} identifiers, "
            f">= {GOAL_RATIO} of the "
            f"rate with {p['baseline_ids']:,}, peak RSS <= {GOAL_MB} MB"
        ),
        goal_met=(
            ours["events_per_second"] >= GOAL_RATE
            and min(ratio.values()) >= GOAL_RATIO
            and ours["peak_rss_mb"] <= GOAL_MB
            and same_matches
        ),
    )


if __name__ == "__main__":
    import json
    import sys

    size = sys.argv[1] if len(sys.argv) > 1 else "full"
    print(json.dumps(run(size), indent=2))  # type: ignore[arg-type]
