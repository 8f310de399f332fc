"""The web server: one ASGI app (Starlette) on uvicorn serving Slack's HTTP mode
(``POST /slack/events``, through Bolt's Starlette adapter), ``/healthz``, ``/metrics`` and the
web face (badges, details pages, ``embed.js``). It only adapts: the views are in
``handlers/web``, Bolt dispatches Slack's requests.

Slack's requests are checked before Bolt parses them: a body too big or too slow, a missing or
malformed signature header, a stale or wrong signature, a request replayed with a timestamp and
signature already seen, or a signed body that is not the form or JSON Slack sends, get 4xx
without a traceback. uvicorn holds the connections (at most ``http_max_connections``, then
503); a connection that does not finish its request's headers in time gets 408 and is closed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import anyio
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import Clock, SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.http_server import WebServer
from bot.settings import Settings
from handlers.context import Context
from handlers.web import views

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack payloads are a few KB
#: Seconds a client has to send a request's body (its headers: bot.http_server.HEADER_TIMEOUT).
BODY_TIMEOUT = 10.0
#: Slack refuses requests older than this, and so do we; a replay inside it is refused too.
REPLAY_WINDOW = 300
EXIT_CONFIG = 2
#: Threads for Bolt's dispatch (signature, parsing, the ack) and for the pages' queries: apart,
#: so a crowd of page views never holds up an ack.
SLACK_THREADS, PAGE_THREADS = 32, 16
BADGE_CACHE = "public, max-age=300"
STATIC_CACHE = "public, max-age=3600"
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors *")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


class ReplayGuard:
    """Remembers (timestamp, signature) pairs of verified requests for REPLAY_WINDOW seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_time(self, timestamp: str, signature: str) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) > 1000:  # only verified requests get here: pruning stays cheap
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            key = (timestamp, signature)
            if self._seen.get(key, 0) > now:
                return False
            self._seen[key] = now + REPLAY_WINDOW
            return True


def _text(status: int, message: str) -> Response:
    if status >= 400:  # the reason only: never who sent it or what the body said
        log.debug("refused a request with %d: %s", status, message)
    return PlainTextResponse(message, status_code=status)


def well_formed(body: str, content_type: str) -> bool:
    """Whether a signed body is what Slack sends: a JSON object (events), or a form whose
    ``payload`` (interactivity), if any, is a JSON object."""
    try:
        if "json" in content_type:
            return isinstance(json.loads(body), dict)
        form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
        payload = form.get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except ValueError:
        return False


async def _read_body(request: Request, limit: int) -> bytes | Response:
    declared = request.headers.get("content-length")
    if declared is not None and not declared.strip().isdigit():  # the parser refuses these first
        return _text(400, "bad Content-Length")
    if declared is not None and int(declared) > limit:
        return _text(413, "request too large")
    chunks, size = [], 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise OverflowError
            chunks.append(chunk)

    try:
        async with asyncio.timeout(BODY_TIMEOUT):  # no extra task per request, as wait_for makes
            await read()
    except TimeoutError:
        return _text(408, "the request body came too slowly")
    except OverflowError:
        return _text(413, "request too large")
    except ClientDisconnect:
        return _text(400, "the client went away")
    return b"".join(chunks)


class SlackEndpoint:
    """``POST /slack/events``: checks, then Bolt's Starlette adapter around the sync App."""

    def __init__(self, app: App, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self.replays = ReplayGuard(clock)
        self.clock = clock
        self.limiter: anyio.CapacityLimiter | None = None

    async def handle(self, request: Request) -> Response:
        body = await _read_body(request, MAX_BODY)
        if isinstance(body, Response):
            return body
        timestamp = request.headers.get("x-slack-request-timestamp") or ""
        signature = request.headers.get("x-slack-signature") or ""
        if not timestamp or not signature:
            return _text(401, "unsigned request")
        if not timestamp.strip().isdigit():
            return _text(400, "X-Slack-Request-Timestamp is not a number")
        if abs(self.clock() - int(timestamp)) > REPLAY_WINDOW:
            return _text(401, "stale request")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "the body is not UTF-8")
        if not self.verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
            return _text(401, "invalid signature")
        if not self.replays.first_time(timestamp, signature):
            return _text(401, "replayed request")
        if not well_formed(text, request.headers.get("content-type", "")):
            return _text(400, "the body is not a Slack payload")
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(SLACK_THREADS)
        bolt_request = to_bolt_request(request, body)
        bolt_response = await anyio.to_thread.run_sync(self.app.dispatch, bolt_request, limiter=self.limiter)
        return to_starlette_response(bolt_response)


class _Clock(Clock):
    """slack_sdk's verifier asks its clock for ``now()``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock()


def _etag(body: str) -> str:
    return 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'


def _cached(request: Request, view: views.View, headers: dict[str, str]) -> Response:
    tag = _etag(view.body)
    headers = {**headers, "ETag": tag, "X-Content-Type-Options": "nosniff"}
    if view.status == 200 and tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(view.body, status_code=view.status, media_type=view.media_type, headers=headers)


def _cors(cache: str) -> dict[str, str]:
    return {"Cache-Control": cache, "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin"}


class WebFace:
    """The badges, details pages and their static files, over ``handlers.web.views``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.limiter: anyio.CapacityLimiter | None = None

    def base(self, request: Request) -> str:
        return self.ctx.options.public_url or f"{request.url.scheme}://{request.url.netloc}"

    async def _run(self, fn: Callable[..., views.View], *args: Any) -> views.View:
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(PAGE_THREADS)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def badge(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        style = request.query_params.get("style")
        view = await self._run(lambda: views.badge_view(self.ctx, rest, style=style, base=self.base(request)))
        headers = _cors(BADGE_CACHE)
        if view.media_type == views.SVG:
            headers["Content-Security-Policy"] = SVG_CSP
        return _cached(request, view, headers)

    async def item(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        fmt = request.query_params.get("format")
        view = await self._run(lambda: views.item_view(self.ctx, rest, fmt=fmt, base=self.base(request)))
        headers = {**_cors(BADGE_CACHE), "Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer"}
        return _cached(request, view, headers)

    async def static(self, request: Request) -> Response:
        view = views.static_view(request.url.path.rsplit("/", 1)[-1])
        if view is None:
            return _text(404, "not found")
        return _cached(request, view, _cors(STATIC_CACHE))


async def _health(request: Request) -> Response:
    return _text(200, "ok")


def build_app(ctx: Context, *, slack: SlackEndpoint | None = None) -> Starlette:
    """The ASGI app: Slack's endpoint when ``slack`` is given, the pages unless
    ATTENTION_PUBLIC_PAGES=false, and always /healthz and /metrics."""
    registry = metrics.metrics_registry(ctx)

    async def metrics_page(request: Request) -> Response:
        body = await anyio.to_thread.run_sync(metrics.render, registry)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    routes = [
        Route(HEALTH_PATH, _health, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if slack is not None:
        routes.append(Route(EVENTS_PATH, slack.handle, methods=["POST"]))
    if ctx.options.public_pages:
        face = WebFace(ctx)
        routes += [
            Route("/badge/{rest:path}", face.badge, methods=["GET", "HEAD"]),
            Route("/items/{rest:path}", face.item, methods=["GET", "HEAD"]),
            Route("/embed.js", face.static, methods=["GET", "HEAD"]),
            Route("/assets/page.css", face.static, methods=["GET", "HEAD"]),
        ]
    return Starlette(routes=routes)


def install_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT set ``stop``; returns a function restoring the old handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in old:
        signal.signal(sig, lambda *_: stop.set())

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore


def serve_pages(settings: Settings, ctx: Context, *, port: int, host: str = "0.0.0.0",
                stop: threading.Event | None = None, ready: Callable[[int], None] | None = None) -> int:
    """`attention-bot serve`: the pages, /healthz and /metrics from the database, without Slack
    and without polling, until Ctrl-C or SIGTERM. Returns the exit status."""
    server = WebServer(build_app(ctx), host=host, port=port, max_connections=settings.http_max_connections)
    try:
        bound = server.start()
    except OSError as exc:
        print(f"Cannot serve on port {port} ({exc.strerror or exc}): choose another with --port N.", file=sys.stderr)
        return EXIT_CONFIG
    where = settings.public_url or f"http://{host}:{bound}"
    log.info("serving the web pages on port %d (%s)%s", bound, where,
             "" if settings.public_pages else "; ATTENTION_PUBLIC_PAGES=false: only /healthz and /metrics")
    stop = stop or threading.Event()
    restore = install_signals(stop)
    try:
        if ready:
            ready(bound)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        server.stop()
        restore()
        ctx.store.close()
    return 0
