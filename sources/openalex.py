"""OpenAlex: citation counts of a work, found by DOI or PMID.

``GET {base}/works/doi:{doi}?api_key=...``. OpenAlex needs a key since February 2026 (without one
a day's allowance is a handful of calls), so the source is off until ``OPENALEX_API_KEY`` is set.
Single-work requests are free with a key; 100 requests a second at most. A 404 is an unknown work.

Lists: a person's works (``authorships.author.orcid``), an institution's
(``authorships.institutions.ror``) and up to 100 given DOIs at once (``filter=doi:a|b``, OpenAlex's
limit of OR-ed values), 100 a page with ``select`` and cursor paging (``meta.next_cursor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from core.config import setting
from core.models import Count, Identifier, ListedWork, SourceResult, WorkPage
from sources.base import Source, json_object, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse, NotAuthorised
from sources.listing import listed_work, next_cursor, no_doi, total_of

DEFAULT_URL = "https://api.openalex.org"
PATHS = {"doi": "doi", "pmid": "pmid", "pmcid": "pmcid"}
#: Works a page holds, and DOIs OR-ed in one filter: OpenAlex's limit on both.
PER_PAGE = 100
SELECT = "id,doi,display_name,cited_by_count"
FILTERS = {"orcid": "authorships.author.orcid", "ror": "authorships.institutions.ror"}
DOI_URL = "https://doi.org/"


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


@shape_checked("openalex")
def parse_list(data: Any, *, asked: int, api_url: str | None = None) -> WorkPage:
    """A ``/works`` list -> its works with their citation counts (``doi`` comes as a doi.org
    link). Works without a DOI are skipped and said."""
    data = json_object(data, source="openalex")
    results, meta = data.get("results"), data.get("meta")
    if not isinstance(results, list) or not isinstance(meta, dict):
        raise BadResponse("answered without `results` and `meta`: check ATTENTION_OPENALEX_URL", source="openalex")
    works: list[ListedWork] = []
    skipped: list[str] = []
    for record in results:
        doi = record.get("doi") if isinstance(record, dict) else None
        if isinstance(doi, str) and doi.lower().startswith(DOI_URL):
            doi = doi[len(DOI_URL):]
        found = None
        if isinstance(record, dict):
            found = listed_work("openalex", doi, record.get("display_name"),
                         {"citations": record.get("cited_by_count")}, api_url=api_url)
        if found is None:
            skipped.append(no_doi(record, "OpenAlex"))
        else:
            works.append(found)
    total = meta.get("count")
    return WorkPage(
        works=tuple(works), skipped=tuple(skipped),
        next_cursor=next_cursor(meta.get("next_cursor"), got=len(results), asked=asked),
        total=total_of(total),
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
    lists: ClassVar[frozenset[str]] = frozenset({"orcid", "ror", "dois"})
    page_size = PER_PAGE
    batch_size = PER_PAGE

    def _get(self, url: str, params: dict[str, str | int]) -> Any:
        key = self.secret("api_key")
        if not key:
            raise NotAuthorised("needs a key: set OPENALEX_API_KEY", source=self.name)
        try:
            return self.http.client(self).get_json(url, params={**params, "api_key": key})
        except NotAuthorised as exc:
            raise NotAuthorised(
                "refused the key (HTTP 401/403): check OPENALEX_API_KEY", source=self.name
            ) from exc

    def lookup(self, identifier: Identifier) -> SourceResult:
        url = f"{self.base_url()}/works/{PATHS[identifier.scheme]}:{identifier.value}"
        data = self._get(url, {})
        if data is None:
            return SourceResult(source=self.name)  # OpenAlex does not know the work
        return parse_work(data, identifier=identifier, api_url=str(httpx.URL(url)))

    def list_works(
        self, kind: str, value: str | Sequence[str], *, cursor: str | None = None
    ) -> WorkPage:
        if kind == "dois":
            dois = [value] if isinstance(value, str) else list(value)
            # Given DOIs fit one page (at most PER_PAGE of them), so no cursor.
            params: dict[str, str | int] = {"filter": "doi:" + "|".join(dois), "per-page": PER_PAGE}
        elif kind in FILTERS:
            params = {"filter": f"{FILTERS[kind]}:{value}", "per-page": PER_PAGE, "cursor": cursor or "*"}
        else:
            raise ValueError(f"OpenAlex cannot list {kind}")
        url = f"{self.base_url()}/works"
        data = self._get(url, {**params, "select": SELECT})
        if data is None:
            return WorkPage(total=0)
        page = parse_list(data, asked=PER_PAGE, api_url=str(httpx.URL(url)))
        return page.model_copy(update={"next_cursor": None}) if kind == "dois" else page
