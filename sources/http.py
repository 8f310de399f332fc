"""The shared HTTP client factory (placeholder until the sources work lands)."""

from __future__ import annotations

import httpx

from sources.base import SourcesConfig


class HttpFactory:
    def __init__(self, config: SourcesConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.transport = transport
