"""What every attention source is: its declaration, its errors and its configuration.

A source answers questions about an identifier (``lookup``) and, if it can, about a whole
web domain (``lookup_domain``). Each splits into ``fetch`` (I/O through the shared client from
``sources.http``) and a pure ``parse`` function tested on recorded responses.
"""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from core.models import Identifier, SourceResult

if TYPE_CHECKING:
    from sources.http import HttpFactory


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


class SourcesConfig(BaseModel):
    """Everything sources need from the settings; built by ``bot.settings``."""

    model_config = ConfigDict(frozen=True)

    user_agent: str = "attention-bot/0.1"
    contact_email: str | None = None
    timeout: float = 10.0
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

    def __init__(self, config: SourcesConfig, http: HttpFactory) -> None:
        self.config = config
        self.http = http

    def configured(self) -> bool:
        """False when credentials it needs are missing: "not configured", never an error."""
        return self.name not in self.config.disabled

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
