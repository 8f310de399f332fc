"""The named failures of a source. Every foreign error (httpx, JSON, a parser meeting an odd
shape) is turned into one of these, with ``raise ... from exc``, carrying the source's name."""

from __future__ import annotations


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
