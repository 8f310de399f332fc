"""Composition root: settings -> store, sources and the handlers' Context."""

from __future__ import annotations

import httpx

from bot.settings import Settings
from core.scoring import weights
from handlers.context import Context
from sources import build_sources
from storage import open_store


def build_context(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> Context:
    store = open_store(settings.db)
    return Context(
        store=store,
        sources=build_sources(settings.sources_config(), transport=transport),
        lookup_timeout=settings.lookup_timeout,
        score_weights=weights(settings.score_weights),
        options=settings.model_dump(),
    )
