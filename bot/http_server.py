"""uvicorn on a thread of its own, as the bot runs it: its C parser and loop where installed, a
bounded number of connections, a listen backlog for bursts, no access log, and a deadline for
each request's headers (uvicorn alone would hold a half-sent request for as long as the client
likes)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a request's headers.
HEADER_TIMEOUT = 10.0
BACKLOG = 2048


class HeaderDeadline(asyncio.Protocol):
    """Mixed into uvicorn's HTTP protocols: a deadline for each request's headers, so a client
    that opens a connection and never finishes its request gets 408 and the connection back
    (uvicorn itself would hold it for as long as the client likes)."""

    header_timeout = HEADER_TIMEOUT
    # What uvicorn's protocols have:
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._armed_cycle = self.cycle
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._armed_cycle:  # a new request's headers are in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        busy = self.cycle is not None and not self.cycle.response_complete
        if self.transport.is_closing() or busy or self.cycle is not self._armed_cycle:
            return
        body = b"the request headers came too slowly"
        self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        self.transport.close()


def protocol_class(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol (C, the fastest) when installed, else its h11 one, each with
    the header deadline."""
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency; h11 is uvicorn's own
        base = H11Protocol
    return type("Protocol", (HeaderDeadline, base), {"header_timeout": header_timeout})


def _loop() -> str:
    """uvloop where it is installed (not on Windows), else asyncio's own loop."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one); OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class WebServer:
    """uvicorn serving ``app`` on its own thread and event loop; ``start()`` binds (OSError when
    the port is taken) and returns once it serves, ``stop()`` ends it."""

    def __init__(self, app: Starlette, *, host: str = "0.0.0.0", port: int = 3000, max_connections: int = 512,
                 header_timeout: float = HEADER_TIMEOUT) -> None:
        self.config = uvicorn.Config(
            app, http=protocol_class(header_timeout), ws="none", lifespan="off", loop=_loop(), log_config=None,
            access_log=False,  # no visitor's address is ever written down
            limit_concurrency=max_connections, backlog=BACKLOG, timeout_keep_alive=5,
            timeout_graceful_shutdown=5, server_header=False,
        )
        self.server = uvicorn.Server(self.config)
        self.host, self.port = host, port
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self, *, timeout: float = 30.0) -> int:
        self._sock = bind(self.host, self.port)
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]},
                                        name="web-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise OSError(f"the web server did not start on port {self.port}")
        return self.port

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        if self._sock is not None:
            self._sock.close()
