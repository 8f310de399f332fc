"""Loopback fakes of the registries' list endpoints, with their paging, shaped like the recorded
answers in ../shared/fixtures (Crossref ``work-list``, DataCite JSON:API ``/dois``, OpenAlex
``/works``, Europe PMC ``search``):

* Crossref ``/prefixes/{p}/works`` and ``/works?filter=orcid:|ror-id:|doi:``, ``rows``,
  ``cursor=*`` then ``next-cursor``, sent on every page, even the last;
* DataCite ``/dois?prefix=|query=|affiliation-id=``, ``page[size]``, ``page[cursor]`` and a
  ``links.next`` holding the next cursor while there is more;
* OpenAlex ``/works?filter=authorships.author.orcid:|authorships.institutions.ror:|doi:a|b``,
  ``per-page``, ``cursor=*`` then ``meta.next_cursor`` (null at the end), a key required;
* Europe PMC ``/search?query=DOI:"a" OR DOI:"b"``.

    with FakeServer() as srv:
        reg = Registries(srv)
        reg.add(Work("10.5555/a", citations=3, orcids=("0000-0002-1825-0097",)))
        ctx = reg.context(store)   # the four sources, pointed at the fake
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from core.models import Identifier
from handlers.context import Context
from sources.crossref import Crossref
from sources.datacite import DataCite
from sources.europepmc import EuropePMC
from sources.factory import HttpFactory
from sources.openalex import OpenAlex
from storage import Store
from tests.fakes.config import sources_config
from tests.fakes.http import Canned, FakeServer, Recorded, canned

KEY = "test-openalex-key"


@dataclass
class Work:
    """A work a registry lists. ``doi=None`` is a malformed record (no DOI)."""

    doi: str | None
    title: str = "A work"
    citations: int | None = 1
    orcids: tuple[str, ...] = ()
    rors: tuple[str, ...] = ()
    #: Which registries hold it: ``crossref``/``datacite`` by agency, ``openalex`` and
    #: ``europepmc`` index both.
    agency: str = "crossref"
    #: The prefix a record without a DOI is listed under.
    under: str = ""

    @property
    def prefix(self) -> str:
        return (self.doi or "").split("/", 1)[0] or self.under

    @property
    def ident(self) -> Identifier:
        assert self.doi
        return Identifier(scheme="doi", value=self.doi.lower())


class Registries:
    """The four registries on one loopback server, under /crossref, /datacite, /openalex and
    /europepmc; ``calls`` counts requests per registry."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.works: list[Work] = []
        self.failing: set[str] = set()
        server.route_fn("GET", "/crossref/works", self._crossref)
        server.route_fn("GET", "/datacite/dois", self._datacite)
        server.route_fn("GET", "/openalex/works", self._openalex)
        server.route_fn("GET", "/europepmc/search", self._europepmc)

    def add(self, *works: Work) -> None:
        for work in works:
            self.works.append(work)
            if work.prefix:
                path = f"/crossref/prefixes/{quote(work.prefix, safe='')}/works"
                self.server.route_fn("GET", path, self._crossref)

    def calls(self, registry: str) -> int:
        return sum(1 for r in self.server.requests if r.path.startswith(f"/{registry}/"))

    def context(self, store: Store, **settings: Any) -> Context:
        url = self.server.url
        config = sources_config(
            urls={name: f"{url}/{name}" for name in ("crossref", "datacite", "openalex", "europepmc")},
            openalex_api_key=KEY, rates={n: 1000 for n in ("crossref", "datacite", "openalex", "europepmc")},
        )
        http = HttpFactory(config, sleep=lambda _s: None)
        sources = [cls(config, http) for cls in (Crossref, DataCite, EuropePMC, OpenAlex)]
        return Context(store=store, sources=sources, **settings)

    # --- Crossref ---
    def _crossref(self, req: Recorded) -> Canned:
        if "crossref" in self.failing:
            return Canned(503, b"busy", {})
        held = [w for w in self.works if w.agency == "crossref"]
        flt = _one(req, "filter")
        if req.path.startswith("/crossref/prefixes/"):
            prefix = req.path.split("/")[3]
            held = [w for w in held if w.prefix == prefix]
        elif flt.startswith("orcid:"):
            held = [w for w in held if flt[6:] in w.orcids]
        elif flt.startswith("ror-id:"):
            held = [w for w in held if flt[7:].removeprefix("https://ror.org/") in w.rors]
        elif flt.startswith("doi:"):
            wanted = {d.removeprefix("doi:").lower() for d in flt.split(",")}
            held = [w for w in held if (w.doi or "").lower() in wanted]
        rows = int(_one(req, "rows") or 20)
        cursor = _one(req, "cursor", "*")
        start = 0 if cursor == "*" else int(cursor.lstrip("c"))
        page = held[start:start + rows]
        items = [
            {k: v for k, v in (("DOI", w.doi), ("title", [w.title]), ("is-referenced-by-count", w.citations))
             if v is not None}
            for w in page
        ]
        message = {"items": items, "total-results": len(held), "items-per-page": rows,
                   "next-cursor": f"c{start + rows}", "query": {"start-index": 0}}
        return canned(json={"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                            "message": message})

    # --- DataCite ---
    def _datacite(self, req: Recorded) -> Canned:
        if "datacite" in self.failing:
            return Canned(503, b"busy", {})
        held = [w for w in self.works if w.agency == "datacite"]
        if prefix := _one(req, "prefix"):
            held = [w for w in held if w.prefix == prefix]
        elif query := _one(req, "query"):
            orcid = re.search(r"orcid\.org/([\dX-]+)", query)
            held = [w for w in held if orcid and orcid.group(1) in w.orcids]
        elif ror := _one(req, "affiliation-id"):
            held = [w for w in held if ror in w.rors]
        size = int(_one(req, "page[size]") or 25)
        cursor = _one(req, "page[cursor]", "1")
        start = 0 if cursor == "1" else int(cursor.lstrip("k"))
        page = held[start:start + size]
        data = [
            {"id": w.doi, "type": "dois", "attributes": {
                "doi": w.doi, "titles": [{"title": w.title}],
                **({"citationCount": w.citations} if w.citations is not None else {}),
                "viewCount": 0, "downloadCount": 0}}
            for w in page
        ]
        links: dict[str, str] = {"self": f"{self.server.url}{req.path}"}
        if start + size < len(held):
            links["next"] = f"https://api.datacite.org/dois?page%5Bcursor%5D=k{start + size}&page%5Bsize%5D={size}"
        return canned(json={"data": data, "meta": {"total": len(held)}, "links": links},
                      content_type="application/vnd.api+json")

    # --- OpenAlex ---
    def _openalex(self, req: Recorded) -> Canned:
        if _one(req, "api_key") != KEY:
            return canned(status=401, json={"error": "API key required"})
        held = list(self.works)
        flt = _one(req, "filter")
        name, _, value = flt.partition(":")
        if name == "authorships.author.orcid":
            held = [w for w in held if value in w.orcids]
        elif name == "authorships.institutions.ror":
            held = [w for w in held if value in w.rors]
        elif name == "doi":
            wanted = {d.lower() for d in value.split("|")}
            held = [w for w in held if (w.doi or "").lower() in wanted]
        size = int(_one(req, "per-page") or 25)
        cursor = _one(req, "cursor", "*")
        start = 0 if cursor == "*" else int(cursor.lstrip("o"))
        page = held[start:start + size]
        results = [
            {"id": f"https://openalex.org/W{n}", "doi": f"https://doi.org/{w.doi}" if w.doi else None,
             "display_name": w.title, "cited_by_count": w.citations or 0}
            for n, w in enumerate(page, start=start)
        ]
        more = start + size < len(held)
        return canned(json={"meta": {"count": len(held), "per_page": size,
                                     "next_cursor": f"o{start + size}" if more else None},
                            "results": results, "group_by": []})

    # --- Europe PMC ---
    def _europepmc(self, req: Recorded) -> Canned:
        wanted = {d.lower() for d in re.findall(r'DOI:"([^"]+)"', _one(req, "query"))}
        found = [w for w in self.works if (w.doi or "").lower() in wanted]
        result = [{"id": str(40000000 + self.works.index(w)), "source": "MED", "doi": w.doi,
                   "title": w.title, "citedByCount": w.citations or 0} for w in found]
        return canned(json={"version": "6.9", "hitCount": len(result),
                            "resultList": {"result": result}})


def _one(req: Recorded, name: str, default: str = "") -> str:
    values = req.query.get(name)
    return values[0] if values else default
