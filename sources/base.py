"""What every attention source is: its declaration, and the helpers its parsers share.

A source answers questions about an identifier (``lookup``) and, if it can, about a whole
web domain (``lookup_domain``). Each splits into ``fetch`` (I/O through the shared client from
``sources.http``) and a pure ``parse`` function tested on recorded responses.
"""

from __future__ import annotations

import functools
import threading
import time
from abc import ABC
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, ParamSpec, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from core.errors import InputError
from core.models import Identifier, SourceResult, WorkPage
from sources.config import SourcesConfig, SourceSettings, is_set, variable
from sources.errors import BadResponse, NotAuthorised

if TYPE_CHECKING:
    from sources.factory import HttpFactory

T = TypeVar("T")
P = ParamSpec("P")


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


class Source(ABC):  # noqa: B024 - a declaration base; subclasses override what they support
    """Base of every source. A source declares what it is and what it needs as class variables
    and a ``Settings`` class; ``sources.REGISTRY`` lists it; nothing else is needed for it to be
    configured from the environment, shown by `sources`, asked by `lookup` and polled."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: Identifier schemes this source can be asked about.
    schemes: ClassVar[frozenset[str]] = frozenset()
    #: True when it can be asked "who links to this web domain" in one call.
    by_domain: ClassVar[bool] = False
    #: Default kind of the mentions it finds (see core.models.MENTION_KINDS) ...
    kind: ClassVar[str] = "other"
    #: ... and every kind it can report (feeds report blog or news).
    kinds: ClassVar[frozenset[str]] = frozenset()
    #: How the counts it gives for an item's aliases make the item's count: ``max`` when every
    #: alias is asked about the same work, ``sum`` when the source keeps each alias's attention
    #: apart (Altmetric: a DOI's and a Handle's).
    alias_counts: ClassVar[Literal["max", "sum"]] = "max"
    default_interval_minutes: ClassVar[int] = 360
    #: Requests per second allowed, and requests in flight at once.
    rate_per_second: ClassVar[float] = 1.0
    concurrency: ClassVar[int] = 2
    #: Its own settings: base URL, keys, lists (see sources.config).
    Settings: ClassVar[type[SourceSettings]] = SourceSettings
    #: Lists it can give with ``list_works``: ``prefix``, ``orcid``, ``ror`` (the works of a
    #: set, with their counts) and ``dois`` (up to ``batch_size`` given DOIs in one request).
    #: A poll of a source that lists by ``prefix`` or ``dois`` sweeps watched DOIs in batches
    #: (handlers.polling.sweep) instead of asking one work at a time.
    lists: ClassVar[frozenset[str]] = frozenset()
    #: Works one page of a list holds at most.
    page_size: ClassVar[int] = 0
    #: DOIs one ``dois`` request may name (the API's limit on OR-ed values).
    batch_size: ClassVar[int] = 0
    #: Asked about a work one by one when a sweep saw its count rise, for what a list leaves
    #: out (Europe PMC's citing works).
    asks_again_on_rise: ClassVar[bool] = False
    #: Settings (field names of ``Settings``) that must be set before it is asked.
    needs: ClassVar[tuple[str, ...]] = ()
    #: Said after "set X and Y" while it is not configured (where to get a key ...).
    setup_note: ClassVar[str] = ""

    def __init__(self, config: SourcesConfig, http: HttpFactory) -> None:
        self.config = config
        self.http = http

    @functools.cached_property
    def settings(self) -> Any:
        """Its own settings (an instance of its ``Settings``)."""
        return self.config.settings_for(self.name, self.Settings)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field name -> the environment variable it is read from."""
        return {f: variable(cls.name, f, info) for f, info in cls.Settings.model_fields.items()}

    @classmethod
    def reported_kinds(cls) -> frozenset[str]:
        return cls.kinds | {cls.kind}

    @classmethod
    def setup_hint(cls) -> str:
        """What an operator sets to switch it on (shown by `sources` while it is off)."""
        names = [cls.variables()[f] for f in cls.needs]
        hint = "set " + " and ".join(names) if names else ""
        return f"{hint} {cls.setup_note}".strip()

    def configured(self) -> bool:
        """False when settings it needs are missing: "not configured", never an error."""
        if self.name in self.config.disabled:
            return False
        return all(is_set(getattr(self.settings, f)) for f in self.needs)

    def not_ready(self) -> str | None:
        """Why this source will not be asked, and how to change that; None when it will be."""
        if self.name in self.config.disabled:
            return "switched off (remove it from ATTENTION_DISABLED_SOURCES)"
        if not self.configured():
            return "not configured - " + (self.setup_hint() or "its settings are not set")
        return None

    def secret(self, field: str) -> str | None:
        """A secret setting's value, for the one request that needs it; None when unset."""
        value = getattr(self.settings, field)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return text or None

    def secret_values(self) -> tuple[str, ...]:
        """Its keys, tokens and passwords that are set (found by type): a request carrying one
        never follows a redirect off its origin."""
        values = (v for v in self.settings.__dict__.values() if isinstance(v, SecretStr))
        return tuple(text for text in (v.get_secret_value() for v in values) if text)

    def request_rate(self) -> float:
        """Requests a second it may send: the operator's override, else its declared rate."""
        return float(self.config.rates.get(self.name, self.rate_per_second))

    def request_slots(self) -> int:
        """Requests it may have in flight at once: the operator's override, else its own."""
        return max(1, int(self.config.concurrency.get(self.name, self.concurrency)))

    def base_url(self) -> str:
        """Its API's base URL: the ``url`` setting it declares."""
        return str(self.settings.url).rstrip("/")

    def can_answer(self, identifier: Identifier) -> bool:
        return identifier.scheme in self.schemes

    def lookup(self, identifier: Identifier) -> SourceResult:
        """Mentions and counts for one identifier. Raises SourceError subclasses."""
        raise NotImplementedError(f"{self.label} cannot be asked about identifiers")

    def lookup_domain(self, domain: str) -> SourceResult:
        """Mentions that link anywhere under ``domain`` (host[:port][/path-prefix])."""
        raise NotImplementedError(f"{self.label} cannot be asked about web domains")

    def list_works(
        self, kind: str, value: str | Sequence[str], *, cursor: str | None = None
    ) -> WorkPage:
        """One page of the works of a set (``kind`` prefix, orcid or ror; ``value`` its id) or
        of the DOIs in ``value`` (``kind`` dois), starting at ``cursor`` (None: the first)."""
        raise NotImplementedError(f"{self.label} cannot list works")

    def requests_per_lookup(self) -> int:
        """Requests one ``lookup`` sends (one per language wiki, per server ...): how long a
        full round of the watched works takes at its rate."""
        return 1


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
    source: Source, identifier: Identifier, *, path: str, parse: Callable[..., SourceResult],
) -> SourceResult:
    """Ask a DOI registration agency for ``{base}/{path}/{doi}`` (with the polite-pool
    ``mailto``) and ``parse(data, api_url=...)`` the record. A 404 is an empty answer, not an
    error: another agency registered the DOI."""
    url = f"{source.base_url()}/{path}/{quote(identifier.value, safe='/')}"
    email = source.config.contact_email
    data = source.http.client(source).get_json(url, params={"mailto": email} if email else None)
    if data is None:
        return SourceResult(source=source.name)
    return parse(data, api_url=str(httpx.URL(url)))
