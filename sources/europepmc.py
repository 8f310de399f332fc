"""Europe PMC: citation counts and citing works for PMIDs, PMCIDs and DOIs.

PMIDs and PMCIDs are asked directly (``/MED/{id}/citations``, ``/PMC/{id}/citations``); a DOI is
first found with ``search?query=DOI:"..."``, whose ``citedByCount`` is the count. Up to 100 DOIs
are asked in one search (``DOI:"a" OR DOI:"b"``, ``resultType=lite``): a sweep's counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from core.config import setting
from core.models import Count, Identifier, ListedWork, Mention, SourceResult, WorkPage
from sources.base import Source, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse
from sources.listing import listed_work

DEFAULT_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest"
#: Citing works kept as mentions per lookup; the count covers the rest.
MAX_CITING = 25
#: DOIs OR-ed in one search, and the records one answer may hold (Europe PMC's most).
DOI_BATCH, PAGE_SIZE = 100, 1000


def _count(value: Any, api_url: str | None) -> tuple[Count, ...]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ()
    return (Count(source="europepmc", metric="citations", value=number, api_url=api_url),)


@shape_checked("europepmc")
def parse_citations(
    data: Any, *, identifier: Identifier, api_url: str | None = None
) -> SourceResult:
    """A ``/{source}/{id}/citations`` answer -> the citation count and the citing works."""
    if not isinstance(data, dict) or "hitCount" not in data:
        raise BadResponse("answered without `hitCount`", source="europepmc")
    cited = ((data.get("citationList") or {}).get("citation")) or []
    mentions = []
    for work in cited[:MAX_CITING]:
        wid, wsrc = work.get("id"), work.get("source")
        if not wid or not wsrc:
            continue
        mentions.append(
            Mention(
                source="europepmc",
                external_id=f"{wsrc}:{wid}:{identifier.key}",
                url=f"https://europepmc.org/article/{wsrc}/{wid}",
                title=work.get("title"),
                api_url=api_url,
                kind="citation",
            )
        )
    return SourceResult(
        source="europepmc", mentions=tuple(mentions), counts=_count(data["hitCount"], api_url)
    )


@shape_checked("europepmc")
def parse_search(data: Any, *, api_url: str | None = None) -> tuple[dict[str, Any] | None, SourceResult]:
    """A ``search`` answer -> (the first record found, its ``citedByCount`` as a count)."""
    if not isinstance(data, dict) or not isinstance(data.get("resultList"), dict):
        raise BadResponse("answered without `resultList`", source="europepmc")
    results = data["resultList"].get("result") or []
    if not results:
        return None, SourceResult(source="europepmc")
    first = results[0]
    return first, SourceResult(source="europepmc", counts=_count(first.get("citedByCount"), api_url))


@shape_checked("europepmc")
def parse_batch(data: Any, *, api_url: str | None = None) -> WorkPage:
    """A search for several DOIs -> one work per DOI found, with its ``citedByCount``; a DOI
    found twice keeps its first record, as a lookup of it would."""
    if not isinstance(data, dict) or not isinstance(data.get("resultList"), dict):
        raise BadResponse("answered without `resultList`", source="europepmc")
    works: dict[str, ListedWork] = {}
    for record in data["resultList"].get("result") or []:
        if not isinstance(record, dict):
            continue
        found = listed_work("europepmc", record.get("doi"), record.get("title"),
                     {"citations": _number(record.get("citedByCount"))}, api_url=api_url)
        if found is not None and found.doi not in works:
            works[found.doi] = found
    return WorkPage(works=tuple(works.values()))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class EuropePMC(Source):
    name = "europepmc"
    label = "Europe PMC"
    schemes: ClassVar[frozenset[str]] = frozenset({"pmid", "pmcid", "doi"})
    kind = "citation"
    default_interval_minutes = 24 * 60
    # No published limit; Europe PMC asks clients to be polite.
    rate_per_second = 2.0
    concurrency = 2

    lists: ClassVar[frozenset[str]] = frozenset({"dois"})
    page_size = PAGE_SIZE
    batch_size = DOI_BATCH
    # A search gives counts; the citing works come from one lookup of each work whose count rose.
    asks_again_on_rise = True

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Europe PMC REST API.")

    def list_works(
        self, kind: str, value: str | Sequence[str], *, cursor: str | None = None
    ) -> WorkPage:
        if kind != "dois":
            raise ValueError(f"Europe PMC cannot list {kind}")
        dois = [value] if isinstance(value, str) else list(value)
        url = f"{self.base_url()}/search"
        query = " OR ".join(f'DOI:"{doi}"' for doi in dois)
        params = {"query": query, "format": "json", "resultType": "lite", "pageSize": PAGE_SIZE}
        data = self.http.client(self).get_json(url, params=params)
        if data is None:
            return WorkPage()
        return parse_batch(data, api_url=str(httpx.URL(url)))

    def requests_per_lookup(self) -> int:
        return 2  # a DOI's search, then its citing works

    def _citations(self, src: str, ident: str, identifier: Identifier) -> SourceResult:
        url = f"{self.base_url()}/{src}/{ident}/citations"
        params = {"format": "json", "pageSize": MAX_CITING}
        data = self.http.client(self).get_json(url, params=params)
        if data is None:
            return SourceResult(source=self.name)
        return parse_citations(data, identifier=identifier, api_url=str(httpx.URL(url, params=params)))

    def lookup(self, identifier: Identifier) -> SourceResult:
        if identifier.scheme == "pmid":
            return self._citations("MED", identifier.value, identifier)
        if identifier.scheme == "pmcid":
            return self._citations("PMC", identifier.value, identifier)
        url = f"{self.base_url()}/search"
        params = {"query": f'DOI:"{identifier.value}"', "format": "json", "resultType": "lite"}
        data = self.http.client(self).get_json(url, params=params)
        if data is None:
            return SourceResult(source=self.name)
        first, found = parse_search(data, api_url=str(httpx.URL(url, params=params)))
        if first is None or not first.get("citedByCount") or not first.get("id"):
            return found
        citing = self._citations(str(first.get("source") or "MED"), str(first["id"]), identifier)
        # The search's citedByCount is the count; the citations call adds the citing works.
        return SourceResult(source=self.name, mentions=citing.mentions, counts=found.counts)
