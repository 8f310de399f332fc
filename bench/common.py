"""What every benchmark shares: the convention a benchmark follows, repeats and their medians.

A benchmark is a :class:`Benchmark` in a module of bench/, registered by one line in
``bench/__main__.py``'s ``BENCHMARKS``. It says what one repeat measures (``trial``: the bot
and the best this machine does at the same thing, back to back) and how the medians are judged
(``judge``); the runner does the rest for every benchmark alike: the repeats, the median and
spread of every figure, the machine's load at start and end, and a noisy run left unjudged.

A result is one JSON object: ``name``, ``params`` (the size it ran at, the repeats), ``figures``
(the bot's, medians), ``baseline`` (the limit it is held against, measured in the same repeats),
``ratio`` (ours against the limit, each repeat's own pair, medians), ``spread`` ([least, most]
of every number that varied between repeats), ``load`` (at start and end), ``noisy``, ``goal`` (in words) and
``goal_met`` (computed from the figures, never typed in; None when the run was noisy).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bench.load import LoadMeter, changed_by

#: ``full`` is what `make bench` runs; ``quick`` gives every figure in under a minute in all;
#: ``smoke`` is the seconds-long size CI runs so the benchmarks don't rot.
Size = Literal["full", "quick", "smoke"]
SIZES: tuple[Size, ...] = ("full", "quick", "smoke")
#: Repeats unless a size asks for others: medians of three at least.
REPEATS: dict[str, int] = {"full": 3, "quick": 3, "smoke": 1}
#: A run whose neighbours' load changed by more than this (cores) is noisy: not judged.
NOISY_CORES = 1.0


class Load(Protocol):
    """What the runner asks of a load meter (bench.load.LoadMeter)."""

    def now(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Trial:
    """One repeat: the bot's figures, the limit's (measured in the same repeat, right before or
    after) and ratios of the two from this repeat's own pair."""

    figures: dict[str, Any]
    baseline: dict[str, Any]
    ratio: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measured:
    """The repeats of a benchmark: medians of every number (other values as given when every
    repeat agrees, else the list of them), and the repeats themselves for goals about each."""

    figures: dict[str, Any]
    baseline: dict[str, Any]
    ratio: dict[str, Any]
    trials: list[Trial]

    def every(self, check: Callable[[Trial], bool]) -> bool:
        return all(check(t) for t in self.trials)


@dataclass(frozen=True)
class Verdict:
    goal: str
    met: bool


Params = dict[str, Any]


@dataclass(frozen=True)
class Benchmark:
    """What a benchmark module defines (as ``BENCH``, or another name given in ``BENCHMARKS``).

    ``sizes`` has the params of ``full``, ``quick`` and ``smoke`` (``repeats`` among them to
    change the default); ``prepare(params)``, when given, is a context manager for what the
    repeats share (fakes, a big database) and its value is passed to every ``trial``; ``key``
    is the figure the table shows: a key of ``figures`` and one of ``baseline`` (dots go
    deeper); by default the first number of each."""

    name: str
    sizes: Mapping[str, Params]
    trial: Callable[[Params, Any], Trial]
    judge: Callable[[Params, Measured], Verdict]
    prepare: Callable[[Params], AbstractContextManager[Any]] | None = None
    key: tuple[str, str] | None = None


def _median(values: list[Any]) -> Any:
    """The median of numbers (an int when they are ints and it is one of them); for other
    values the value when all agree, else the list; dicts key by key."""
    if all(isinstance(v, dict) for v in values):
        keys = list(dict.fromkeys(k for v in values for k in v))
        return {k: _median([v[k] for v in values if k in v]) for k in keys}
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        middle = statistics.median(values)
        if all(isinstance(v, int) for v in values) and middle == int(middle):
            return int(middle)
        return round(middle, 4) if isinstance(middle, float) else middle
    return values[0] if all(v == values[0] for v in values) else values


def _spread(values: list[Any]) -> Any:
    """[least, most] of repeated numbers, dicts key by key; None for anything else."""
    if all(isinstance(v, dict) for v in values):
        keys = list(dict.fromkeys(k for v in values for k in v))
        out = {k: _spread([v[k] for v in values if k in v]) for k in keys}
        return {k: s for k, s in out.items() if s is not None} or None
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numbers and min(values) != max(values):
        return [min(values), max(values)]
    return None


def summarise(trials: list[Trial]) -> tuple[Measured, dict[str, Any]]:
    """The medians of ``trials`` and the spread of each part."""
    parts = {
        "figures": [t.figures for t in trials],
        "baseline": [t.baseline for t in trials],
        "ratio": [t.ratio for t in trials],
    }
    medians = {part: _median(values) for part, values in parts.items()}
    spread = {part: _spread(values) or {} for part, values in parts.items()}
    return Measured(medians["figures"], medians["baseline"], medians["ratio"], trials), spread


def repeats_of(bench: Benchmark, size: Size) -> int:
    return int(bench.sizes[size].get("repeats", REPEATS[size]))


def run_benchmark(
    bench: Benchmark, size: Size, *, repeats: int | None = None, meter: Load | None = None
) -> dict[str, Any]:
    """Prepare, run the repeats and judge them: the benchmark's result."""
    params = dict(bench.sizes[size])
    n = repeats or repeats_of(bench, size)
    params |= {"size": size, "repeats": n}
    with nullcontext(meter) if meter else LoadMeter() as load:
        start = load.now()
        prepared = bench.prepare(params) if bench.prepare else nullcontext()
        with prepared as state:
            trials = [bench.trial(params, state) for _ in range(n)]
        end = load.now()
    measured, spread = summarise(trials)
    verdict = bench.judge(params, measured)
    change = changed_by(start, end)
    noisy = change is not None and change > NOISY_CORES
    return result(
        bench.name, params=params, figures=measured.figures, baseline=measured.baseline,
        ratio=measured.ratio, goal=verdict.goal, goal_met=None if noisy else verdict.met,
        spread=spread, load={"start": start, "end": end, "changed_by": change}, noisy=noisy,
    )


def result(
    name: str,
    *,
    params: dict[str, Any],
    figures: dict[str, Any],
    baseline: dict[str, Any],
    ratio: dict[str, Any] | float | None,
    goal: str,
    goal_met: bool | None,
    spread: dict[str, Any] | None = None,
    load: dict[str, Any] | None = None,
    noisy: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "params": params,
        "figures": figures,
        "baseline": baseline,
        "ratio": ratio,
        "spread": spread or {},
        "load": load or {},
        "noisy": noisy,
        "goal": goal,
        "goal_met": None if goal_met is None else bool(goal_met),
    }


def median_seconds(func: Callable[[], Any], *, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``func``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
