"""Importing a collection: a CSV file or an OAI-PMH repository, in batches.

Imports are idempotent: every row names an item by one or more identifiers; rows naming a known
item add aliases to it and change nothing else. Used by `watch collection` and by the
`attention-bot import` / `harvest` commands.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from core.errors import InputError
from core.identifiers import display, parse_identifier
from core.models import Identifier
from handlers.context import Context
from handlers.polling.resolve import resolver_config, url_rules
from handlers.render import plural
from sources.config import SourcesConfig
from sources.errors import BadResponse
from sources.factory import HttpFactory
from sources.oaipmh import Get, Harvester, OaiRecord
from sources.resolver import check_url, fetch_page, with_query
from sources.urlrules import UrlRule, key_for
from storage import Database, items, watches

#: (rows done, rows expected or None): the CLI draws its counter from this.
Progress = Callable[[int, int | None], None]

BATCH = 500
SHOWN_REFUSALS = 3
ID_HEADERS = ("identifier", "identifiers", "id", "doi", "handle", "hdl", "url", "uri", "link",
              "pid", "ark", "urn", "arxiv", "pmid", "pmcid", "isbn", "dc.identifier")
TITLE_HEADERS = ("title", "name", "dc.title")
#: A bare value in a column named like this gets the prefix (``doi`` column: ``10.1/x``).
_COLUMN_PREFIX = {"doi": "doi:", "handle": "hdl:", "hdl": "hdl:", "pmid": "pmid:",
                  "pmcid": "pmcid:", "isbn": "isbn:", "arxiv": "arxiv:"}
#: What a repository's dc:identifier may name an item by (not bare numbers: they are local ids).
OAI_SCHEMES = ("doi", "handle", "ark", "urn", "arxiv", "pmcid", "url")
OAI_MAX_BYTES, OAI_TIMEOUT = 50_000_000, 60.0


@dataclass
class ImportReport:
    #: Rows that named an item (several rows may name one item).
    rows: int = 0
    new_items: int = 0
    deleted: int = 0
    refused: list[str] = field(default_factory=list)
    #: The items the rows named, as they are after any merge.
    items: set[int] = field(default_factory=set)
    #: Rows naming an item an earlier row of this import named.
    duplicates: int = 0
    #: "a and b": items the channel watched apart that a row showed to be one.
    merged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counted = [f"{self.new_items:,} new"]
        if self.duplicates:
            counted.append(plural(self.duplicates, "duplicate row"))
        text = f"imported {plural(len(self.items), 'item')} ({', '.join(counted)})"
        if self.merged:
            shown = "; ".join(self.merged[:SHOWN_REFUSALS])
            more = len(self.merged) - SHOWN_REFUSALS
            text += f"; watched here as two items, now one: {shown}"
            text += f" (and {more:,} more)" if more > 0 else ""
        if self.deleted:
            text += f"; {plural(self.deleted, 'deleted record')} skipped"
        if self.refused:
            shown = "; ".join(self.refused[:SHOWN_REFUSALS])
            more = len(self.refused) - SHOWN_REFUSALS
            text += f"; {plural(len(self.refused), 'row')} refused: {shown}"
            text += f" (and {more:,} more)" if more > 0 else ""
        return text


def _reason(exc: Exception) -> str:
    return str(exc).split(". Give ")[0].rstrip(".")


def _with_keys(idents: list[Identifier], rules: tuple[UrlRule, ...]) -> list[Identifier]:
    """Identifiers plus the URL-rule key of the first URL among them, so a later link to any
    view of the item finds it."""
    for ident in idents:
        if ident.scheme == "url" and (key := key_for(ident.value, rules)) is not None:
            return [*idents, key]
    return idents


def _merge(db: Database, channel: str, idents: list[Identifier], report: ImportReport) -> None:
    """Make the items ``idents`` name one; note it when the channel watched them apart."""
    owners = sorted({i for i in (items.find_item_id(db, ident) for ident in idents) if i})
    if len(owners) < 2:
        return
    watched = sorted(watches.watched_among(db, channel, owners))
    if len(watched) > 1:
        known = items.get_items(db, watched)
        names = [known[i].primary for i in watched if i in known]
        report.merged.append(" and ".join(display(p) for p in names if p))
    keep = items.merge_owners(db, idents)
    counted = report.items.intersection(owners)
    if counted and keep is not None:  # the items this import counted are now the kept one
        report.items.difference_update(counted)
        report.items.add(keep)


def store_rows(
    ctx: Context, rows: Iterable[tuple[list[Identifier], str | None] | str], *,
    channel: str, collection: str, origin: str, progress: Progress | None = None,
    total: int | None = None, report: ImportReport | None = None,
) -> ImportReport:
    """Watch each row's item in ``channel`` under ``collection``; a str row is a refusal."""
    report = report or ImportReport()
    rules = url_rules(ctx)
    batch: list[tuple[list[Identifier], str | None]] = []

    def flush() -> None:
        # Only rows that name an item make the collection: an import refused row by row
        # leaves no empty collection behind.
        if batch:
            with ctx.store.transaction() as db:
                collection_id = watches.ensure_collection(db, channel, collection, origin)
                for idents, title in batch:
                    # A row naming a DOI and a Handle says they are one item, even if each was
                    # watched on its own before.
                    _merge(db, channel, [i for i in idents if i.scheme != "url"], report)
                    item_id, new = watches.watch_item(
                        db, channel, _with_keys(idents, rules), title=title, collection_id=collection_id
                    )
                    report.rows += 1
                    report.new_items += int(new)
                    report.duplicates += item_id in report.items
                    report.items.add(item_id)
            batch.clear()
        if progress:
            progress(report.rows + len(report.refused), total)

    for row in rows:
        if isinstance(row, str):
            report.refused.append(row)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    return report


# --- CSV ---


def csv_rows(text: str) -> Iterator[tuple[list[Identifier], str | None] | str]:
    """Rows of a CSV: identifier column(s) found by header name (else the first column), and
    an optional title column. Yields ``(identifiers, title)`` or a refusal reason."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    first = next(reader, None)
    if first is None:
        return
    names = [c.strip().lower() for c in first]
    id_cols = [i for i, n in enumerate(names) if n in ID_HEADERS]
    title_col = next((i for i, n in enumerate(names) if n in TITLE_HEADERS), None)
    start = 2
    if not id_cols:
        id_cols = [0]
        try:
            parse_identifier(first[0] if first else "")
        except InputError:
            pass  # an unrecognised header: data starts on row 2
        else:
            # No header at all: the first row is data, a second column is the title.
            names, title_col, start = [], 1 if len(first) > 1 else None, 1
            yield from _csv_row(first, 1, id_cols, title_col, names)
    for n, row in enumerate(reader, start=start):
        yield from _csv_row(row, n, id_cols, title_col, names)


def _csv_row(
    row: list[str], n: int, id_cols: list[int], title_col: int | None, names: list[str]
) -> Iterator[tuple[list[Identifier], str | None] | str]:
    if not any(cell.strip() for cell in row):
        return
    idents, problems = [], []
    for col in id_cols:
        value = row[col].strip() if col < len(row) else ""
        if not value:
            continue
        prefix = _COLUMN_PREFIX.get(names[col] if col < len(names) else "", "")
        candidates = [prefix + value, value] if prefix and ":" not in value.split("/")[0] else [value]
        for candidate in candidates:
            try:
                idents.append(parse_identifier(candidate))
                break
            except InputError as exc:
                err = exc
        else:
            problems.append(_reason(err))
    if not idents:
        yield f"row {n}: " + (problems[0] if problems else "no identifier")
        return
    title = row[title_col].strip() if title_col is not None and title_col < len(row) else None
    yield list(dict.fromkeys(idents)), title or None


def import_csv(
    ctx: Context, text: str, *, channel: str, collection: str, origin: str,
    progress: Progress | None = None,
) -> ImportReport:
    rows = list(csv_rows(text))
    return store_rows(ctx, rows, channel=channel, collection=collection, origin=origin,
                      progress=progress, total=len(rows))


# --- OAI-PMH ---


def record_identifiers(record: OaiRecord) -> tuple[list[Identifier], str | None] | str:
    """A record's item identifiers, DOIs and Handles first; URL aliases of the same record
    stay aliases of its one item."""
    if record.problem:
        return record.problem
    found: list[Identifier] = []
    for value in record.identifiers:
        try:
            ident = parse_identifier(value)
        except InputError:
            continue
        if ident.scheme in OAI_SCHEMES:
            found.append(ident)
    if not found:
        return f"record {record.oai_id or '?'}: no dc:identifier is a DOI, Handle or URL"
    found.sort(key=lambda i: OAI_SCHEMES.index(i.scheme))
    return list(dict.fromkeys(found)), record.title


def harvester(ctx: Context) -> Harvester:
    """An OAI-PMH client sharing the sources' HTTP factory (User-Agent, retries)."""
    for source in ctx.sources:
        return Harvester(source.config, source.http)
    config = SourcesConfig()
    return Harvester(config, HttpFactory(config))


def safe_get(ctx: Context) -> Get:
    """Fetch OAI-PMH pages through the resolver's checks: a user-given repository URL, or a
    redirect from it, must not reach the bot's own network (pages may be large and slow)."""
    base = resolver_config(ctx)
    config = base.model_copy(update={"max_bytes": OAI_MAX_BYTES, "timeout": max(base.timeout, OAI_TIMEOUT)})

    def get(url: str, params: dict[str, str]) -> tuple[int, bytes]:
        fetched = fetch_page(with_query(url, params), config=config)
        if fetched.truncated:
            raise BadResponse(f"sent a page larger than {OAI_MAX_BYTES // 1_000_000} MB: stopped", source="oaipmh")
        return fetched.status, fetched.body

    return get


def harvest(
    ctx: Context, base_url: str, *, channel: str, collection: str, set_spec: str | None = None,
    progress: Progress | None = None, client: Harvester | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every record of an OAI-PMH repository (or one set). Raises SourceError when the
    repository cannot be read; what was imported before stays."""
    config = resolver_config(ctx)
    check_url(base_url, allow_hosts=config.allow_hosts, timeout=config.timeout)
    client = client or harvester(ctx)
    report = report if report is not None else ImportReport()
    origin = base_url + (f" set={set_spec}" if set_spec else "")
    for page in client.pages(base_url, set_spec=set_spec, get=safe_get(ctx)):
        rows: list[tuple[list[Identifier], str | None] | str] = []
        for record in page.records:
            if record.deleted:
                report.deleted += 1
                continue
            rows.append(record_identifiers(record))
        store_rows(ctx, rows, channel=channel, collection=collection, origin=origin,
                   progress=progress, total=page.complete_list_size, report=report)
    return report
