"""Altmetric Details Page API: the Attention Score and per-source counts of an item.

``GET {base}/{scheme}/{id}?key=...``. Every call needs a key since November 2025, so without
``ALTMETRIC_API_KEY`` the source is "not configured". A 404 means Altmetric has seen no attention
yet (an empty answer, not an error); 403 a refused key; 502 maintenance. The shared client keeps
``X-HourlyRateLimit-*`` / ``X-DailyRateLimit-*``: a spent quota stops calls until it resets.

Attention can split between an item's DOI and its Handle; the poller asks about every alias, so
each call here handles one identifier.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import setting
from core.models import Count, Identifier, SourceResult
from sources.base import Source, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised, SourceUnavailable

DEFAULT_URL = "https://api.altmetric.com/v1"

#: Altmetric's ``cited_by_<x>_count`` names -> the metric names we keep.
METRICS = {
    "posts": "posts",
    "accounts": "accounts",
    "tweeters": "twitter",
    "bluesky": "bluesky",
    "fbwalls": "facebook",
    "feeds": "blogs",
    "msm": "news",
    "policies": "policies",
    "wikipedia": "wikipedia",
    "rdts": "reddit",
    "videos": "videos",
    "peer_review_sites": "peer_reviews",
    "qna": "qna",
    "qs": "qna",
    "gplus": "googleplus",
    "patents": "patents",
    "forum": "forums",
    "linkedin": "linkedin",
    "pinners": "pinterest",
    "rh": "research_highlights",
    "weibo": "weibo",
    "syllabi": "syllabi",
    "book_reviews": "book_reviews",
    "delicious": "delicious",
}
#: The commercial ``fetch`` shape names its sources differently (``counts.<x>.posts_count``).
FETCH_METRICS = {
    "total": "posts",
    "twitter": "twitter",
    "bluesky": "bluesky",
    "facebook": "facebook",
    "blogs": "blogs",
    "news": "news",
    "policy": "policies",
    "wikipedia": "wikipedia",
    "reddit": "reddit",
    "video": "videos",
    "peer_reviews": "peer_reviews",
    "qna": "qna",
    "googleplus": "googleplus",
    "patent": "patents",
    "linkedin": "linkedin",
    "pinterest": "pinterest",
    "weibo": "weibo",
}
#: Identifier schemes and the path segment Altmetric uses for each.
PATHS = {"doi": "doi", "pmid": "pmid", "arxiv": "arxiv", "handle": "handle", "isbn": "isbn",
         "urn": "urn"}


def _number(value: Any) -> float | None:
    """Counts arrive as ints, floats or strings ("57"); -1 means "unknown"."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


@shape_checked("altmetric")
def parse_altmetric(
    data: Any, *, identifier: Identifier | None = None, api_url: str | None = None
) -> SourceResult:
    """Counts and the details page from one Details Page API answer (or a ``fetch`` answer)."""
    data = json_object(data, source="altmetric")
    counts: dict[str, float] = {}

    def keep(metric: str, value: Any) -> None:
        number = _number(value)
        if number is not None and metric not in counts:
            counts[metric] = number

    score = data.get("score")
    if isinstance(data.get("altmetric_score"), dict):
        score = data["altmetric_score"].get("score", score)
    keep("score", score)
    for key, value in data.items():
        if key.startswith("cited_by_") and key.endswith("_count"):
            name = key.removeprefix("cited_by_").removesuffix("_count")
            keep(METRICS.get(name, name), value)
    fetched = data.get("counts")
    if isinstance(fetched, dict):
        for name, block in fetched.items():
            if isinstance(block, dict) and name in FETCH_METRICS:
                keep(FETCH_METRICS[name], block.get("posts_count"))
    readers = data.get("readers")
    if not isinstance(readers, dict) and isinstance(fetched, dict):
        readers = fetched.get("readers")
    if isinstance(readers, dict):
        keep("mendeley", readers.get("mendeley"))
    if "score" not in counts and not any(k.startswith("cited_by_") for k in data):
        raise BadResponse("answered without a score or counts", source="altmetric")
    details = data.get("details_url")
    return SourceResult(
        source="altmetric",
        counts=tuple(
            Count(source="altmetric", metric=metric, value=value, identifier=identifier,
                  api_url=api_url)
            for metric, value in counts.items()
        ),
        details_url=details if isinstance(details, str) and details else None,
    )


def _path_value(identifier: Identifier) -> str:
    # URNs are stored without their "urn:" prefix; Altmetric wants the whole URN.
    return "urn:" + identifier.value if identifier.scheme == "urn" else identifier.value


class Altmetric(Source):
    name = "altmetric"
    label = "Altmetric"
    schemes: ClassVar[frozenset[str]] = frozenset(PATHS)
    kind = "other"
    default_interval_minutes = 24 * 60
    # The free tier allows about one call a second; the hourly/daily quota headers do the rest.
    rate_per_second = 1.0
    concurrency = 2
    # Attention splits between an item's DOI and its Handle: the item's count is their sum.
    alias_counts = "sum"

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Altmetric Details Page API.")
        api_key: SecretStr | None = setting(None, "Altmetric key; without it Altmetric is not configured.", env="ALTMETRIC_API_KEY")

    needs = ("api_key",)
    setup_note = "(a free key exists)"

    def lookup(self, identifier: Identifier) -> SourceResult:
        key = self.secret("api_key")
        if not key:
            raise NotAuthorised("needs a key: set ALTMETRIC_API_KEY", source=self.name)
        # Altmetric wants the identifier as is in the path, not percent-encoded.
        url = f"{self.base_url()}/{PATHS[identifier.scheme]}/{_path_value(identifier)}"
        client = self.http.client(self)
        try:
            resp = client.get(url, params={"key": key})
        except NotAuthorised as exc:
            raise NotAuthorised(
                "refused the key (HTTP 401/403): check ALTMETRIC_API_KEY and that it covers the "
                "Details Page API", source=self.name,
            ) from exc
        except SourceUnavailable as exc:
            if "HTTP 502" in str(exc):
                raise SourceUnavailable(
                    "is down for maintenance (HTTP 502); it will be asked again later",
                    source=self.name,
                ) from exc
            raise
        if resp.status_code == 404:
            return SourceResult(source=self.name)  # no attention recorded yet
        shown = str(httpx.URL(url))  # the API URL without the key
        return parse_altmetric(client.decode_json(resp), identifier=identifier, api_url=shown)
