"""The in-memory index a stream matches every event against: no database query per event.

It holds every identifier of every watched item by its stored key (every alias: DOI, Handle,
URL ...), the hosts of watched URL items, and the watched web sites by host. An event's links
and text are read into identifiers with the parser's own rules (sources.matching), and each is
looked up by key: the cost of an event depends on the event, not on how many items are
watched. Links on hosts that can name no watched item are not even parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.identifiers import RESOLVER_HOSTS, from_key
from core.models import Identifier
from sources.matching import (
    bare_domain,
    clean_url,
    dois_in_link,
    identifier_of_link,
    identifiers_in,
    links_in,
    naming_prefix,
    under_domain,
)
from sources.streaming import Post
from storage import Database, watches
from storage.streams import watch_version


@dataclass
class Match:
    """What one post names: watched items (with the identifier that named each) and links
    under watched web sites (for the link resolver to name their items)."""

    items: dict[int, Identifier] = field(default_factory=dict)
    site_links: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items or self.site_links)


#: Hosts whose links are a DOI or a Handle: their registrant prefix says if one can be watched.
_PREFIXED_HOSTS = frozenset(
    {"doi.org", "dx.doi.org", "www.doi.org", "hdl.handle.net", "handle.net"}
)


def _host(link: str) -> str:
    """A link's host, lower-cased (what ``urlsplit(link).hostname`` gives, faster: every link of
    every post is looked at). Only decides which links are parsed; the parser decides the rest."""
    rest = link.partition("//")[2] if "//" in link else link
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[0][1:].lower()
    return netloc.partition(":")[0].lower().removesuffix(".")


class WatchIndex:
    """Every watched identifier and web site, as of ``version`` (storage.streams)."""

    def __init__(
        self,
        keys: dict[str, int] | None = None,
        sites: list[str] | None = None,
        *,
        version: int = 0,
    ) -> None:
        #: identifier key -> item id.
        self.keys: dict[str, int] = keys or {}
        self.version = version
        self.url_hosts: set[str] = set()
        #: Registrant prefixes of the watched DOIs and Handles (``10.5555``, ``2027``).
        self.prefixes: set[str] = set()
        for key in self.keys:
            if key.startswith("url:"):
                self.url_hosts.add(_host(key[4:]))
            elif key.startswith(("doi:", "handle:")):
                self.prefixes.add(key.partition(":")[2].split("/", 1)[0].lower())
        #: host -> the watched targets (``host[:port][/prefix]``) on it.
        self.sites: dict[str, list[str]] = {}
        for target in sites or ():
            bare = bare_domain(target)
            self.sites.setdefault(bare.split("/", 1)[0].split(":", 1)[0], []).append(bare)

    @classmethod
    def load(cls, db: Database) -> WatchIndex:
        """The index of what is watched now."""
        version = watch_version(db)
        keys = {key: int(item) for key, item in watches.watched_keys(db)}
        sites = sorted({target for _, target, _ in watches.domain_watchers(db)})
        return cls(keys, sites, version=version)

    def __len__(self) -> int:
        return len(self.keys)

    def _add(self, found: Match, ident: Identifier | None) -> None:
        if ident is None:
            return
        item = self.keys.get(ident.key)
        if item is not None:
            found.items.setdefault(item, ident)

    def _link(self, found: Match, link: str) -> None:
        host = _host(link)
        if host in _PREFIXED_HOSTS:
            interesting = naming_prefix(link) in self.prefixes
        else:
            interesting = (
                host in RESOLVER_HOSTS or host in self.url_hosts or "/ark:" in link.lower()
            )
        if interesting:
            self._add(found, identifier_of_link(link))
        if host in self.sites:
            clean = clean_url(link)
            if (
                clean
                and clean not in found.site_links
                and any(under_domain(clean, t) for t in self.sites[host])
            ):
                found.site_links.append(clean)
        # A publisher's link carrying the DOI whole (``/doi/10.1/x``).
        for ident in dois_in_link(link, prefixes=self.prefixes):
            self._add(found, ident)

    def match(self, post: Post) -> Match:
        """The watched items and sites a post's links and text name."""
        found = Match()
        if not self.keys and not self.sites:
            return found
        for link in post.links:
            self._link(found, link)
        text = post.text
        if text:
            if "http" in text:
                for link in links_in(text):
                    if link not in post.links:
                        self._link(found, link)
            for ident in identifiers_in(text, prefixes=self.prefixes):
                self._add(found, ident)
        return found

    def identifiers(self) -> list[Identifier]:
        """Every indexed identifier (for tests and `sources`)."""
        return [from_key(k) for k in self.keys]
