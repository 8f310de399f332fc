"""Crossref REST: the citation count of a Crossref DOI (``is-referenced-by-count``), and lists of
works with their counts: a DOI prefix's (``/prefixes/{prefix}/works``), a person's
(``filter=orcid:``), an institution's (``filter=ror-id:``) or many given DOIs at once
(``filter=doi:a,doi:b``: the same filter named twice is OR-ed).

Polite pool: the contact e-mail goes in ``mailto`` (and the User-Agent). 404 means the DOI is not
Crossref's (it may be DataCite's): an empty answer, not an error. Lists page with ``cursor=*``
then ``next-cursor``, which comes on every page: a short page is the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from core.config import setting
from core.models import Count, Identifier, ListedWork, SourceResult, WorkPage
from sources.base import Source, lookup_doi_record, shape_checked
from sources.config import SourceSettings
from sources.errors import BadResponse
from sources.listing import listed_work, next_cursor, no_doi, total_of

DEFAULT_URL = "https://api.crossref.org"
#: Works a list page holds (Crossref's most), and DOIs named in one ``filter=doi:`` request (a
#: URL stays well under the 8 KB servers take).
ROWS, DOI_BATCH = 1000, 50
SELECT = "DOI,is-referenced-by-count,title"


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


@shape_checked("crossref")
def parse_list(data: Any, *, asked: int, api_url: str | None = None) -> WorkPage:
    """A ``work-list`` answer -> its works with their citation counts; records without a DOI
    are skipped and said. ``asked`` rows: a shorter page is the last."""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("items"), list):
        raise BadResponse("answered without `message.items`: check ATTENTION_CROSSREF_URL", source="crossref")
    works: list[ListedWork] = []
    skipped: list[str] = []
    for record in message["items"]:
        if not isinstance(record, dict):
            skipped.append("a record that is not an object")
            continue
        titles = record.get("title")
        title = titles[0] if isinstance(titles, list) and titles else titles
        found = listed_work("crossref", record.get("DOI"), title,
                     {"citations": record.get("is-referenced-by-count")}, api_url=api_url)
        if found is None:
            skipped.append(no_doi(record, "Crossref"))
        else:
            works.append(found)
    total = message.get("total-results")
    return WorkPage(
        works=tuple(works), skipped=tuple(skipped),
        next_cursor=next_cursor(message.get("next-cursor"), got=len(message["items"]), asked=asked),
        total=total_of(total),
    )


class Crossref(Source):
    name = "crossref"
    label = "Crossref"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    kind = "citation"
    default_interval_minutes = 24 * 60
    # Crossref's public pool allows 5 requests a second and 1 at a time (more with mailto).
    rate_per_second = 5.0
    concurrency = 1

    lists: ClassVar[frozenset[str]] = frozenset({"prefix", "orcid", "ror", "dois"})
    page_size = ROWS
    batch_size = DOI_BATCH

    class Settings(SourceSettings):
        url: str = setting(DEFAULT_URL, "Crossref REST API.")

    def lookup(self, identifier: Identifier) -> SourceResult:
        return lookup_doi_record(
            self, identifier, path="works", parse=parse_work
        )

    def list_works(
        self, kind: str, value: str | Sequence[str], *, cursor: str | None = None
    ) -> WorkPage:
        params: dict[str, str | int] = {"select": SELECT}
        path, rows = "works", ROWS
        if kind == "prefix":
            path = f"prefixes/{quote(str(value), safe='')}/works"
        elif kind == "orcid":
            params["filter"] = f"orcid:{value}"
        elif kind == "ror":
            params["filter"] = f"ror-id:https://ror.org/{value}"
        elif kind == "dois":
            dois = [value] if isinstance(value, str) else list(value)
            params["filter"] = ",".join(f"doi:{d}" for d in dois)
            rows = len(dois)
        else:
            raise ValueError(f"Crossref cannot list {kind}")
        # Given DOIs fit one page; a set is paged with cursors.
        params |= {"rows": rows} if kind == "dois" else {"rows": rows, "cursor": cursor or "*"}
        if self.config.contact_email:
            params["mailto"] = self.config.contact_email
        url = f"{self.base_url()}/{path}"
        data = self.http.client(self).get_json(url, params=params)
        if data is None:
            return WorkPage(total=0)  # an unknown prefix: nothing listed
        page = parse_list(data, asked=rows, api_url=str(httpx.URL(url)))
        return page.model_copy(update={"next_cursor": None}) if kind == "dois" else page
