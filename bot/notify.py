"""Notifier implementations: the console (terminal as the chat). Slack's is in bot.slack."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from handlers.notifier import DeliveryError


class ConsoleNotifier:
    """Prints alerts and summaries to the terminal; files are written into ``files_dir``
    (ATTENTION_FILES_DIR)."""

    def __init__(self, *, stream: TextIO | None = None, files_dir: Path | None = None) -> None:
        self.stream = stream or sys.stdout
        self.files_dir = files_dir or Path("attention-files").resolve()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], str] = {}

    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
        key: str | None = None,
    ) -> str | None:
        with self._lock:
            ts = f"{time.time():.0f}.{next(self._seq):06d}"
            where = f"#{channel}" + (" (in thread)" if thread_ts else "")
            print(f"\n[{where}] {text}", file=self.stream, flush=True)
            if key:
                self._keys[(channel, key)] = ts
        return ts

    def find_by_key(self, channel: str, key: str, *, thread_ts: str | None = None) -> str | None:
        # The console keeps every key it printed this run, threads or not.
        return self._keys.get((channel, key))

    def upload(
        self, channel: str, *, filename: str, content: bytes, title: str = "", thread_ts: str | None = None
    ) -> None:
        path = self.files_dir / Path(filename).name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            why = exc.strerror or exc
            raise DeliveryError(f"could not write {path} ({why})", final=True) from exc
        print(f"[#{channel}] {title or filename}: saved to {path}", file=self.stream, flush=True)
