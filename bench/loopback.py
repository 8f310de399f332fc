"""Loopback fakes for the benchmarks: a slow attention source and the little of Slack's Web API
(and ``response_url``) that HTTP mode needs. Threaded servers on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

from core.config import setting
from core.models import Count, Identifier, Mention, SourceResult
from sources.base import Source
from sources.config import SourceSettings
from sources.errors import SourceUnavailable


class _Server:
    """A ThreadingHTTPServer answering every request with ``answer(method, path, body)``."""

    def __init__(self) -> None:
        self.requests = 0
        #: Requests being answered right now.
        self.active = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with owner._lock:
                    owner.requests += 1
                    owner.active += 1
                try:
                    status, payload = owner.answer(self.command, self.path, body)
                finally:
                    with owner._lock:
                        owner.active -= 1
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class FakeSlackApi(_Server):
    """``auth.test`` and any other Web API method answer ok; ``/response/...`` posts are counted."""

    def __init__(self) -> None:
        super().__init__()
        self.responses = 0

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def response_url(self) -> str:
        return self.url + "/response/cmd"

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if path.startswith("/response/"):
            with self._lock:
                self.responses += 1
            return 200, {"ok": True}
        return 200, {"ok": True, "url": "https://fake.slack.com/", "team": "fake", "user": "bot",
                     "team_id": "T0001", "user_id": "UBOT", "bot_id": "B0BOT"}


class SlowSourceServer(_Server):
    """A source API that takes ``latency`` seconds to answer ``/works/<doi>``: one post, one count."""

    def __init__(self, *, latency: float) -> None:
        super().__init__()
        self.latency = latency

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        time.sleep(self.latency)
        return 200, {"posts": [{"id": path.rsplit("/", 1)[-1], "title": "A post"}], "citations": 3}


class LoopbackSource(Source):
    """A source the poll can ask about DOIs, answered by :class:`SlowSourceServer`.

    ``stop()`` makes it refuse at once: the poll then backs off and ends instead of asking
    about every remaining item.
    """

    name = "benchsource"
    label = "Bench source"
    schemes = frozenset({"doi"})
    kind = "social"
    rate_per_second: ClassVar[float] = 1000.0
    concurrency: ClassVar[int] = 4

    class Settings(SourceSettings):
        url: str = setting("http://127.0.0.1:9", "The loopback server's address.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopped = threading.Event()
        self.asked = 0

    def stop(self) -> None:
        self.stopped.set()

    def lookup(self, identifier: Identifier) -> SourceResult:
        if self.stopped.is_set():
            raise SourceUnavailable("the benchmark is over", source=self.name)
        self.asked += 1
        url = f"{self.base_url()}/works/{identifier.value}"
        data = self.http.client(self).get_json(url)
        mentions = tuple(
            Mention(source=self.name, external_id=f"{identifier.value}#{p['id']}", title=p["title"],
                    kind="social", identifier=identifier)
            for p in data["posts"]
        )
        counts = (Count(source=self.name, metric="citations", value=float(data["citations"]), identifier=identifier),)
        return SourceResult(source=self.name, mentions=mentions, counts=counts)
