"""Wikipedia through the MediaWiki Action API.

* ``lookup``: full-text ``list=search`` for the quoted DOI, Handle or URL on each configured
  language wiki.
* ``lookup_domain``: ``list=exturlusage`` - every article linking anywhere under a web domain;
  each link becomes a mention carrying the linked URL, for the collections code to resolve.

MediaWiki reports errors as ``{"error": {...}}`` with HTTP 200: that is a BadResponse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from core.config import StrList, setting
from core.models import Identifier, Mention, SourceResult
from sources.base import Source, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse
from sources.matching import bare_domain, clean_url, search_term, under_domain

DEFAULT_URL = "https://{lang}.wikipedia.org/w/api.php"
SEARCH_LIMIT = 50
#: Pages of results followed per wiki (``continue``), so one popular DOI cannot run for ever.
MAX_PAGES = 3
EXTURL_LIMIT = 500
MAX_EXTURL_PAGES = 5


def endpoint(template: str, lang: str) -> str:
    return template.replace("{lang}", lang)


def article_url(api: str, title: str) -> str:
    """The reader's URL of an article on the wiki whose API endpoint is ``api``."""
    slug = quote(title.replace(" ", "_"), safe="/:(),'!*")
    if api.endswith("/w/api.php"):
        return api.removesuffix("/w/api.php") + "/wiki/" + slug
    return api.removesuffix("api.php") + "index.php?title=" + slug


def _check(data: Any) -> dict[str, Any]:
    body = json_object(data, source="wikipedia")
    error = body.get("error")
    if isinstance(error, dict):
        raise BadResponse(
            f"reported an error: {error.get('code', '?')}: {error.get('info', '')}".rstrip(": "),
            source="wikipedia",
        )
    return body


def _article(
    row: dict[str, Any], *, lang: str, api: str, key: str, api_url: str | None,
    identifier: Identifier | None = None,
) -> Mention:
    """The mention of the article in one result row (``key`` ends its external id)."""
    title = row["title"]
    page = row.get("pageid") or title
    return Mention(
        source="wikipedia",
        external_id=f"{lang}:{page}:{key}",
        url=article_url(api, title),
        title=title,
        site=f"{lang}.wikipedia",
        api_url=api_url,
        kind="wikipedia",
        identifier=identifier,
    )


def _next(body: dict[str, Any]) -> dict[str, Any] | None:
    more = body.get("continue")
    return dict(more) if isinstance(more, dict) else None


@shape_checked("wikipedia")
def parse_search(
    data: Any, *, lang: str, api: str, identifier: Identifier, api_url: str | None = None
) -> tuple[list[Mention], dict[str, Any] | None]:
    """Mentions from one ``list=search`` page, and the ``continue`` params of the next (or None)."""
    body = _check(data)
    hits = (body.get("query") or {}).get("search") or []
    mentions = [
        _article(hit, lang=lang, api=api, key=identifier.key, api_url=api_url)
        for hit in hits
        if hit.get("title")
    ]
    return mentions, _next(body)


@shape_checked("wikipedia")
def parse_exturlusage(
    data: Any, *, lang: str, api: str, domain: str, api_url: str | None = None
) -> tuple[list[Mention], dict[str, Any] | None]:
    """Mentions from one ``list=exturlusage`` page; each carries the linked URL as identifier."""
    body = _check(data)
    rows = (body.get("query") or {}).get("exturlusage") or []
    mentions = []
    for row in rows:
        title, link = row.get("title"), clean_url(row.get("url"))
        # Without a protocol MediaWiki may return scheme-less links; clean_url takes care of it.
        if not title or link is None or not under_domain(link, domain):
            continue
        target = Identifier(scheme="url", value=link)
        mentions.append(
            _article(row, lang=lang, api=api, key=target.key, api_url=api_url, identifier=target)
        )
    return mentions, _next(body)


class Wikipedia(Source):
    name = "wikipedia"
    label = "Wikipedia"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    by_domain = True
    kind = "wikipedia"
    default_interval_minutes = 24 * 60
    # Wikimedia asks for at most a few concurrent requests and a descriptive User-Agent.
    rate_per_second = 2.0
    concurrency = 3

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "MediaWiki API endpoint; `{lang}` is replaced per wiki.")
        langs: StrList = setting(("en", "de", "fr", "es", "ja"), "Language wikis searched.")

    def _wikis(self) -> list[tuple[str, str]]:
        template = self.base_url()
        langs = list(self.settings.langs) or ["en"]
        if "{lang}" not in template:
            return [(langs[0], template)]  # one fixed endpoint: one wiki
        return [(lang, endpoint(template, lang)) for lang in langs]

    def requests_per_lookup(self) -> int:
        return len(self._wikis())  # one search per language wiki

    def _pages(self, api: str, params: dict[str, Any], max_pages: int) -> list[tuple[Any, str]]:
        client = self.http.client(self)
        out = []
        extra: dict[str, Any] = {}
        for _ in range(max_pages):
            query = {**params, **extra}
            data = client.get_json(api, params=query)
            if data is None:
                raise BadResponse("answered 404: check ATTENTION_WIKIPEDIA_URL", source=self.name)
            out.append((data, str(httpx.URL(api, params=query))))
            more = _next(_check(data))
            if more is None:
                break
            extra = more
        return out

    def _gather(
        self, params: dict[str, Any], max_pages: int,
        parse: Callable[..., tuple[list[Mention], Any]],
    ) -> SourceResult:
        """Every page of ``params`` on every wiki, parsed by ``parse(data, lang=, api=, api_url=)``."""
        found: dict[str, Mention] = {}
        for lang, api in self._wikis():
            for data, url in self._pages(api, params, max_pages):
                mentions, _ = parse(data, lang=lang, api=api, api_url=url)
                # Offset paging drifts while the index changes, so pages can repeat articles.
                for m in mentions:
                    found.setdefault(m.external_id, m)
        return SourceResult(source=self.name, mentions=tuple(found.values()))

    def lookup(self, identifier: Identifier) -> SourceResult:
        params = {
            "action": "query", "list": "search", "format": "json", "formatversion": "2",
            "srsearch": f'"{search_term(identifier)}"', "srlimit": SEARCH_LIMIT,
            "srnamespace": 0, "srprop": "timestamp", "srinfo": "totalhits", "continue": "",
        }
        return self._gather(params, MAX_PAGES, partial(parse_search, identifier=identifier))

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        params = {
            "action": "query", "list": "exturlusage", "format": "json", "formatversion": "2",
            "euquery": target, "euprotocol": "", "eunamespace": 0, "eulimit": EXTURL_LIMIT,
            "euprop": "ids|title|url", "continue": "",
        }
        return self._gather(params, MAX_EXTURL_PAGES, partial(parse_exturlusage, domain=target))
