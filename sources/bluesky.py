"""Bluesky: posts linking to an item, via ``app.bsky.feed.searchPosts`` (opt-in).

Search needs an authenticated session since 2025, so the source is off until
``ATTENTION_BLUESKY_HANDLE`` and ``ATTENTION_BLUESKY_APP_PASSWORD`` (an app password, not the
account password) are set. ``com.atproto.server.createSession`` is tightly rate-limited: the access
token is cached in the instance until shortly before it expires, and a 401 renews it once.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import setting
from core.models import Identifier, Mention, SourceResult
from sources.base import LoggedInSource, from_iso, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised
from sources.matching import bare_domain, host_of, posts_linking_under, posts_naming, search_term
from sources.matching import snippet as make_snippet

DEFAULT_URL = "https://bsky.social/xrpc"
SEARCH_LIMIT = 100
#: Lifetime assumed when the token's own expiry cannot be read.
DEFAULT_LIFETIME = 3600.0


def _posts(data: Any) -> list[dict[str, Any]]:
    posts = json_object(data, source="bluesky").get("posts")
    if not isinstance(posts, list):
        raise BadResponse("answered without a posts list", source="bluesky")
    return [p for p in posts if isinstance(p, dict)]


def record_links(record: dict[str, Any], *embeds: Any) -> list[str | None]:
    """Links of a post record: its rich-text link facets (``app.bsky.richtext.facet#link``) and
    its external embed (``app.bsky.embed.external``, also inside ``recordWithMedia``), with
    those of any further ``embeds`` (a post view's own)."""
    found: list[str | None] = []
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            if str((feature or {}).get("$type", "")).endswith("#link"):
                found.append(feature.get("uri"))
    for embed in (record.get("embed"), *embeds):
        while isinstance(embed, dict):
            external = embed.get("external")
            if isinstance(external, dict):
                found.append(external.get("uri"))
            embed = embed.get("media")  # recordWithMedia wraps the external embed
    return found


def _links(post: dict[str, Any]) -> list[str | None]:
    """Links of a post view: its record's, and the external embed of the view."""
    return record_links(post.get("record") or {}, post.get("embed"))


def _parts(post: dict[str, Any]) -> tuple[list[str | None], str | None]:
    return _links(post), (post.get("record") or {}).get("text")


def post_url(post: dict[str, Any]) -> str | None:
    """``at://did/app.bsky.feed.post/rkey`` -> ``https://bsky.app/profile/{did}/post/{rkey}``.

    The DID, not the handle: bsky.app opens both, and the handle is the author's name, kept
    only in ``Mention.author`` (stored only when ATTENTION_STORE_AUTHORS=true)."""
    uri = str(post.get("uri") or "")
    if "/app.bsky.feed.post/" not in uri:
        return None
    did = uri.removeprefix("at://").split("/", 1)[0] or (post.get("author") or {}).get("did")
    return f"https://bsky.app/profile/{did}/post/{uri.rsplit('/', 1)[1]}"


def _mention(post: dict[str, Any], target: Identifier, api_url: str | None) -> Mention | None:
    url = post_url(post)
    if url is None:
        return None
    record = post.get("record") or {}
    handle = (post.get("author") or {}).get("handle")
    return Mention(
        source="bluesky", external_id=f"{post['uri']}:{target.key}", url=url,
        title=make_snippet(record.get("text")),
        occurred_at=from_iso(record.get("createdAt") or post.get("indexedAt")), api_url=api_url,
        kind="social", identifier=target, author=f"@{handle}" if handle else None,
    )


@shape_checked("bluesky")
def parse_search_posts(
    data: Any, *, identifier: Identifier, api_url: str | None = None
) -> list[Mention]:
    """Mentions from one searchPosts answer: posts whose links or text really name the item."""
    made = (_mention(p, identifier, api_url) for p in posts_naming(_posts(data), identifier, parts=_parts))
    return [m for m in made if m]


@shape_checked("bluesky")
def parse_domain_posts(data: Any, *, domain: str, api_url: str | None = None) -> list[Mention]:
    """One mention per post and linked URL under ``domain`` (identifier = that URL)."""
    made = (_mention(p, url, api_url) for p, url in posts_linking_under(_posts(data), domain, parts=_parts))
    return [m for m in made if m]


def token_expiry(token: str, *, now: float) -> float:
    """When a JWT access token expires (its ``exp``), or an hour from now if unreadable."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return now + DEFAULT_LIFETIME


class Bluesky(LoggedInSource):
    name = "bluesky"
    label = "Bluesky"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    by_domain = True
    kind = "social"
    default_interval_minutes = 6 * 60
    # About 3,000 requests per 5 minutes per IP; we ask far less.
    rate_per_second = 2.0
    concurrency = 2

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Bluesky XRPC endpoint of your PDS.")
        handle: str | None = setting(None, "Bluesky handle for searchPosts (with an app password).")
        app_password: SecretStr | None = setting(None, "Bluesky app password.")

    needs = ("handle", "app_password")

    # --- the session ---
    def _login(self) -> tuple[str, float]:
        if not self.configured():
            raise NotAuthorised(
                "needs ATTENTION_BLUESKY_HANDLE and ATTENTION_BLUESKY_APP_PASSWORD",
                source=self.name,
            )
        url = self.base_url() + "/com.atproto.server.createSession"
        try:
            resp = self.http.client(self).post(
                url,
                json={"identifier": self.settings.handle, "password": self.secret("app_password")},
            )
        except NotAuthorised as exc:
            raise NotAuthorised(
                "refused to log in: check ATTENTION_BLUESKY_HANDLE and "
                "ATTENTION_BLUESKY_APP_PASSWORD (an app password from Settings > App passwords)",
                source=self.name,
            ) from exc
        body = self.http.client(self).decode_json(resp)
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise BadResponse("createSession answered without an access token", source=self.name)
        return token, token_expiry(token, now=self._clock())

    def _search(self, params: dict[str, Any]) -> tuple[Any, str]:
        url = self.base_url() + "/app.bsky.feed.searchPosts"
        query = {**params, "limit": SEARCH_LIMIT, "sort": "latest"}
        client = self.http.client(self)
        data = self._tokens.call(
            lambda token: client.get_json(url, params=query, headers={"Authorization": f"Bearer {token}"})
        )
        if data is None:
            raise BadResponse("has no searchPosts (HTTP 404): check ATTENTION_BLUESKY_URL", source=self.name)
        return data, str(httpx.URL(url, params=query))

    def lookup(self, identifier: Identifier) -> SourceResult:
        asks: list[dict[str, Any]]
        if identifier.scheme == "url":
            asks = [{"q": "*", "url": identifier.value}]
        elif identifier.scheme == "doi":
            # Links to doi.org, and the DOI written in a post's text.
            asks = [{"q": "*", "url": "https://doi.org/" + identifier.value},
                    {"q": f'"{identifier.value}"'}]
        else:
            asks = [{"q": f'"{search_term(identifier)}"'}]
        found: dict[str, Mention] = {}
        for params in asks:
            data, api_url = self._search(params)
            for mention in parse_search_posts(data, identifier=identifier, api_url=api_url):
                found.setdefault(mention.external_id, mention)
        return SourceResult(source=self.name, mentions=tuple(found.values()))

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        data, api_url = self._search({"q": "*", "domain": host_of(target)})
        return SourceResult(
            source=self.name,
            mentions=tuple(parse_domain_posts(data, domain=target, api_url=api_url)),
        )
