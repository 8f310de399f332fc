"""Two small benchmarks kept from the first round, in the result shape: identifier parsing
against idutils' bare scheme detection, and watching many items in one transaction against one
transaction per item. Seconds even at full size."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import idutils

from bench.common import Benchmark, Measured, Params, Trial, Verdict, median_seconds
from core.identifiers import parse_identifier
from core.models import Identifier
from storage import open_store
from storage.watches import watch_item

_SAMPLES = (
    "10.1038/NATURE12373", "https://doi.org/10.1371/journal.pone.0000030", "hdl:10546/620334",
    "arXiv:1501.00001v2", "PMC1234567", "978-0-306-40615-7", "ark:/13030/tf5p30086k",
    "https://digital.library.example.edu/items/12#top",
)


def _parsing_trial(p: Params, _state: None) -> Trial:
    samples = list(_SAMPLES) * p["copies"]
    ours = median_seconds(lambda: [parse_identifier(s) for s in samples], repeat=p["inner"])
    base = median_seconds(lambda: [idutils.detect_identifier_schemes(s) for s in samples], repeat=p["inner"])
    return Trial(
        figures={"per_second": round(len(samples) / ours)},
        baseline={"per_second": round(len(samples) / base)},
        ratio={"speed_of_idutils": round(base / ours, 2)},
    )


def _parsing_judge(p: Params, m: Measured) -> Verdict:
    return Verdict(
        "detect, validate and normalise at least half as fast as idutils only detects "
        "(idutils.detect_identifier_schemes)",
        m.ratio["speed_of_idutils"] >= 0.5,
    )


IDENTIFIER_PARSING = Benchmark(
    name="identifier_parsing",
    sizes={"full": {"copies": 250, "inner": 5}, "quick": {"copies": 50, "inner": 3},
           "smoke": {"copies": 10, "inner": 1}},
    trial=_parsing_trial,
    judge=_parsing_judge,
    key=("per_second", "per_second"),
)


def _watch_trial(p: Params, _state: None) -> Trial:
    n = p["items"]
    idents = [Identifier(scheme="doi", value=f"10.5555/bench.{i}") for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
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
    return Trial(
        figures={"items_per_second": round(n / one_tx)},
        baseline={"what": "one transaction per item", "items_per_second": round(n / per_item)},
        ratio={"speedup": round(per_item / one_tx, 2)},
    )


def _watch_judge(p: Params, m: Measured) -> Verdict:
    return Verdict(
        "an import of many items in one transaction is at least 2x faster than one transaction each",
        m.ratio["speedup"] >= 2,
    )


BULK_WATCH = Benchmark(
    name="bulk_watch",
    sizes={"full": {"items": 2000}, "quick": {"items": 500}, "smoke": {"items": 100}},
    trial=_watch_trial,
    judge=_watch_judge,
    key=("items_per_second", "items_per_second"),
)
