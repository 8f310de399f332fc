"""Where sources get their HTTP clients: one :class:`SourceClient` per source, built with the
configured User-Agent, timeout, body cap and the source's own rate and concurrency.

Tests hand the factory an httpx transport (``MockTransport``, or one to a loopback fake) so no
request leaves the machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from sources.config import SourcesConfig
from sources.http import SourceClient
from sources.transport import ACCEPT_ENCODING, bounded_transport

#: How tests reach loopback fakes without a network: an httpx transport (MockTransport ...).
Transport = httpx.BaseTransport


def user_agent(product: str, *, contact: str | None = None) -> str:
    """Wikimedia's policy, which the other APIs are glad of too: name/version (+project;
    contact) library/version. ``product`` is ``attention-bot/0.1 (+https://...``."""
    return f"{product}{'; ' + contact if contact else ''}) httpx/{httpx.__version__}"


class Paced(Protocol):
    """What the factory needs to know of a source (sources.base.Source has it)."""

    @property
    def name(self) -> str: ...

    def request_rate(self) -> float: ...

    def request_slots(self) -> int: ...

    def secret_values(self) -> tuple[str, ...]: ...


class HttpFactory:
    """Builds and caches one :class:`SourceClient` per source name."""

    def __init__(
        self, config: SourcesConfig, *, transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.transport = transport
        self.sleep = sleep
        self._clients: dict[str, SourceClient] = {}
        self._lock = threading.Lock()

    def client(self, source: Paced) -> SourceClient:
        with self._lock:
            existing = self._clients.get(source.name)
            if existing is not None:
                return existing
            # One connection per allowed concurrent request is all a source may use.
            limits = httpx.Limits(max_connections=source.request_slots() * 2)
            inner = httpx.Client(
                transport=self.transport or bounded_transport(limits=limits),
                timeout=self.config.timeout,
                headers={"User-Agent": self.config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                # Followed hop by hop by SourceClient: credentials must not leave their origin.
                follow_redirects=False,
                limits=limits,
            )
            made = SourceClient(
                source.name, inner, rate_per_second=source.request_rate(),
                concurrency=source.request_slots(), timeout=self.config.timeout, sleep=self.sleep,
                max_bytes=self.config.max_bytes, secrets=source.secret_values(),
            )
            self._clients[source.name] = made
            return made

    def tallies(self) -> dict[str, tuple[int, int]]:
        """Per source: requests sent and HTTP 429s received by this process."""
        with self._lock:
            return {name: (c.requests_sent, c.rate_limited) for name, c in self._clients.items()}

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
