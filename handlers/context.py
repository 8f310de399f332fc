"""What commands and jobs are given to work with. Built by ``bot``; never imports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sources.base import Source
from storage.db import Store


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    store: Store
    #: Every registered source, configured or not (``Source.configured()`` tells).
    sources: Sequence[Source] = ()
    lookup_timeout: float = 10.0
    score_weights: dict[str, float] = field(default_factory=dict)
    #: Options the jobs read (alert and summary settings), filled from bot.settings.
    options: dict[str, Any] = field(default_factory=dict)
    now: Callable[[], datetime] = _now

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def configured_sources(self) -> list[Source]:
        return [s for s in self.sources if s.configured()]
