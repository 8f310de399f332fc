"""How fast to ask a source: a token bucket, and what servers say about their limits.

``Retry-After`` and reset headers come as a delta, an epoch time or an HTTP date; a source that
announces its rate (Crossref's ``X-Rate-Limit-Limit`` per ``X-Rate-Limit-Interval``) is paced at it.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

#: ``X-Rate-Limit-Interval`` units (Crossref sends ``1s``).
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)

#: Seconds a request waits past the second of the oldest one in a full window: a server
#: stamps each request a little after it left, so leaving the moment one drops out of our
#: window could still land in the server's.
WINDOW_SLACK = 0.005


class TokenBucket:
    """A thread-safe token bucket: ``rate`` requests a second, bursts of up to ``capacity``
    (by default one: evenly spaced requests, so no one-second window ever holds more than
    ``rate`` of them, which a server's sliding-window limit would answer with 429).

    Callers reserve a token and sleep outside the lock. On a busy machine (a neighbour's load,
    a garbage collection) sleepers wake late and would leave together, and the requests after
    them, on time, crowd a one-second window; a second later the burst would repeat as its
    requests drop out of the window together. So the times requests really leave are kept
    too: late ones leave at least half an interval apart, and none leaves while the last
    second already holds as many as the bucket ever lets through on time.

    Hand-written rather than pyrate-limiter because it must block with the injected ``sleep``
    (tests skip waiting) and stay short.
    """

    def __init__(
        self, rate: float, *, capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = max(rate, 1e-6)
        self.capacity = capacity if capacity is not None else 1.0
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self._left: deque[float] = deque()  # when the last second's requests left

    def _hold(self, now: float) -> float:
        """Seconds a request ready at ``now`` must still wait for the ones that left."""
        while self._left and self._left[0] <= now - 1.0:
            self._left.popleft()
        if not self._left:
            return 0.0
        # Bursts (capacity above one) are allowed by design; even pacing is not bunched.
        hold = self._left[-1] + 0.5 / self.rate - now if self.capacity <= 1 else 0.0
        if len(self._left) >= max(1, math.ceil(self.rate + self.capacity - 1)):
            hold = max(hold, self._left[0] + 1.0 + WINDOW_SLACK - now)
        return hold

    def acquire(self) -> float:
        """Take one token, waiting if none is left; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        due, waited = now + wait, 0.0
        while True:
            if wait > 0:
                self._sleep(wait)
                waited += wait
            with self._lock:
                # A clock that did not move while sleeping (tests) counts as having moved.
                now = max(self._clock(), due)
                wait = self._hold(now)
                if wait <= 0:
                    self._left.append(now)
                    return waited
                due = now + wait

    def set_rate(self, rate: float) -> None:
        """Pace at ``rate`` requests a second from now on (bursts stay as they were)."""
        with self._lock:
            self.rate = max(rate, 1e-6)
            self.tokens = min(self.tokens, self.capacity)


def header_seconds(text: str | None, *, now: float) -> float | None:
    """Seconds from a Retry-After / reset header: a delta, an epoch time, or an HTTP date."""
    if not text:
        return None
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        # "-0000" dates come back naive; .timestamp() would read them as the server's local time.
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    # Large numbers are epoch times (GitHub-style X-RateLimit-Reset), small ones are deltas.
    return max(0.0, value - now) if value > 1_000_000_000 else max(0.0, value)


#: Seconds between requests at the slowest rate a server's announcement can set.
MIN_ANNOUNCED_GAP = 10.0
#: Requests leave at this share of the allowed rate: a server counting arrivals in a sliding
#: one-second window sees network and scheduling jitter, and at exactly its limit one late
#: request followed by an on-time one already makes a window one too many (429).
PACE_SHARE = 0.97


def announced_rate(headers: httpx.Headers) -> float | None:
    """Requests a second from ``X-Rate-Limit-Limit`` / ``X-Rate-Limit-Interval`` (Crossref:
    ``50`` per ``1s``), or None when absent or unreadable."""
    limit, interval = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval")
    if limit is None or interval is None:
        return None
    match = _INTERVAL.match(interval)
    try:
        count = float(limit)
    except ValueError:
        return None
    if match is None or count <= 0:
        return None
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    return count / seconds if seconds > 0 else None


def human_seconds(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"
