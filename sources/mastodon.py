"""Mastodon: statuses that link to an item, found by full-text search on a list of servers.

``GET {server}/api/v2/search?q=<doi or url>&type=statuses`` on each of ``ATTENTION_MASTODON_SERVERS``
(coverage is per server), with ``ATTENTION_MASTODON_TOKEN`` as a bearer token for the first listed
server (the one that issued it; never sent to the others) when set. Search is
loose, so only statuses whose HTML content or preview card really links to the item are kept.
The mention's URL is the status ``url`` (a remote status's origin page) and its id a hash of the
status ``uri`` (the same on every server, so one status seen through two servers is one mention)
with the identifier it mentions. The URI and URL both name the account: the URL is kept (it is the
only way to open the post), the URI is hashed, and the account goes in ``Mention.author`` only.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import StrList, setting
from core.models import Identifier, Mention, SourceResult, opaque_id
from sources.base import Source, from_iso, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised, SourceError
from sources.matching import bare_domain, posts_linking_under, posts_naming, search_term, snippet

log = logging.getLogger(__name__)

SEARCH_LIMIT = 40


def _statuses(data: Any) -> list[dict[str, Any]]:
    found = json_object(data, source="mastodon").get("statuses")
    if found is None:
        raise BadResponse("answered without a statuses list", source="mastodon")
    if not isinstance(found, list):
        raise BadResponse("answered with statuses that are not a list", source="mastodon")
    # A boost carries the boosted status: that one holds the content and the link.
    statuses = [
        s["reblog"] if isinstance(s.get("reblog"), dict) else s
        for s in found if isinstance(s, dict)
    ]
    # With a token, search also returns followers-only and direct posts the token's account
    # may see: only public posts are ever kept.
    return [s for s in statuses if s.get("visibility", "public") in PUBLIC_VISIBILITY]


#: Mastodon's visibilities anyone may read without logging in.
PUBLIC_VISIBILITY = frozenset({"public", "unlisted"})


def _mention(status: dict[str, Any], *, api_url: str | None, target: Identifier) -> Mention | None:
    uri, url = status.get("uri"), status.get("url") or status.get("uri")
    if not uri or not url:
        return None
    acct = (status.get("account") or {}).get("acct")
    return Mention(
        # One status can mention several items: the id names the status and what it mentions.
        source="mastodon", external_id=f"{opaque_id(str(uri))}:{target.key}", url=str(url),
        title=snippet(status.get("content") or status.get("spoiler_text")),
        occurred_at=from_iso(status.get("created_at")), api_url=api_url, kind="social",
        identifier=target, author=f"@{acct}" if acct else None,
    )


def _parts(status: dict[str, Any]) -> tuple[list[str | None], str | None]:
    """A status's preview-card link and its HTML content."""
    card = status.get("card")
    return ([card.get("url")] if isinstance(card, dict) else []), status.get("content")


@shape_checked("mastodon")
def parse_search(data: Any, *, identifier: Identifier, api_url: str | None = None) -> list[Mention]:
    """Mentions from one ``/api/v2/search`` answer: statuses that really link to ``identifier``."""
    found = posts_naming(_statuses(data), identifier, parts=_parts)
    made = (_mention(s, api_url=api_url, target=identifier) for s in found)
    return [m for m in made if m]


@shape_checked("mastodon")
def parse_domain_search(data: Any, *, domain: str, api_url: str | None = None) -> list[Mention]:
    """One mention per status and linked URL under ``domain`` (identifier = that URL)."""
    found = posts_linking_under(_statuses(data), domain, parts=_parts)
    made = (_mention(s, api_url=api_url, target=url) for s, url in found)
    return [m for m in made if m]


class Mastodon(Source):
    name = "mastodon"
    label = "Mastodon"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    by_domain = True
    kind = "social"
    default_interval_minutes = 6 * 60
    # mastodon.social allows 300 requests per 5 minutes per client: stay well under.
    rate_per_second = 0.5
    concurrency = 2

    class Settings(SourceSettings):
        servers: StrList = setting(("https://mastodon.social",), "Mastodon servers searched.")
        token: SecretStr | None = setting(None, "Optional Mastodon access token, sent only to the first server in ATTENTION_MASTODON_SERVERS (the one that issued it).")

    needs = ("servers",)

    def _search(self, server: str, query: str) -> tuple[Any, str]:
        url = server.rstrip("/") + "/api/v2/search"
        params = {"q": query, "type": "statuses", "limit": SEARCH_LIMIT}
        headers = {}
        # A token is issued by one server: sending it to the others would hand it to them.
        token = self.secret("token") if server == self.settings.servers[0] else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            data = self.http.client(self).get_json(url, params=params, headers=headers)
        except NotAuthorised as exc:
            hint = (
                "refused the token: check ATTENTION_MASTODON_TOKEN"
                if token
                else "needs a token to search: set ATTENTION_MASTODON_TOKEN"
                if not self.secret("token")
                else "needs a token to search (ATTENTION_MASTODON_TOKEN is sent only to the first "
                "server listed): list this server first or remove it"
            )
            raise NotAuthorised(f"{server} {hint}", source=self.name) from exc
        if data is None:
            raise BadResponse(f"{server} has no search API (HTTP 404)", source=self.name)
        return data, str(httpx.URL(url, params=params))

    def _each_server(self, query: str, parse: Any) -> SourceResult:
        # A failing server is an error only when every server fails: coverage is per server,
        # and one server down must not hide what the others found.
        found: dict[str, Mention] = {}
        errors: list[SourceError] = []
        for server in self.settings.servers:
            try:
                data, api_url = self._search(server, query)
                for mention in parse(data, api_url):
                    found.setdefault(mention.external_id, mention)
            except SourceError as exc:
                log.warning("mastodon: %s: %s", server, exc)
                errors.append(exc)
        if errors and len(errors) == len(self.settings.servers):
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first} (and {len(errors) - 1} more servers failed)",)
            raise first
        return SourceResult(source=self.name, mentions=tuple(found.values()))

    def requests_per_lookup(self) -> int:
        return max(1, len(self.settings.servers))  # one search per server

    def lookup(self, identifier: Identifier) -> SourceResult:
        return self._each_server(
            search_term(identifier),
            lambda data, api_url: parse_search(data, identifier=identifier, api_url=api_url),
        )

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        return self._each_server(
            target,
            lambda data, api_url: parse_domain_search(data, domain=target, api_url=api_url),
        )
