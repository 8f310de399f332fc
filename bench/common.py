"""What every benchmark shares: the shape of a result, medians over repeats, sizes.

A result is one JSON object: ``name``, ``params`` (the size it ran at), ``figures`` (what was
measured), ``baseline`` (the same thing measured the naive way, in the same run), ``ratio``
(ours / baseline, or the figure the goal is stated in), ``goal`` (in words) and ``goal_met``
(computed from the figures, never typed in). Machines here are shared and noisy, so a figure
is the median of several repeats.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any, Literal

#: ``full`` is what `make bench` runs; ``smoke`` is the seconds-long size CI runs so the
#: benchmarks don't rot.
Size = Literal["full", "smoke"]


def result(
    name: str,
    *,
    params: dict[str, Any],
    figures: dict[str, Any],
    baseline: dict[str, Any],
    ratio: dict[str, Any] | float | None,
    goal: str,
    goal_met: bool,
) -> dict[str, Any]:
    return {
        "name": name,
        "params": params,
        "figures": figures,
        "baseline": baseline,
        "ratio": ratio,
        "goal": goal,
        "goal_met": bool(goal_met),
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
