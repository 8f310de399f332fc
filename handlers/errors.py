"""How a source's failure is told to people: short and plain ("could not reach
api.crossref.org"), never an exception's class name or a library's wording. The details go to
the log where the failure happens (handlers.polling.asking).

Sources word their errors themselves (sources.errors); this only takes out what is for
developers, so it keeps working whatever a source says.
"""

from __future__ import annotations

import re

from sources.errors import SourceError, SourceTimeout, SourceUnavailable

#: Longest failure shown in `status`, `sources`, `lookup` and the poll report.
MAX_CHARS = 160
UNEXPECTED = "failed unexpectedly; the bot's log has the details"
# A parenthesis holding a Python exception's name or an OS error number: details for the log.
_TECHNICAL = re.compile(
    r"\s*\((?:[^()]*\b(?:[A-Z]\w*(?:Error|Exception|Warning)|Errno|Traceback|line \d+ column \d+)\b"
    r"(?:[^()]|\([^()]*\))*)\)"
)


def _host(exc: BaseException | None) -> str | None:
    """The host a failed request went to, from the HTTP library's error (without importing it)."""
    seen = 0
    while exc is not None and seen < 5:
        try:
            host = exc.request.url.host  # type: ignore[attr-defined]
        except Exception:  # not a request error, or one that never got its request
            host = None
        if host:
            return str(host)
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def plain(exc: BaseException) -> str:
    """What went wrong, as people should read it."""
    if not isinstance(exc, SourceError):
        return UNEXPECTED
    cause = exc.__cause__
    unreachable = isinstance(exc, SourceUnavailable) and not isinstance(exc, SourceTimeout)
    if unreachable and cause is not None:
        # A connection that failed (DNS, refused, reset): the server's answer has no response.
        host = _host(cause)
        if host and getattr(cause, "response", None) is None:
            return f"could not reach {host}"
    return plain_text(str(exc))


def plain_text(text: str) -> str:
    """An error message without its developer details, cut to :data:`MAX_CHARS`."""
    text = _TECHNICAL.sub("", text).strip() or "failed"
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"
