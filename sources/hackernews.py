"""Hacker News through Algolia's ``search_by_date``: stories and comments linking to an item.

Algolia's URL search is fuzzy (it matches words of the URL), so every hit is checked: a story
counts only if its ``url`` is the item, a comment only if a link in its text is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from core.config import setting
from core.identifiers import identifier_url
from core.models import Identifier, Mention, SourceResult
from sources.base import Source, from_epoch, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse
from sources.matching import bare_domain, is_link_to, links_in, links_under, search_term

DEFAULT_URL = "https://hn.algolia.com/api/v1"
HITS_PER_PAGE = 100
ITEM_URL = "https://news.ycombinator.com/item?id={}"


def _hits(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        raise BadResponse("answered without a list of hits", source="hackernews")
    return [h for h in data["hits"] if isinstance(h, dict) and h.get("objectID")]


def _mention(hit: dict[str, Any], *, api_url: str | None, target: Identifier | None) -> Mention:
    is_comment = hit.get("comment_text") is not None or "comment" in (hit.get("_tags") or [])
    if is_comment:
        story = hit.get("story_title") or "a story"
        title = f"Comment on “{story}”"
    else:
        title = hit.get("title") or hit.get("url") or "Story"
    return Mention(
        source="hackernews",
        external_id=str(hit["objectID"]) if target is None else f"{hit['objectID']}:{target.key}",
        url=ITEM_URL.format(hit["objectID"]),
        title=title,
        occurred_at=from_epoch(hit.get("created_at_i")),
        api_url=api_url,
        kind="forum",
        identifier=target,
        author=str(hit["author"]) if hit.get("author") else None,
    )


def _links(hit: dict[str, Any]) -> list[str]:
    """The story's own URL, or the links written in a comment."""
    if hit.get("comment_text") is not None:
        return links_in(hit.get("comment_text"))
    return [hit["url"]] if hit.get("url") else []


@shape_checked("hackernews")
def parse_search(
    data: Any, *, identifier: Identifier, api_url: str | None = None
) -> list[Mention]:
    """Stories and comments from one Algolia answer that really link to ``identifier``."""
    found = []
    for hit in _hits(data):
        # Algolia's URL search is fuzzy: keep only exact URL / identifier matches.
        if any(is_link_to(link, identifier) for link in _links(hit)):
            found.append(_mention(hit, api_url=api_url, target=None))
    return found


@shape_checked("hackernews")
def parse_domain(data: Any, *, domain: str, api_url: str | None = None) -> list[Mention]:
    """One mention per (hit, linked URL under ``domain``), carrying the URL as identifier."""
    found = []
    for hit in _hits(data):
        for link in links_under(domain, links=_links(hit)):
            target = Identifier(scheme="url", value=link)
            found.append(_mention(hit, api_url=api_url, target=target))
    return list({m.external_id: m for m in found}.values())


class HackerNews(Source):
    name = "hackernews"
    label = "Hacker News"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    by_domain = True
    kind = "forum"
    default_interval_minutes = 6 * 60
    # About 10,000 requests an hour per IP is the community's figure; stay far below it.
    rate_per_second = 2.0
    concurrency = 2

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Hacker News Algolia API.")

    def _ask(self, queries: list[dict[str, Any]], parse: Callable[..., list[Mention]], **kw: Any) -> SourceResult:
        client = self.http.client(self)
        url = self.base_url() + "/search_by_date"
        found: dict[str, Mention] = {}
        for params in queries:
            query = {**params, "hitsPerPage": HITS_PER_PAGE}
            data = client.get_json(url, params=query)
            if data is None:
                raise BadResponse("answered 404: check ATTENTION_HACKERNEWS_URL", source=self.name)
            for m in parse(data, api_url=str(httpx.URL(url, params=query)), **kw):
                found.setdefault(m.external_id, m)
        ordered = sorted(
            found.values(),
            key=lambda m: m.occurred_at.timestamp() if m.occurred_at else 0.0,
            reverse=True,
        )
        return SourceResult(source=self.name, mentions=tuple(ordered))

    def lookup(self, identifier: Identifier) -> SourceResult:
        term = search_term(identifier)
        queries = [
            {"query": term, "restrictSearchableAttributes": "url", "tags": "story"},
            {"query": term, "tags": "comment"},
        ]
        link = identifier_url(identifier)
        if identifier.scheme in ("doi", "handle") and link:
            # People link the resolver URL too; Algolia tokenises it differently.
            queries.insert(1, {"query": link.split("://", 1)[1], "restrictSearchableAttributes": "url", "tags": "story"})
        return self._ask(queries, parse_search, identifier=identifier)

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        queries = [
            {"query": target, "restrictSearchableAttributes": "url", "tags": "story"},
            {"query": target, "tags": "comment"},
        ]
        return self._ask(queries, parse_domain, domain=target)
