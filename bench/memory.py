"""Memory: peak RSS of `attention-bot run` through one poll of 100,000 items, against the same
process idle (through a poll of no items) and against the bytes of the watched identifiers the
poll reads.

The bot runs as users run it, a separate process in console mode (no Slack tokens; stdin is
a pipe kept open, so the shell waits for input instead of ending). Only Europe PMC is switched
on, asked about watched PMIDs one work at a time (a poll of Crossref's DOIs is a sweep of a few
list requests since issue 16: bench/citation_sweep.py), pointed at a loopback fake without
latency and allowed a high rate
(ATTENTION_SOURCE_RATES), so the poll is quick. The scheduler starts a never-polled source's
first poll when the schedule it kept says (source_state.next_run_at, set here to a few seconds
ahead); once the polls table says it finished, the peak resident size is read from
/proc/<pid>/status (VmHWM) and the bot gets SIGTERM. The limit: the same process through one
poll with no item watched, run beside it (its own fake, the same moment). The databases are
built once and copied.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Benchmark, Measured, Params, Trial, Verdict
from bench.fakes import FakeCrossref
from core.models import Identifier
from sources import REGISTRY
from sources.europepmc import EuropePMC
from storage import bulk, open_store
from storage.polls import last_polls
from storage.state import set_next_run
from storage.watches import watch_item

#: Peak RSS through a poll of many items against the same process's through a poll of none.
GOAL_TO_IDLE = 1.5
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 100_000, "source": EuropePMC.name, "start_after_seconds": 2.5},
    "quick": {"items": 1_000, "source": EuropePMC.name, "start_after_seconds": 1.2},
    "smoke": {"items": 300, "source": EuropePMC.name, "start_after_seconds": 2.5},
}
#: Longest wait for the first poll to finish before the run counts as failed.
TIMEOUT_SECONDS = 240.0


def _prepare(db_path: Path, items: int) -> int:
    """Watch ``items`` PMIDs; the bytes of the identifiers a poll reads of them."""
    store = open_store(db_path)
    with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
        for i in range(items):
            watch_item(db, "C1", [Identifier(scheme="pmid", value=str(10_000_000 + i))])
    bulk.checkpoint(store.db)
    # What the poll reads of each watched item (storage.watches.watched_identifiers_page).
    read = store.db.execute(
        "SELECT coalesce(sum(length(CAST(key AS BLOB))), 0) FROM identifiers "
        "WHERE item_id IN (SELECT item_id FROM watches WHERE active = 1)"
    ).fetchone()[0]
    store.close()
    return int(read)


def _due_soon(db_path: Path, start_after: float) -> None:
    """Have the source's first poll due a moment after the bot has started."""
    store = open_store(db_path)
    with store.transaction() as db:
        # The schedule a bot keeps across restarts (source_state.next_run_at) is resumed at
        # start-up; without it a first poll waits STAGGER_SECONDS.
        due = datetime.now(UTC) + timedelta(seconds=start_after)
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


@contextmanager
def _bot(template: Path, fake: FakeCrossref, start_after: float) -> Iterator[Callable[[], dict[str, Any]]]:
    """Start the bot on a copy of ``template``; what it gives waits for its first Europe PMC
    poll to end and says the bot's peak RSS then. The bot is stopped on leaving."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "attention.db"
        shutil.copy(template, db_path)
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
        _due_soon(db_path, start_after)
        start = time.monotonic()
        # cwd is the temporary directory: no developer's .env is read.
        bot = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['run']))"],
            cwd=tmp, env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

        def peak() -> dict[str, Any]:
            while not _finished(db_path):
                if bot.poll() is not None:
                    err = bot.stderr.read().decode() if bot.stderr else ""
                    raise RuntimeError(f"the bot ended before its poll finished: {err[-2000:]}")
                if time.monotonic() - start > TIMEOUT_SECONDS:
                    raise RuntimeError(f"the poll did not finish within {TIMEOUT_SECONDS:g} s")
                time.sleep(0.25)
            seconds = time.monotonic() - start
            return {"peak_rss_mb": round(_vm_hwm_kb(bot.pid) / 1024, 1), "requests": fake.requests,
                    "seconds_to_poll_end": round(seconds, 1)}

        try:
            yield peak
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.communicate()


@dataclass(frozen=True)
class Prepared:
    fake: FakeCrossref
    idle_fake: FakeCrossref
    idle: Path
    watched: Path
    identifier_bytes: int


@contextmanager
def _prepared(p: Params) -> Iterator[Prepared]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, FakeCrossref() as fake, \
            FakeCrossref() as idle_fake:
        idle, watched = Path(tmp) / "idle.db", Path(tmp) / "watched.db"
        _prepare(idle, 0)
        read = _prepare(watched, p["items"])
        yield Prepared(fake, idle_fake, idle, watched, read)


def _trial(p: Params, prepared: Prepared) -> Trial:
    # Side by side: the idle one is the same process at the same moment.
    # (the first poll is due start_after seconds on: the bot must have started by then)
    after = p["start_after_seconds"]
    with _bot(prepared.idle, prepared.idle_fake, after) as idle_peak, \
            _bot(prepared.watched, prepared.fake, after) as peak:
        idle = idle_peak()
        ours = peak()
    grew = (ours["peak_rss_mb"] - idle["peak_rss_mb"]) * 2**20
    ours["identifier_bytes_read"] = prepared.identifier_bytes
    return Trial(
        figures=ours,
        baseline=idle,
        ratio={
            "to_idle": round(ours["peak_rss_mb"] / idle["peak_rss_mb"], 3),
            "growth_to_bytes_read": round(grew / max(prepared.identifier_bytes, 1), 2),
        },
    )


def _judge(p: Params, m: Measured) -> Verdict:
    polled = m.every(lambda t: t.figures["requests"] >= p["items"])
    return Verdict(
        f"peak RSS of `attention-bot run` through one poll of {p['items']:,} items <= {GOAL_TO_IDLE:g}x "
        "the same process's through a poll of none",
        m.ratio["to_idle"] <= GOAL_TO_IDLE and polled,
    )


BENCH = Benchmark(
    name="memory",
    sizes=SIZES,
    prepare=_prepared,
    trial=_trial,
    judge=_judge,
    key=("peak_rss_mb", "peak_rss_mb"),
)
