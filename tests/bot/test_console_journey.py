"""`attention-bot run` in console mode, end to end: a newly watched item is asked about within
ATTENTION_FIRST_POLL_SECONDS (its source's scheduled poll is a day away), `status` shows it,
and `summary` and `export` write their files where the console says."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.times import iso
from storage import open_store, state
from tests.bot.test_poll_once import DOI, FakeHackerNews, env_for, hn  # noqa: F401  (the fixture)
from tests.fakes.http import wait_for


class Console:
    """The running bot, its stdout read line by line on a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        threading.Thread(target=lambda: [self.lines.put(x) for x in proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def until(self, wanted: str, timeout: float = 60) -> str:
        """The first line (from now on) holding ``wanted``."""
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if wanted in line:
                return line.rstrip("\n")


def test_console_asks_a_new_item_soon_and_writes_summary_and_export_where_it_says(
    tmp_path: Path, hn: FakeHackerNews  # noqa: F811
) -> None:
    store = open_store(tmp_path / "attention.db")
    with store.transaction() as db:  # Hacker News's scheduled poll is a day away
        state.set_next_run(db, "hackernews", iso(datetime.now(UTC) + timedelta(days=1)))
    store.close()
    hn.publish("1", "Show HN: the paper", datetime.now(UTC) - timedelta(hours=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env.update(env_for(tmp_path, hn), ATTENTION_FIRST_POLL_SECONDS="5",
               ATTENTION_ALERT_ON_FIRST_POLL="true")  # so the first ask's find is this week's news
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        console = Console(proc)
        files_line = console.until("files:")
        assert str(tmp_path / "attention-files") in files_line
        console.type(f"watch {DOI}")
        console.until("Now watching 1 item")
        # Asked long before its scheduled poll: the first ask, within the setting.
        assert wait_for(lambda: bool(hn.server.requests_to("/search_by_date")), timeout=60)
        assert wait_for(lambda: _first_ask_done(tmp_path), timeout=30)
        console.type("status")
        assert "(1 item, 1 new)" in console.until("Hacker News: last poll")

        console.type("summary")
        chart = Path(console.until("Saved Attention").rsplit(" to ", 1)[1])
        console.type("export")
        csv = Path(console.until("Saved Mentions export").rsplit(" to ", 1)[1])
        for path in (chart, csv):
            assert path.parent == tmp_path / "attention-files" and path.is_file()
        assert chart.read_bytes().startswith(b"\x89PNG")
        assert "Show HN: the paper" in csv.read_text(encoding="utf-8-sig")
    finally:
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def _first_ask_done(tmp_path: Path) -> bool:
    """The baseline is set and the poll that set it has finished (status then shows its counts)."""
    store = open_store(tmp_path / "attention.db")
    try:
        db = store.db
        baselined = db.execute("SELECT count(*) FROM baselines WHERE source = 'hackernews'").fetchone()[0]
        finished = db.execute(
            "SELECT count(*) FROM polls WHERE source = 'hackernews' AND finished_at IS NOT NULL"
        ).fetchone()[0]
        return bool(baselined and finished)
    finally:
        store.close()
