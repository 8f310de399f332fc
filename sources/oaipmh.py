"""OAI-PMH harvesting: ``ListRecords`` with ``oai_dc``, following resumption tokens.

``parse_list_records`` is pure (XML in, records out; defusedxml, since the XML comes from the
internet); ``Harvester.pages`` does the I/O through the shared HTTP client, so it gets the
same User-Agent, retries and fault mapping as every source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict

from sources.base import Source
from sources.errors import BadResponse

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
#: (base URL, query parameters) -> (HTTP status, body)
Get = Callable[[str, dict[str, str]], tuple[int, bytes]]
#: Pages followed before giving up on a repository that never stops sending tokens.
MAX_PAGES = 10_000


class OaiRecord(BaseModel):
    """One record's header id, title and ``dc:identifier`` values (raw), or why it is unusable."""

    model_config = ConfigDict(frozen=True)

    oai_id: str | None = None
    title: str | None = None
    identifiers: tuple[str, ...] = ()
    deleted: bool = False
    #: Set when the record cannot be used (no header, no metadata).
    problem: str | None = None


class OaiPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    records: tuple[OaiRecord, ...] = ()
    resumption_token: str | None = None
    complete_list_size: int | None = None


def _text(el: Element | None) -> str | None:
    text = (el.text or "").strip() if el is not None else ""
    return text or None


def parse_list_records(xml: bytes | str) -> OaiPage:
    """One ``ListRecords`` response. ``noRecordsMatch`` is an empty page; any other OAI error
    or XML that cannot be read raises BadResponse."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException) as exc:
        raise BadResponse(f"answered with XML that cannot be read ({exc})", source="oaipmh") from exc
    if root.tag != f"{OAI}OAI-PMH":
        raise BadResponse("answered with something that is not an OAI-PMH response", source="oaipmh")
    for error in root.findall(f"{OAI}error"):
        code = error.get("code", "")
        if code == "noRecordsMatch":
            return OaiPage()
        raise BadResponse(f"reported an OAI-PMH error: {code}: {_text(error) or ''}".rstrip(": "), source="oaipmh")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise BadResponse("answered without a ListRecords element", source="oaipmh")
    records = [_record(el) for el in listing.findall(f"{OAI}record")]
    token_el = listing.find(f"{OAI}resumptionToken")
    size = token_el.get("completeListSize") if token_el is not None else None
    return OaiPage(
        records=tuple(records),
        resumption_token=_text(token_el),
        complete_list_size=int(size) if size and size.isdigit() else None,
    )


def _record(el: Element) -> OaiRecord:
    header = el.find(f"{OAI}header")
    if header is None:
        return OaiRecord(problem="a record without a header")
    oai_id = _text(header.find(f"{OAI}identifier"))
    if header.get("status") == "deleted":
        return OaiRecord(oai_id=oai_id, deleted=True)
    metadata = el.find(f"{OAI}metadata")
    dc = metadata[0] if metadata is not None and len(metadata) else None
    if dc is None:
        return OaiRecord(oai_id=oai_id, problem=f"record {oai_id or '?'} has no metadata")
    values = tuple(v for v in (_text(i) for i in dc.iter(f"{DC}identifier")) if v)
    return OaiRecord(oai_id=oai_id, title=_text(dc.find(f"{DC}title")), identifiers=values)


class Harvester(Source):
    """Not an attention source (not in the registry): a client for one repository's OAI-PMH
    endpoint, sharing the HTTP factory's politeness and fault mapping."""

    name = "oaipmh"
    label = "OAI-PMH"
    schemes: ClassVar[frozenset[str]] = frozenset()
    rate_per_second = 2.0
    concurrency = 1

    def pages(
        self, base_url: str, *, set_spec: str | None = None, get: Get | None = None
    ) -> Iterator[OaiPage]:
        """Every page of ``ListRecords`` (oai_dc), following resumption tokens. ``get`` fetches
        one page (the caller's safe fetcher for user-given URLs); by default the shared client."""
        if get is None:
            client = self.http.client(self)

            def get(url: str, params: dict[str, str]) -> tuple[int, bytes]:
                resp = client.get(url, params=params)
                return resp.status_code, resp.content

        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
        if set_spec:
            params["set"] = set_spec
        for _ in range(MAX_PAGES):
            status, body = get(base_url, params)
            if status == 404:
                raise BadResponse(f"{base_url} answered 404: is it the OAI-PMH base URL?", source=self.name)
            if status >= 400:
                raise BadResponse(f"{base_url} answered HTTP {status}", source=self.name)
            page = parse_list_records(body)
            yield page
            if not page.resumption_token:
                return
            # The token replaces every other argument but the verb (OAI-PMH 2.0, 3.5).
            params = {"verb": "ListRecords", "resumptionToken": page.resumption_token}
        raise BadResponse(f"sent more than {MAX_PAGES} pages of records: stopped", source=self.name)
