"""A loopback fake of the registries a citation sweep asks, with each API's paging, for
bench/citation_sweep.py. One threaded server on 127.0.0.1 (bench.loopback) answers:

* Crossref ``/prefixes/{p}/works`` (``rows``, ``cursor=*`` then ``next-cursor``, sent on every
  page), ``/works?filter=doi:a,doi:b`` and ``/works/{doi}``;
* DataCite ``/dois?prefix=`` (``page[size]``, ``page[cursor]``, ``links.next`` while there is
  more) and ``/dois/{doi}``;
* OpenAlex ``/works?filter=doi:a|b`` and ``/works/doi:{doi}``;
* Europe PMC ``/search?query=DOI:"a" OR DOI:"b"``.

Each work is held by one agency (Crossref or DataCite) and indexed by OpenAlex and Europe PMC;
requests are counted per registry.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bench.loopback import _Server

REGISTRIES = ("crossref", "datacite", "openalex", "europepmc")


class FakeRegistries(_Server):
    """``works`` maps a DOI to (agency, citations)."""

    def __init__(self, works: dict[str, tuple[str, int]]) -> None:
        super().__init__()
        # Headers and body go in separate writes: without this each answer waits for a
        # delayed ACK (40 ms), and the one-by-one baseline would time the network stack.
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        self.works = works
        self.by_prefix: dict[tuple[str, str], list[str]] = defaultdict(list)
        for doi, (agency, _) in works.items():
            self.by_prefix[(agency, doi.split("/", 1)[0])].append(doi)
        self.calls: Counter[str] = Counter()

    def url_of(self, registry: str) -> str:
        return f"{self.url}/{registry}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        registry, _, rest = parts.path.lstrip("/").partition("/")
        with self._lock:
            self.calls[registry] += 1
        route = getattr(self, f"_{registry}", None)
        return route(unquote(rest), query) if route else (404, {"error": "no such registry"})

    def _cited(self, doi: str, agency: str | None = None) -> int | None:
        found = self.works.get(doi)
        if found is None or (agency is not None and found[0] != agency):
            return None
        return found[1]

    def _crossref(self, rest: str, q: dict[str, str]) -> tuple[int, Any]:
        if rest.startswith("works/"):
            cited = self._cited(rest.removeprefix("works/"), "crossref")
            if cited is None:
                return 404, {"status": "error", "message": "Resource not found."}
            return 200, {"status": "ok", "message-type": "work", "message": {"is-referenced-by-count": cited}}
        if rest.startswith("prefixes/"):
            held = self.by_prefix.get(("crossref", rest.split("/")[1]), [])
        else:
            wanted = [d.removeprefix("doi:") for d in q.get("filter", "").split(",")]
            held = [d for d in wanted if self._cited(d, "crossref") is not None]
        rows = int(q.get("rows", 20))
        cursor = q.get("cursor", "*")
        start = 0 if cursor == "*" else int(cursor)
        items = [{"DOI": d, "is-referenced-by-count": self.works[d][1]} for d in held[start:start + rows]]
        return 200, {"status": "ok", "message-type": "work-list", "message": {
            "items": items, "total-results": len(held), "next-cursor": str(start + rows)}}

    def _datacite(self, rest: str, q: dict[str, str]) -> tuple[int, Any]:
        if rest.startswith("dois/"):
            cited = self._cited(rest.removeprefix("dois/"), "datacite")
            if cited is None:
                return 404, {"errors": [{"status": "404", "title": "The resource you are looking for doesn't exist."}]}
            return 200, {"data": {"id": rest, "attributes": {"citationCount": cited, "viewCount": 0}}}
        held = self.by_prefix.get(("datacite", q.get("prefix", "")), [])
        size = int(q.get("page[size]", 25))
        cursor = q.get("page[cursor]", "1")
        start = 0 if cursor == "1" else int(cursor)
        data = [{"id": d, "type": "dois", "attributes": {"doi": d, "citationCount": self.works[d][1]}}
                for d in held[start:start + size]]
        links = {"next": f"https://api.datacite.org/dois?page%5Bcursor%5D={start + size}"} if start + size < len(held) else {}
        return 200, {"data": data, "meta": {"total": len(held)}, "links": links}

    def _openalex(self, rest: str, q: dict[str, str]) -> tuple[int, Any]:
        if rest.startswith("works/doi:"):
            cited = self._cited(rest.removeprefix("works/doi:"))
            return (404, {"error": "not found"}) if cited is None else (200, {"id": "https://openalex.org/W1", "cited_by_count": cited})
        wanted = q.get("filter", "").removeprefix("doi:").split("|")
        results = [{"id": f"https://openalex.org/W{n}", "doi": f"https://doi.org/{d}", "cited_by_count": self.works[d][1]}
                   for n, d in enumerate(wanted) if d in self.works]
        return 200, {"meta": {"count": len(results), "next_cursor": None}, "results": results}

    def _europepmc(self, rest: str, q: dict[str, str]) -> tuple[int, Any]:
        wanted = re.findall(r'DOI:"([^"]+)"', q.get("query", ""))
        result = [{"id": str(n), "source": "MED", "doi": d, "citedByCount": self.works[d][1]}
                  for n, d in enumerate(wanted) if d in self.works]
        return 200, {"hitCount": len(result), "resultList": {"result": result}}
