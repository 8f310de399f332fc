"""Web addresses as people paste them, and the one form an item's URL is keyed by.

* A string that starts with a host name (``example.org/page``, ``www.example.org``) is a URL
  without its scheme. A host name has a dot and ends in a top-level domain of the Public Suffix
  List (ICANN section, via ``publicsuffixlist``), or starts ``www.``; so ``10.1038/x``,
  ``2027/abc`` and ``1721.1/12345`` are not hosts.
* The canonical form: ``https``, host lower-cased without a final dot or a default port
  (80, 443), path without a trailing ``/`` (the root, or a path ending in punctuation, keeps
  one), query without tracking
  parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid``), no fragment. The same page
  reached over http and https, or shared with a campaign tag, is one item.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import SplitResult, unquote, urlunsplit

from publicsuffixlist import PublicSuffixList

from core import text

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = frozenset({80, 443})

_HEAD = re.compile(r"[/?#]")


@cache
def _suffixes() -> PublicSuffixList:
    # The list ships with the package (updated with each release): no download at run time.
    return PublicSuffixList(only_icann=True, accept_unknown=False)


def is_tld(label: str) -> bool:
    """True when ``label`` is a top-level domain (``org``, ``de``, ``xn--p1ai``)."""
    return bool(label) and not label.isdigit() and _suffixes().is_public(label.lower())


def _label_ok(label: str) -> bool:
    return 0 < len(label) <= 63 and all(ch.isalnum() or ch in "-_" for ch in label)


def starts_with_host(text: str) -> bool:
    """True when ``text`` begins with ``host[:port]`` followed by the end, ``/``, ``?`` or ``#``."""
    head = _HEAD.split(text, maxsplit=1)[0]
    host, colon, port = head.partition(":")
    if colon and not (port.isdigit() and 0 < int(port) < 65536):
        return False
    labels = host.lower().removesuffix(".").split(".")
    if len(labels) < 2 or not all(_label_ok(label) for label in labels):
        return False
    return labels[0] == "www" or is_tld(labels[-1])


def is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _query(query: str) -> str:
    """The query without tracking parameters; the rest kept as written, in order."""
    if not query:
        return ""
    kept = [p for p in query.split("&") if p and not is_tracking(unquote(p.split("=", 1)[0]))]
    return "&".join(kept)


def canonical(parts: SplitResult) -> str:
    """The canonical form of an already checked http(s) URL (see the module's notes)."""
    host = (parts.hostname or "").lower().removesuffix(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port in DEFAULT_PORTS else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if not path or text.unwrap(path) != path:
        # The root; or a path ending in punctuation (``/a./``), where the slash keeps the
        # address from reading like the end of a sentence when it is typed again.
        path += "/"
    return urlunsplit(("https", netloc, path, _query(parts.query), ""))
