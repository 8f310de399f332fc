"""Streams, matching: events a second one stream reads and matches on one core, with 1,000,000
watched identifiers and 1,000 watched web sites, against a bare reader of the same events on the
same core; the same with 1,000 watched identifiers (flat in items); and the memory the index
takes, against the least Python holds the same keys in.

A loopback server in a process of its own (bench.stream_fakes) replays Jetstream posts and
EventStreams link changes as fast as the reader reads them, the same replay to every reader.
Each repeat, for each stream, in turn:

* the bot, with 1,000,000 identifiers: a process pinned to one core running the real stream
  source (websockets / httpx-sse), the real runner (handlers.streams.run: reader thread,
  in-memory index, batched stores) against a database with the watched items;
* the limit: a bare reader in the same kind of process on the same core, the same client
  library and protocol, that json-decodes each event and does nothing else;
* the bot with 1,000 identifiers.

Then, for memory, the limit: a fresh process builds a plain ``set`` of the same identifier keys
the index holds (read by the same query); its RSS growth is held against the growth of the
bot's peak RSS (``VmHWM``) with 1,000,000 identifiers over its peak with 1,000. Matching events
(1 in 2,000) name items watched in every run, so both runs store the same mentions. Links under
watched sites are not resolved (no page fetches here).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from bench.stream_fakes import (
    SHARED_ITEMS,
    StreamServer,
    measured_processes,
    one_core,
    pin,
    watched_doi,
)
from core.times import utcnow
from storage import bulk, open_store
from storage.watches import watch_domain

#: The bot's rate with many identifiers against the bare reader's, on the same core.
GOAL_TO_BARE = 0.3
#: ... against its own rate with 1,000 identifiers (flat in items).
GOAL_FLAT = 0.8
#: Its peak RSS growth over the 1,000-identifier run against a bare set of the same keys.
GOAL_MEMORY = 1.5
SIZES: dict[str, dict[str, Any]] = {
    "full": {"ids": 1_000_000, "baseline_ids": 1_000, "domains": 1_000, "events": 200_000},
    "quick": {"ids": 100_000, "baseline_ids": 1_000, "domains": 100, "events": 6_000},
    "smoke": {"ids": 20_000, "baseline_ids": 1_000, "domains": 50, "events": 4_000},
}
STREAMS = ("jetstream", "wikimedia_stream")
#: Longest wait for one reader to read its replay.
TIMEOUT_SECONDS = 900


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
    """Each run stores the same mentions anew."""
    store = open_store(path)
    with store.transaction() as db:
        for table in ("outbox", "mentions", "polls", "source_state", "stream_state"):
            db.execute(f"DELETE FROM {table}")
    store.close()


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status: Linux is needed for this benchmark")


def _bot(path: str, kind: str, url: str, cpu: int | None, out: Any) -> None:
    """In its own process: load the index, read the replay to its end, report."""
    pin(cpu)
    from handlers.context import Context
    from handlers.streams.run import StreamRunner
    from sources import build_sources, build_streams
    from sources.config import SourcesConfig
    from sources.errors import SourceUnavailable
    from sources.factory import HttpFactory

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
    out.put({"events": read, "seconds": seconds, "index_seconds": loaded,
             "matched": runner.stats.matched, "mentions": runner.stats.new_mentions,
             "peak_rss_mb": _status_mb("VmHWM")})


def _bare(kind: str, url: str, cpu: int | None, out: Any) -> None:
    """In its own process: read the replay with the client library the source uses and decode
    each event's JSON, nothing else."""
    import json

    pin(cpu)
    read = 0
    start = time.perf_counter()
    if kind == "jetstream":
        from websockets.sync.client import connect

        with connect(url, max_size=2**20) as ws:
            for message in ws:
                json.loads(message)
                read += 1
    else:
        import httpx
        from httpx_sse import EventSource

        with httpx.Client(timeout=30) as client, client.stream(
            "GET", url, headers={"Accept": "text/event-stream"}
        ) as response:
            for sse in EventSource(response).iter_sse():
                json.loads(sse.data)
                read += 1
    out.put({"events": read, "seconds": time.perf_counter() - start})


def _bare_set(path: str, out: Any) -> None:
    """In a fresh process: the RSS growth of a plain set of the keys the index holds."""
    from storage.watches import watched_keys

    store = open_store(path)
    before = _status_mb("VmRSS")
    # The peak from here on (Linux >= 4.0); else the peak since start, about the same.
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    keys = {key for key, _ in watched_keys(store.db)}
    out.put({"keys": len(keys), "growth_mb": _status_mb("VmHWM") - before})


def _run(target: Any, *args: Any) -> dict[str, Any]:
    mp = measured_processes()
    out = mp.Queue()
    proc = mp.Process(target=target, args=(*args, out))
    proc.start()
    try:
        got: dict[str, Any] = out.get(timeout=TIMEOUT_SECONDS)
    finally:
        proc.join(timeout=60)
    return got


@dataclass(frozen=True)
class Prepared:
    big: Path
    small: Path
    urls: dict[str, str]


@contextmanager
def _prepared(p: Params) -> Iterator[Prepared]:
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp, ExitStack() as stack:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        build(big, p["ids"], p["domains"])
        build(small, p["baseline_ids"], p["domains"])
        urls = {}
        for kind in STREAMS:  # the same replay to each reader: the bot twice and the bare one
            server = StreamServer("jetstream" if kind == "jetstream" else "eventstreams",
                                  count=p["events"], replays=3 * p["repeats"])
            urls[kind] = stack.enter_context(server).url
        _run(_bare_set, str(small))  # starts the forkserver: no repeat pays for that
        yield Prepared(big, small, urls)


def _bot_run(path: Path, kind: str, url: str, events: int) -> dict[str, Any]:
    _forget_matches(path)
    got = _run(_bot, str(path), kind, url, one_core())
    if got["events"] != events:
        raise RuntimeError(f"{kind}: the bot read {got['events']} of {events} events")
    return {"events_per_second": round(got["events"] / got["seconds"]), "matched": got["matched"],
            "new_mentions": got["mentions"], "index_load_seconds": round(got["index_seconds"], 2),
            "peak_rss_mb": round(got["peak_rss_mb"], 1)}


def _trial(p: Params, prep: Prepared) -> Trial:
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, Any] = {}
    for kind in STREAMS:
        url = prep.urls[kind]
        ours = _bot_run(prep.big, kind, url, p["events"])
        bare = _run(_bare, kind, url, one_core())
        if bare["events"] != p["events"]:
            raise RuntimeError(f"{kind}: the bare reader read {bare['events']} of {p['events']}")
        fewer = _bot_run(prep.small, kind, url, p["events"])
        ours["with_fewer_ids"] = fewer
        ours["peak_rss_growth_mb"] = round(ours["peak_rss_mb"] - fewer["peak_rss_mb"], 1)
        figures[kind] = ours
        baseline[kind] = {"events_per_second": round(bare["events"] / bare["seconds"])}
        ratio[kind] = {
            "to_bare_reader": round(ours["events_per_second"] / baseline[kind]["events_per_second"], 3),
            "flat_in_items": round(ours["events_per_second"] / fewer["events_per_second"], 3),
        }
    bare_set = _run(_bare_set, str(prep.big))
    figures["events_per_second"] = min(figures[k]["events_per_second"] for k in STREAMS)
    figures["peak_rss_growth_mb"] = max(figures[k]["peak_rss_growth_mb"] for k in STREAMS)
    baseline["events_per_second"] = min(baseline[k]["events_per_second"] for k in STREAMS)
    baseline["set_growth_mb"] = round(bare_set["growth_mb"], 1)
    baseline["set_keys"] = bare_set["keys"]
    ratio = {
        "to_bare_reader": min(ratio[k]["to_bare_reader"] for k in STREAMS),
        "memory_to_set": round(figures["peak_rss_growth_mb"] / max(bare_set["growth_mb"], 0.1), 2),
        "flat_in_items": min(ratio[k]["flat_in_items"] for k in STREAMS),
        **ratio,
    }
    return Trial(figures=figures, baseline=baseline, ratio=ratio)


def _judge(p: Params, m: Measured) -> Verdict:
    def same_matches(t: Trial) -> bool:
        return all(
            t.figures[k]["matched"] == t.figures[k]["with_fewer_ids"]["matched"] > 0
            and t.figures[k]["new_mentions"] == t.figures[k]["matched"]
            for k in STREAMS
        )

    return Verdict(
        f"with {p['ids']:,} identifiers, each stream's rate on one core >= {GOAL_TO_BARE:g} of a "
        f"bare reader's (the same client, json-decoding only) and >= {GOAL_FLAT:g} of its rate "
        f"with {p['baseline_ids']:,}; peak RSS growth over the {p['baseline_ids']:,}-identifier "
        f"run <= {GOAL_MEMORY:g}x a bare set of the same keys; the same matches in every repeat",
        m.ratio["to_bare_reader"] >= GOAL_TO_BARE and m.ratio["flat_in_items"] >= GOAL_FLAT
        and m.ratio["memory_to_set"] <= GOAL_MEMORY and m.every(same_matches),
    )


BENCH = Benchmark(
    name="stream_match",
    sizes=SIZES,
    prepare=_prepared,
    trial=_trial,
    judge=_judge,
    key=("events_per_second", "events_per_second"),
)
