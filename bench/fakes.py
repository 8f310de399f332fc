"""A loopback fake of Crossref's ``/works/{doi}`` for the benchmarks: a real HTTP server on
127.0.0.1 with a configurable latency and an enforced rate limit.

The limit is a sliding one-second window, as strict API gateways keep it: a request arriving
while ``limit`` others arrived in the last second is answered 429 with ``Retry-After: 1`` (and
does not count). The server records what a benchmark reports: requests, 429s, and the most
requests it had in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


def crossref_work(doi: str) -> bytes:
    """A ``/works/{doi}`` answer shaped like Crossref's (the fields the bot reads, and a few)."""
    return json.dumps({
        "status": "ok",
        "message-type": "work",
        "message-version": "1.0.0",
        "message": {
            "DOI": doi,
            "type": "journal-article",
            "title": [f"A benchmark paper {doi}"],
            "is-referenced-by-count": 7,
            "references-count": 31,
            "publisher": "Benchmark Press",
        },
    }).encode()


class FakeCrossref:
    """``with FakeCrossref(latency=0.2, limit=50) as fake: fake.url`` is the base URL."""

    def __init__(self, *, latency: float = 0.0, limit: int | None = None) -> None:
        self.latency = latency
        self.limit = limit
        self.requests = 0
        self.rejected = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.requests = self.rejected = self.max_in_flight = 0
            self._arrivals.clear()

    def _admit(self) -> bool:
        """Count one arrival; False when it is over the limit of the last second."""
        with self._lock:
            now = time.monotonic()
            if self.limit is not None:
                while self._arrivals and self._arrivals[0] <= now - 1.0:
                    self._arrivals.popleft()
                if len(self._arrivals) >= self.limit:
                    self.rejected += 1
                    return False
                self._arrivals.append(now)
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return True

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects
            disable_nagle_algorithm = True  # headers and body go in separate writes

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if not fake._admit():
                    self._send(429, b'{"status":"error","message":"rate limited"}', {"Retry-After": "1"})
                    return
                try:
                    if fake.latency:
                        time.sleep(fake.latency)
                    path = self.path.split("?", 1)[0]
                    if not path.startswith("/works/"):
                        self._send(404, b'{"status":"error"}', {})
                        return
                    self._send(200, crossref_work(path.removeprefix("/works/")), {})
                finally:
                    fake._done()

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler

    def __enter__(self) -> FakeCrossref:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
