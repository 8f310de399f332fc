"""Streams, latency: at 200 events a second, the time from an event leaving the server to its
alert row in the outbox (p50, p99), against the same matches arriving alone at 20 events a
second.

A loopback Jetstream (bench.stream_fakes, its own process) sends posts at a steady rate, each
stamped with the time it left (``time_us``, also in its address). One in ten names a watched
item, each a different one; the limit sends only such posts, at the same 20 matches a second.
The bot (its own process, one core) runs the stream as `attention-bot run` does
(handlers.streams.run). This process watches the outbox every 10 ms and takes the moment a
row appears minus the moment its post left the server. Each repeat runs the bot at 200 events a
second, then the limit; the ratio of their p99s is that repeat's.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Measured, Params, Trial, Verdict, percentile
from bench.stream_fakes import StreamServer, measured_processes, one_core, pin, watched_doi
from core.times import utcnow
from storage import bulk, open_store

#: The p99 at the full rate against the p99 of the same matches arriving alone.
GOAL_P99_RATIO = 2.0
#: Share of the expected alerts seen in the outbox, in every repeat.
GOAL_SEEN = 0.95
SIZES: dict[str, dict[str, Any]] = {
    "full": {"rate": 200, "seconds": 20, "items": 10_000},
    "quick": {"rate": 200, "seconds": 0.8, "items": 1_000},
    "smoke": {"rate": 200, "seconds": 1, "items": 1_000},
}
#: One post in this many names a watched item at the full rate.
MATCHING_EVERY = 10
POLL_SECONDS = 0.01
#: Longest wait for the last alerts after the last event left.
GRACE_SECONDS = 5.0


def _run_bot(path: str, url: str, cpu: int | None, stop: Any) -> None:
    pin(cpu)
    import threading

    from handlers.context import Context
    from handlers.streams.run import StreamRunner
    from sources import build_sources, build_streams
    from sources.config import SourcesConfig
    from sources.factory import HttpFactory

    config = SourcesConfig(streams=("bluesky",), settings={"jetstream": {"url": (url,)}})
    http = HttpFactory(config)
    store = open_store(path)
    ctx = Context(
        store=store,
        sources=build_sources(config, http=http),
        streams=build_streams(config, http=http),
    )
    runner = StreamRunner(ctx, ctx.streams[0])
    stopping = threading.Event()

    def relay() -> None:  # the runner waits on a thread's event, not a process's
        stop.wait()
        stopping.set()

    threading.Thread(target=relay, daemon=True).start()
    runner.run(stopping)


def _forget_matches(path: Path) -> None:
    store = open_store(path)
    with store.transaction() as db:
        for table in ("outbox", "mentions", "polls", "source_state", "stream_state"):
            db.execute(f"DELETE FROM {table}")
    store.close()


def _latencies(path: Path, p: Params, *, rate: float, matching_every: int) -> list[float]:
    """Run the bot on a stream at ``rate``: the latency of each alert seen in the outbox."""
    _forget_matches(path)
    count = int(rate * p["seconds"])
    expected = count // matching_every
    mp = measured_processes()
    stop = mp.Event()
    seen: list[float] = []
    store = open_store(path)
    db = store.db
    last = 0
    with StreamServer(
        "jetstream", count=count, rate=rate, matching_every=matching_every, cycle=p["items"]
    ) as server:
        bot = mp.Process(target=_run_bot, args=(str(path), server.url, one_core(), stop))
        bot.start()
        # Until every alert is in, or the grace after the last event has passed.
        end = time.monotonic() + p["seconds"] + GRACE_SECONDS
        while time.monotonic() < end and len(seen) < expected:
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
        stop.set()
        bot.join(timeout=30)
        if bot.is_alive():
            bot.terminate()
            bot.join(timeout=10)
    store.close()
    return seen


def _figures(samples: list[float], *, rate: float, expected: int) -> dict[str, Any]:
    return {
        "events_per_second": rate,
        "alerts_seen": len(samples),
        "alerts_expected": expected,
        "p50_s": round(percentile(samples, 50), 3),
        "p99_s": round(percentile(samples, 99), 3),
        "max_s": round(max(samples), 3) if samples else None,
    }


@contextmanager
def _prepared(p: Params) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        path = Path(tmp) / "latency.db"
        store = open_store(path)
        with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
            bulk.watch_new_items(
                db, "C1", (("doi", watched_doi(n)) for n in range(p["items"])), at=utcnow()
            )
        store.close()
        yield path


def _trial(p: Params, path: Path) -> Trial:
    rate, alone = p["rate"], p["rate"] / MATCHING_EVERY
    expected = int(rate * p["seconds"]) // MATCHING_EVERY
    ours = _latencies(path, p, rate=rate, matching_every=MATCHING_EVERY)
    base = _latencies(path, p, rate=alone, matching_every=1)
    figures = _figures(ours, rate=rate, expected=expected)
    baseline = _figures(base, rate=alone, expected=int(alone * p["seconds"]))
    p99 = figures["p99_s"] / baseline["p99_s"] if baseline["p99_s"] else float("inf")
    return Trial(figures=figures, baseline=baseline,
                 ratio={"p99": round(p99, 2), "p50": round(figures["p50_s"] / max(baseline["p50_s"], 0.001), 2)})


def _judge(p: Params, m: Measured) -> Verdict:
    def seen(t: Trial) -> bool:
        return all(side["alerts_seen"] >= GOAL_SEEN * side["alerts_expected"] > 0
                   for side in (t.figures, t.baseline))

    return Verdict(
        f"p99 from an event leaving the server to its alert in the outbox at {p['rate']} events/s "
        f"(1 in {MATCHING_EVERY} matching) <= {GOAL_P99_RATIO:g}x the p99 of the same matches "
        f"arriving alone; >= {GOAL_SEEN:.0%} of the alerts seen in every repeat",
        m.ratio["p99"] <= GOAL_P99_RATIO and m.every(seen),
    )


BENCH = Benchmark(
    name="stream_latency",
    sizes=SIZES,
    prepare=_prepared,
    trial=_trial,
    judge=_judge,
    key=("p99_s", "p99_s"),
)
