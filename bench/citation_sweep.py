"""Citation sweep: requests and seconds of one poll of the citation registries for N watched DOIs.

N = 100, 10,000 and 100,000 DOIs are watched one by one under 3 prefixes (two of them Crossref's,
one DataCite's), against a loopback fake of the registries with each API's paging
(bench/registries.py): Crossref lists 1,000 works a page with a ``next-cursor`` on every page,
DataCite 1,000 with ``page[cursor]``, OpenAlex and Europe PMC answer 100 OR-ed DOIs a request.
One poll of each source is run (handlers.polling.poll.run_poll, which sweeps in lists), and
every request it sends is counted, prefix lists included. Shown beside: the same polls asked
one request per DOI (the path before issue 16), at 100 and 10,000 DOIs; at 100,000 it is not run
(it would be 100,000 requests a source) and shown as that count.

The limit: the fewest requests the APIs' paging allows for listing the works, one page of
1,000 per prefix at the registry that holds it (the paging floor). Request counts do not move
with the machine's load; the one-by-one polls are run once, before the repeats, for scale.
Goal: a sweep of the keyless registries that hold the works (Crossref and DataCite together)
sends at most 2x the floor + 10 requests (N / 500 + 10) at every size, in every repeat. OpenAlex and Europe PMC take at most 100 DOIs
a request, so their sweeps are N / 100: reported beside, not held to that goal. Seconds are the
bot's own (the fake answers at once and the sources are allowed 100,000 requests a second); the
time the requests take at each source's own rate is reported too.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from bench.registries import REGISTRIES, FakeRegistries
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.base import Source
from sources.config import SourcesConfig
from sources.crossref import Crossref
from sources.datacite import DataCite
from sources.europepmc import EuropePMC
from sources.factory import HttpFactory
from sources.openalex import OpenAlex
from storage import bulk, open_store
from storage.counts import latest
from storage.watches import get_watched_item, watch_item

#: The 3 prefixes the DOIs are under, and the agency that registered each.
PREFIXES = (("10.5555", "crossref"), ("10.6666", "crossref"), ("10.70000", "datacite"))
SOURCES: tuple[type[Source], ...] = (Crossref, DataCite, OpenAlex, EuropePMC)
#: The registries the goal holds: keyless, and where the works are registered.
GOAL_SOURCES = ("crossref", "datacite")
SIZES: dict[str, dict[str, Any]] = {
    "full": {"dois": (100, 10_000, 100_000), "one_by_one": (100, 10_000)},
    "quick": {"dois": (100, 2_500), "one_by_one": (100,)},
    "smoke": {"dois": (100, 2_500), "one_by_one": (100,)},
}
#: Works a request at Crossref (``rows``) and DataCite (``page[size]``) at most.
PAGE_SIZE = 1_000
#: The goal: at most this many times the paging floor, and SLACK_REQUESTS more.
FLOOR_SHARE = 2
SLACK_REQUESTS = 10


def allowed(n: int) -> int:
    """The goal: requests a sweep of ``n`` DOIs may send: N / 500 + 10, twice the N / 1,000
    pages the works fill and a few for the prefix lists."""
    return FLOOR_SHARE * n // PAGE_SIZE + SLACK_REQUESTS


def works(n: int) -> dict[str, tuple[str, int]]:
    """``n`` DOIs spread over PREFIXES, each with (agency, citations)."""
    out = {}
    for i in range(n):
        prefix, agency = PREFIXES[i % len(PREFIXES)]
        out[f"{prefix}/sweep.{i}"] = (agency, i % 11)
    return out


def _one_at_a_time(cls: type[Source]) -> type[Source]:
    """The source asked one request per DOI, as before it could list."""
    return type(f"OneAtATime{cls.__name__}", (cls,), {"lists": frozenset()})


def _poll(
    fake: FakeRegistries, n: int, *, batched: bool, only: tuple[str, ...] | None = None
) -> dict[str, dict[str, Any]]:
    """Watch ``n`` DOIs, poll each source (of ``only``, when given) once: its requests and
    seconds, and whether the first DOI got its count."""
    config = SourcesConfig(
        settings={name: {"url": fake.url_of(name)} | ({"api_key": "bench"} if name == "openalex" else {})
                  for name in REGISTRIES},
        rates=dict.fromkeys(REGISTRIES, 100_000.0),
    )
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        store = open_store(Path(tmp) / "bench.db")
        http = HttpFactory(config, sleep=lambda _s: None)
        try:
            with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
                for doi in fake.works:
                    watch_item(db, "C1", [Identifier(scheme="doi", value=doi)])
            for cls in SOURCES:
                if only is not None and cls.name not in only:
                    continue
                source = (cls if batched else _one_at_a_time(cls))(config, http)
                ctx = Context(store=store, sources=[source])
                fake.reset()
                start = time.perf_counter()
                report = run_poll(ctx, source)
                seconds = time.perf_counter() - start
                requests = fake.calls[cls.name]
                out[cls.name] = {
                    "requests": requests,
                    "seconds": round(seconds, 3),
                    "seconds_at_its_rate": round(requests / cls.rate_per_second, 1),
                    "failures": len(report.failures),
                }
            last = next(iter(fake.works))
            item = get_watched_item(store.db, "C1", Identifier(scheme="doi", value=last))
            out["check"] = {"first_doi_counted": item is not None and latest(store.db, item.id, "crossref", "citations") is not None}
        finally:
            http.close()
            store.close()
    return out


def _goal_requests(polled: dict[str, dict[str, Any]]) -> int:
    return sum(int(polled[name]["requests"]) for name in GOAL_SOURCES)


def paging_floor(n: int) -> int:
    """The fewest requests Crossref's and DataCite's paging allow for listing ``n`` DOIs'
    works: one page of PAGE_SIZE per prefix of the registry that holds them."""
    held = Counter(PREFIXES[i % len(PREFIXES)][0] for i in range(n))
    return sum(math.ceil(count / PAGE_SIZE) for count in held.values())


@contextmanager
def _one_by_one(p: Params) -> Iterator[dict[str, Any]]:
    """The same polls asked one request per DOI (the path before issue 16), once: they are
    request counts, shown for scale (at the largest size not run: N requests a source)."""
    baseline: dict[str, Any] = {}
    for n in p["dois"]:
        if n in p["one_by_one"]:
            every = n == min(p["one_by_one"])  # all four at the smallest, past it the goal's two
            with FakeRegistries(works(n)) as fake:
                polled = _poll(fake, n, batched=False, only=None if every else GOAL_SOURCES)
            baseline[f"dois_{n}"] = polled | {"crossref_and_datacite_requests": _goal_requests(polled)}
        else:
            baseline[f"dois_{n}"] = {"crossref_and_datacite_requests": 2 * n,
                                     "note": f"not run: one request per DOI and source ({n:,} each)"}
    yield baseline


def _trial(p: Params, one_by_one: dict[str, Any]) -> Trial:
    """One sweep at every size: its requests against the paging floor."""
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, Any] = {}
    for n in p["dois"]:
        with FakeRegistries(works(n)) as fake:
            swept = _poll(fake, n, batched=True)
        ours = _goal_requests(swept)
        figures[f"dois_{n}"] = swept | {"crossref_and_datacite_requests": ours, "allowed": allowed(n)}
        baseline[f"dois_{n}"] = {"paging_floor": paging_floor(n), "one_by_one": one_by_one[f"dois_{n}"]}
        ratio[f"to_floor_{n}"] = round(ours / max(paging_floor(n), 1), 3)
    largest = max(p["dois"])
    figures["most_requests"] = _goal_requests(figures[f"dois_{largest}"])
    baseline["most_requests"] = paging_floor(largest)
    for name in ("openalex", "europepmc"):
        ratio[f"{name}_requests_at_{largest}"] = figures[f"dois_{largest}"][name]["requests"]
    return Trial(figures=figures, baseline=baseline, ratio=ratio)


def _judge(p: Params, m: Measured) -> Verdict:
    def held(t: Trial) -> bool:
        return all(
            (f := t.figures[f"dois_{n}"])["crossref_and_datacite_requests"] <= allowed(n)
            and f["check"]["first_doi_counted"] and not any(f[name]["failures"] for name in GOAL_SOURCES)
            for n in p["dois"]
        )

    return Verdict(
        f"a Crossref + DataCite sweep of N DOIs under 3 prefixes sends <= N / 500 + 10 requests "
        f"({FLOOR_SHARE}x the N / {PAGE_SIZE:,} pages the works fill, + {SLACK_REQUESTS}) for N = "
        f"{', '.join(f'{n:,}' for n in p['dois'])}, in every repeat",
        m.every(held),
    )


BENCH = Benchmark(
    name="citation_sweep",
    sizes=SIZES,
    prepare=_one_by_one,
    trial=_trial,
    judge=_judge,
    key=("most_requests", "most_requests"),
)
