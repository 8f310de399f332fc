"""Slack's HTTP mode: a small threaded server that hands ``POST /slack/events`` to Bolt and
answers ``GET /healthz``. It only converts shapes; Bolt verifies signatures and dispatches."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack payloads are a few KB; refuse anything absurd before reading it


def make_http_server(app: App, *, host: str = "0.0.0.0", port: int = 3000) -> ThreadingHTTPServer:
    """Bind (port 0 picks a free one); call ``serve_forever()`` to run it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "attention-bot"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def _send(self, status: int, body: bytes, headers: dict[str, Sequence[str]] | None = None) -> None:
            self.send_response(status)
            sent_type = False
            for name, values in (headers or {}).items():
                if name.lower() == "content-length":
                    continue
                sent_type |= name.lower() == "content-type"
                for value in values:
                    self.send_header(name, value)
            if not sent_type:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if urlsplit(self.path).path == HEALTH_PATH:
                self._send(200, b"ok")
            else:
                self._send(404, b"not found")

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != EVENTS_PATH:
                self._send(404, b"not found")
                return
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not declared.isdigit():
                # A negative length would read until the client hangs up, holding a thread.
                self.close_connection = True
                self._send(400, b"bad Content-Length")
                return
            length = int(declared)
            if length > MAX_BODY:
                self.close_connection = True
                self._send(413, b"request too large")
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
            headers: dict[str, str | Sequence[str]] = {
                name.lower(): list(self.headers.get_all(name) or []) for name in set(self.headers.keys())
            }
            bolt_resp: BoltResponse = app.dispatch(
                BoltRequest(body=body, query=parts.query, headers=headers, mode="http")
            )
            self._send(bolt_resp.status, (bolt_resp.body or "").encode("utf-8"), dict(bolt_resp.headers))

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
