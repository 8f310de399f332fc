"""A loopback fake of Crossref's ``/works/{doi}`` (and Europe PMC's ``/MED/{pmid}/citations``)
for the benchmarks: a real HTTP server on
127.0.0.1 with a configurable latency and an enforced rate limit.

The limit is a sliding one-second window, as strict API gateways keep it: a request arriving
while ``limit`` others arrived in the last second is answered 429 with ``Retry-After: 1`` (and
does not count). Arrival is when the request's first bytes reached the socket, as the kernel
stamped them (``SO_TIMESTAMPNS``), not when a thread of this process got to it: a server
elsewhere is not slowed by this machine's load, and on a busy machine this one's threads run
late and would see requests closer together than they came. The server records what a benchmark reports: requests, 429s, and the most
requests it had in flight at once.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import socket
import struct
import subprocess
import sys
import threading
import time
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


_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def _arrival(conn: socket.socket) -> float:
    """When the next request's first bytes reached ``conn`` (waits for them), in wall-clock
    seconds: the kernel's stamp, or now when there is none."""
    with contextlib.suppress(OSError, AttributeError):
        _, ancillary, _, _ = conn.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= 16:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                return seconds + nanoseconds / 1e9
    return time.time()


class FakeCrossref:
    """``with FakeCrossref(latency=0.2, limit=50) as fake: fake.url`` is the base URL."""

    def __init__(self, *, latency: float = 0.0, limit: int | None = None) -> None:
        self.latency = latency
        self.limit = limit
        self.requests = 0
        self.rejected = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._arrivals: list[float] = []  # admitted arrivals of the last second, in order
        self._since = time.time()
        #: Seconds after the last reset at which requests were refused.
        self.rejected_at: list[float] = []
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
            self.rejected_at = []
            self._since = time.time()

    def _admit(self, arrived: float) -> bool:
        """Count one arrival (wall-clock seconds); False when it is over the limit of the second
        before it. Threads may get to arrivals out of order: they are kept sorted."""
        with self._lock:
            if self.limit is not None:
                # Drop what no later arrival's window can hold (a few seconds of leeway for
                # arrivals handled late), then count the window ending at this one.
                del self._arrivals[: bisect.bisect_right(self._arrivals, arrived - 5.0)]
                held = bisect.bisect_right(self._arrivals, arrived) - bisect.bisect_right(
                    self._arrivals, arrived - 1.0
                )
                if held >= self.limit:
                    self.rejected += 1
                    self.rejected_at.append(round(arrived - self._since, 3))
                    return False
                bisect.insort(self._arrivals, arrived)
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
            arrived = 0.0

            def setup(self) -> None:
                super().setup()
                with contextlib.suppress(OSError):
                    self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)

            def handle_one_request(self) -> None:
                self.arrived = _arrival(self.connection)
                super().handle_one_request()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path in ("/_stats", "/_reset"):
                    # For a benchmark driving this fake in another process (ForkedFake).
                    if self.path == "/_reset":
                        fake.reset()
                    stats = {
                        "requests": fake.requests, "rejected": fake.rejected,
                        "max_in_flight": fake.max_in_flight, "rejected_at": fake.rejected_at,
                    }
                    self._send(200, json.dumps(stats).encode(), {})
                    return
                if not fake._admit(self.arrived):
                    self._send(429, b'{"status":"error","message":"rate limited"}', {"Retry-After": "1"})
                    return
                try:
                    if fake.latency:
                        time.sleep(fake.latency)
                    path = self.path.split("?", 1)[0]
                    if path.startswith("/MED/"):  # Europe PMC's citations of a PMID
                        self._send(200, b'{"hitCount": 7, "citationList": {"citation": []}}', {})
                        return
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


class ForkedFake:
    """A :class:`FakeCrossref` in a process of its own, read through ``/_stats``.

    The rate limit is judged on arrival times. In the benchmark's own process the server's
    threads share one interpreter lock with the bot's, so a pause of the bot (a garbage
    collection, a database write) also delays the server's clock and squeezes arrivals
    together; a real API runs elsewhere, and so does this.
    """

    def __init__(self, *, latency: float = 0.0, limit: int | None = None) -> None:
        self._args = [sys.executable, "-m", "bench.fakes", str(latency), str(limit or 0)]
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> ForkedFake:
        self._proc = subprocess.Popen(self._args, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.__exit__(None, None, None)
            raise RuntimeError("the fake source did not start")
        return self

    def _stats(self, path: str = "/_stats") -> dict[str, Any]:
        import httpx

        return dict(httpx.get(self.url + path, timeout=10).json())

    def reset(self) -> None:
        self._stats("/_reset")

    @property
    def requests(self) -> int:
        return int(self._stats()["requests"])

    @property
    def rejected(self) -> int:
        return int(self._stats()["rejected"])

    @property
    def max_in_flight(self) -> int:
        return int(self._stats()["max_in_flight"])

    @property
    def rejected_at(self) -> list[float]:
        return list(self._stats()["rejected_at"])

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)


if __name__ == "__main__":
    # python -m bench.fakes LATENCY LIMIT: serve until terminated; the first line is the URL.
    with FakeCrossref(latency=float(sys.argv[1]), limit=int(sys.argv[2]) or None) as served:
        print(served.url, flush=True)
        threading.Event().wait()
