"""Run the benchmarks, print a table and write bench/results.json.

    python -m bench                  every benchmark at full size (make bench), writes results.json
    python -m bench --quick          every benchmark at a size that takes under a minute in all
    python -m bench --smoke          every benchmark at smoke size (seconds), writes nothing
    python -m bench storage_scale    only the ones named (writes nothing unless --out is given)
    python -m bench --only NAME      the same as naming it
    python -m bench --repeats 5      repeats of each (default: 3 at full and quick size)
    python -m bench --out FILE       write the results to FILE instead
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Size, result, run_benchmark
from bench.load import LoadMeter

OUT = Path(__file__).with_name("results.json")

#: (name, module, the Benchmark's name in it), imported only when run: `python -m bench
#: memory` loads no other. A new benchmark is one line here (bench/README.md, "Adding one").
BENCHMARKS: tuple[tuple[str, str, str], ...] = (
    ("poll_rate", "bench.poll_rate", "BENCH"),
    ("domain_poll", "bench.domain_poll", "BENCH"),
    ("command_latency", "bench.command_latency", "BENCH"),
    ("storage_scale", "bench.storage_scale", "BENCH"),
    ("memory", "bench.memory", "BENCH"),
    ("citation_sweep", "bench.citation_sweep", "BENCH"),
    ("identifier_parsing", "bench.extras", "IDENTIFIER_PARSING"),
    ("bulk_watch", "bench.extras", "BULK_WATCH"),
    ("stream_match", "bench.stream_match", "BENCH"),
    ("stream_latency", "bench.stream_latency", "BENCH"),
)


def load(module: str, attr: str) -> Benchmark:
    bench = getattr(importlib.import_module(module), attr)
    if not isinstance(bench, Benchmark):
        raise TypeError(f"{module}.{attr} is not a bench.common.Benchmark")
    return bench


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


def _first_number(data: Any) -> str | None:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(key)
    return None


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else str(value)


def _with_spread(res: dict[str, Any], part: str, key: str | None) -> str:
    """``key 1.23 (1.1-1.4)``: the median and, when repeated, the least and most."""
    if key is None:
        return "-"
    text = f"{key} {_short(_dig(res[part], key))}"
    spread = _dig(res.get("spread", {}).get(part, {}), key)
    if isinstance(spread, list) and spread[0] != spread[1]:
        text += f" ({_short(spread[0])}-{_short(spread[1])})"
    return text


def verdict(res: dict[str, Any]) -> str:
    if res["goal_met"] is None:
        return "noisy"
    return "yes" if res["goal_met"] else "MISSED"


def row(res: dict[str, Any], key: tuple[str, str] | None = None) -> list[str]:
    """name, key figure, limit, ratio, load, goal, met? for the table."""
    ours, base = key or (_first_number(res["figures"]), _first_number(res["baseline"]))
    ratio = res["ratio"]
    if isinstance(ratio, dict):
        ratio = ", ".join(_with_spread(res, "ratio", k) for k in list(ratio)[:2])
    load = res.get("load") or {}
    start, end = load.get("start") or {}, load.get("end") or {}
    where = "others" if start.get("others") is not None else "load_average"
    moved = f"{_short(start.get(where))} -> {_short(end.get(where))}" if start else "-"
    return [res["name"], _with_spread(res, "figures", ours), _with_spread(res, "baseline", base),
            _short(ratio), moved, res["goal"], verdict(res)]


def table(results: list[dict[str, Any]], keys: dict[str, tuple[str, str]] | None = None) -> str:
    header = ["benchmark", "key figure (least-most)", "limit", "ratio", "load", "goal", "met"]
    rows = [header, *(row(r, (keys or {}).get(r["name"])) for r in results)]
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(header))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(cell[:60].ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_all(
    names: list[str], size: Size, *, repeats: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]], bool]:
    """Results of the benchmarks named (all when empty), their key figures, whether all ran."""
    out, keys = [], {}
    complete = True
    with LoadMeter() as meter:
        for name, module, attr in BENCHMARKS:
            if names and name not in names:
                continue
            print(f"{name} ({size}) ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            try:
                bench = load(module, attr)
                if bench.key:
                    keys[name] = bench.key
                res = run_benchmark(bench, size, repeats=repeats, meter=meter)
            except Exception as exc:
                traceback.print_exc()
                complete = False
                res = result(name, params={"size": size}, figures={"error": f"{type(exc).__name__}: {exc}"},
                             baseline={}, ratio=None, goal="(the benchmark failed)", goal_met=False)
            print(f"  {time.perf_counter() - start:.1f} s, goal {verdict(res)}", file=sys.stderr, flush=True)
            out.append(res)
    return out, keys, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the benchmarks.")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable; the same as naming it)")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="every figure in under a minute in all")
    sizes.add_argument("--smoke", action="store_true", help="the seconds-long size CI runs; writes nothing")
    parser.add_argument("--repeats", type=int, metavar="N", help="repeats of each (default 3; 1 at smoke size)")
    parser.add_argument("--out", type=Path, help=f"write the results here (default {OUT} for a full run of all)")
    args = parser.parse_args(argv)
    args.names = [*args.names, *args.only]
    known = [b[0] for b in BENCHMARKS]
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(known)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats takes a number of at least 1, e.g. --repeats 3")
    size: Size = "smoke" if args.smoke else "quick" if args.quick else "full"
    # The bot's own warnings (a poll cut short when a benchmark ends) are not results.
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s")
    started = time.perf_counter()
    results, keys, complete = run_all(args.names, size, repeats=args.repeats)
    print(table(results, keys))
    noisy = [r["name"] for r in results if r["noisy"]]
    print(f"{len(results)} benchmarks at {size} size in {time.perf_counter() - started:.0f} s"
          + (f"; noisy, not judged: {', '.join(noisy)}" if noisy else ""))
    full_run = size == "full" and not args.names
    target = args.out or (OUT if full_run else None)
    if target is not None:
        report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "results": results}
        target.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {target}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
