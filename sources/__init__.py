"""Attention sources. The registry below is the one explicit list of them."""

from __future__ import annotations

import httpx

from sources.altmetric import Altmetric
from sources.base import Source
from sources.bluesky import Bluesky
from sources.config import SourcesConfig
from sources.crossref import Crossref
from sources.datacite import DataCite
from sources.europepmc import EuropePMC
from sources.feeds import Feeds
from sources.hackernews import HackerNews
from sources.http import HttpFactory
from sources.mastodon import Mastodon
from sources.openalex import OpenAlex
from sources.reddit import Reddit
from sources.wikipedia import Wikipedia

# Every source, in the order `sources` and `lookup` show them.
REGISTRY: list[type[Source]] = [
    Wikipedia,
    HackerNews,
    Crossref,
    DataCite,
    EuropePMC,
    Feeds,
    Mastodon,
    Altmetric,
    OpenAlex,
    Bluesky,
    Reddit,
]


def build_sources(
    config: SourcesConfig, *, transport: httpx.BaseTransport | None = None
) -> list[Source]:
    """One instance of every registered source sharing one HTTP client factory."""
    http = HttpFactory(config, transport=transport)
    return [cls(config, http) for cls in REGISTRY]
