"""Live numbers a long-running job reports for /metrics, kept in memory (thread-safe).

A stream (issue 15) calls ``ctx.gauges.set_stream_lag("bluesky", seconds)`` as it reads
events: how far behind the newest event it is. ``bot/metrics.py`` exports what is set here;
nothing set means no such series.
"""

from __future__ import annotations

import threading


class Gauges:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream_lag: dict[str, float] = {}

    def set_stream_lag(self, stream: str, seconds: float) -> None:
        """Seconds between the newest event ``stream`` has handled and now."""
        with self._lock:
            self._stream_lag[stream] = max(0.0, float(seconds))

    def stream_lags(self) -> dict[str, float]:
        with self._lock:
            return dict(self._stream_lag)
