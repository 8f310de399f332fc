"""A context whose streams read loopback fakes, and a runner kept going in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from handlers.context import Context
from handlers.streams.run import StreamRunner
from sources import build_sources, build_streams
from sources.factory import HttpFactory
from sources.streaming import StreamSource
from tests.fakes.config import sources_config


def with_streams(ctx: Context, **settings: object) -> Context:
    """``ctx`` with both streams configured by ``settings`` (``jetstream_url=...``)."""
    settings.setdefault("streams", ("bluesky", "wikipedia"))
    config = sources_config(**settings)
    http = HttpFactory(config, sleep=lambda s: None)
    ctx.sources = build_sources(config, http=http)
    ctx.streams = build_streams(config, http=http)
    return ctx


@contextmanager
def running(ctx: Context, stream: StreamSource, **kwargs: object) -> Iterator[StreamRunner]:
    runner = StreamRunner(ctx, stream, **kwargs)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        stop.set()
        runner.stop_now()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the stream did not stop"


def count(ctx: Context, sql: str, *args: object) -> Callable[[], int]:
    return lambda: int(ctx.store.db.execute(sql, list(args)).fetchone()[0])
