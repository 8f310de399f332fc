"""Does a link, post, status or feed entry really name an item, or lie under a watched domain?

Search APIs and feeds match loosely (Algolia splits URLs into words, full-text search finds
prefixes); these checks decide exactly, in one place for every source. An identifier counts when
one of a post's links is the item (``is_link_to``) or when its text carries the identifier in a
form people write: a bare or ``doi:`` DOI (also percent-encoded, as in
``info%3Adoi%2F10.1371%2F...``), ``hdl:``/hdl.handle.net Handles, ``arXiv:`` ids. A longer
identifier that only starts the same (``10.1/abcd`` for ``10.1/abc``) never matches.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Container, Iterable, Iterator
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from core.errors import InputError
from core.identifiers import identifier_url, normalise_url, parse_identifier
from core.models import Identifier

P = TypeVar("P")
#: A post's links and its text (plain or HTML), as each source finds them.
Parts = Callable[[P], tuple[Iterable[str | None], str | None]]

_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
_HANDLE_HOSTS = {"hdl.handle.net", "handle.net"}
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_BARE = re.compile(r"""https?://[^\s"'<>]+""", re.IGNORECASE)


# --- links ---
def _http_link(url: str | None) -> str | None:
    """``url`` trimmed, a protocol-relative ``//host/...`` made https; None unless http(s)."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    return url if url.lower().startswith(("http://", "https://")) else None


def clean_url(url: str | None) -> str | None:
    """A link in the stored form, or None when it is not an http(s) URL we can read."""
    link = _http_link(url)
    if link is None:
        return None
    try:
        return normalise_url(link)
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
    if own is not None and clean_url(raw) == clean_url(own):
        return True
    # Other links that carry it: the old PMC and PubMed hosts, a repository's /ark:/ path.
    return _carried(raw) == identifier


def _carried(url: str) -> Identifier | None:
    if not url.lower().startswith(("http://", "https://")):
        return None
    try:
        return parse_identifier(url)
    except InputError:
        return None


# --- domains ---
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


def under_domain(url: str, domain: str) -> bool:
    """True when ``url`` lies under ``domain`` (``host[:port][/path-prefix]``, any scheme);
    ``repo.edu/items`` covers ``/items`` and ``/items/1`` but not ``/itemsx``."""
    clean = clean_url(url)
    if clean is None:
        return False
    rest = clean.split("://", 1)[1].lower()
    target = bare_domain(domain).lower()
    if not rest.startswith(target):
        return False
    return rest[len(target) : len(target) + 1] in ("", "/", "?", "#")


# --- posts ---
def _pattern(text: str) -> re.Pattern[str]:
    # Not inside a longer token before; not continued by more identifier characters after
    # (10.1/abc must not match 10.1/abcd), though a sentence's full stop may follow.
    return re.compile(r"(?<![\w.])" + re.escape(text) + r"(?![\w/\-]|\.\w)", re.IGNORECASE)


def _forms(identifier: Identifier) -> list[str]:
    value = identifier.value
    match identifier.scheme:
        case "doi" | "pmcid":
            return [value]
        case "handle":
            return ["hdl:" + value, "hdl.handle.net/" + value]
        case "arxiv":
            return ["arxiv:" + value, "arxiv.org/abs/" + value]
    return []


def text_mentions(text: str | None, identifier: Identifier) -> bool:
    """True when plain text or HTML names the identifier (not for URLs: compare links)."""
    if not text:
        return False
    body = html.unescape(text)
    variants = {body, unquote(body)}
    return any(_pattern(form).search(v) for form in _forms(identifier) for v in variants)


#: Identifiers as people write them in a post's text: a DOI (bare, after ``doi:`` or in a
#: doi.org link), ``hdl:`` and hdl.handle.net Handles, ``arXiv:`` and arxiv.org ids, PMCIDs.
#: Each is taken whole (up to a space or a quote), so ``10.1/abcd`` never reads as ``10.1/abc``;
#: the parser then drops the sentence's punctuation around it.
_IN_TEXT = re.compile(
    r"(?<![\w.])(?:10\.\d+(?:\.\d+)*/[^\s\"'<>]+|hdl:[^\s\"'<>]+|hdl\.handle\.net/[^\s\"'<>]+"
    r"|arxiv:[^\s\"'<>]+|arxiv\.org/(?:abs|pdf)/[^\s\"'<>]+|pmc\d+(?!\w))",
    re.IGNORECASE,
)
#: In a link only the path names a DOI: a query or fragment ends it.
_DOI_IN_LINK = re.compile(r"(?<![\w.])10\.\d+(?:\.\d+)*/[^\s\"'<>?#&]+")
#: How a form found in text is handed to the parser.
_TYPED_AS = (("10.", "doi:"), ("hdl.handle.net/", "https://"), ("arxiv.org/", "https://"))


def _parsed(typed: str) -> Identifier | None:
    try:
        return parse_identifier(typed)
    except InputError:
        return None


_NAMING_STARTS = (
    "dx.doi.org/", "www.doi.org/", "doi.org/", "hdl.handle.net/", "handle.net/", "hdl:", "doi:",
)


def naming_prefix(token: str) -> str | None:
    """The registrant prefix (``10.5555``, ``2027``) of a DOI or Handle as written in a post
    (``10.5555/x``, ``hdl:2027/x``, ``hdl.handle.net/2027/x``, a doi.org link), lower-cased; None
    for other forms. The parser never changes it beyond case, so an identifier whose prefix no
    watched one has cannot be watched: a stream skips parsing it."""
    low = token.lower()
    for start in ("https://", "http://", "//"):
        if low.startswith(start):
            low = low[len(start):]
            break
    for start in _NAMING_STARTS:
        if low.startswith(start):
            low = low[len(start):]
            break
    else:
        if not low.startswith("10."):
            return None
    return unquote(low).lstrip("/").split("/", 1)[0]


def identifiers_in(text: str | None, *, prefixes: Container[str] | None = None) -> list[Identifier]:
    """The identifiers a piece of plain text names (also percent-encoded), normalised as the
    parser does: what a stream's post text is matched by. Links in it are for ``links_in``.
    With ``prefixes``, DOIs and Handles under other registrant prefixes are skipped unparsed."""
    if not text:
        return []
    bodies = [text, unquote(text)] if "%" in text else [text]
    found: dict[str, Identifier] = {}
    for body in bodies:
        for match in _IN_TEXT.finditer(body):
            token = match.group(0)
            if prefixes is not None:
                prefix = naming_prefix(token)
                if prefix is not None and prefix not in prefixes:
                    continue
            low = token[:16].lower()
            typed = next((p for start, p in _TYPED_AS if low.startswith(start)), "")
            ident = _parsed(typed + token)
            if ident is not None:
                found.setdefault(ident.key, ident)
    return list(found.values())


def identifier_of_link(url: str | None) -> Identifier | None:
    """The identifier a link is, normalised as the parser does (a doi.org link is its DOI,
    ``doi.org/10.1/a%2Fb`` too; another page is a URL item); None when it is no http(s) link."""
    link = _http_link(url)
    return _parsed(link) if link else None


def dois_in_link(url: str, *, prefixes: Container[str] | None = None) -> list[Identifier]:
    """DOIs a publisher's link carries whole in its path (``https://pub.org/doi/10.1/x``); with
    ``prefixes``, only those under these registrant prefixes."""
    if "10." not in url:
        return []
    path = unquote(url.split("://", 1)[-1])
    tokens = [m.group(0) for m in _DOI_IN_LINK.finditer(path)]
    if prefixes is not None:
        tokens = [t for t in tokens if t.split("/", 1)[0].lower() in prefixes]
    found = (_parsed("doi:" + t) for t in tokens)
    return [i for i in found if i is not None]


def _all_links(links: Iterable[str | None], text: str | None) -> list[str]:
    return [link for link in links if link] + links_in(text)


def mentions(identifier: Identifier, *, links: Iterable[str | None] = (), text: str | None = None) -> bool:
    """True when any link is the item, or the text names it (links inside the text count too)."""
    if any(is_link_to(link, identifier) for link in _all_links(links, text)):
        return True
    return text_mentions(text, identifier)


def links_under(domain: str, *, links: Iterable[str | None] = (), text: str | None = None) -> list[str]:
    """The distinct normalised links (from ``links`` and inside ``text``) lying under ``domain``."""
    out: list[str] = []
    for link in _all_links(links, text):
        clean = clean_url(html.unescape(link))
        if clean and clean not in out and under_domain(clean, domain):
            out.append(clean)
    return out


def posts_naming(posts: Iterable[P], identifier: Identifier, *, parts: Parts[P]) -> Iterator[P]:
    """The posts whose links or text really name ``identifier``."""
    for post in posts:
        links, text = parts(post)
        if mentions(identifier, links=links, text=text):
            yield post


def posts_linking_under(
    posts: Iterable[P], domain: str, *, parts: Parts[P]
) -> Iterator[tuple[P, Identifier]]:
    """Each post with each distinct link of it under ``domain``, as a URL identifier."""
    for post in posts:
        links, text = parts(post)
        for link in links_under(domain, links=links, text=text):
            yield post, Identifier(scheme="url", value=link)


def search_term(identifier: Identifier) -> str:
    """The text a full-text search should look for: the DOI, Handle or URL without its scheme."""
    if identifier.scheme == "url":
        return identifier.value.split("://", 1)[-1]
    if identifier.scheme == "arxiv":
        return "arXiv:" + identifier.value
    return identifier.value


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
