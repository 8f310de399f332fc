"""The streams' threads: one per configured stream, each keeping its stream running
(handlers.streams.run) until stopped. `attention-bot run` starts them beside the scheduler;
`attention-bot stream` in the foreground."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from handlers.context import Context
from handlers.streams.run import StreamRunner
from sources.streaming import StreamSource

log = logging.getLogger(__name__)


class StreamThreads:
    def __init__(
        self,
        ctx: Context,
        streams: Sequence[StreamSource],
        *,
        on_alerts: Callable[[], None] | None = None,
    ) -> None:
        self.stop = threading.Event()
        self.runners = [StreamRunner(ctx, s, on_alerts=on_alerts) for s in streams]
        self.threads = [
            threading.Thread(
                target=r.run, args=(self.stop,), name=f"stream {r.stream.name}", daemon=True
            )
            for r in self.runners
        ]

    def start(self) -> StreamThreads:
        for thread in self.threads:
            thread.start()
        if self.runners:
            log.info("streams started: %s", ", ".join(r.stream.name for r in self.runners))
        return self

    def shutdown(self, *, timeout: float = 10.0) -> None:
        """Stop every stream: what each matched is stored, with its position, before it ends."""
        self.stop.set()
        for runner in self.runners:
            runner.stop_now()
        for thread in self.threads:
            thread.join(timeout=timeout)


def start_streams(
    ctx: Context,
    streams: Sequence[StreamSource] | None = None,
    *,
    on_alerts: Callable[[], None] | None = None,
) -> StreamThreads:
    """Start ``streams`` (default: every configured one)."""
    chosen = [s for s in ctx.streams if s.configured()] if streams is None else list(streams)
    return StreamThreads(ctx, chosen, on_alerts=on_alerts).start()
