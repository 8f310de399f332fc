"""DataCite REST: citation, view and download counts of a DataCite DOI (``/dois/{doi}``).

404 means the DOI is not DataCite's (most article DOIs are Crossref's): an empty answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from core.config import setting
from core.models import Count, Identifier, SourceResult
from sources.base import Source, lookup_doi_record, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse

DEFAULT_URL = "https://api.datacite.org"
METRICS = {"citationCount": "citations", "viewCount": "views", "downloadCount": "downloads"}


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


class DataCite(Source):
    name = "datacite"
    label = "DataCite"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    kind = "citation"
    default_interval_minutes = 24 * 60
    # 500 requests per 5 minutes anonymously, 1,000 with a contact e-mail: stay under both.
    rate_per_second = 1.5
    concurrency = 2

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "DataCite REST API.")

    def lookup(self, identifier: Identifier) -> SourceResult:
        return lookup_doi_record(
            self, identifier, path="dois", parse=parse_doi
        )
