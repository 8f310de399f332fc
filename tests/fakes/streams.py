"""Loopback fakes of the two public streams, speaking their protocols on 127.0.0.1 (port 0).

* :class:`FakeJetstream`: a WebSocket server (the ``websockets`` package) like Jetstream's
  ``/subscribe``: each connection gets every event whose ``time_us`` is at or after its
  ``cursor`` (all of them without one), then each event added later; it records what every
  connection asked for, and can drop a connection after some events.
* :class:`FakeEventStreams`: a server-sent events server like Wikimedia's: each event has an
  ``id`` (a JSON list of Kafka positions, as Wikimedia's), a reconnect with ``Last-Event-ID``
  gets the events after it; comments and heartbeats (empty data) come in between; it records
  the ``Last-Event-ID`` of every connection and can end a connection after some events.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class _Feed:
    """Events a fake sends, and the wake-up of its connections when one is added."""

    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        self.events: list[dict[str, Any]] = list(events or [])
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        #: Events sent on one connection before the fake drops it (None: never), per connection.
        self.drop_after: list[int | None] = []
        self.connections = 0

    def add(self, *events: dict[str, Any]) -> None:
        with self.changed:
            self.events.extend(events)
            self.changed.notify_all()

    def wait_past(self, sent: int) -> None:
        with self.changed:
            if len(self.events) <= sent and not self.stopping.is_set():
                self.changed.wait(timeout=0.05)

    def next_drop(self) -> int | None:
        with self.changed:
            n = self.connections
            self.connections += 1
            return self.drop_after[n] if n < len(self.drop_after) else None


class FakeJetstream(_Feed):
    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        super().__init__(events)
        #: The query of every connection, in order (``cursor``, ``wantedCollections`` ...).
        self.asked: list[dict[str, list[str]]] = []
        self.user_agents: list[str] = []
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/subscribe"

    def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = parse_qs(urlsplit(ws.request.path).query)
        self.asked.append(query)
        self.user_agents.append(ws.request.headers.get("User-Agent", ""))
        drop = self.next_drop()
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        sent = done = 0
        try:
            while not self.stopping.is_set():
                with self.changed:
                    todo = self.events[done:]
                for event in todo:
                    done += 1
                    if cursor is not None and event.get("time_us", 0) < cursor:
                        continue
                    ws.send(json.dumps(event))
                    sent += 1
                    if drop is not None and sent >= drop:
                        ws.close(code=1011, reason="fake drop")
                        return
                self.wait_past(done)
        except ConnectionClosed:
            return

    def __enter__(self) -> FakeJetstream:
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()


def kafka_id(offset: int) -> str:
    """An EventStreams event id: the Kafka position, as a JSON list."""
    return json.dumps(
        [{"topic": "eqiad.mediawiki.page-links-change", "partition": 0, "offset": offset}]
    )


def _offset(last_event_id: str | None) -> int:
    if not last_event_id:
        return -1
    return int(json.loads(last_event_id)[0]["offset"])


class FakeEventStreams(_Feed):
    def __init__(
        self, events: list[dict[str, Any]] | None = None, *, content_type: str = "text/event-stream"
    ) -> None:
        super().__init__(events)
        #: The Last-Event-ID header of every connection, in order (None when absent).
        self.last_event_ids: list[str | None] = []
        self.user_agents: list[str] = []
        self.content_type = content_type
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/v2/stream/mediawiki.page-links-change"

    def __enter__(self) -> FakeEventStreams:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.last_event_ids.append(self.headers.get("Last-Event-ID"))
                fake.user_agents.append(self.headers.get("User-Agent", ""))
                drop = fake.next_drop()
                after = _offset(self.headers.get("Last-Event-ID"))
                self.send_response(200)
                self.send_header("Content-Type", fake.content_type)
                self.send_header("Connection", "close")
                self.end_headers()
                sent = done = 0
                try:
                    self.wfile.write(b":ok\n\n")  # EventStreams opens with a comment
                    while not fake.stopping.is_set():
                        with fake.changed:
                            todo = fake.events[done:]
                        for event in todo:
                            offset = done
                            done += 1
                            if offset <= after:
                                continue
                            # A heartbeat with no data before each event: it must be skipped.
                            frame = (
                                f"data:\n\nid: {kafka_id(offset)}\ndata: {json.dumps(event)}\n\n"
                            )
                            self.wfile.write(frame.encode())
                            self.wfile.flush()
                            sent += 1
                            if drop is not None and sent >= drop:
                                return
                        fake.wait_past(done)
                except (BrokenPipeError, ConnectionResetError):
                    return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()
