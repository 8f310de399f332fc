"""Two small benchmarks kept from the first round, in the result shape: identifier parsing
against idutils' bare scheme detection, and watching many items in one transaction against one
transaction per item. Seconds even at full size."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import idutils

from bench.common import Size, median_seconds, result
from core.identifiers import parse_identifier
from core.models import Identifier
from storage import open_store
from storage.watches import watch_item

_SAMPLES = (
    "10.1038/NATURE12373", "https://doi.org/10.1371/journal.pone.0000030", "hdl:10546/620334",
    "arXiv:1501.00001v2", "PMC1234567", "978-0-306-40615-7", "ark:/13030/tf5p30086k",
    "https://digital.library.example.edu/items/12#top",
)


def identifier_parsing(size: Size = "full") -> dict[str, Any]:
    samples = list(_SAMPLES) * (250 if size == "full" else 10)
    repeat = 5 if size == "full" else 1
    ours = median_seconds(lambda: [parse_identifier(s) for s in samples], repeat=repeat)
    base = median_seconds(lambda: [idutils.detect_identifier_schemes(s) for s in samples], repeat=repeat)
    return result(
        "identifier_parsing",
        params={"identifiers": len(samples), "repeats": repeat, "size": size},
        figures={"per_second": round(len(samples) / ours)},
        baseline={"what": "idutils.detect_identifier_schemes", "per_second": round(len(samples) / base)},
        ratio=round(base / ours, 2),
        goal="detect, validate and normalise at least half as fast as idutils only detects",
        goal_met=base / ours >= 0.5,
    )


def bulk_watch(size: Size = "full") -> dict[str, Any]:
    n = 2000 if size == "full" else 100
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
    return result(
        "bulk_watch",
        params={"items": n, "size": size},
        figures={"items_per_second": round(n / one_tx)},
        baseline={"what": "one transaction per item", "items_per_second": round(n / per_item)},
        ratio=round(per_item / one_tx, 2),
        goal="an import of many items in one transaction is at least 2x faster than one transaction each",
        goal_met=per_item / one_tx >= 2,
    )
