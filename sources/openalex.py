"""OpenAlex: citation counts of a work, found by DOI or PMID.

``GET {base}/works/doi:{doi}?api_key=...``. OpenAlex needs a key since February 2026 (without one
a day's allowance is a handful of calls), so the source is off until ``OPENALEX_API_KEY`` is set.
Single-work requests are free with a key; 100 requests a second at most. A 404 is an unknown work.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import setting
from core.models import Count, Identifier, SourceResult
from sources.base import Source, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised

DEFAULT_URL = "https://api.openalex.org"
PATHS = {"doi": "doi", "pmid": "pmid", "pmcid": "pmcid"}


@shape_checked("openalex")
def parse_work(
    data: Any, *, identifier: Identifier | None = None, api_url: str | None = None
) -> SourceResult:
    """The ``citations`` count (``cited_by_count``) and the work's OpenAlex page."""
    data = json_object(data, source="openalex")
    cited = data.get("cited_by_count")
    if isinstance(cited, bool) or not isinstance(cited, int | float | str):
        raise BadResponse("answered without a cited_by_count for the work", source="openalex")
    try:
        value = float(cited)
    except ValueError as exc:
        raise BadResponse(f"answered with a cited_by_count of {cited!r}", source="openalex") from exc
    work_id = data.get("id")
    page = work_id if isinstance(work_id, str) and work_id.startswith("https://openalex.org/") else None
    return SourceResult(
        source="openalex",
        counts=(
            Count(source="openalex", metric="citations", value=value, identifier=identifier,
                  api_url=api_url),
        ),
        details_url=page,
    )


class OpenAlex(Source):
    name = "openalex"
    label = "OpenAlex"
    schemes: ClassVar[frozenset[str]] = frozenset(PATHS)
    kind = "citation"
    default_interval_minutes = 24 * 60
    rate_per_second = 10.0
    concurrency = 4

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "OpenAlex API.")
        api_key: SecretStr | None = setting(None, "OpenAlex key; without it OpenAlex is not configured.", env="OPENALEX_API_KEY")

    needs = ("api_key",)
    setup_note = "(free, from openalex.org)"

    def lookup(self, identifier: Identifier) -> SourceResult:
        key = self.secret("api_key")
        if not key:
            raise NotAuthorised("needs a key: set OPENALEX_API_KEY", source=self.name)
        url = f"{self.base_url()}/works/{PATHS[identifier.scheme]}:{identifier.value}"
        client = self.http.client(self)
        try:
            data = client.get_json(url, params={"api_key": key})
        except NotAuthorised as exc:
            raise NotAuthorised(
                "refused the key (HTTP 401/403): check OPENALEX_API_KEY", source=self.name
            ) from exc
        if data is None:
            return SourceResult(source=self.name)  # OpenAlex does not know the work
        return parse_work(data, identifier=identifier, api_url=str(httpx.URL(url)))
