"""Benchmark 1, poll throughput against a rate limit.

A loopback fake of Crossref, in a process of its own, answers after 200 ms and allows 50
requests in any one second (429 with Retry-After beyond that), judged on when each request
reached its socket (the kernel's stamp): a server elsewhere does not see this machine's load. The bot polls 2,000 watched DOIs with Crossref allowed 50
requests a second (ATTENTION_SOURCE_RATES) and 16 in flight (ATTENTION_SOURCE_CONCURRENCY).
Reported: the achieved rate over the allowed one (goal >= 0.95), the 429s the server sent
(goal 0), and the speed-up over a naive serial loop, one httpx request after another against
the same server (shown for scale: the limit is the allowed rate). Repeats share the server.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from bench.fakes import ForkedFake
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.config import SourcesConfig
from sources.crossref import Crossref
from sources.factory import HttpFactory
from storage import open_store
from storage.watches import watch_item

ALLOWED = 50
SLOTS = 16
_LIMIT = {"allowed_per_second": ALLOWED, "concurrency": SLOTS}
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 2000, "latency": 0.2, "serial_requests": 25, **_LIMIT},
    "quick": {"items": 120, "latency": 0.02, "serial_requests": 10, **_LIMIT},
    "smoke": {"items": 60, "latency": 0.02, "serial_requests": 10, **_LIMIT},
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


def _trial(p: Params, fake: ForkedFake) -> Trial:
    poll = _poll(fake, p["items"])
    serial = _serial(fake, p["serial_requests"])
    return Trial(
        figures=poll,
        baseline={"allowed_per_second": ALLOWED, "serial_requests_per_second": round(serial, 2)},
        ratio={"of_allowed_rate": round(poll["requests_per_second"] / ALLOWED, 3),
               "speedup_over_serial": round(poll["requests_per_second"] / serial, 1)},
    )


def _judge(p: Params, m: Measured) -> Verdict:
    clean = m.every(lambda t: t.figures["http_429"] == 0 and t.figures["failures"] == 0)
    return Verdict(
        f"achieved rate >= 0.95 of the allowed {ALLOWED} requests/s, with 0 HTTP 429 received in any repeat",
        m.ratio["of_allowed_rate"] >= 0.95 and clean,
    )


BENCH = Benchmark(
    name="poll_rate",
    sizes=SIZES,
    prepare=lambda p: ForkedFake(latency=p["latency"], limit=ALLOWED),
    trial=_trial,
    judge=_judge,
    key=("requests_per_second", "allowed_per_second"),
)
