"""The machine's load while benchmarks run, with and without the benchmarks' own share.

The kernel's load average counts every runnable thread, the benchmark's own too: a benchmark
busy on one core for three minutes ends with its load one higher than it started, whatever its
neighbours did. To tell neighbours apart, a thread samples four times a second the runnable
threads of the machine (``/proc/loadavg``) less those of this process and its children, and
keeps an average of that as the kernel keeps its 1-minute one (exponential, 60 s). It starts
from the kernel's 1-minute figure, when the runner alone is running.
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

#: Seconds between samples, and the averaging time of the kernel's 1-minute load average.
STEP = 0.25
TAU = 60.0


def _runnable(pid: int) -> tuple[int, list[int]]:
    """Runnable threads of ``pid`` and its children's pids."""
    running = 0
    children: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0, []
    for tid in tids:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            if stat[stat.rfind(")") + 2] == "R":
                running += 1
            children += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # the thread ended meanwhile
    return running, children


def own_runnable(root: int) -> int:
    """Runnable threads of ``root`` and every process under it."""
    total, todo = 0, [root]
    while todo:
        running, children = _runnable(todo.pop())
        total += running
        todo += children
    return total


def machine_runnable() -> int:
    """Runnable threads of the whole machine, now (``/proc/loadavg``'s fourth field)."""
    return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])


class LoadMeter:
    """``with LoadMeter() as meter: meter.now()`` gives the load, with and without ours."""

    def __init__(self, *, step: float = STEP) -> None:
        self.step = step
        self.available = Path("/proc/loadavg").exists()
        self._others = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-load", daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        decay = math.exp(-self.step / TAU)
        while not self._stop.wait(self.step):
            try:
                # This thread is running in both counts: it cancels out.
                others = max(0, machine_runnable() - own_runnable(me))
            except OSError:
                continue
            with self._lock:
                self._others = self._others * decay + others * (1 - decay)

    def now(self) -> dict[str, Any]:
        """``load_average``: the kernel's 1-minute figure (this process included);
        ``others``: the same average of everything but this process and its children."""
        with self._lock:
            others = round(self._others, 2) if self.available else None
        average = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
        return {"load_average": average, "others": others}

    def __enter__(self) -> LoadMeter:
        if self.available:
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


def changed_by(start: dict[str, Any], end: dict[str, Any]) -> float | None:
    """How much the neighbours' load changed (cores), or the kernel's when ours is unknown."""
    key = "others" if start.get("others") is not None and end.get("others") is not None else "load_average"
    if start.get(key) is None or end.get(key) is None:
        return None
    return round(abs(float(end[key]) - float(start[key])), 2)


if __name__ == "__main__":
    # python -m bench.load: the load figures every few seconds, to watch a machine settle.
    with LoadMeter() as meter:
        while True:
            time.sleep(5)
            print(meter.now(), flush=True)
