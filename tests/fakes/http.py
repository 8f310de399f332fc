"""A tiny real HTTP server on 127.0.0.1 (port 0) that serves canned responses and records
every request. Fakes of the sources and of Slack are built on it.

    with FakeServer() as srv:
        srv.route("GET", "/works/10.1/x", json={"message": {...}})
        srv.route("GET", "/slow", body="...", delay=30)       # hangs (until the test ends)
        srv.route("GET", "/boom", status=500, body="oops")
        srv.url  # "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import json as jsonlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class Canned:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


#: A route answers with a Canned response, a list of them (one per call, the last repeats),
#: or a function of the request.
Responder = Canned | list[Canned] | Callable[[Recorded], Canned]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-answer (a cut-off body, a deadline) are what some tests test.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Responder] = {}
        self.requests: list[Recorded] = []
        self._calls: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # --- configuring ---
    def route(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        json: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        content_type: str | None = None,
    ) -> None:
        self.routes[(method.upper(), path)] = canned(
            status=status, body=body, json=json, headers=headers, delay=delay, content_type=content_type
        )

    def route_fn(self, method: str, path: str, responder: Responder) -> None:
        self.routes[(method.upper(), path)] = responder

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}"

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # --- running ---
    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                rec = Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with fake._lock:
                    fake.requests.append(rec)
                resp = fake._respond(rec)
                if resp.delay:
                    fake._stop.wait(resp.delay)
                try:
                    self.send_response(resp.status)
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(resp.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(resp.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits up to one interval, once per test.
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _respond(self, rec: Recorded) -> Canned:
        key = (rec.method, rec.path)
        responder = self.routes.get(key)
        if responder is None:
            return Canned(404, b'{"error": "no such route in the fake"}', {"Content-Type": "application/json"})
        with self._lock:
            n = self._calls.get(key, 0)
            self._calls[key] = n + 1
        if isinstance(responder, list):
            return responder[min(n, len(responder) - 1)]
        if callable(responder):
            return responder(rec)
        return responder


def canned(
    *,
    status: int = 200,
    body: bytes | str = b"",
    json: Any = None,
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
    content_type: str | None = None,
) -> Canned:
    hdrs = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json)
        hdrs.setdefault("Content-Type", content_type or "application/json")
    elif content_type:
        hdrs.setdefault("Content-Type", content_type)
    data = body.encode() if isinstance(body, str) else body
    return Canned(status, data, hdrs, delay)


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
