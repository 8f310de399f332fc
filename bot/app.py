"""Composition root: settings -> store, sources and the handlers' Context."""

from __future__ import annotations

import httpx

from bot.settings import Settings
from core.scoring import weights
from handlers.context import Context
from sources import build_sources
from storage import open_store

#: Settings that are credentials: only the sources config and the Slack adapter get them.
SECRET_FIELDS = {
    "slack_bot_token", "slack_app_token", "slack_signing_secret", "mastodon_token",
    "altmetric_api_key", "openalex_api_key", "bluesky_app_password", "reddit_client_secret",
}


def build_context(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> Context:
    store = open_store(settings.db)
    return Context(
        store=store,
        sources=build_sources(settings.sources_config(), transport=transport),
        lookup_timeout=settings.lookup_timeout,
        score_weights=weights(settings.score_weights),
        # Handlers read alert, summary and resolver options; tokens and keys stay out of reach.
        options=settings.model_dump(exclude=SECRET_FIELDS),
    )
