"""Attention sources. The registry below is the one explicit list of them."""

from __future__ import annotations

import httpx

from sources.base import Source, SourcesConfig
from sources.http import HttpFactory

# Every source, in the order `sources` and `lookup` show them.
REGISTRY: list[type[Source]] = []


def build_sources(
    config: SourcesConfig, *, transport: httpx.BaseTransport | None = None
) -> list[Source]:
    """One instance of every registered source sharing one HTTP client factory."""
    http = HttpFactory(config, transport=transport)
    return [cls(config, http) for cls in REGISTRY]
