"""Benchmark 5, memory: peak RSS of `attention-bot run` through one poll of 100,000 items.

The bot runs as users run it, a separate process in console mode (no Slack tokens; stdin is
a pipe kept open, so the shell waits for input instead of ending). Only Europe PMC is switched
on, asked about watched PMIDs one work at a time (a poll of Crossref's DOIs is a sweep of a few
list requests since issue 16: bench/citation_sweep.py), pointed at a loopback fake without
latency and allowed a high rate
(ATTENTION_SOURCE_RATES), so the poll is quick. The scheduler starts a never-polled source's
first poll when the schedule it kept says (source_state.next_run_at, set here to a few seconds
ahead); once the polls table says it
finished, the peak resident size is read from /proc/<pid>/status (VmHWM) and the bot gets
SIGTERM. Baseline: the same process through one poll with no item watched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Size, result
from bench.fakes import FakeCrossref
from core.models import Identifier
from sources import REGISTRY
from sources.europepmc import EuropePMC
from storage import open_store
from storage.polls import last_polls
from storage.state import set_next_run
from storage.watches import watch_item

GOAL_MB = 150
SIZES: dict[str, dict[str, Any]] = {"full": {"items": 100_000}, "smoke": {"items": 300}}
#: Longest wait for the first poll to finish before the run counts as failed.
TIMEOUT_SECONDS = 240.0
#: Seconds after it is prepared that the first poll is due: the bot must have started by then.
START_AFTER_SECONDS = 2.5


def _prepare(db_path: Path, items: int) -> None:
    """Watch ``items`` PMIDs."""
    store = open_store(db_path)
    with store.transaction() as db:
        for i in range(items):
            watch_item(db, "C1", [Identifier(scheme="pmid", value=str(10_000_000 + i))])
    store.close()


def _due_soon(db_path: Path) -> None:
    """Have the source's first poll due a moment after the bot has started."""
    store = open_store(db_path)
    with store.transaction() as db:
        # The schedule a bot keeps across restarts (source_state.next_run_at) is resumed at
        # start-up; without it a first poll waits STAGGER_SECONDS.
        due = datetime.now(UTC) + timedelta(seconds=START_AFTER_SECONDS)
        set_next_run(db, EuropePMC.name, due.isoformat())
    store.close()


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc status: Linux is needed for this benchmark")


def _finished(db_path: Path) -> bool:
    store = open_store(db_path)
    try:
        poll = last_polls(store.db).get(EuropePMC.name)
        return poll is not None and poll.finished_at is not None
    finally:
        store.close()


def _peak_mb(items: int, fake: FakeCrossref) -> dict[str, Any]:
    """Run the bot through one Europe PMC poll of ``items`` watched PMIDs; its peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "attention.db"
        _prepare(db_path, items)
        others = [cls.name for cls in REGISTRY if cls.name != EuropePMC.name]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
        env |= {
            "ATTENTION_DB": str(db_path),
            "ATTENTION_EUROPEPMC_URL": fake.url,
            "ATTENTION_DISABLED_SOURCES": ",".join(others),
            "ATTENTION_SOURCE_RATES": "europepmc=100000",
            "ATTENTION_SOURCE_CONCURRENCY": "europepmc=4",
            "ATTENTION_LOG_LEVEL": "WARNING",
            "ATTENTION_STREAMS": "",  # the streams would dial Bluesky and Wikimedia
        }
        fake.reset()
        _due_soon(db_path)
        start = time.monotonic()
        # cwd is the temporary directory: no developer's .env is read.
        bot = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['run']))"],
            cwd=tmp, env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            while not _finished(db_path):
                if bot.poll() is not None:
                    err = bot.stderr.read().decode() if bot.stderr else ""
                    raise RuntimeError(f"the bot ended before its poll finished: {err[-2000:]}")
                if time.monotonic() - start > TIMEOUT_SECONDS:
                    raise RuntimeError(f"the poll did not finish within {TIMEOUT_SECONDS:g} s")
                time.sleep(0.5)
            seconds = time.monotonic() - start
            peak_kb = _vm_hwm_kb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.communicate()
    return {"peak_rss_mb": round(peak_kb / 1024, 1), "requests": fake.requests, "seconds_to_poll_end": round(seconds, 1)}


def run(size: Size = "full") -> dict[str, Any]:
    items = SIZES[size]["items"]
    with FakeCrossref() as fake:
        base = _peak_mb(0, fake)
        ours = _peak_mb(items, fake)
    return result(
        "memory",
        params={"items": items, "source": EuropePMC.name},
        figures=ours,
        baseline=base,
        ratio={"to_no_items": round(ours["peak_rss_mb"] / base["peak_rss_mb"], 2)},
        goal=f"peak RSS of `attention-bot run` through one poll of {items:,} items <= {GOAL_MB} MB",
        goal_met=ours["peak_rss_mb"] <= GOAL_MB and ours["requests"] >= items,
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))  # type: ignore[arg-type]
