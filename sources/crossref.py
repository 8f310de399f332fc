"""Crossref REST: the citation count of a Crossref DOI (``is-referenced-by-count``).

Polite pool: the contact e-mail goes in ``mailto`` (and the User-Agent). 404 means the DOI is not
Crossref's (it may be DataCite's): an empty answer, not an error.
"""

from __future__ import annotations

from typing import Any, ClassVar

from core.config import setting
from core.models import Count, Identifier, SourceResult
from sources.base import Source, lookup_doi_record, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse

DEFAULT_URL = "https://api.crossref.org"


@shape_checked("crossref")
def parse_work(data: Any, *, api_url: str | None = None) -> SourceResult:
    """A ``/works/{doi}`` answer -> the citation count (none when the field is absent)."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise BadResponse("answered without a `message` object", source="crossref")
    kind = data.get("message-type")
    if kind not in (None, "work"):
        # A list or another resource: the base URL does not lead to /works/{doi}.
        raise BadResponse(
            f"answered with a `{kind}` instead of one work: check ATTENTION_CROSSREF_URL",
            source="crossref",
        )
    cited = data["message"].get("is-referenced-by-count")
    counts: tuple[Count, ...] = ()
    if isinstance(cited, int | float) and not isinstance(cited, bool):
        counts = (Count(source="crossref", metric="citations", value=cited, api_url=api_url),)
    return SourceResult(source="crossref", counts=counts)


class Crossref(Source):
    name = "crossref"
    label = "Crossref"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    kind = "citation"
    default_interval_minutes = 24 * 60
    # Crossref's public pool allows 5 requests a second and 1 at a time (more with mailto).
    rate_per_second = 5.0
    concurrency = 1

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Crossref REST API.")

    def lookup(self, identifier: Identifier) -> SourceResult:
        return lookup_doi_record(
            self, identifier, path="works", parse=parse_work
        )
