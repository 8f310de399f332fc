"""Does a post, status or feed entry really mention an item? Shared by feeds and social sources.

Search APIs and feeds give text and links; these checks decide exactly. An identifier counts
when one of the post's links is the item (``sources.linking.is_link_to``) or when its text carries
the identifier in a form people write: a bare or ``doi:`` DOI (also percent-encoded, as in
``info%3Adoi%2F10.1371%2F...``), ``hdl:``/hdl.handle.net Handles, ``arXiv:`` ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import unquote

from selectolax.lexbor import LexborHTMLParser

from core.models import Identifier
from sources.linking import clean_url, is_link_to, links_in, under_domain


def _pattern(text: str) -> re.Pattern[str]:
    # Not inside a longer token before; not continued by more identifier characters after
    # (10.1/abc must not match 10.1/abcd), though a sentence's full stop may follow.
    return re.compile(r"(?<![\w.])" + re.escape(text) + r"(?![\w/\-]|\.\w)", re.IGNORECASE)


def _forms(identifier: Identifier) -> list[str]:
    value = identifier.value
    match identifier.scheme:
        case "doi":
            return [value]
        case "handle":
            return ["hdl:" + value, "hdl.handle.net/" + value]
        case "arxiv":
            return ["arxiv:" + value, "arxiv.org/abs/" + value]
        case "pmcid":
            return [value]
    return []


def text_mentions(text: str | None, identifier: Identifier) -> bool:
    """True when plain text or HTML names the identifier (not for URLs: compare links)."""
    if not text:
        return False
    body = html.unescape(text)
    variants = {body, unquote(body)}
    return any(_pattern(form).search(v) for form in _forms(identifier) for v in variants)


def mentions(identifier: Identifier, *, links: Iterable[str | None] = (), text: str | None = None) -> bool:
    """True when any link is the item, or the text names it (links inside the text count too)."""
    found = [link for link in links if link] + links_in(text)
    if any(is_link_to(link, identifier) for link in found):
        return True
    return text_mentions(text, identifier)


def links_under(domain: str, *, links: Iterable[str | None] = (), text: str | None = None) -> list[str]:
    """The distinct normalised links (from ``links`` and inside ``text``) lying under ``domain``."""
    found = [link for link in links if link] + links_in(text)
    out: list[str] = []
    for link in found:
        clean = clean_url(html.unescape(link))
        if clean and clean not in out and under_domain(clean, domain):
            out.append(clean)
    return out


def bare_domain(domain: str) -> str:
    """``https://Repo.edu/items/`` -> ``repo.edu/items``: the form domains are compared in."""
    text = domain.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    host, sep, path = text.partition("/")
    return (host.lower() + sep + path).rstrip("/")


def host_of(domain: str) -> str:
    """The host (without port or path) of a watched domain, for APIs that take a hostname."""
    return bare_domain(domain).split("/", 1)[0].split(":", 1)[0]


def snippet(text: str | None, *, limit: int = 200) -> str | None:
    """Readable text of an HTML or plain fragment, cut to ``limit`` characters for a title."""
    if not text:
        return None
    if "<" in text:
        # Block ends and line breaks become spaces; inline tags (mentions, links) join up.
        spaced = text.replace("</p>", "</p> ").replace("<br", " <br")
        plain = LexborHTMLParser(f"<div>{spaced}</div>").text(separator="")
    else:
        plain = text
    plain = " ".join(html.unescape(plain).split())
    if not plain:
        return None
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
