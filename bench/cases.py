"""The benchmarks. Each returns a dict of measured figures and ratios against its baseline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import idutils

from core.identifiers import parse_identifier
from core.models import Identifier
from storage import open_store
from storage.watches import watch_item


def _best_of(func: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def identifier_parsing() -> dict[str, Any]:
    """Our parse (detect + validate + normalise) against idutils' bare scheme detection."""
    samples = [
        "10.1038/NATURE12373", "https://doi.org/10.1371/journal.pone.0000030", "hdl:10546/620334",
        "arXiv:1501.00001v2", "PMC1234567", "978-0-306-40615-7", "ark:/13030/tf5p30086k",
        "https://digital.library.example.edu/items/12#top",
    ] * 250
    ours = _best_of(lambda: [parse_identifier(s) for s in samples])
    base = _best_of(lambda: [idutils.detect_identifier_schemes(s) for s in samples])
    return {
        "identifiers": len(samples),
        "per_second": round(len(samples) / ours),
        "ratio_to_idutils_detect": round(ours / base, 2),
    }


def bulk_watch() -> dict[str, Any]:
    """Watching 2,000 items in one transaction against one transaction per item (the baseline
    a naive importer would be)."""
    n = 2000
    idents = [Identifier(scheme="doi", value=f"10.5555/bench.{i}") for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        batched = open_store(Path(tmp) / "batched.db")
        start = time.perf_counter()
        with batched.transaction() as db:
            for ident in idents:
                watch_item(db, "C1", [ident])
        one_tx = time.perf_counter() - start
        naive = open_store(Path(tmp) / "naive.db")
        start = time.perf_counter()
        for ident in idents:
            with naive.transaction() as db:
                watch_item(db, "C1", [ident])
        per_item = time.perf_counter() - start
        batched.close()
        naive.close()
    return {
        "items": n,
        "items_per_second": round(n / one_tx),
        "ratio_to_one_transaction_per_item": round(one_tx / per_item, 3),
    }


def domain_poll_cost() -> dict[str, Any]:
    """Requests one Wikipedia poll sends for N watched pages of one site: with the site watched
    as a domain (one `exturlusage` question) against the same N pages watched one by one (the
    baseline: one search each). The site's cost must not grow with N. Answers come from an
    in-memory transport, so only requests and our own time are measured."""
    import httpx

    from handlers.context import Context
    from handlers.poll import run_poll
    from sources.base import SourcesConfig
    from sources.http import HttpFactory
    from sources.wikipedia import Wikipedia
    from storage.watches import watch_domain

    sent = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        sent["n"] += 1
        if request.url.params.get("list") == "exturlusage":
            return httpx.Response(200, json={"batchcomplete": "", "query": {"exturlusage": []}})
        return httpx.Response(200, json={"batchcomplete": "", "query": {"searchinfo": {"totalhits": 0}, "search": []}})

    config = SourcesConfig(urls={"wikipedia": "https://{lang}.wikipedia.org/w/api.php"}, wikipedia_langs=("en",))

    def one_poll(n: int, *, as_site: bool) -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "bench.db")
            http = HttpFactory(config, transport=httpx.MockTransport(answer), sleep=lambda _s: None)
            source = Wikipedia(config, http)
            ctx = Context(store=store, sources=[source])
            with store.transaction() as db:
                if as_site:
                    watch_domain(db, "C1", "repo.example.edu")
                for i in range(n):
                    watch_item(db, "C1", [Identifier(scheme="url", value=f"https://repo.example.edu/items/{i}")])
            sent["n"] = 0
            start = time.perf_counter()
            run_poll(ctx, source)
            seconds = time.perf_counter() - start
            store.close()
            http.close()
        return sent["n"], seconds

    out: dict[str, Any] = {}
    for n in (10, 100, 1000):
        site_requests, site_s = one_poll(n, as_site=True)
        page_requests, page_s = one_poll(n, as_site=False)
        out[f"pages_{n}"] = {
            "requests_as_site": site_requests,
            "requests_page_by_page": page_requests,
            "ratio_requests_site_to_pages": round(site_requests / max(page_requests, 1), 4),
            "ratio_time_site_to_pages": round(site_s / page_s, 3),
        }
    out["ratio_site_requests_1000_to_10_pages"] = round(
        out["pages_1000"]["requests_as_site"] / max(out["pages_10"]["requests_as_site"], 1), 2
    )
    return out


BENCHMARKS: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    ("identifier_parsing", identifier_parsing),
    ("bulk_watch", bulk_watch),
    ("domain_poll_cost", domain_poll_cost),
]
