"""Run every benchmark and write bench/results.json."""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import cases

OUT = Path(__file__).with_name("results.json")


def main() -> int:
    results = {}
    for name, func in cases.BENCHMARKS:
        print(f"{name} ...", file=sys.stderr, flush=True)
        results[name] = func()
        print(f"  {json.dumps(results[name])}", file=sys.stderr)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
