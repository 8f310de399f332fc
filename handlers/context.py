"""What commands and jobs are given to work with. Built by ``bot``; never imports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.scoring import weights
from handlers.gauges import Gauges
from handlers.options import Options
from sources.base import Source
from sources.streaming import StreamSource
from storage.db import Store


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    store: Store
    #: Every registered source, configured or not (``Source.configured()`` tells).
    sources: Sequence[Source] = ()
    #: Every stream (sources.STREAMS), configured or not.
    streams: Sequence[StreamSource] = ()
    #: The operator's settings the handlers read (frozen; no secrets in it).
    options: Options = field(default_factory=Options)
    now: Callable[[], datetime] = _now
    #: Set while one round asks every source and then delivers (`poll --once`): alerts written
    #: since then about one item join into one message, however long the round takes.
    round_started: datetime | None = None
    #: Live numbers for /metrics that only the running process knows (a stream's lag).
    gauges: Gauges = field(default_factory=Gauges)
    #: Shows how a long command is getting on, as one line rewritten in place (`attention-bot
    #: cmd` on a terminal); None when nobody watches.
    progress: Callable[[str], None] | None = None

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def stream(self, name: str) -> StreamSource | None:
        """A stream by its own name (``jetstream``) or the source it stands in for (``bluesky``)."""
        return next((s for s in self.streams if name in (s.name, s.source)), None)

    def configured_sources(self) -> list[Source]:
        return [s for s in self.sources if s.configured()]

    @property
    def score_weights(self) -> dict[str, float]:
        """Score weight per kind of source: the defaults with the operator's overrides."""
        return weights(self.options.score_weights)

    @property
    def lookup_timeout(self) -> float:
        return self.options.lookup_timeout
