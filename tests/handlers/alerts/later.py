"""Run a module as ``__main__`` with the clock moved forward, as a rerun that comes later would.

    python -m tests.handlers.alerts.later MINUTES MODULE [ARGS...]

The crash tests use it to rerun after a dead process's delivery claim has run out.
"""

from __future__ import annotations

import runpy
import sys
from datetime import UTC, datetime, timedelta

import time_machine


def main(argv: list[str]) -> None:
    minutes, module, *args = argv
    sys.argv = [module, *args]
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=float(minutes)), tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
