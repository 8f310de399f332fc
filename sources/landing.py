"""Reading a landing page's head: which persistent identifiers it declares, and with which tags.

Pure: HTML in, :class:`LandingPage` out. Parsed with selectolax (lexbor), never with regular
expressions. Identifiers come in the order a resolver should trust them:

1. Highwire Press ``citation_*`` (``citation_doi``, ``citation_pmid``, ``citation_arxiv_id``,
   ``citation_isbn``, ``citation_abstract_html_url``),
2. Dublin Core ``DC.identifier`` / ``DCTERMS.identifier`` (bare Handles, hdl.handle.net and
   doi.org URLs, ``doi:`` / ``hdl:`` prefixes),
3. ``prism.doi``, 4. ``eprints.id_number`` / ``eprints.official_url``, 5. ``bepress_citation_*``,
   then tags named by their ``id`` (``<meta id="DOI" content="...">``),
6. the DOI the page links as its own: an element whose id says so (arXiv's
   ``<a id="arxiv-doi-link">``, ``<span id="doi">``) and ``rel="cite-as"`` links in the body,
7. JSON-LD (schema.org) ``identifier`` and ``sameAs`` of the page's own entities,
8. ``<link rel="canonical">`` and ``<link rel="cite-as">``, then ``og:url``; a URL's path or
   query can name an identifier too (a DSpace ``/handle/...``, PMC's ``/articles/PMC4852986/``).

Precision first: what the page merely cites is never its own. ``citation_reference`` tags, DOIs
in the body and nested JSON-LD nodes name other works; an ISBN beside a conference, book or
in-book title is the container's (a paper in proceedings, a chapter), and an ISSN (``urn:ISSN:``)
names the journal: neither is the item's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from pydantic import BaseModel, ConfigDict
from selectolax.lexbor import LexborHTMLParser

from core.errors import InputError
from core.identifiers import parse_identifier
from core.models import Identifier
from core.text import without_hidden

#: Schemes registered with a resolver: what Altmetric calls a "unique scholarly identifier".
REGISTERED = frozenset({"doi", "handle", "pmid", "pmcid", "arxiv", "isbn", "ark", "urn"})

#: Meta tag families Altmetric reads (by name prefix, lower-cased).
SUPPORTED_PREFIXES = ("citation_", "dc.", "dcterms.", "prism.", "eprints.", "bepress_citation_")

# (meta name lower-cased, forced scheme for a bare value or None, schemes accepted)
_URLISH = frozenset({"url", "doi", "handle", "arxiv", "pmid", "pmcid"})
_DC_OK = frozenset({"doi", "handle", "url", "ark", "urn"})
_HIGHWIRE = (
    ("citation_doi", "doi", frozenset({"doi"})),
    ("citation_pmid", "pmid", frozenset({"pmid"})),
    ("citation_arxiv_id", "arxiv", frozenset({"arxiv"})),
    ("citation_isbn", "isbn", frozenset({"isbn"})),
    ("citation_abstract_html_url", None, _URLISH),
)
_DUBLIN_CORE = (
    ("dc.identifier.doi", "doi", frozenset({"doi"})),
    ("dc.identifier", None, _DC_OK),
    ("dcterms.identifier", None, _DC_OK),
    ("dc.identifier.uri", None, _DC_OK),
    ("dcterms.uri", None, _DC_OK),
)
_OTHERS = (
    ("prism.doi", "doi", frozenset({"doi"})),
    ("eprints.id_number", None, frozenset({"doi", "handle", "url"})),
    ("eprints.official_url", None, _URLISH),
    ("bepress_citation_doi", "doi", frozenset({"doi"})),
    ("bepress_citation_abstract_html_url", None, _URLISH),
    # Plain names, often given as the tag's id (D-Lib: <meta id="DOI" content="10.1045/...">).
    ("doi", "doi", frozenset({"doi"})),
    ("handle", "handle", frozenset({"handle"})),
    ("pmid", "pmid", frozenset({"pmid"})),
    ("pmcid", "pmcid", frozenset({"pmcid"})),
    ("arxiv", "arxiv", frozenset({"arxiv"})),
    ("isbn", "isbn", frozenset({"isbn"})),
)
#: Tags saying the page is part of something bigger: an ISBN beside them is the container's.
_CONTAINER_TAGS = frozenset({
    "citation_conference_title", "citation_conference", "citation_inbook_title",
    "citation_book_title", "citation_proceedings_title",
})
#: Ids of elements holding the page's own DOI (as a link or as text).
_DOI_ELEMENT_IDS = frozenset({"doi", "doi-link", "arxiv-doi-link"})
_PMCID = re.compile(r"^PMC\d+$", re.IGNORECASE)
_TITLE_TAGS = ("citation_title", "dc.title", "dcterms.title", "bepress_citation_title", "og:title")


class Found(BaseModel):
    """One identifier a page declares, and the tag it came from (``citation_doi``...)."""

    model_config = ConfigDict(frozen=True)

    identifier: Identifier
    tag: str
    #: Read out of a URL's path or query (a DSpace ``/handle/...`` path), not declared as such.
    inferred: bool = False


class LandingPage(BaseModel):
    """What a landing page says about itself."""

    model_config = ConfigDict(frozen=True)

    url: str
    title: str | None = None
    #: Identifiers in priority order, each once (the first tag that gave it).
    found: tuple[Found, ...] = ()
    #: Every meta tag name or property present, lower-cased, in page order, each once.
    tags: tuple[str, ...] = ()
    canonical: str | None = None
    cite_as: str | None = None

    @property
    def identifiers(self) -> tuple[Identifier, ...]:
        return tuple(f.identifier for f in self.found)

    @property
    def registered(self) -> tuple[Found, ...]:
        """Identifiers of registered schemes (DOI, Handle, PMID...), not plain URLs."""
        return tuple(f for f in self.found if f.identifier.scheme in REGISTERED)

    @property
    def supported_tags(self) -> tuple[str, ...]:
        """The meta tags of the families Altmetric and Google Scholar read."""
        return tuple(t for t in self.tags if t.startswith(SUPPORTED_PREFIXES))


def extract_identifiers(html: str | bytes, *, base_url: str) -> LandingPage:
    """Identifiers, title and tags of the landing page ``html`` fetched from ``base_url``."""
    tree = LexborHTMLParser(html)
    metas = _metas(tree)
    tags = tuple(dict.fromkeys(name for name, _, _ in metas))
    found: list[Found] = []

    for group in (_HIGHWIRE, _DUBLIN_CORE, _OTHERS):
        for name, forced, accepted in group:
            for meta_name, content, scheme_attr in metas:
                if meta_name != name:
                    continue
                tag = _tag_label(meta_name, scheme_attr)
                found += _found(content, forced, accepted, base_url, tag)

    for value, where in _own_doi_elements(tree):
        found += _found(value, "doi", frozenset({"doi"}), base_url, where)

    for value, where in _json_ld(tree):
        found += _found(value, None, _DC_OK | {"pmid"}, base_url, where)

    canonical = _link(tree, "canonical", base_url)
    cite_as = _link(tree, "cite-as", base_url)
    for rel, href in (("canonical", canonical), ("cite-as", cite_as)):
        if href:
            found += _found(href, None, _URLISH, base_url, f"link rel={rel}")
    for meta_name, content, _ in metas:
        if meta_name == "og:url":
            found += _found(content, None, _URLISH, base_url, "og:url")

    if _CONTAINER_TAGS & set(tags):
        # A paper in proceedings or a chapter: the ISBN names the book, shared by every part.
        found = [f for f in found if f.identifier.scheme != "isbn"]
    # Declared identifiers outrank ones read out of URLs, whatever tag the URL came in.
    unique: dict[Identifier, Found] = {}
    for f in sorted(found, key=lambda f: f.inferred):
        unique.setdefault(f.identifier, f)
    return LandingPage(
        url=base_url,
        title=_title(tree, metas),
        found=tuple(unique.values()),
        tags=tags,
        canonical=canonical,
        cite_as=cite_as,
    )


def _metas(tree: LexborHTMLParser) -> list[tuple[str, str, str | None]]:
    """``(name, property, itemprop or id lower-cased, content, scheme attribute)`` of every
    meta tag."""
    out = []
    for node in tree.css("meta"):
        attrs = node.attributes
        name = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
                or attrs.get("id"))
        content = attrs.get("content")
        if name and content and content.strip():
            out.append((name.strip().lower(), content.strip(), attrs.get("scheme")))
    return out


def _tag_label(name: str, scheme_attr: str | None) -> str:
    return f"{name} ({scheme_attr})" if scheme_attr else name


def _found(
    value: str, forced: str | None, accepted: frozenset[str], base_url: str, tag: str
) -> list[Found]:
    return [Found(identifier=i, tag=tag, inferred=inf) for i, inf in _parse(value, forced, accepted, base_url)]


def _parse(
    value: str, forced: str | None, accepted: frozenset[str], base_url: str
) -> list[tuple[Identifier, bool]]:
    """The identifiers one tag value names: itself, plus a DOI or Handle its URL embeds."""
    text = without_hidden(value).strip()
    if text.startswith("//"):
        text = "https:" + text
    elif text.startswith("/") and forced is None:
        text = urljoin(base_url, text)
    candidates = [text]
    if forced and "://" not in text and ":" not in text.split("/", 1)[0]:
        candidates = [f"{'hdl' if forced == 'handle' else forced}:{text}", text]
    for candidate in candidates:
        try:
            ident = parse_identifier(candidate)
        except InputError:
            continue
        # Where a web address is accepted, one that carries a registered identifier (a PubMed
        # link) is accepted as that identifier: parsing folds it, as it does for people.
        via_url = "url" in accepted and ident.scheme in REGISTERED and "://" in candidate
        if (ident.scheme not in accepted and not via_url) or _names_a_serial(ident):
            continue
        out = [(ident, False)]
        if ident.scheme == "url":
            out += [(i, True) for i in _embedded(ident.value) if i.scheme in accepted]
        return out
    return []


def _names_a_serial(ident: Identifier) -> bool:
    """An ISSN (``urn:ISSN:1751-3030``) names a journal or series, never one item in it."""
    return ident.scheme == "urn" and ident.value.lower().startswith("issn:")


def _embedded(url: str) -> list[Identifier]:
    """A DOI in a query value (``article?id=10.1371%2Fjournal...``), a DSpace-style
    ``/handle/<prefix>/<suffix>`` path or a PMC ``/articles/PMC4852986/`` path: the page's URL
    names its identifier."""
    parts = urlsplit(url)
    out = []
    for _, val in parse_qsl(parts.query):
        if val.startswith("10.") and "/" in val:
            out += _quiet(f"doi:{val}")
    segments = unquote(parts.path).strip("/").split("/")
    for i, seg in enumerate(segments[:-2]):
        prefix, suffix = segments[i + 1], segments[i + 2]
        if seg == "handle" and prefix.replace(".", "").isdigit() and suffix:
            out += _quiet(f"hdl:{prefix}/{suffix}")
            break
    for before, seg in zip(segments, segments[1:], strict=False):
        if before.lower() in ("articles", "article", "pmc") and _PMCID.match(seg):
            out += _quiet(f"pmcid:{seg}")
            break
    return out


def _quiet(text: str) -> list[Identifier]:
    try:
        return [parse_identifier(text)]
    except InputError:
        return []


def _json_ld(tree: LexborHTMLParser) -> Iterator[tuple[str, str]]:
    """``(value, where)`` of ``identifier`` and ``sameAs`` on the page's own JSON-LD entities
    (top-level and ``@graph`` members; nested nodes such as citations name other works)."""
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text(deep=True) or "null")
        except (ValueError, RecursionError):  # a hostile page can nest arrays past the stack
            continue
        nodes = data if isinstance(data, list) else [data]
        for node in list(nodes):
            if isinstance(node, dict) and isinstance(node.get("@graph"), list):
                nodes += node["@graph"]
        for node in nodes:
            if not isinstance(node, dict):
                continue
            for key in ("identifier", "sameAs"):
                for value in _values(node.get(key)):
                    yield value, f"json-ld {key}"


def _values(value: Any) -> Iterator[str]:
    """Strings in a schema.org value: text, a list, or a PropertyValue (``propertyID`` + ``value``)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)
    elif isinstance(value, dict):
        inner = value.get("value") or value.get("@id") or value.get("url")
        prop = str(value.get("propertyID") or "").lower()
        if isinstance(inner, str):
            yield f"{prop}:{inner}" if prop in ("doi", "hdl", "handle", "pmid", "isbn") and "://" not in inner else inner


def _own_doi_elements(tree: LexborHTMLParser) -> Iterator[tuple[str, str]]:
    """``(value, where)`` of elements whose id says they hold the page's own DOI: arXiv's
    ``<a id="arxiv-doi-link" href="https://doi.org/...">``, ``<span id="doi">10.1088/...</span>``.
    Meta tags with such ids are read with the other meta tags."""
    for node in tree.css("[id]"):
        ident = (node.attributes.get("id") or "").strip().lower()
        if ident not in _DOI_ELEMENT_IDS or node.tag == "meta":
            continue
        value = node.attributes.get("href") or node.text(deep=True)
        if value and value.strip():
            yield value.strip(), f"{node.tag} id={ident}"


def _link(tree: LexborHTMLParser, rel: str, base_url: str) -> str | None:
    """The first ``<link>`` with this rel, else the first ``<a>`` (a page may show its
    ``rel="cite-as"`` link in the body)."""
    for node in [*tree.css("link"), *(tree.css("a") if rel == "cite-as" else [])]:
        rels = (node.attributes.get("rel") or "").lower().split()
        href = (node.attributes.get("href") or "").strip()
        if rel in rels and href:
            return urljoin(base_url, href)
    return None


def _title(tree: LexborHTMLParser, metas: list[tuple[str, str, str | None]]) -> str | None:
    for tag in _TITLE_TAGS:
        for name, content, _ in metas:
            if name == tag:
                return content
    node = tree.css_first("title")
    text = node.text(deep=True).strip() if node is not None else ""
    return " ".join(text.split()) or None
