"""What every attention source is: its declaration, its errors and its configuration.

A source answers questions about an identifier (``lookup``) and, if it can, about a whole
web domain (``lookup_domain``). Each splits into ``fetch`` (I/O through the shared client from
``sources.http``) and a pure ``parse`` function tested on recorded responses.
"""

from __future__ import annotations

import functools
import threading
import time
from abc import ABC
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from core.errors import InputError
from core.models import Identifier, SourceResult

if TYPE_CHECKING:
    from sources.http import HttpFactory

T = TypeVar("T")
P = ParamSpec("P")


class SourceError(Exception):
    """A source could not answer. The message is shown to users as is."""

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class RateLimited(SourceError):
    """429, or the source's rate-limit headers say the quota is spent."""

    def __init__(self, message: str, *, source: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, source=source)
        self.retry_after = retry_after


class SourceUnavailable(SourceError):
    """5xx, maintenance, connection refused or reset."""


class SourceTimeout(SourceUnavailable):
    """No answer within the time allowed."""


class BadResponse(SourceError):
    """An answer that is not what the API documents: malformed JSON, an HTML error page served
    with 200, MediaWiki's error envelope, a missing field the parser needs."""


class NotAuthorised(SourceError):
    """401/403: the key or token is wrong or lacks access."""


def json_object(data: Any, *, source: str) -> dict[str, Any]:
    """``data`` when it is a JSON object; otherwise the BadResponse every parser raises."""
    if not isinstance(data, dict):
        raise BadResponse("answered with something other than a JSON object", source=source)
    return data


def shape_checked(source: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Make a parser raise BadResponse, not AttributeError/TypeError/KeyError..., when a field
    arrives in another shape than documented (a string where an object was, a lone object where
    a list was): users then see which source misbehaved instead of a bare crash."""

    def wrap(parse: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(parse)
        def checked(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return parse(*args, **kwargs)
            except InputError:
                raise  # about what the caller passed in, not about the answer
            except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
                first = (str(exc).splitlines() or [""])[0][:120]
                raise BadResponse(
                    f"answered in an unexpected shape ({type(exc).__name__}: {first})",
                    source=source,
                ) from exc

        return checked

    return wrap


def from_epoch(seconds: object) -> datetime | None:
    """A UTC time from Unix seconds (int, float or numeric string), or None when unreadable."""
    try:
        return datetime.fromtimestamp(float(seconds), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_iso(text: object) -> datetime | None:
    """A time from ISO 8601 text (``Z`` allowed; naive means UTC), or None when unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class TokenCache:
    """An access token kept until ``margin`` seconds before it expires, renewed by one login at a
    time: login endpoints (Bluesky's createSession, Reddit's access_token) are tightly limited."""

    def __init__(
        self, login: Callable[[], tuple[str, float]], *, clock: Callable[[], float] = time.time,
        margin: float = 60.0,
    ) -> None:
        #: Logs in and gives (token, the clock time it expires at).
        self.login = login
        self.clock = clock
        self.margin = margin
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self, *, renew: bool = False) -> str:
        """The cached token, or a new one when it is stale or ``renew`` is asked."""
        with self._lock:
            if not renew and self._token and self.clock() < self._expires - self.margin:
                return self._token
            self._token, self._expires = self.login()
            return self._token

    def call(self, request: Callable[[str], T]) -> T:
        """``request(token)``; when refused, once more with a new token (revoked or expired early)."""
        token = self.get()  # a refused login is final: trying again would spend the login limit
        try:
            return request(token)
        except NotAuthorised:
            return request(self.get(renew=True))


class SourcesConfig(BaseModel):
    """Everything sources need from the settings; built by ``bot.settings``."""

    model_config = ConfigDict(frozen=True)

    user_agent: str = "attention-bot/0.1"
    contact_email: str | None = None
    timeout: float = 10.0
    #: Largest response body read from a source, after decompression.
    max_bytes: int = 20_000_000
    #: Base URL per source name (``wikipedia`` -> ``https://{lang}.wikipedia.org/w/api.php``).
    urls: dict[str, str] = Field(default_factory=dict)
    wikipedia_langs: tuple[str, ...] = ("en", "de", "fr", "es", "ja")
    feeds: tuple[str, ...] = ()
    mastodon_servers: tuple[str, ...] = ("https://mastodon.social",)
    mastodon_token: str | None = None
    altmetric_api_key: str | None = None
    openalex_api_key: str | None = None
    bluesky_handle: str | None = None
    bluesky_app_password: str | None = None
    reddit_client_id: str | None = None
    reddit_client_secret: str | None = None
    reddit_username: str | None = None
    #: Source names switched off by the operator.
    disabled: tuple[str, ...] = ()
    #: Hosts the link resolver may fetch even when they resolve to private addresses.
    allow_hosts: tuple[str, ...] = ()
    #: Requests a second, and requests in flight at once, per source name: the operator's
    #: overrides of a source's declared ``rate_per_second`` and ``concurrency``.
    rates: dict[str, float] = Field(default_factory=dict)
    concurrency: dict[str, int] = Field(default_factory=dict)

    def secrets(self) -> tuple[str, ...]:
        """The keys, tokens and passwords set: requests carrying one never leave their origin."""
        values = (self.mastodon_token, self.altmetric_api_key, self.openalex_api_key,
                  self.bluesky_app_password, self.reddit_client_secret)
        return tuple(v for v in values if v)


class Source(ABC):  # noqa: B024 - a declaration base; subclasses override what they support
    """Base of every source. Subclasses set the class variables and override what they can do."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: Identifier schemes this source can be asked about.
    schemes: ClassVar[frozenset[str]] = frozenset()
    #: True when it can be asked "who links to this web domain" in one call.
    by_domain: ClassVar[bool] = False
    #: Default kind of the mentions it finds (see core.models.MENTION_KINDS).
    kind: ClassVar[str] = "other"
    default_interval_minutes: ClassVar[int] = 360
    #: Requests per second allowed, and requests in flight at once.
    rate_per_second: ClassVar[float] = 1.0
    concurrency: ClassVar[int] = 2
    needs_credentials: ClassVar[bool] = False
    #: What an operator sets to switch the source on, naming the settings' variables
    #: (shown by the `sources` command while it is not configured).
    setup_hint: ClassVar[str] = ""

    def __init__(self, config: SourcesConfig, http: HttpFactory) -> None:
        self.config = config
        self.http = http

    def configured(self) -> bool:
        """False when credentials it needs are missing: "not configured", never an error."""
        return self.name not in self.config.disabled

    def not_ready(self) -> str | None:
        """Why this source will not be asked, and how to change that; None when it will be."""
        if self.name in self.config.disabled:
            return "switched off (remove it from ATTENTION_DISABLED_SOURCES)"
        if not self.configured():
            return "not configured - " + (self.setup_hint or "its credentials are not set")
        return None

    def request_rate(self) -> float:
        """Requests a second it may send: the operator's override, else its declared rate."""
        return float(self.config.rates.get(self.name, self.rate_per_second))

    def request_slots(self) -> int:
        """Requests it may have in flight at once: the operator's override, else its own."""
        return max(1, int(self.config.concurrency.get(self.name, self.concurrency)))

    def base_url(self, default: str) -> str:
        return self.config.urls.get(self.name, default).rstrip("/")

    def can_answer(self, identifier: Identifier) -> bool:
        return identifier.scheme in self.schemes

    def lookup(self, identifier: Identifier) -> SourceResult:
        """Mentions and counts for one identifier. Raises SourceError subclasses."""
        raise NotImplementedError(f"{self.label} cannot be asked about identifiers")

    def lookup_domain(self, domain: str) -> SourceResult:
        """Mentions that link anywhere under ``domain`` (host[:port][/path-prefix])."""
        raise NotImplementedError(f"{self.label} cannot be asked about web domains")


class LoggedInSource(Source):
    """A source that logs in for a short-lived access token (``_login``), kept by a TokenCache
    until ``renew_margin`` seconds before it expires."""

    renew_margin: ClassVar[float] = 60.0

    def __init__(
        self, config: SourcesConfig, http: HttpFactory, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(config, http)
        self._clock = clock
        self._tokens = TokenCache(self._login, clock=clock, margin=self.renew_margin)

    def _login(self) -> tuple[str, float]:
        """Log in; gives (token, the clock time it expires at)."""
        raise NotImplementedError


def lookup_doi_record(
    source: Source, identifier: Identifier, *, default_url: str, path: str,
    parse: Callable[..., SourceResult],
) -> SourceResult:
    """Ask a DOI registration agency for ``{base}/{path}/{doi}`` (with the polite-pool
    ``mailto``) and ``parse(data, api_url=...)`` the record. A 404 is an empty answer, not an
    error: another agency registered the DOI."""
    url = f"{source.base_url(default_url)}/{path}/{quote(identifier.value, safe='/')}"
    email = source.config.contact_email
    data = source.http.client(source).get_json(url, params={"mailto": email} if email else None)
    if data is None:
        return SourceResult(source=source.name)
    return parse(data, api_url=str(httpx.URL(url)))
