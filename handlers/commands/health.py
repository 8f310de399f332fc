"""How a source is doing, in one line: shared by `sources` and `status`, so both say the same
thing the same way (times as ``2026-12-02 05:27 UTC``, "1 failure in a row")."""

from __future__ import annotations

import math
from datetime import datetime

from core.times import parse, shown
from handlers.context import Context
from handlers.polling.asking import rest_note
from handlers.polling.poll import ROUND_SHARE, interval_minutes
from handlers.polling.sweep import sweeps
from handlers.render import plural
from handlers.streams.status import stream_lines
from sources.base import Source
from storage import asked, polls, state


def _every(minutes: float) -> str:
    return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"


def next_ask(ctx: Context, source: Source, st: state.SourceState, resting: bool) -> str:
    """When the source will be asked next, as the poll schedule and any rest allow."""
    planned = st.next_run_at
    if resting and (not planned or planned <= (st.backoff_until or "")):
        # Polls while it rests skip it: the first one after the rest asks it.
        return f"asked again at the first poll after {shown(st.backoff_until)}"
    if not planned:
        minutes = ctx.options.poll_intervals.get(source.name) or source.default_interval_minutes
        return f"next poll once `attention-bot run` is running (every {_every(minutes)})"
    try:
        overdue = parse(planned) < ctx.now()
    except ValueError:
        overdue = False
    if overdue:
        return f"next poll was due {shown(planned)}: is `attention-bot run` running?"
    return f"next poll {shown(planned)}"


def health_line(
    ctx: Context, source: Source, st: state.SourceState | None, poll: polls.PollRow | None,
    now: datetime,
) -> str:
    """``Crossref: last poll ... (300 items, 2 new); last success ...; 1 failure in a row ...``."""
    problem = source.not_ready()
    if problem:
        return f"{source.label}: {problem}"
    st = st or state.SourceState(source=source.name)
    parts = []
    if poll is None:
        parts.append("not polled yet")
    else:
        done = f" ({plural(poll.items, 'item')}, {poll.new_mentions} new)" if poll.finished_at else " (running)"
        parts.append(f"last poll {shown(poll.started_at)}{done}")
    parts.append(f"last success {shown(st.last_success)}")
    if st.last_error:
        parts.append(f"last error {shown(st.last_error_at)}: {st.last_error}")
    resting = state.in_backoff(st, now)
    if resting:
        parts.append(rest_note(st, now))
    elif st.consecutive_failures:
        parts.append(f"{plural(st.consecutive_failures, 'failure')} in a row")
    parts.append(next_ask(ctx, source, st, resting))
    return f"{source.label}: " + "; ".join(parts)


def health_lines(ctx: Context) -> list[str]:
    """One line a registered source, in the registry's order, then one a stream."""
    db = ctx.store.db
    states, last, now = state.all_states(db), polls.last_polls(db), ctx.now()
    lines = [health_line(ctx, s, states.get(s.name), last.get(s.name), now) for s in ctx.sources]
    return lines + stream_lines(ctx, db, now)


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{round(seconds / 60)} min" if seconds >= 90 else f"{max(1, round(seconds))} s"


def round_line(ctx: Context, source: Source, by_scheme: dict[str, int]) -> str | None:
    """How long one full round of the watched works takes the source at its rate: a source
    asked one work at a time cannot always ask them all in one poll (it then goes on where it
    stopped, those asked longest ago first). None for a source that is off or has nothing."""
    if source.not_ready():
        return None
    lookups = sum(n for scheme, n in by_scheme.items() if scheme in source.schemes)
    swept = asked.count_single_dois(ctx.store.db, source.schemes) if sweeps(source) else 0
    one_by_one = max(0, lookups - swept)
    parts = []
    if swept:
        size = source.page_size if "prefix" in source.lists else source.batch_size
        parts.append(f"{swept:,} DOIs in lists of up to {size:,} a request")
    if one_by_one:
        rate = source.request_rate()
        seconds = one_by_one * source.requests_per_lookup() / rate
        every = interval_minutes(ctx, source) * 60
        more = f", over {math.ceil(seconds / (every * ROUND_SHARE))} polls" if seconds > every * ROUND_SHARE else ""
        parts.append(f"{one_by_one:,} one at a time: a round takes {_duration(seconds)} at {rate:g} "
                     f"requests/s{more}")
    return f"{source.label}: " + "; ".join(parts) if parts else None


def round_lines(ctx: Context) -> list[str]:
    by_scheme = asked.lookups_by_scheme(ctx.store.db)
    return [line for s in ctx.sources if (line := round_line(ctx, s, by_scheme))]
