"""Reddit: posts linking to an item or a web domain, through the OAuth API (opt-in).

Reddit refuses anonymous API use (2025 policy), so the source is off until an approved client's
``ATTENTION_REDDIT_CLIENT_ID`` and ``ATTENTION_REDDIT_CLIENT_SECRET`` are set. It gets an app-only
token (``grant_type=client_credentials``) from ``ATTENTION_REDDIT_AUTH_URL``, kept until shortly
before it expires, then asks ``/search?q=url:<url>`` (and the quoted identifier for DOIs and
Handles) and ``/domain/{host}/new``. Reddit wants a User-Agent like
``platform:app:version (by /u/name)``; 100 requests a minute with OAuth.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import setting
from core.models import Identifier, Mention, SourceResult
from sources.base import LoggedInSource, from_epoch, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised
from sources.matching import bare_domain, host_of, posts_linking_under, posts_naming, search_term

DEFAULT_URL = "https://oauth.reddit.com"
DEFAULT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
SEARCH_LIMIT = 100


def _children(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or data.get("kind") != "Listing":
        raise BadResponse("answered with something other than a Listing", source="reddit")
    children = (data.get("data") or {}).get("children")
    if not isinstance(children, list):
        raise BadResponse("answered with a Listing without children", source="reddit")
    return [
        c["data"] for c in children
        if isinstance(c, dict) and c.get("kind") in ("t3", "t1") and isinstance(c.get("data"), dict)
    ]


def _parts(post: dict[str, Any]) -> tuple[list[str | None], str]:
    """A post's links (the link post's target) and its text (title and self-text HTML)."""
    links: list[str | None] = [] if post.get("is_self") else [post.get("url")]
    text = " ".join(
        str(post.get(k) or "") for k in ("title", "selftext_html", "body_html", "selftext", "body")
    )
    return links, text


def _mention(post: dict[str, Any], target: Identifier, api_url: str | None) -> Mention | None:
    name, permalink = post.get("name"), post.get("permalink")
    if not name or not permalink:
        return None
    sub = post.get("subreddit")
    title = post.get("title") or post.get("link_title")
    author = post.get("author")
    return Mention(
        source="reddit", external_id=f"{name}:{target.key}",
        url="https://www.reddit.com" + str(permalink),
        title=f"r/{sub}: {title}" if sub and title else title,
        occurred_at=from_epoch(post.get("created_utc")), api_url=api_url, kind="forum",
        identifier=target,
        # "[deleted]" is Reddit saying the account is gone, not a name.
        author=f"u/{author}" if isinstance(author, str) and author and author != "[deleted]" else None,
    )


@shape_checked("reddit")
def parse_listing(data: Any, *, identifier: Identifier, api_url: str | None = None) -> list[Mention]:
    """Mentions from one Listing: posts that link to the item or name it in their text."""
    made = (_mention(p, identifier, api_url) for p in posts_naming(_children(data), identifier, parts=_parts))
    return [m for m in made if m]


@shape_checked("reddit")
def parse_domain_listing(data: Any, *, domain: str, api_url: str | None = None) -> list[Mention]:
    """One mention per post and linked URL under ``domain`` (identifier = that URL)."""
    made = (_mention(p, url, api_url) for p, url in posts_linking_under(_children(data), domain, parts=_parts))
    return [m for m in made if m]


class Reddit(LoggedInSource):
    name = "reddit"
    label = "Reddit"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    by_domain = True
    kind = "forum"
    default_interval_minutes = 6 * 60
    # 100 queries a minute with OAuth.
    rate_per_second = 1.0
    concurrency = 2

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Reddit OAuth API.")
        auth_url: str = setting(DEFAULT_AUTH_URL, "Reddit token endpoint.")
        client_id: str | None = setting(None, "Reddit OAuth client id (an approved client).")
        client_secret: SecretStr | None = setting(None, "Reddit OAuth client secret.")
        username: str | None = setting(None, "Reddit user named in the User-Agent.")

    needs = ("client_id", "client_secret")
    setup_note = "(an approved OAuth client), and ATTENTION_REDDIT_USERNAME"

    def user_agent(self) -> str:
        """Reddit's format: ``<platform>:<app id>:<version> (by /u/<name>)``."""
        version = self.config.user_agent.split(" ", 1)[0].partition("/")[2] or "0.1"
        who = self.settings.username or "attention-bot"
        return f"python:attention-bot:{version} (by /u/{who.removeprefix('/u/').removeprefix('u/')})"

    def _login(self) -> tuple[str, float]:
        if not self.configured():
            raise NotAuthorised(
                "needs ATTENTION_REDDIT_CLIENT_ID and ATTENTION_REDDIT_CLIENT_SECRET",
                source=self.name,
            )
        client = self.http.client(self)
        pair = f"{self.settings.client_id}:{self.secret('client_secret')}"
        header = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            resp = client.post(
                self.settings.auth_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": header, "User-Agent": self.user_agent()},
            )
        except NotAuthorised as exc:
            raise NotAuthorised(
                "refused the client: check ATTENTION_REDDIT_CLIENT_ID and "
                "ATTENTION_REDDIT_CLIENT_SECRET (an approved script or web app)",
                source=self.name,
            ) from exc
        body = client.decode_json(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise NotAuthorised(
                f"gave no access token ({error or 'no reason given'}): check the client id "
                "and secret", source=self.name,
            )
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, self._clock() + lifetime

    def _get(self, path: str, params: dict[str, Any]) -> tuple[Any, str]:
        url = self.base_url() + path
        query = {**params, "limit": SEARCH_LIMIT, "raw_json": 1}
        client = self.http.client(self)
        data = self._tokens.call(
            lambda token: client.get_json(
                url, params=query,
                headers={"Authorization": f"bearer {token}", "User-Agent": self.user_agent()},
            )
        )
        if data is None:
            raise BadResponse(f"has no {path} (HTTP 404): check ATTENTION_REDDIT_URL", source=self.name)
        return data, str(httpx.URL(url, params=query))

    def lookup(self, identifier: Identifier) -> SourceResult:
        term = search_term(identifier)
        queries = [f"url:{term}"]
        if identifier.scheme != "url":
            queries.append(f'"{term}"')  # self posts that write the DOI or Handle out
        found: dict[str, Mention] = {}
        for q in queries:
            data, api_url = self._get("/search", {"q": q, "sort": "new", "type": "link"})
            for mention in parse_listing(data, identifier=identifier, api_url=api_url):
                found.setdefault(mention.external_id, mention)
        return SourceResult(source=self.name, mentions=tuple(found.values()))

    def lookup_domain(self, domain: str) -> SourceResult:
        target = bare_domain(domain)
        data, api_url = self._get(f"/domain/{host_of(target)}/new", {})
        return SourceResult(
            source=self.name,
            mentions=tuple(parse_domain_listing(data, domain=target, api_url=api_url)),
        )
