"""Run the benchmarks, print a table and write bench/results.json.

    python -m bench                  every benchmark at full size (make bench), writes results.json
    python -m bench --smoke          every benchmark at smoke size (seconds), writes nothing
    python -m bench storage_scale    only the ones named (writes nothing unless --out is given)
    python -m bench --only NAME      the same as naming it
    python -m bench --out FILE       write the results to FILE instead
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Size, result

OUT = Path(__file__).with_name("results.json")

#: (name, module, function), imported only when run: `python -m bench memory` loads no other.
BENCHMARKS: tuple[tuple[str, str, str], ...] = (
    ("poll_rate", "bench.poll_rate", "run"),
    ("domain_poll", "bench.domain_poll", "run"),
    ("command_latency", "bench.command_latency", "run"),
    ("storage_scale", "bench.storage_scale", "run"),
    ("memory", "bench.memory", "run"),
    ("citation_sweep", "bench.citation_sweep", "run"),
    ("identifier_parsing", "bench.extras", "identifier_parsing"),
    ("bulk_watch", "bench.extras", "bulk_watch"),
    ("stream_match", "bench.stream_match", "run"),
    ("stream_latency", "bench.stream_latency", "run"),
)

#: The figure the table shows for a benchmark: a key of ``figures`` (dots go deeper) and the
#: matching key of ``baseline``. Others show their first number.
KEY_FIGURES: dict[str, tuple[str, str]] = {
    "poll_rate": ("requests_per_second", "serial_requests_per_second"),
    "memory": ("peak_rss_mb", "peak_rss_mb"),
    "domain_poll": ("most_requests_per_poll", "most_requests_per_poll"),
    "citation_sweep": ("most_requests", "most_requests"),
    "command_latency": ("p99_ms", "p99_ms"),
    "storage_scale": ("mentions_per_second", "mentions_per_second"),
    "identifier_parsing": ("per_second", "per_second"),
    "bulk_watch": ("items_per_second", "items_per_second"),
    "stream_match": ("events_per_second", "events_per_second"),
    "stream_latency": ("p99_s", "p99_s"),
}


def load(module: str, func: str) -> Callable[..., dict[str, Any]]:
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _first_number(data: Any) -> tuple[str, Any] | None:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                return key, value
    return None


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else str(value)


def row(res: dict[str, Any]) -> list[str]:
    """name, key figure, baseline, ratio, goal, met? for the table."""
    name = res["name"]
    if name in KEY_FIGURES:
        ours, base = KEY_FIGURES[name]
        figure = f"{ours} {_short(_dig(res['figures'], ours))}"
        baseline = f"{base} {_short(_dig(res['baseline'], base))}"
    else:
        first = _first_number(res["figures"])
        figure = f"{first[0]} {_short(first[1])}" if first else "-"
        matching = _dig(res["baseline"], first[0]) if first else None
        other = _first_number(res["baseline"])
        baseline = (f"{first[0]} {_short(matching)}" if first and matching is not None
                    else f"{other[0]} {_short(other[1])}" if other else "-")
    ratio = res["ratio"]
    if isinstance(ratio, dict):
        ratio = ", ".join(f"{k} {_short(v)}" for k, v in list(ratio.items())[:2])
    return [name, figure, baseline, _short(ratio), res["goal"], "yes" if res["goal_met"] else "MISSED"]


def table(results: list[dict[str, Any]]) -> str:
    rows = [["benchmark", "key figure", "baseline", "ratio", "goal", "met"], *(row(r) for r in results)]
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(cell[:60].ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_all(names: list[str], size: Size) -> tuple[list[dict[str, Any]], bool]:
    """Results of the benchmarks named (all when empty) and whether every one ran."""
    out = []
    complete = True
    for name, module, func in BENCHMARKS:
        if names and name not in names:
            continue
        bench = load(module, func)
        print(f"{name} ({size}) ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            res = bench(size)
        except Exception as exc:
            traceback.print_exc()
            complete = False
            res = result(name, params={"size": size}, figures={"error": f"{type(exc).__name__}: {exc}"},
                         baseline={}, ratio=None, goal="(the benchmark failed)", goal_met=False)
        print(f"  {time.perf_counter() - start:.1f} s, goal {'met' if res['goal_met'] else 'MISSED'}",
              file=sys.stderr, flush=True)
        out.append(res)
    return out, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks.")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable; the same as naming it)")
    parser.add_argument("--smoke", action="store_true", help="the seconds-long size CI runs; writes nothing")
    parser.add_argument("--out", type=Path, help=f"write the results here (default {OUT} for a full run of all)")
    args = parser.parse_args(argv)
    args.names = [*args.names, *args.only]
    known = [b[0] for b in BENCHMARKS]
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(known)}")
    size: Size = "smoke" if args.smoke else "full"
    started = time.perf_counter()
    results, complete = run_all(args.names, size)
    print(table(results))
    print(f"{len(results)} benchmarks in {time.perf_counter() - started:.0f} s")
    target = args.out or (OUT if not args.smoke and not args.names else None)
    if target is not None:
        report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "results": results}
        target.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {target}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
