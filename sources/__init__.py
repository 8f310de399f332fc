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
from sources.factory import HttpFactory
from sources.feeds import Feeds
from sources.hackernews import HackerNews
from sources.jetstream import Jetstream
from sources.mastodon import Mastodon
from sources.openalex import OpenAlex
from sources.reddit import Reddit
from sources.streaming import StreamSource
from sources.wikimedia_stream import WikimediaStream
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


#: Every stream, each standing in for the polled source it names (``Jetstream.source``).
STREAMS: list[type[StreamSource]] = [
    Jetstream,
    WikimediaStream,
]


def build_sources(
    config: SourcesConfig, *, transport: httpx.BaseTransport | None = None,
    http: HttpFactory | None = None,
) -> list[Source]:
    """One instance of every registered source sharing one HTTP client factory."""
    http = http or HttpFactory(config, transport=transport)
    return [cls(config, http) for cls in REGISTRY]


def build_streams(config: SourcesConfig, *, http: HttpFactory) -> list[StreamSource]:
    """One instance of every stream, configured or not (``configured()`` tells)."""
    return [cls(config, http) for cls in STREAMS]
