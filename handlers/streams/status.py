"""How the streams are doing: live numbers in this process (for `stream`'s report and a metrics
endpoint), the line `sources` and `status` show for each, and whether a stream is up, so the
per-item searches of the source it stands in for can slow down (handlers.polling.poll).

The live numbers are in :data:`LIVE`, one :class:`LiveStats` per stream name, written only by
that stream's own thread; readers take them as they are. Each stream's lag also goes to
``ctx.gauges`` (once a second) for /metrics. What other processes need (`attention-bot cmd
sources` beside `run`) is in ``stream_state`` (storage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.times import parse, shown
from handlers.context import Context
from handlers.render import plural
from sources.streaming import StreamSource
from storage import Database
from storage.streams import StreamState, get_stream_state

#: A running stream writes how it is at least this often ...
REPORT_SECONDS = 5.0
#: ... so one not heard of for this long is not running (its process stopped or hangs).
FRESH = timedelta(minutes=2)


@dataclass
class LiveStats:
    """One stream's numbers since this process started it."""

    stream: str
    connected: bool = False
    host: str | None = None
    #: Seconds between the newest event's time at the server and when it was read.
    lag_seconds: float | None = None
    events: int = 0
    #: Events that named a watched item or a link under a watched site.
    matched: int = 0
    new_mentions: int = 0
    alerts: int = 0
    reconnects: int = 0
    last_error: str | None = None


#: Stream name -> its live numbers in this process.
LIVE: dict[str, LiveStats] = {}


def live(name: str) -> LiveStats:
    return LIVE.setdefault(name, LiveStats(stream=name))


def is_up(st: StreamState | None, now: datetime) -> bool:
    """Connected, and said so recently."""
    if st is None or not st.connected or not st.updated_at:
        return False
    try:
        return now - parse(st.updated_at) <= FRESH
    except ValueError:
        return False


def stands_in(ctx: Context, source_name: str) -> bool:
    """Whether a configured stream carries ``source_name``'s posts right now."""
    db = ctx.store.db
    now = ctx.now()
    return any(
        s.configured() and s.source == source_name and is_up(get_stream_state(db, s.name), now)
        for s in ctx.streams
    )


def stream_line(ctx: Context, stream: StreamSource, st: StreamState | None, now: datetime) -> str:
    """``Bluesky stream (Jetstream): connected to ..., 2 s behind; today 1,234 events read, 3
    matched``."""
    problem = stream.not_ready()
    if problem:
        return f"{stream.label}: {problem}"
    if st is None:
        readers = "`attention-bot run` or `attention-bot stream`"
        return f"{stream.label}: not started yet ({readers} reads it)"
    polled = ctx.source(stream.source)
    today = st.day == now.date().isoformat()
    counts = (
        f"today {plural(st.events_today if today else 0, 'event')} read, "
        f"{st.matched_today if today else 0} matched"
    )
    if is_up(st, now):
        behind = f", {st.lag_seconds:,.0f} s behind" if st.lag_seconds is not None else ""
        return f"{stream.label}: connected to {st.host}{behind}; {counts}"
    if st.connected:
        state = f"not heard of since {shown(st.updated_at)}: is `attention-bot run` running?"
    else:
        state = "not connected"
    if st.last_error:
        state += f" (last error {shown(st.last_error_at)}: {st.last_error})"
    fallback = ""
    if polled is not None and polled.configured():
        fallback = f"; {polled.label}'s per-item searches stand in meanwhile"
    return f"{stream.label}: {state}; {counts}{fallback}"


def stream_lines(ctx: Context, db: Database, now: datetime) -> list[str]:
    return [stream_line(ctx, s, get_stream_state(db, s.name), now) for s in ctx.streams]
