"""Composition root: settings -> store, sources and the handlers' Context."""

from __future__ import annotations

from bot.settings import Settings
from handlers.context import Context
from sources import build_sources, build_streams
from sources.factory import HttpFactory, Transport
from storage import open_store


def build_context(settings: Settings, *, transport: Transport | None = None) -> Context:
    """The handlers get the store, the sources (each with its own settings, keys included) and
    the options: what they may read, without any token or key."""
    config = settings.sources_config()
    http = HttpFactory(config, transport=transport)
    return Context(
        store=open_store(settings.db),
        sources=build_sources(config, http=http),
        streams=build_streams(config, http=http),
        options=settings.options(),
    )
