"""Deciding whether a link found in a post really is an item, or lies under a watched domain.

Search APIs match loosely (Algolia splits URLs into words); these checks are exact.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from core.errors import InputError
from core.identifiers import identifier_url, normalise_url
from core.models import Identifier

_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
_HANDLE_HOSTS = {"hdl.handle.net", "handle.net"}
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_BARE = re.compile(r"""https?://[^\s"'<>]+""", re.IGNORECASE)


def clean_url(url: str | None) -> str | None:
    """A link in the stored form, or None when it is not an http(s) URL we can read."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    if not url.lower().startswith(("http://", "https://")):
        return None
    try:
        return normalise_url(url)
    except InputError:
        return None


def links_in(text: str | None) -> list[str]:
    """Every http(s) link in a piece of HTML or plain text (hrefs first, then bare URLs)."""
    if not text:
        return []
    body = html.unescape(text)
    found = _HREF.findall(body) + [u.rstrip(".,;:)]") for u in _BARE.findall(body)]
    return list(dict.fromkeys(found))


def is_link_to(url: str | None, identifier: Identifier) -> bool:
    """True when ``url`` points at exactly this item: its resolver URL (doi.org, hdl.handle.net),
    a URL ending in the whole DOI (``.../article?id=10.1/x``), or the same URL for URL items."""
    if not url:
        return False
    raw = html.unescape(url).strip()
    if identifier.scheme == "url":
        return clean_url(raw) == identifier.value
    try:
        parts = urlsplit(raw if "://" in raw else "https://" + raw)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).strip("/")
    value = identifier.value.lower()
    if identifier.scheme == "doi":
        if host in _DOI_HOSTS:
            return path.lower() == value
        # Publisher links carry the DOI whole at the end of the path or as a query value.
        tail = unquote(raw).lower().rstrip("/")
        return tail.endswith(("/" + value, "=" + value))
    if identifier.scheme == "handle":
        return host in _HANDLE_HOSTS and path.lower() == value
    own = identifier_url(identifier)
    return own is not None and clean_url(raw) == clean_url(own)


def under_domain(url: str, domain: str) -> bool:
    """True when ``url`` lies under ``domain`` (``host[:port][/path-prefix]``, any scheme)."""
    clean = clean_url(url)
    if clean is None:
        return False
    rest = clean.split("://", 1)[1]
    target = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not rest.lower().startswith(target):
        return False
    after = rest[len(target) : len(target) + 1]
    return after in ("", "/", "?", "#")


def search_term(identifier: Identifier) -> str:
    """The text a full-text search should look for: the DOI, Handle or URL without its scheme."""
    if identifier.scheme == "url":
        return identifier.value.split("://", 1)[-1]
    if identifier.scheme == "arxiv":
        return "arXiv:" + identifier.value
    return identifier.value


def from_epoch(seconds: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(seconds), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_iso(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
