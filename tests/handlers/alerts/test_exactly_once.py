"""Crash injection: the process dies between detection and delivery, and between the chat's
answer and marking the row sent. Rerunning loses nothing and sends nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from handlers.alerts.deliver import CLAIM_LEASE
from storage import open_store, outbox
from tests import paths

pytestmark = pytest.mark.slow

ROOT = paths.ROOT
#: Minutes after which a rerun comes: past the claim lease of a run that died.
LATER = int(CLAIM_LEASE.total_seconds() // 60) + 1


def drive(
    tmp_path: Path, mentions: int, crash: str | None = None, *, minutes_later: int = 0
) -> subprocess.CompletedProcess[str]:
    """One poll and delivery in a new process, ``minutes_later`` than the clock says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    if crash:
        env["ATTENTION_TEST_CRASH_AT"] = crash
    return subprocess.run(
        [sys.executable, "-m", "tests.handlers.alerts.later", str(minutes_later), "tests.handlers.alerts.crash_driver",
         str(tmp_path / "a.db"), str(tmp_path / "chat.json"), str(mentions)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )


def chat(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "chat.json"
    return json.loads(path.read_text()) if path.exists() else []


def statuses(tmp_path: Path) -> dict[str, str]:
    store = open_store(tmp_path / "a.db")
    try:
        rows = store.db.execute("SELECT key, status FROM outbox ORDER BY id").fetchall()
        return {r[0]: r[1] for r in rows}
    finally:
        store.close()


def test_crash_after_detection_then_rerun_delivers_each_alert_once(tmp_path: Path) -> None:
    first = drive(tmp_path, 1)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["alerts"] == 0  # the baseline

    crashed = drive(tmp_path, 2, crash="after_detect")
    assert crashed.returncode == 17
    assert chat(tmp_path) == []
    assert sorted(statuses(tmp_path).values()) == ["pending", "pending"]  # detected, not lost

    rerun = drive(tmp_path, 2)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout) == {"alerts": 0, "sent": 2, "recovered": 0, "busy": 0}
    posts = chat(tmp_path)
    assert sorted(p["channel"] for p in posts) == ["C1", "C2"]
    assert set(statuses(tmp_path).values()) == {"sent"}


def test_crash_after_the_chat_answered_then_rerun_does_not_post_again(tmp_path: Path) -> None:
    assert drive(tmp_path, 1).returncode == 0
    crashed = drive(tmp_path, 2, crash="after_post")
    assert crashed.returncode == 17
    assert len(chat(tmp_path)) == 1  # the chat got C1's alert; the bot died before noting it
    assert sorted(statuses(tmp_path).values()) == ["pending", "sending"]

    # At once, the row in flight may still be another live run's: it is left alone.
    at_once = drive(tmp_path, 2)
    assert at_once.returncode == 0, at_once.stderr
    assert json.loads(at_once.stdout) == {"alerts": 0, "sent": 1, "recovered": 0, "busy": 1}
    assert len(chat(tmp_path)) == 2
    assert sorted(statuses(tmp_path).values()) == ["sending", "sent"]

    # Once its claim has run out, it is found in the chat and not posted again.
    rerun = drive(tmp_path, 2, minutes_later=LATER)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout) == {"alerts": 0, "sent": 0, "recovered": 1, "busy": 0}
    keys = Counter(str(p["key"]) for p in chat(tmp_path))
    assert len(keys) == 2 and set(keys.values()) == {1}  # exactly one message per key
    assert set(statuses(tmp_path).values()) == {"sent"}
    # The recovered message became the item's thread: the next alert goes under it.
    store = open_store(tmp_path / "a.db")
    try:
        c1_first = next(p for p in chat(tmp_path) if p["channel"] == "C1")
        assert outbox.thread_ts(store.db, "C1", 1) == c1_first["ts"]
    finally:
        store.close()
    assert drive(tmp_path, 3, minutes_later=LATER).returncode == 0
    follow = [p for p in chat(tmp_path) if p["channel"] == "C1"][-1]
    assert follow["thread_ts"] == c1_first["ts"]


def test_crash_after_a_threaded_follow_up_then_rerun_does_not_post_it_again(tmp_path: Path) -> None:
    assert drive(tmp_path, 1).returncode == 0
    assert json.loads(drive(tmp_path, 2).stdout)["sent"] == 2  # the first alerts start threads
    crashed = drive(tmp_path, 3, crash="after_post")
    assert crashed.returncode == 17
    follow = chat(tmp_path)[-1]
    assert follow["channel"] == "C1" and follow["thread_ts"]  # in the thread, not in history

    rerun = drive(tmp_path, 3, minutes_later=LATER)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout) == {"alerts": 0, "sent": 1, "recovered": 1, "busy": 0}
    keys = Counter(str(p["key"]) for p in chat(tmp_path))
    assert len(keys) == 4 and set(keys.values()) == {1}
    assert set(statuses(tmp_path).values()) == {"sent"}
