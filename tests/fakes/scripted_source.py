"""A Source whose answers the test scripts: per identifier, a list of mentions and counts that
the test changes between polls (or an exception to raise)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from core.models import Count, Identifier, Mention, SourceResult
from sources.base import Source
from sources.config import SourcesConfig
from sources.factory import HttpFactory


class ScriptedSource(Source):
    name = "scripted"
    label = "Scripted News"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle"})
    kind = "news"

    def __init__(self, name: str = "scripted", *, label: str | None = None) -> None:
        config = SourcesConfig()
        super().__init__(config, HttpFactory(config))
        self.name = name  # type: ignore[misc]
        self.label = label or name.title()  # type: ignore[misc]
        self.mentions: dict[str, list[Mention]] = {}
        self.counts: dict[str, list[Count]] = {}
        self.errors: dict[str, Exception] = {}
        self.asked: list[str] = []

    def add(
        self, key: str, external_id: str, *, kind: str = "news", day: int = 1, title: str | None = None
    ) -> Mention:
        m = Mention(
            source=self.name, external_id=external_id, url=f"https://example.org/{external_id}",
            title=title or f"Story {external_id}", occurred_at=datetime(2026, 3, day, 12, tzinfo=UTC),
            kind=kind,
        )
        self.mentions.setdefault(key, []).append(m)
        return m

    def set_count(self, key: str, metric: str, value: float) -> None:
        self.counts[key] = [c for c in self.counts.get(key, []) if c.metric != metric]
        self.counts[key].append(Count(source=self.name, metric=metric, value=value))

    def lookup(self, identifier: Identifier) -> SourceResult:
        self.asked.append(identifier.key)
        if identifier.key in self.errors:
            raise self.errors[identifier.key]
        return SourceResult(
            source=self.name,
            mentions=tuple(self.mentions.get(identifier.key, [])),
            counts=tuple(
                c.model_copy(update={"observed_at": datetime.now(UTC)})
                for c in self.counts.get(identifier.key, [])
            ),
        )
