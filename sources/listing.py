"""Paging through a registry's list of works (a set's works, or many DOIs at once).

Each source's ``list_works`` fetches one page and says where the next starts; ``pages`` follows
the cursors. A page shorter than asked is the last one, whatever cursor it carries: Crossref
sends a ``next-cursor`` on every page, even the last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.models import Count, Identifier, ListedWork, WorkPage
from sources.base import Source
from sources.errors import BadResponse

#: Pages followed at most in one list: 10 million works at 1,000 a page. A registry that keeps
#: sending cursors past it is in a loop.
MAX_PAGES = 10_000


def pages(
    source: Source, kind: str, value: str | Sequence[str], *,
    fetch: Callable[[str | None], WorkPage] | None = None,
) -> Iterator[WorkPage]:
    """Every page of a list, first to last; ``fetch(cursor)`` gets one (default: the source's
    ``list_works``; handlers pass one that records the source's health). A cursor seen before
    ends it with BadResponse: a registry sending one back would otherwise be asked forever."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = fetch(cursor) if fetch else source.list_works(kind, value, cursor=cursor)
        yield page
        if page.next_cursor is None:
            return
        if page.next_cursor in seen:
            raise BadResponse("sent a page cursor it had sent before: stopped listing", source=source.name)
        seen.add(page.next_cursor)
        cursor = page.next_cursor
    raise BadResponse(f"listed more than {MAX_PAGES:,} pages: stopped", source=source.name)


def next_cursor(cursor: object, *, got: int, asked: int) -> str | None:
    """The cursor to the next page, or None when this page was short or empty (the last)."""
    if got < asked or not isinstance(cursor, str) or not cursor:
        return None
    return cursor


def total_of(value: object) -> int | None:
    """A registry's count of the works listed, when it sent a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def query_param(url: object, name: str) -> str | None:
    """One query parameter of a link a registry sent (DataCite's ``links.next``): the bot builds
    its next request itself rather than following a URL from an answer."""
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def number(value: object) -> float | None:
    """A count as a float; None for what is not one (missing, text, true/false)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def listed_work(
    source: str, doi: object, title: object, metrics: dict[str, object], *, api_url: str | None
) -> ListedWork | None:
    """A listed work from a record's DOI, title and ``{metric: value}``; None when the record
    names no DOI. Counts carry the DOI, so a page's counts find their items."""
    if not isinstance(doi, str) or not doi.strip().lower().startswith("10."):
        return None
    key = doi.strip().lower()
    ident = Identifier(scheme="doi", value=key)
    counts = tuple(
        Count(source=source, metric=metric, value=n, identifier=ident, api_url=api_url)
        for metric, raw in metrics.items()
        if (n := number(raw)) is not None
    )
    text = title if isinstance(title, str) and title.strip() else None
    return ListedWork(doi=key, title=text.strip()[:500] if text else None, counts=counts)


def no_doi(record: Any, where: str) -> str:
    """How a record without a DOI is reported: by its own id when it has one."""
    rid = record.get("id") if isinstance(record, dict) else None
    return f"{where}: a record without a DOI" + (f" ({str(rid)[:80]})" if rid else "")
