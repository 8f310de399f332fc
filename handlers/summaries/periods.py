"""The periods summaries cover: the last full week (the weekly post), the last N calendar days
(summaries on demand, `top`, `export`), and the ``7d`` / ``30d`` / ``12w`` people type."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InputError
from core.times import iso

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_PERIOD_DAYS = 366
PERIOD_HELP = "use 7d, 30d or 12w"


def weekday_index(weekday: str | int) -> int:
    if isinstance(weekday, int):
        return weekday % 7
    day = weekday.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise InputError(f"`{weekday}` is not a weekday: use mon, tue ... sun")
    return WEEKDAYS.index(day)


def week_bounds(now: datetime, *, weekday: str | int = "mon", tz: str = "UTC") -> tuple[str, str]:
    """The last full week before ``now``: from local midnight of ``weekday`` to the next one.

    Days are counted on the local calendar, so a week holding a DST change is 167 or 169 hours
    long, and both ends are local midnights. Returned as UTC ISO text for queries.
    """
    zone = ZoneInfo(tz)
    local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone)
    end_day = local.date() - timedelta(days=(local.weekday() - weekday_index(weekday)) % 7)
    start_day = end_day - timedelta(days=7)
    end = datetime.combine(end_day, time(0), tzinfo=zone)
    start = datetime.combine(start_day, time(0), tzinfo=zone)
    return iso(start), iso(end)


def parse_period(text: str) -> timedelta:
    """``7d``, ``30d`` or ``12w`` as a length of time; InputError saying how to fix it."""
    match = re.fullmatch(r"(\d{1,3})\s*([dw])", text.strip().lower())
    if not match:
        raise InputError(f"`{text}` is not a period: {PERIOD_HELP}.")
    days = int(match[1]) * (7 if match[2] == "w" else 1)
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise InputError(f"`{text}` is not a period between 1 day and a year: {PERIOD_HELP}.")
    return timedelta(days=days)


def recent_bounds(now: datetime, period: timedelta, *, tz: str = "UTC") -> tuple[str, str]:
    """The last ``period`` of calendar days up to ``now``, today included: ``7d`` is today and
    the six days before in ``tz``, from local midnight, so a chart of it has exactly 7 days.
    The same window in chat, the shell and the CLI (on-demand summaries, `top`, `export`)."""
    zone = ZoneInfo(tz)
    local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone)
    first = local.date() - timedelta(days=max(1, period.days) - 1)
    # Stored times are whole seconds: end after the current one so what was just seen counts.
    end = now.replace(microsecond=0) + timedelta(seconds=1)
    return iso(datetime.combine(first, time(0), tzinfo=zone)), iso(end)


def window_name(period: timedelta) -> str:
    """``the last 7 days``: what an on-demand summary covers, as its heading says."""
    return f"the last {period.days} days" if period.days != 1 else "today"
