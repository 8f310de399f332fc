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
* bounds every request (sources.transport): one deadline for the whole exchange, a body cap
  after decompression, redirects followed hop by hop and never off their origin when the
  request carries credentials, and no retry that would not fit in the question's step,
* turns every failure into a named :class:`SourceError` carrying the source's name.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base

from sources.errors import BadResponse, NotAuthorised, RateLimited, SourceTimeout, SourceUnavailable
from sources.pacing import (
    MIN_ANNOUNCED_GAP,
    PACE_SHARE,
    TokenBucket,
    announced_rate,
    header_seconds,
    human_seconds,
)
from sources.transport import (
    BadEncoding,
    BodyTooLarge,
    RedirectRefused,
    Step,
    carries_credentials,
    current_step,
    deadline,
    exchange,
    human_bytes,
)

#: Attempts for connection errors and 5xx before giving up.
ATTEMPTS = 3
#: Redirects followed, one hop at a time, before giving up.
MAX_REDIRECTS = 5
#: A 429 whose Retry-After is at most this many seconds is waited out once.
MAX_RETRY_AFTER_WAIT = 5.0
#: (remaining header, reset header or None, window in seconds when there is no reset header)
RATE_HEADERS = (
    ("x-ratelimit-remaining", "x-ratelimit-reset", 60.0),
    ("x-hourlyratelimit-remaining", None, 3600.0),
    ("x-dailyratelimit-remaining", None, 86400.0),
)


class _Transient(Exception):
    """A failure worth retrying (connection error or 5xx); unwrapped after the last attempt."""

    def __init__(self, error: SourceUnavailable) -> None:
        super().__init__(str(error))
        self.error = error


class _step_spent(stop_base):  # noqa: N801 - tenacity's naming
    """Stop when the wait before the next attempt would not leave any of the step."""

    def __init__(self, step: Step | None) -> None:
        self.step = step

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.step is not None and retry_state.upcoming_sleep >= self.step.left()


class SourceClient:
    """One source's HTTP client. Thread-safe; shared by every lookup and poll of the source."""

    def __init__(
        self, name: str, client: httpx.Client, *, rate_per_second: float, concurrency: int,
        timeout: float, sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time, max_bytes: int = 20_000_000,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.timeout = timeout
        #: Largest body read, after decompression.
        self.max_bytes = max_bytes
        #: Configured keys, tokens and passwords: a request carrying one stays on its origin.
        self._secrets = tuple(s for s in secrets if s)
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
        #: Requests sent and HTTP 429s received since the start (for /metrics).
        self.requests_sent = 0
        self.rate_limited = 0

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
            request = self._client.build_request(
                "GET", url, headers=dict(headers or {}), timeout=timeout
            )
            resp = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise SourceTimeout(f"timed out after {self.timeout:g} s", source=self.name) from exc
        except (httpx.TransportError, httpx.InvalidURL, ValueError) as exc:
            raise SourceUnavailable(
                f"could not connect ({type(exc).__name__}: {exc})", source=self.name
            ) from exc
        status = resp.status_code
        if status < 300:
            return resp
        resp.close()
        if status < 400:
            where = resp.headers.get("location", "?")[:200]
            why = f"redirected (HTTP {status}) to {where}: check its URL setting"
            raise BadResponse(why, source=self.name)
        if status == 429:
            wait = header_seconds(resp.headers.get("retry-after"), now=self._clock())
            raise RateLimited("rate limited (HTTP 429)", source=self.name, retry_after=wait)
        if status in (401, 403):
            raise NotAuthorised(f"refused access (HTTP {status})", source=self.name)
        if status >= 500:
            raise SourceUnavailable(f"is unavailable (HTTP {status})", source=self.name)
        why = f"rejected the request (HTTP {status}): check its URL setting"
        raise BadResponse(why, source=self.name)

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
        step = current_step()
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            # Three attempts, and none that would not fit in what is left of the step.
            stop=stop_after_attempt(ATTEMPTS) | _step_spent(step),
            wait=wait_exponential(multiplier=0.5, max=8),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, waited_429=False, step=step, **kwargs)
        except _Transient as exc:
            raise exc.error from exc.__cause__
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _build(self, method: str, url: str, timeout: float, **kwargs: Any) -> httpx.Request:
        try:
            return self._client.build_request(method, url, timeout=timeout, **kwargs)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            # Not worth retrying: the same URL is refused the same way every time.
            raise BadResponse(f"cannot be asked at that address ({exc}): check its URL setting",
                              source=self.name) from exc

    def _once(
        self, method: str, url: str, *, waited_429: bool, timeout: float | None, step: Step | None,
        **kwargs: Any,
    ) -> httpx.Response:
        self._check_quota()
        limit = timeout if timeout is not None else self.timeout
        if step is not None:
            left = step.left()
            if left <= 0:
                spent = f"gave up: this question's {step.seconds:g} s were spent"
                raise SourceTimeout(spent, source=self.name)
            limit = min(limit, left)
        request = self._build(method, url, limit, **kwargs)
        try:
            with self._slot(step):
                # Paced after a slot is free, right before sending: paced first, requests
                # waiting for a slot would all leave together when slots free up.
                with _paused(step):
                    self._bucket.acquire()
                with self._lock:
                    self.requests_sent += 1
                with deadline(limit):
                    resp = self._exchange(request)
        except httpx.TimeoutException as exc:
            # Not retried: a slow source would otherwise hold a lookup for several timeouts.
            raise SourceTimeout(f"timed out after {round(limit, 1):g} s", source=self.name) from exc
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
            # httpx reads a redirect's Location even when not following it: a broken one is
            # the same on every try, so it is the answer's fault, not the connection's.
            if isinstance(exc, httpx.InvalidURL) or "location header" in str(exc).lower():
                why = f"redirected to an unusable address ({exc})"
                raise BadResponse(why, source=self.name) from exc
            why = f"could not connect ({type(exc).__name__}: {exc})"
            raise _Transient(SourceUnavailable(why, source=self.name)) from exc
        except httpx.TransportError as exc:
            err = SourceUnavailable(f"could not connect ({type(exc).__name__}: {exc})", source=self.name)
            raise _Transient(err) from exc
        self._note_quota(resp)
        status = resp.status_code
        if status == 429:
            with self._lock:
                self.rate_limited += 1
            wait = header_seconds(resp.headers.get("retry-after"), now=self._clock())
            fits = step is None or (wait is not None and wait < step.left())
            if not waited_429 and wait is not None and wait <= MAX_RETRY_AFTER_WAIT and fits:
                self._sleep(wait)
                return self._once(
                    method, url, waited_429=True, timeout=timeout, step=step, **kwargs
                )
            shown = f"; retry after {human_seconds(wait)}" if wait is not None else ""
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

    @contextmanager
    def _slot(self, step: Step | None) -> Iterator[None]:
        """One of the source's slots for requests in flight; waiting for it is not the step's."""
        with _paused(step):
            self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        try:
            return exchange(
                self._client, request, max_bytes=self.max_bytes, max_redirects=MAX_REDIRECTS,
                secret=carries_credentials(request, self._secrets),
            )
        except BodyTooLarge as exc:
            raise BadResponse(
                f"answered with more than {human_bytes(exc.limit)} "
                "(ATTENTION_HTTP_MAX_BYTES): not read",
                source=self.name,
            ) from exc
        except (BadEncoding, RedirectRefused) as exc:
            raise BadResponse(str(exc), source=self.name) from exc

    def _check_quota(self) -> None:
        with self._lock:
            left = self._blocked_until - self._clock()
        if left > 0:
            raise RateLimited(
                f"rate limit used up; try again in {human_seconds(round(left))}",
                source=self.name, retry_after=left,
            )

    def _note_quota(self, resp: httpx.Response) -> None:
        """Remember a spent quota so the next call stops before the server says 429, and keep
        the pace the server announces."""
        announced = announced_rate(resp.headers)
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
                reset = header_seconds(resp.headers.get(reset_name), now=now) if reset_name else None
                with self._lock:
                    self._blocked_until = max(self._blocked_until, now + (reset or window))


@contextmanager
def _paused(step: Step | None) -> Iterator[None]:
    if step is None:
        yield
    else:
        with step.pause():
            yield
