"""A recording Notifier: the fake chat for delivery tests.

It keeps every post (with its idempotency key, thread and broadcast flag), can be told to fail
the next posts to a channel, and with ``path`` keeps its record in a JSON file so a test can
kill the process that posted and still see what the chat received.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from handlers.notifier import DeliveryError


@dataclass
class Post:
    channel: str
    text: str
    ts: str
    thread_ts: str | None = None
    broadcast: bool = False
    key: str | None = None
    blocks: list[dict[str, Any]] | None = None


class RecordingNotifier:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.posts: list[Post] = []
        self.uploads: list[tuple[str, str, bytes]] = []
        self.failures: dict[str, list[DeliveryError]] = {}
        self.lookups: list[tuple[str, str]] = []
        #: The thread each lookup searched besides channel history (None: history only).
        self.searched_threads: list[str | None] = []
        if path is not None and path.exists():
            self.posts = [Post(**p) for p in json.loads(path.read_text())]

    def fail_next(self, channel: str, *errors: DeliveryError) -> None:
        self.failures.setdefault(channel, []).extend(errors)

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
        queued = self.failures.get(channel)
        if queued:
            raise queued.pop(0)
        with self._lock:  # delivery loops on several threads may share one chat
            ts = f"1700000000.{len(self.posts) + 1:06d}"
            self.posts.append(Post(channel, text, ts, thread_ts, broadcast, key, blocks))
            if self.path is not None:
                self.path.write_text(json.dumps([asdict(p) for p in self.posts]))
        return ts

    def find_by_key(self, channel: str, key: str, *, thread_ts: str | None = None) -> str | None:
        """Like Slack: channel history shows top-level posts and broadcast replies; other
        replies are found only by searching their thread."""
        self.lookups.append((channel, key))
        self.searched_threads.append(thread_ts)
        for p in self.posts:
            seen = p.thread_ts is None or p.broadcast or p.thread_ts == thread_ts
            if p.channel == channel and p.key == key and seen:
                return p.ts
        return None

    def upload(
        self, channel: str, *, filename: str, content: bytes, title: str = "", thread_ts: str | None = None
    ) -> None:
        self.uploads.append((channel, filename, content))

    def in_channel(self, channel: str) -> list[Post]:
        return [p for p in self.posts if p.channel == channel]
