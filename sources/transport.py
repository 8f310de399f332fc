"""Bounds on every request, whatever the server does: an overall deadline, a capped body, and
redirects followed one hop at a time.

httpx's timeouts are per network operation, so a server sending one byte every two seconds never
trips a ten-second read timeout. :func:`deadline` sets, for the calling thread, a time by which
the whole exchange must be over (connection, TLS, every write and read, every redirect hop): the
network backend of :func:`bounded_transport` gives each socket operation at most what is left.

:func:`read_body` reads a body up to a size after decompression. httpx inflates one network read
at a time, up to 64 KiB of gzip into 64 MiB of memory at once; here zlib's ``max_length`` stops
inflating as soon as the cap is passed.

:func:`step` bounds one question to a source (retries and their waits included): a retry that
would not fit in what is left of it is not made.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

#: The monotonic time by which the current exchange must be over, per thread.
_deadline: ContextVar[float | None] = ContextVar("attention_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Everything sent and read in this thread within ``seconds`` from now (or an outer, earlier
    deadline). Yields the deadline, in ``time.monotonic()`` seconds."""
    outer = _deadline.get()
    end = time.monotonic() + max(seconds, 0.0)
    token = _deadline.set(end if outer is None else min(outer, end))
    try:
        yield _deadline.get() or end
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds before the current deadline (negative once passed), or None without one."""
    end = _deadline.get()
    return None if end is None else end - time.monotonic()


def _bounded(timeout: float | None, late: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise late("the request's overall deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        late = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, late))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own backend with every socket operation cut to the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        late = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, late, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bounded_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """httpx's default transport (same arguments), keeping the thread's :func:`deadline`."""
    transport = httpx.HTTPTransport(**kwargs)
    # httpx builds its httpcore pool without a way to pass a network backend; the pool reads
    # this attribute for each new connection. tests/sources/test_transport.py holds it to that.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)  # type: ignore[union-attr]
    return transport


# --- bodies ---
class BodyTooLarge(Exception):
    """The body passed the cap; ``size`` is what had arrived (decompressed) when reading stopped."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"more than {human_bytes(limit)}")
        self.size = size
        self.limit = limit


class BadEncoding(Exception):
    """A body in an encoding that was not asked for, or that does not decompress."""


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


#: What the bot asks for; it decompresses these itself (see read_body).
ACCEPT_ENCODING = "gzip, deflate"


def _inflater(encoding: str) -> Any:
    """A zlib decompressor for ``encoding``, None for none; BadEncoding for anything else."""
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise BadEncoding(f"compressed as {encoding!r}, which the bot did not ask for")


def read_body(
    response: httpx.Response, max_bytes: int, *, truncate: bool = False
) -> tuple[bytes, bool]:
    """The decompressed body, at most ``max_bytes`` of it: ``(body, truncated)``. Past the cap it
    raises BodyTooLarge, or with ``truncate`` returns the first ``max_bytes`` (a landing page's
    head is at its top). Stops early past the thread's deadline (httpx.ReadTimeout)."""
    declared = response.headers.get("content-length", "")
    if response.is_stream_consumed:
        # Built in memory (a test's MockTransport): httpx has already decoded it.
        body = response.content
    else:
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if not truncate and not encoding and declared.isdigit() and int(declared) > max_bytes:
            raise BodyTooLarge(int(declared), max_bytes)
        body = _read_stream(response, _inflater(encoding), max_bytes)
    if len(body) > max_bytes:
        if not truncate:
            raise BodyTooLarge(len(body), max_bytes)
        return body[:max_bytes], True
    return body, False


def _read_stream(response: httpx.Response, inflater: Any, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes of the body: one more than allowed tells it went over."""
    buf = bytearray()
    raw_deflate = False
    for raw in response.iter_raw():
        data = raw
        while data and len(buf) <= max_bytes:
            if inflater is None:
                buf += data[: max_bytes + 1 - len(buf)]
                break
            try:
                buf += inflater.decompress(data, max_bytes + 1 - len(buf))
            except zlib.error as exc:
                if raw_deflate or buf or inflater.unused_data:
                    why = f"a compressed body that does not decompress ({exc})"
                    raise BadEncoding(why) from exc
                # "deflate" is sometimes sent without its zlib header.
                inflater, raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), True
                continue
            data = inflater.unconsumed_tail
        if len(buf) > max_bytes:
            break
        left = time_left()
        if left is not None and left <= 0:
            raise httpx.ReadTimeout("the request's overall deadline passed")
    if inflater is not None and len(buf) <= max_bytes:
        buf += inflater.flush()
    return bytes(buf)


# --- redirects ---
REDIRECTS = (301, 302, 303, 307, 308)


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def redirect_url(base: httpx.URL, location: str) -> httpx.URL:
    """Where a ``Location`` leads from ``base``; ValueError naming the problem when nowhere
    usable (``http://[bad/``, a control character, an ftp: link)."""
    text = location.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise ValueError("an unusable address (it holds a control character)")
    try:
        urlsplit(text).port  # noqa: B018 - reading it checks it (``http://[bad/``, ``:99999``)
        url = base.join(text)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise ValueError(f"an unusable address ({exc})") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"a non-web address ({url.scheme or 'no scheme'})")
    if "%" in url.host:  # httpx percent-encodes what no host name may hold
        raise ValueError(f"an unusable address (the host {url.host!r})")
    return url


def follow(client: httpx.Client, request: httpx.Request, response: httpx.Response) -> httpx.Request:
    """The request a redirect asks for: 303 (and 301/302 after a POST) become a GET without a
    body; a hop to another origin carries no Authorization or Cookie header. ValueError when
    the Location is unusable."""
    url = redirect_url(request.url, response.headers["location"])
    method, content = request.method, request.content
    status = response.status_code
    if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
        method, content = "GET", b""
    dropped = {"host", "content-length", "transfer-encoding", "cookie"}
    if not content:
        dropped.add("content-type")
    if origin(url) != origin(request.url):
        dropped |= {"authorization", "proxy-authorization"}
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in dropped]
    return client.build_request(
        method, url, headers=headers, content=content or None, extensions=request.extensions
    )


class RedirectRefused(Exception):
    """A redirect that is not followed; the message says where it led and why."""


def carries_credentials(request: httpx.Request, secrets: tuple[str, ...] = ()) -> bool:
    """An Authorization or Cookie header, or one of ``secrets`` (configured keys, tokens,
    passwords) anywhere in the URL, the headers or the body."""
    if any(h in request.headers for h in ("authorization", "proxy-authorization", "cookie")):
        return True
    if not secrets:
        return False
    text = " ".join([unquote(str(request.url)), *request.headers.values()])
    return any(s in text or s.encode() in request.content for s in secrets)


def exchange(
    client: httpx.Client, request: httpx.Request, *, max_bytes: int, max_redirects: int,
    secret: bool,
) -> httpx.Response:
    """Send ``request``, follow redirects one hop at a time (a ``secret`` one never to another
    origin), and read the final body up to ``max_bytes``. Returns the response with its body
    read and decompressed. Raises RedirectRefused, BodyTooLarge, BadEncoding or httpx's errors."""
    for _ in range(max_redirects + 1):
        resp = client.send(request, stream=True)
        try:
            if resp.status_code in REDIRECTS and "location" in resp.headers:
                request = _next_hop(client, request, resp, secret=secret)
                continue
            body, _ = read_body(resp, max_bytes)
        finally:
            resp.close()
        # The body as read: no longer compressed, so its encoding headers go with it.
        headers = [(k, v) for k, v in resp.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(resp.status_code, headers=headers, content=body, request=request)
    raise RedirectRefused(f"redirected more than {max_redirects} times: not followed")


def _next_hop(
    client: httpx.Client, request: httpx.Request, resp: httpx.Response, *, secret: bool
) -> httpx.Request:
    try:
        target = redirect_url(request.url, resp.headers["location"])
    except ValueError as exc:
        raise RedirectRefused(f"redirected to {exc}") from exc
    if secret and origin(target) != origin(request.url):
        # Login bodies, tokens and keys stay with the origin they were written for.
        raise RedirectRefused(
            f"redirected a request carrying credentials to another origin "
            f"({target.scheme}://{target.netloc.decode()}): not followed, so they were not sent "
            "there; check its URL setting"
        )
    return follow(client, request, resp)


# --- steps ---
#: One question to a source (an item, a site, a feed) may spend this many request timeouts.
STEP_TIMEOUTS = 3


class Step:
    """Seconds one question to a source may spend on the network, retries and their waits
    included. The bot's own pacing (rate limits, requests in flight) does not count: it
    :meth:`pause`\\ s the clock."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()

    def left(self) -> float:
        with self._lock:
            return self._end - time.monotonic()

    @contextmanager
    def pause(self) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._end += time.monotonic() - started


_step: ContextVar[Step | None] = ContextVar("attention_step", default=None)


@contextmanager
def step(seconds: float) -> Iterator[Step]:
    """Bound the requests made in this thread, until the block ends, to ``seconds`` in all."""
    current = Step(seconds)
    token = _step.set(current)
    try:
        yield current
    finally:
        _step.reset(token)


def current_step() -> Step | None:
    return _step.get()
