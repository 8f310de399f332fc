"""Benchmark 1, poll throughput against a rate limit.

A loopback fake of Crossref, in a process of its own, answers after 200 ms and allows 50 requests in any one second (429
with Retry-After beyond that). The bot polls 2,000 watched DOIs with Crossref allowed 50
requests a second (ATTENTION_SOURCE_RATES) and 16 in flight (ATTENTION_SOURCE_CONCURRENCY).
Reported: the achieved rate over the allowed one (goal >= 0.95), the 429s the server sent
(goal 0), and the speed-up over a naive serial loop, one httpx request after another against
the same server, measured in the same run (three short repeats, median).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Size, result
from bench.fakes import ForkedFake
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.config import SourcesConfig
from sources.crossref import Crossref
from sources.http import HttpFactory
from storage import open_store
from storage.watches import watch_item

ALLOWED = 50
SLOTS = 16
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 2000, "latency": 0.2, "serial_requests": 50, "serial_repeats": 3},
    "smoke": {"items": 60, "latency": 0.02, "serial_requests": 10, "serial_repeats": 3},
}


class OneAtATime(Crossref):
    """Crossref asked one work at a time (its polls sweep DOIs in lists since issue 16: that is
    bench/citation_sweep.py): this benchmark is about the pace of one request per work."""

    lists = frozenset()


def _doi(i: int) -> Identifier:
    return Identifier(scheme="doi", value=f"10.5555/bench.{i}")


def _poll(fake: ForkedFake, items: int) -> dict[str, Any]:
    """One poll of ``items`` watched DOIs through the bot; the server's counts of it."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        with store.transaction() as db:
            for i in range(items):
                watch_item(db, "C1", [_doi(i)])
        config = SourcesConfig(
            settings={"crossref": {"url": fake.url}}, rates={"crossref": ALLOWED}, concurrency={"crossref": SLOTS}
        )
        http = HttpFactory(config)
        source = OneAtATime(config, http)
        ctx = Context(store=store, sources=[source])
        fake.reset()
        start = time.perf_counter()
        report = run_poll(ctx, source)
        seconds = time.perf_counter() - start
        http.close()
        store.close()
    served = fake.requests
    return {
        "requests": served,
        "seconds": round(seconds, 2),
        "requests_per_second": round(served / seconds, 2),
        "http_429": fake.rejected,
        "http_429_seconds_into_poll": fake.rejected_at,
        "max_in_flight": fake.max_in_flight,
        "failures": len(report.failures),
    }


def _serial(fake: ForkedFake, requests: int) -> float:
    """Requests a second of one httpx request after another (the naive loop)."""
    with httpx.Client(base_url=fake.url) as client:
        start = time.perf_counter()
        for i in range(requests):
            client.get(f"/works/{_doi(i).value}").raise_for_status()
        return requests / (time.perf_counter() - start)


def run(size: Size = "full") -> dict[str, Any]:
    p = SIZES[size]
    with ForkedFake(latency=p["latency"], limit=ALLOWED) as fake:
        poll = _poll(fake, p["items"])
        serial = statistics.median(_serial(fake, p["serial_requests"]) for _ in range(p["serial_repeats"]))
    of_allowed = poll["requests_per_second"] / ALLOWED
    speedup = poll["requests_per_second"] / serial
    return result(
        "poll_rate",
        params={
            "items": p["items"], "latency_ms": round(p["latency"] * 1000), "allowed_per_second": ALLOWED,
            "concurrency": SLOTS, "serial_requests": p["serial_requests"] * p["serial_repeats"],
        },
        figures=poll,
        baseline={"serial_requests_per_second": round(serial, 2)},
        ratio={"of_allowed_rate": round(of_allowed, 3), "speedup_over_serial": round(speedup, 1)},
        goal="achieved rate >= 0.95 of the allowed 50 requests/s, with 0 HTTP 429 received",
        goal_met=of_allowed >= 0.95 and poll["http_429"] == 0 and poll["failures"] == 0,
    )


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))  # type: ignore[arg-type]
