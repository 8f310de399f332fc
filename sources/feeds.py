"""Blog and news feeds (RSS and Atom): entries that link to or name an item or a web domain.

The feeds are a curated list in ``ATTENTION_FEEDS``; a feed written ``news:https://...`` gives
mentions of kind "news", any other "blog". Each feed is fetched with a conditional GET (ETag /
Last-Modified, kept per feed URL in the instance; ``validators()`` exposes them): a 304 means
nothing new, and the entries read last time are used again. A poll asks about many identifiers
in a row, so a fetched feed is reused for ``CACHE_SECONDS`` instead of being fetched again; so is
a feed's failure (a feed that hangs costs one timeout per poll, not one per watched item).

feedparser reads the bytes with the response headers (for the encoding), and with the feed's own
URL as the base of relative links (``<link href="/blog/post"/>`` without ``xml:base``). A
malformed ("bozo") feed that still yields entries is used; one that yields none is a BadResponse.
One broken feed does not hide the others: the source fails only when every feed fails.
"""

from __future__ import annotations

import calendar
import copy
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin

import feedparser

from core.config import StrList, setting
from core.models import Identifier, Mention, SourceResult
from sources.base import Source
from sources.config import SourcesConfig, SourceSettings
from sources.errors import BadResponse, SourceError
from sources.matching import bare_domain, links_under, mentions
from sources.matching import snippet as make_snippet
from sources.transport import STEP_TIMEOUTS, step

if TYPE_CHECKING:
    from sources.factory import HttpFactory

log = logging.getLogger(__name__)

#: Seconds a fetched feed is reused before it is asked again (with its validators).
CACHE_SECONDS = 300.0
KINDS = ("news", "blog")


@dataclass(frozen=True)
class FeedEntry:
    """What the matcher needs of one feed entry."""

    id: str
    link: str | None
    title: str | None
    published: datetime | None
    links: tuple[str, ...]
    text: str
    author: str | None = None


@dataclass
class _Feed:
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    title: str | None = None
    #: Why the last fetch failed (reused, like entries, until CACHE_SECONDS pass).
    error: SourceError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def split_feed(spec: str) -> tuple[str, str]:
    """``news:https://x/rss`` -> ("news", "https://x/rss"); a plain URL is a blog feed."""
    head, sep, rest = spec.strip().partition(":")
    if sep and head.lower() in KINDS and rest.lower().startswith(("http://", "https://")):
        return head.lower(), rest.strip()
    return "blog", spec.strip()


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def parse_feed(
    content: bytes, *, url: str, headers: Mapping[str, str] | None = None
) -> tuple[str | None, list[FeedEntry]]:
    """The feed's title and entries from its bytes. Raises BadResponse when nothing readable came.

    Relative links are read against ``url`` (the feed's own address), or against the
    Content-Location the server sent, as a browser would."""
    given = {k.lower(): v for k, v in (headers or {}).items()}
    if not given:
        # No headers at all (a file): say XML, or feedparser flags the missing Content-Type.
        given["content-type"] = "application/xml"
    given["content-location"] = urljoin(url, given.get("content-location", ""))
    parsed = feedparser.parse(content, response_headers=given)
    raw_entries = list(parsed.get("entries") or [])
    if not raw_entries:
        if parsed.get("bozo"):
            why = parsed.get("bozo_exception")
            raise BadResponse(
                f"feed {url} is not a readable RSS or Atom feed ({why}): check ATTENTION_FEEDS",
                source="feeds",
            )
        if not parsed.get("version"):
            raise BadResponse(
                f"feed {url} is not an RSS or Atom feed: check ATTENTION_FEEDS", source="feeds"
            )
    entries = []
    for raw in raw_entries:
        link = _absolute(raw.get("link"), url)
        hrefs = [lk.get("href") for lk in raw.get("links") or []]
        hrefs += [en.get("href") for en in raw.get("enclosures") or []]
        links = [u for u in (link, *(_absolute(h, url) for h in hrefs)) if u]
        parts = [raw.get("title") or "", raw.get("summary") or ""]
        parts += [c.get("value") or "" for c in raw.get("content") or []]
        ident = raw.get("id") or link or raw.get("title")
        if not ident:
            continue
        entries.append(
            FeedEntry(
                id=str(ident), link=link, title=raw.get("title"), published=_when(raw),
                links=tuple(dict.fromkeys(links)), text="\n".join(p for p in parts if p),
                author=raw.get("author") or None,
            )
        )
    title = (parsed.get("feed") or {}).get("title")
    return (title or None), entries


def _absolute(href: str | None, base: str) -> str | None:
    """A link feedparser left relative (no base it trusted), read against the feed's URL."""
    if not href or href.lower().startswith(("http://", "https://")):
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _mention(
    entry: FeedEntry, target: Identifier, *, feed_url: str, feed_title: str | None, kind: str
) -> Mention:
    title = entry.title or make_snippet(entry.text, limit=120)
    return Mention(
        source="feeds", external_id=f"{entry.id}:{target.key}", url=entry.link or feed_url,
        title=title, site=feed_title or None, occurred_at=entry.published, api_url=feed_url,
        kind=kind, identifier=target,
        author=entry.author,
    )


def entry_mentions(
    entries: list[FeedEntry], identifier: Identifier, *, feed_url: str,
    feed_title: str | None = None, kind: str = "blog",
) -> list[Mention]:
    """Entries whose links or text contain the identifier (a DOI in any form, a Handle, a URL)."""
    return [
        _mention(e, identifier, feed_url=feed_url, feed_title=feed_title, kind=kind)
        for e in entries if mentions(identifier, links=e.links, text=e.text)
    ]


def entry_domain_mentions(
    entries: list[FeedEntry], domain: str, *, feed_url: str,
    feed_title: str | None = None, kind: str = "blog",
) -> list[Mention]:
    """One mention per entry and linked URL under ``domain`` (identifier = that URL)."""
    out = []
    for e in entries:
        for link in links_under(domain, links=e.links, text=e.text):
            target = Identifier(scheme="url", value=link)
            out.append(_mention(e, target, feed_url=feed_url, feed_title=feed_title, kind=kind))
    return out


class Feeds(Source):
    name = "feeds"
    label = "Blog and news feeds"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "pmcid", "url"})
    by_domain = True
    kind = "blog"
    kinds = frozenset({"news"})  # entries of feeds listed as news:https://...
    default_interval_minutes = 60
    # Feeds live on many different hosts; be gentle anyway.
    rate_per_second = 2.0
    concurrency = 4

    class Settings(SourceSettings):
        urls: StrList = setting((), "Blog and news feed URLs (RSS/Atom) to scan for mentions.", env="ATTENTION_FEEDS")

    needs = ("urls",)

    def __init__(
        self, config: SourcesConfig, http: HttpFactory, *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config, http)
        self._clock = clock
        self._feeds: dict[str, _Feed] = {}
        self._lock = threading.Lock()

    # --- conditional GET state ---
    def validators(self) -> dict[str, tuple[str | None, str | None]]:
        """Each fetched feed's (ETag, Last-Modified), e.g. for keeping them across restarts."""
        with self._lock:
            return {u: (f.etag, f.last_modified) for u, f in self._feeds.items()}

    def remember_validators(self, known: Mapping[str, tuple[str | None, str | None]]) -> None:
        """Start from validators kept elsewhere; a 304 then means "nothing new since then"."""
        with self._lock:
            for url, (etag, modified) in known.items():
                feed = self._feeds.setdefault(url, _Feed())
                feed.etag, feed.last_modified = etag, modified

    def _state(self, url: str) -> _Feed:
        with self._lock:
            return self._feeds.setdefault(url, _Feed())

    def entries(self, url: str) -> tuple[str | None, list[FeedEntry]]:
        """The feed's title and entries, fetched at most once per CACHE_SECONDS; a failure is
        kept as long, so every item asked about meanwhile gets it without waiting again."""
        feed = self._state(url)
        with feed.lock:
            now = self._clock()
            if feed.fetched_at is not None and now - feed.fetched_at < CACHE_SECONDS:
                if feed.error is not None:
                    raise copy.copy(feed.error)
                return feed.title, feed.entries
            try:
                # Fetching a feed is a question of its own, whichever item asked first.
                with step(self.config.timeout * STEP_TIMEOUTS):
                    self._fetch(url, feed)
            except SourceError as exc:
                feed.error, feed.fetched_at = copy.copy(exc), now
                raise
            feed.error, feed.fetched_at = None, now
            return feed.title, feed.entries

    def _fetch(self, url: str, feed: _Feed) -> None:
        resp = self.http.client(self).get(
            url, etag=feed.etag, last_modified=feed.last_modified,
            headers={"Accept": "application/rss+xml, application/atom+xml, "
                               "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"},
        )
        if resp.status_code == 304:
            return  # nothing new: what we read last time still stands
        if resp.status_code == 404:
            raise BadResponse(f"feed {url} was not found (HTTP 404): check ATTENTION_FEEDS",
                              source=self.name)
        # Relative links are read against where the feed was found, after any redirect.
        feed.title, feed.entries = parse_feed(resp.content, url=str(resp.url), headers=resp.headers)
        feed.etag = resp.headers.get("etag") or feed.etag
        feed.last_modified = resp.headers.get("last-modified") or feed.last_modified

    def _each_feed(self, match: Callable[[list[FeedEntry], str, str | None, str], list[Mention]]) -> SourceResult:
        # A broken feed is reported only when every feed fails; the rest still count.
        found: dict[str, Mention] = {}
        errors: list[SourceError] = []
        for spec in self.settings.urls:
            kind, url = split_feed(spec)
            try:
                title, entries = self.entries(url)
            except SourceError as exc:
                log.warning("feeds: %s: %s", url, exc)
                errors.append(exc)
                continue
            for mention in match(entries, url, title, kind):
                found.setdefault(mention.external_id, mention)
        if errors and len(errors) == len(self.settings.urls):
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first} (and {len(errors) - 1} more feeds failed)",)
            raise first
        return SourceResult(source=self.name, mentions=tuple(found.values()))

    def lookup(self, identifier: Identifier) -> SourceResult:
        return self._each_feed(
            lambda entries, url, title, kind: entry_mentions(
                entries, identifier, feed_url=url, feed_title=title, kind=kind)
        )

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        return self._each_feed(
            lambda entries, url, title, kind: entry_domain_mentions(
                entries, target, feed_url=url, feed_title=title, kind=kind)
        )
