"""Keeping a stream running: connect from the stored position, read, match, store; reconnect
with exponential back-off and jitter when it drops, from the position stored last.

One reader thread per connection parses events (sources/) and queues them; the stream's own
thread matches each against the in-memory index (no database query per event) and stores the
matched ones in batches (handlers.streams.store: mentions, alerts and position in one
transaction). A batch waits at most BATCH_SECONDS for company. The index is rebuilt when the
database says watches changed (checked once a second, not per event). How the stream is doing
is written every few seconds (``stream_state``) together with the position reached.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from handlers.context import Context
from handlers.polling.resolve import PageReader
from handlers.streams import store
from handlers.streams.index import Match, WatchIndex
from handlers.streams.status import LIVE, REPORT_SECONDS, LiveStats
from sources.errors import SourceError, SourceUnavailable
from sources.streaming import Connection, Post, StreamEvent, StreamSource
from storage import state
from storage.streams import record_stream, watch_version

log = logging.getLogger(__name__)

#: How long a matched event waits for others to share its transaction, and the most in one.
BATCH_SECONDS = 0.2
BATCH_MAX = 1000
#: How often the database is asked whether watches changed.
CHECK_WATCHES_SECONDS = 1.0
#: Reconnect waits: the first, and the longest (doubling in between), each with jitter.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0
#: Events read ahead of matching; a full queue makes the reader wait (and the server buffer).
QUEUE_SIZE = 10_000


def backoff(failures: int, *, rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds before reconnecting after ``failures`` failed tries in a row: 1, 2, 4 ... up to
    five minutes, each somewhere in its upper half so restarted bots do not all come back at
    once."""
    if failures <= 0:
        return 0.0
    full = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1))
    return rand(full / 2, full)


class _End:
    """The reader's last word: the connection ended, cleanly or with ``error``."""

    def __init__(self, error: SourceError | None = None) -> None:
        self.error = error


class StreamRunner:
    """Runs one stream until ``stop`` is set (``run``), or one connection (``session``)."""

    def __init__(
        self,
        ctx: Context,
        stream: StreamSource,
        *,
        on_alerts: Callable[[], None] | None = None,
        resolver: PageReader | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.stream = stream
        self.on_alerts = on_alerts
        self.resolver = resolver
        self.clock = clock
        self.stats = LIVE[stream.name] = LiveStats(stream=stream.name)
        self.index: WatchIndex | None = None
        self._conn: Connection | None = None
        self._closing = threading.Event()

    # --- the loop that keeps it up ---
    def run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            error: str | None = None
            read = 0
            try:
                read = self.session(stop)
            except SourceError as exc:
                error = f"{exc}"
            except Exception as exc:  # a bug must not end the stream for good
                log.exception("%s failed", self.stream.name)
                error = f"{type(exc).__name__}: {exc}"
            if stop.is_set():
                break
            failures = 1 if read else failures + 1
            self.stats.connected = False
            self.stats.reconnects += 1
            if error:
                self.stats.last_error = error
                log.warning("%s: %s; reconnecting", self.stream.name, error)
            self._record(connected=False, error=error)
            stop.wait(backoff(failures))
        self.stats.connected = False
        self._record(connected=False)

    def stop_now(self) -> None:
        """Close the open connection (from another thread): the session then ends."""
        self._closing.set()
        conn = self._conn
        if conn is not None:
            conn.close()

    # --- one connection ---
    def session(self, stop: threading.Event) -> int:
        """Connect from the stored position and process events until the connection ends or
        ``stop`` is set; returns how many events were read. Raises SourceError."""
        self._closing.clear()
        self.refresh_index(force=self.index is None)
        stored = state.get_state(self.ctx.store.db, self.stream.name).cursor
        conn = self.stream.connect(self.stream.resume_position(stored))
        self._conn = conn
        events: queue.Queue[StreamEvent | _End] = queue.Queue(QUEUE_SIZE)
        reader = threading.Thread(
            target=self._read, args=(conn, events), name=f"read {self.stream.name}", daemon=True
        )
        reader.start()
        self.stats.connected = True
        self.stats.host = getattr(conn, "host", None) or self.stream.address()
        self._record(connected=True)
        try:
            return self._process(events, stop)
        finally:
            self._closing.set()
            conn.close()
            reader.join(timeout=5)
            self._conn = None

    def _read(self, conn: Connection, events: queue.Queue[StreamEvent | _End]) -> None:
        end = _End()
        try:
            for event in conn:
                while not self._put(events, event):
                    if self._closing.is_set():
                        return
        except SourceError as exc:
            end = _End(exc)
        except Exception as exc:
            log.exception("%s: reading failed", self.stream.name)
            end = _End(
                SourceUnavailable(
                    f"reading failed ({type(exc).__name__}: {exc})", source=self.stream.name
                )
            )
        if not self._closing.is_set():
            self._put(events, end)

    @staticmethod
    def _put(events: queue.Queue[StreamEvent | _End], item: StreamEvent | _End) -> bool:
        try:
            events.put(item, timeout=0.5)
        except queue.Full:
            return False
        return True

    def _process(self, events: queue.Queue[StreamEvent | _End], stop: threading.Event) -> int:
        read = unreported = matched = 0
        pending: list[tuple[Post, Match]] = []
        oldest = 0.0
        position: str | None = None
        saved: str | None = None
        now = time.monotonic()
        next_check = now + CHECK_WATCHES_SECONDS
        next_report = now + REPORT_SECONDS
        index = self.index
        stats = self.stats

        def flush() -> None:
            nonlocal pending, saved
            if pending:
                stats.matched += len(pending)
                self._flush(pending, position)
                pending = []
                saved = position

        def save() -> None:
            nonlocal saved
            if position is not None and position != saved:
                store.save_position(self.ctx, self.stream, position)
                saved = position

        def report() -> None:
            nonlocal unreported, matched
            self._record(connected=True, events=unreported, matched=matched)
            unreported = matched = 0

        while True:
            try:
                item = events.get(timeout=BATCH_SECONDS / 2)
            except queue.Empty:
                item = None
            now = time.monotonic()
            if isinstance(item, _End) or stop.is_set():
                flush()
                save()
                report()
                if isinstance(item, _End) and item.error is not None:
                    raise item.error
                return read
            if item is not None:
                read += 1
                unreported += 1
                stats.events += 1
                position = item.position
                if item.at is not None:
                    stats.lag_seconds = max(0.0, self.clock() - item.at)
                if item.post is not None and index is not None:
                    found = index.match(item.post)
                    if found:
                        if not pending:
                            oldest = now
                        pending.append((item.post, found))
                        matched += 1
            if pending and (len(pending) >= BATCH_MAX or now - oldest >= BATCH_SECONDS):
                flush()
            if now >= next_check:
                next_check = now + CHECK_WATCHES_SECONDS
                if stats.lag_seconds is not None:
                    self.ctx.gauges.set_stream_lag(
                        self.stream.source, stats.lag_seconds
                    )  # /metrics
                if self.refresh_index():
                    index = self.index
            if now >= next_report:
                next_report = now + REPORT_SECONDS
                if not pending:
                    save()
                report()

    def _flush(self, pending: list[tuple[Post, Match]], position: str | None) -> None:
        done = store.store_matches(
            self.ctx, self.stream, pending, position=position or "", resolver=self.resolver
        )
        self.stats.new_mentions += done.new_mentions
        self.stats.alerts += done.alerts
        if done.alerts and self.on_alerts is not None:
            try:
                self.on_alerts()
            except Exception:
                log.exception("%s: delivering after a match failed", self.stream.name)

    def refresh_index(self, *, force: bool = False) -> bool:
        """Rebuild the index when watches changed; True when it was rebuilt."""
        version = watch_version(self.ctx.store.db)
        if not force and self.index is not None and self.index.version == version:
            return False
        self.index = None  # let the old one go before the new one is built
        self.index = WatchIndex.load(self.ctx.store.db)
        log.info("%s: matching against %d watched identifiers", self.stream.name, len(self.index))
        return True

    def _record(
        self, *, connected: bool, events: int = 0, matched: int = 0, error: str | None = None
    ) -> None:
        try:
            with self.ctx.store.transaction() as db:
                record_stream(
                    db,
                    self.stream.name,
                    now=datetime.now(UTC),
                    connected=connected,
                    host=self.stats.host,
                    lag_seconds=self.stats.lag_seconds,
                    events=events,
                    matched=matched,
                    error=error,
                )
        except Exception:
            log.exception("%s: could not record how the stream is", self.stream.name)
