"""Domain polling: requests one Wikipedia poll sends for N pages of one web site.

With the site watched as a domain, one ``exturlusage`` question covers every page, so the
requests must not grow with N (goal: the same count for 100, 10,000 and 100,000 pages).
Baseline: the same pages watched one by one (one search each), measured at 100 and 10,000
pages; 100,000 is not run page by page (it would be 100,000 requests). Answers come from an
in-memory transport (``httpx.MockTransport``), so only requests and the bot's own time count.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.config import SourcesConfig
from sources.factory import HttpFactory
from sources.wikipedia import Wikipedia
from storage import bulk, open_store
from storage.watches import watch_domain, watch_item

SITE = "repo.example.edu"
SIZES: dict[str, dict[str, Any]] = {
    "full": {"as_site": (100, 10_000, 100_000), "page_by_page": (100, 10_000), "site": SITE},
    "quick": {"as_site": (100, 1_000, 5_000), "page_by_page": (100, 1_000), "site": SITE},
    "smoke": {"as_site": (10, 100), "page_by_page": (10,), "site": SITE},
}
CONFIG = SourcesConfig(settings={"wikipedia": {"langs": ("en",)}})


class _CountingWiki:
    """An in-memory MediaWiki API with no links anywhere; counts the requests it gets."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()  # the poll may ask from several threads

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests += 1
        if request.url.params.get("list") == "exturlusage":
            return httpx.Response(200, json={"batchcomplete": "", "query": {"exturlusage": []}})
        return httpx.Response(
            200, json={"batchcomplete": "", "query": {"searchinfo": {"totalhits": 0}, "search": []}}
        )


def one_poll(n: int, *, as_site: bool) -> tuple[int, float]:
    """(requests, seconds) of one poll with ``n`` pages of SITE watched."""
    wiki = _CountingWiki()
    with tempfile.TemporaryDirectory(prefix="bench-domain-") as tmp:
        store = open_store(Path(tmp) / "bench.db")
        http = HttpFactory(CONFIG, transport=httpx.MockTransport(wiki), sleep=lambda _s: None)
        try:
            source = Wikipedia(CONFIG, http)
            ctx = Context(store=store, sources=[source])
            with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
                if as_site:
                    watch_domain(db, "C1", SITE)
                for i in range(n):
                    watch_item(db, "C1", [Identifier(scheme="url", value=f"https://{SITE}/items/{i}")])
            wiki.requests = 0
            start = time.perf_counter()
            run_poll(ctx, source)
            seconds = time.perf_counter() - start
        finally:
            http.close()
            store.close()
    return wiki.requests, seconds


def _trial(p: Params, _state: None) -> Trial:
    as_site = {n: one_poll(n, as_site=True) for n in p["as_site"]}
    by_page = {n: one_poll(n, as_site=False) for n in p["page_by_page"]}
    figures: dict[str, Any] = {
        f"pages_{n}": {"requests": r, "poll_seconds": round(s, 3)} for n, (r, s) in as_site.items()
    }
    baseline: dict[str, Any] = {
        f"pages_{n}": {"requests": r, "poll_seconds": round(s, 3)} for n, (r, s) in by_page.items()
    }
    figures["most_requests_per_poll"] = max(r for r, _ in as_site.values())
    baseline["most_requests_per_poll"] = max(r for r, _ in by_page.values())
    largest = max(p["as_site"])
    baseline["note"] = f"{largest:,} pages were not polled page by page (it would take {largest:,} requests)"
    ratio = {f"requests_site_to_pages_{n}": round(as_site[n][0] / max(by_page[n][0], 1), 5) for n in by_page}
    # The limit: one question per poll, however many pages.
    ratio["most_requests_to_one"] = figures["most_requests_per_poll"]
    return Trial(figures=figures, baseline=baseline, ratio=ratio)


def _judge(p: Params, m: Measured) -> Verdict:
    # The same count at every size, in every repeat.
    same = m.every(lambda t: len({t.figures[f"pages_{n}"]["requests"] for n in p["as_site"]}) == 1)
    return Verdict(
        f"the same number of requests per poll for {', '.join(f'{n:,}' for n in p['as_site'])} pages",
        same and m.figures["most_requests_per_poll"] > 0,
    )


BENCH = Benchmark(
    name="domain_poll",
    sizes=SIZES,
    trial=_trial,
    judge=_judge,
    key=("most_requests_per_poll", "most_requests_per_poll"),
)
