"""The shared HTTP client factory: one ``httpx.Client`` per source, polite and fault-mapped.

Every source talks to the network only through :class:`SourceClient`, which

* sends the configured User-Agent (Wikimedia, Crossref, DataCite and Reddit ask for a contact),
* keeps the source's request rate (a token bucket) and concurrency cap (a semaphore),
* retries connection errors and 5xx a few times with exponential backoff (tenacity),
* honours 429 ``Retry-After`` (waits once if short, else raises :class:`RateLimited`) and the
  rate-limit headers (``X-RateLimit-Remaining``, Altmetric's ``X-HourlyRateLimit-Remaining`` ...):
  a remaining of 0 makes later calls raise RateLimited until the window resets,
* paces itself at the rate a source announces (Crossref's ``X-Rate-Limit-Limit`` requests per
  ``X-Rate-Limit-Interval``) instead of the source's declared default,
* turns every failure into a named :class:`SourceError` carrying the source's name.
"""

from __future__ import annotations

import json as jsonlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from sources.config import SourcesConfig
from sources.errors import BadResponse, NotAuthorised, RateLimited, SourceTimeout, SourceUnavailable

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

#: Attempts for connection errors and 5xx before giving up.
ATTEMPTS = 3
#: A 429 whose Retry-After is at most this many seconds is waited out once.
MAX_RETRY_AFTER_WAIT = 5.0
#: (remaining header, reset header or None, window in seconds when there is no reset header)
RATE_HEADERS = (
    ("x-ratelimit-remaining", "x-ratelimit-reset", 60.0),
    ("x-hourlyratelimit-remaining", None, 3600.0),
    ("x-dailyratelimit-remaining", None, 86400.0),
)
#: ``X-Rate-Limit-Interval`` units (Crossref sends ``1s``).
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)


class _Transient(Exception):
    """A failure worth retrying (connection error or 5xx); unwrapped after the last attempt."""

    def __init__(self, error: SourceUnavailable) -> None:
        super().__init__(str(error))
        self.error = error


class TokenBucket:
    """A thread-safe token bucket: ``rate`` requests a second, bursts of up to ``capacity``
    (by default one: evenly spaced requests, so no one-second window ever holds more than
    ``rate`` of them, which a server's sliding-window limit would answer with 429).

    Hand-written rather than pyrate-limiter because it must block with the injected ``sleep``
    (tests skip waiting) and stay a dozen lines; callers reserve a token and sleep outside the lock.
    """

    def __init__(
        self, rate: float, *, capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = max(rate, 1e-6)
        self.capacity = capacity if capacity is not None else 1.0
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting if none is left; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def set_rate(self, rate: float) -> None:
        """Pace at ``rate`` requests a second from now on (bursts stay as they were)."""
        with self._lock:
            self.rate = max(rate, 1e-6)
            self.tokens = min(self.tokens, self.capacity)


def _seconds(text: str | None, *, now: float) -> float | None:
    """Seconds from a Retry-After / reset header: a delta, an epoch time, or an HTTP date."""
    if not text:
        return None
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        # "-0000" dates come back naive; .timestamp() would read them as the server's local time.
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    # Large numbers are epoch times (GitHub-style X-RateLimit-Reset), small ones are deltas.
    return max(0.0, value - now) if value > 1_000_000_000 else max(0.0, value)


#: Seconds between requests at the slowest rate a server's announcement can set.
MIN_ANNOUNCED_GAP = 10.0
#: Requests leave at this share of the allowed rate: a server counting arrivals in a sliding
#: one-second window sees network and scheduling jitter, and at exactly its limit one late
#: request followed by an on-time one already makes a window one too many (429).
PACE_SHARE = 0.97


def _announced_rate(headers: httpx.Headers) -> float | None:
    """Requests a second from ``X-Rate-Limit-Limit`` / ``X-Rate-Limit-Interval`` (Crossref:
    ``50`` per ``1s``), or None when absent or unreadable."""
    limit, interval = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval")
    if limit is None or interval is None:
        return None
    match = _INTERVAL.match(interval)
    try:
        count = float(limit)
    except ValueError:
        return None
    if match is None or count <= 0:
        return None
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    return count / seconds if seconds > 0 else None


def _human(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"


class SourceClient:
    """One source's HTTP client. Thread-safe; shared by every lookup and poll of the source."""

    def __init__(
        self, name: str, client: httpx.Client, *, rate_per_second: float, concurrency: int,
        timeout: float, sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self._client = client
        self._sleep = sleep
        self._clock = clock
        #: The allowed rate; the bucket paces a little under it (PACE_SHARE).
        self._allowed = rate_per_second
        self._bucket = TokenBucket(rate_per_second * PACE_SHARE, sleep=sleep)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._lock = threading.Lock()
        #: Wall-clock time before which the quota is spent (from rate-limit headers).
        self._blocked_until = 0.0

    @property
    def rate_per_second(self) -> float:
        """The rate allowed now: the source's default until it announces its own."""
        return self._allowed

    # --- public ---
    def get(
        self, url: str, *, params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None, etag: str | None = None,
        last_modified: str | None = None, timeout: float | None = None,
    ) -> httpx.Response:
        """GET; returns 2xx, 304 and 404 responses and raises a SourceError for the rest."""
        hdrs = dict(headers or {})
        if etag:
            hdrs["If-None-Match"] = etag
        if last_modified:
            hdrs["If-Modified-Since"] = last_modified
        return self._request("GET", url, params=params, headers=hdrs, timeout=timeout)

    def get_json(
        self, url: str, *, params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> Any:
        """GET and decode JSON. Returns None for 404 ("nothing there") and 304; raises
        BadResponse for an HTML page or malformed/truncated JSON."""
        resp = self.get(url, params=params, headers=headers, timeout=timeout)
        if resp.status_code in (304, 404):
            return None
        return self.decode_json(resp)

    def post(
        self, url: str, *, json: Any = None, data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None, timeout: float | None = None,
    ) -> httpx.Response:
        return self._request(
            "POST", url, json=json, data=data, headers=dict(headers or {}), timeout=timeout
        )

    def open_stream(
        self, url: str, *, headers: Mapping[str, str] | None = None, read_timeout: float = 60.0,
    ) -> httpx.Response:
        """Open a long-lived GET (server-sent events): the response with its body unread, for
        the caller to iterate and to close (from any thread, to stop it). Not retried: a
        stream's own loop reconnects with back-off. Connecting waits the usual timeout; reading
        waits ``read_timeout`` seconds for the next bytes."""
        self._check_quota()
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        try:
            request = self._client.build_request("GET", url, headers=dict(headers or {}), timeout=timeout)
            resp = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise SourceTimeout(f"timed out after {self.timeout:g} s", source=self.name) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise SourceUnavailable(
                f"could not connect ({type(exc).__name__}: {exc})", source=self.name
            ) from exc
        status = resp.status_code
        if status < 400:
            return resp
        resp.close()
        if status == 429:
            wait = _seconds(resp.headers.get("retry-after"), now=self._clock())
            raise RateLimited("rate limited (HTTP 429)", source=self.name, retry_after=wait)
        if status in (401, 403):
            raise NotAuthorised(f"refused access (HTTP {status})", source=self.name)
        if status >= 500:
            raise SourceUnavailable(f"is unavailable (HTTP {status})", source=self.name)
        raise BadResponse(f"rejected the request (HTTP {status}): check its URL setting", source=self.name)

    def decode_json(self, resp: httpx.Response) -> Any:
        """The JSON body of a response, or BadResponse saying what came instead."""
        ctype = resp.headers.get("content-type", "").lower()
        head = resp.content[:200].lstrip().lower()
        if "html" not in ctype and ("xml" in ctype or head.startswith(b"<?xml")):
            # e.g. a mirror or an old endpoint answering in XML: the base URL is wrong.
            raise BadResponse(
                f"answered with XML instead of JSON (HTTP {resp.status_code}): check its URL setting",
                source=self.name,
            )
        if "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<")):
            raise BadResponse(
                f"answered with an HTML page instead of JSON (HTTP {resp.status_code})",
                source=self.name,
            )
        try:
            return jsonlib.loads(resp.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise BadResponse(
                f"answered with malformed or truncated JSON ({exc})", source=self.name
            ) from exc

    def close(self) -> None:
        self._client.close()

    # --- the pipeline ---
    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=0.5, max=8),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, waited_429=False, **kwargs)
        except _Transient as exc:
            raise exc.error from exc.__cause__
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _once(
        self, method: str, url: str, *, waited_429: bool, timeout: float | None, **kwargs: Any
    ) -> httpx.Response:
        self._check_quota()
        limit = timeout if timeout is not None else self.timeout
        try:
            with self._slots:
                # Paced after a slot is free, right before sending: paced first, requests
                # waiting for a slot would all leave together when slots free up.
                self._bucket.acquire()
                resp = self._client.request(method, url, timeout=limit, **kwargs)
        except httpx.TimeoutException as exc:
            # Not retried: a slow source would otherwise hold a lookup for several timeouts.
            raise SourceTimeout(f"timed out after {limit:g} s", source=self.name) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            err = SourceUnavailable(f"could not connect ({type(exc).__name__}: {exc})", source=self.name)
            raise _Transient(err) from exc
        self._note_quota(resp)
        status = resp.status_code
        if status == 429:
            wait = _seconds(resp.headers.get("retry-after"), now=self._clock())
            if not waited_429 and wait is not None and wait <= MAX_RETRY_AFTER_WAIT:
                self._sleep(wait)
                return self._once(method, url, waited_429=True, timeout=timeout, **kwargs)
            shown = f"; retry after {_human(wait)}" if wait is not None else ""
            raise RateLimited(f"rate limited (HTTP 429){shown}", source=self.name, retry_after=wait)
        if status in (401, 403):
            raise NotAuthorised(
                f"refused access (HTTP {status}): check its key or token", source=self.name
            )
        if status >= 500:
            raise _Transient(SourceUnavailable(f"is unavailable (HTTP {status})", source=self.name))
        if status >= 400 and status != 404:
            raise BadResponse(f"rejected the request (HTTP {status})", source=self.name)
        return resp

    def _check_quota(self) -> None:
        with self._lock:
            left = self._blocked_until - self._clock()
        if left > 0:
            raise RateLimited(
                f"rate limit used up; try again in {_human(round(left))}",
                source=self.name, retry_after=left,
            )

    def _note_quota(self, resp: httpx.Response) -> None:
        """Remember a spent quota so the next call stops before the server says 429, and keep
        the pace the server announces."""
        announced = _announced_rate(resp.headers)
        if announced is not None:
            # A garbled or hostile header must not park a poll for hours: one request per
            # MIN_ANNOUNCED_GAP seconds is the slowest pace taken from a server.
            announced = max(announced, 1 / MIN_ANNOUNCED_GAP)
            if announced != self._allowed:
                self._allowed = announced
                self._bucket.set_rate(announced * PACE_SHARE)
        now = self._clock()
        for remaining_name, reset_name, window in RATE_HEADERS:
            remaining = resp.headers.get(remaining_name)
            if remaining is None:
                continue
            try:
                spent = float(remaining) <= 0
            except ValueError:
                continue
            if spent:
                reset = _seconds(resp.headers.get(reset_name), now=now) if reset_name else None
                with self._lock:
                    self._blocked_until = max(self._blocked_until, now + (reset or window))


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
            inner = httpx.Client(
                transport=self.transport,
                timeout=self.config.timeout,
                headers={"User-Agent": self.config.user_agent},
                follow_redirects=True,
                # One connection per allowed concurrent request is all a source may use.
                limits=httpx.Limits(max_connections=source.request_slots() * 2),
            )
            made = SourceClient(
                source.name, inner, rate_per_second=source.request_rate(),
                concurrency=source.request_slots(), timeout=self.config.timeout, sleep=self.sleep,
            )
            self._clients[source.name] = made
            return made

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
