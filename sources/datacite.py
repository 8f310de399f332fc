"""DataCite REST: citation, view and download counts of a DataCite DOI (``/dois/{doi}``), and
lists of works with those counts (``/dois?prefix=``, a creator's ORCID iD, an affiliation's ROR
id), 1,000 a page with sparse fields (``fields[dois]``) and cursor paging (``page[cursor]``).

404 means the DOI is not DataCite's (most article DOIs are Crossref's): an empty answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from core.config import setting
from core.models import Count, Identifier, ListedWork, SourceResult, WorkPage
from sources.base import Source, lookup_doi_record, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse
from sources.listing import listed_work, next_cursor, no_doi, query_param, total_of

DEFAULT_URL = "https://api.datacite.org"
METRICS = {"citationCount": "citations", "viewCount": "views", "downloadCount": "downloads"}
#: Works a list page holds (DataCite's most).
ROWS = 1000
FIELDS = "doi,titles," + ",".join(METRICS)


@shape_checked("datacite")
def parse_doi(data: Any, *, api_url: str | None = None) -> SourceResult:
    """A ``/dois/{doi}`` answer (JSON:API) -> counts for the metrics it reports."""
    record = data.get("data") if isinstance(data, dict) else None
    attrs = record.get("attributes") if isinstance(record, dict) else None
    if not isinstance(attrs, dict):
        raise BadResponse("answered without `data.attributes`", source="datacite")
    counts = tuple(
        Count(source="datacite", metric=metric, value=attrs[field], api_url=api_url)
        for field, metric in METRICS.items()
        if isinstance(attrs.get(field), int | float) and not isinstance(attrs.get(field), bool)
    )
    return SourceResult(source="datacite", counts=counts)


@shape_checked("datacite")
def parse_list(data: Any, *, asked: int, api_url: str | None = None) -> WorkPage:
    """A ``/dois`` list (JSON:API) -> its works with their counts; the next page's cursor is the
    ``page[cursor]`` of ``links.next``. Records without a DOI are skipped and said."""
    records = data.get("data") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise BadResponse("answered without a `data` list: check ATTENTION_DATACITE_URL", source="datacite")
    works: list[ListedWork] = []
    skipped: list[str] = []
    for record in records:
        attrs = record.get("attributes") if isinstance(record, dict) else None
        if not isinstance(attrs, dict):
            skipped.append("DataCite: a record without attributes")
            continue
        titles = attrs.get("titles")
        first = titles[0] if isinstance(titles, list) and titles else None
        title = first.get("title") if isinstance(first, dict) else None
        metrics = {metric: attrs.get(field) for field, metric in METRICS.items()}
        found = listed_work("datacite", attrs.get("doi") or record.get("id"), title, metrics, api_url=api_url)
        if found is None:
            skipped.append(no_doi(record, "DataCite"))
        else:
            works.append(found)
    links, meta = data.get("links"), data.get("meta")
    cursor = query_param(links.get("next") if isinstance(links, dict) else None, "page[cursor]")
    total = meta.get("total") if isinstance(meta, dict) else None
    return WorkPage(
        works=tuple(works), skipped=tuple(skipped),
        next_cursor=next_cursor(cursor, got=len(records), asked=asked),
        total=total_of(total),
    )


class DataCite(Source):
    name = "datacite"
    label = "DataCite"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    kind = "citation"
    default_interval_minutes = 24 * 60
    # 500 requests per 5 minutes anonymously, 1,000 with a contact e-mail: stay under both.
    rate_per_second = 1.5
    concurrency = 2

    lists: ClassVar[frozenset[str]] = frozenset({"prefix", "orcid", "ror"})
    page_size = ROWS

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "DataCite REST API.")

    def lookup(self, identifier: Identifier) -> SourceResult:
        return lookup_doi_record(
            self, identifier, path="dois", parse=parse_doi
        )

    def list_works(
        self, kind: str, value: str | Sequence[str], *, cursor: str | None = None
    ) -> WorkPage:
        params: dict[str, str | int] = {"page[size]": ROWS, "page[cursor]": cursor or "1", "fields[dois]": FIELDS}
        if kind == "prefix":
            params["prefix"] = str(value)
        elif kind == "orcid":
            params["query"] = f'creators.nameIdentifiers.nameIdentifier:"https://orcid.org/{value}"'
        elif kind == "ror":
            params["affiliation-id"] = str(value)
        else:
            raise ValueError(f"DataCite cannot list {kind}")
        if self.config.contact_email:
            params["mailto"] = self.config.contact_email
        url = f"{self.base_url()}/dois"
        data = self.http.client(self).get_json(url, params=params)
        if data is None:
            return WorkPage(total=0)
        return parse_list(data, asked=ROWS, api_url=str(httpx.URL(url)))
