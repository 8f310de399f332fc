"""Listing a set's works from the registries and keeping the set in sync.

`watch prefix|orcid|ror` lists a set once; the set sync (daily under `attention-bot run`,
ATTENTION_SET_SYNC_HOURS, and on every `poll --once`) lists every set again: works new to it
join it, watched in its channel, and the channel hears "3 new works joined orcid:...". A new
work's first poll is its baseline, as for any newly watched item.

Each registry that lists the kind of set (``Source.lists``) is asked, page by page; a page's
works are stored in one transaction, so 100,000 works never sit in memory, and a sync's
announcement is written in the transaction that adds the works it names: a crash neither
loses nor repeats it. A registry that fails never stops the others. Works are never dropped
from a set by a sync: a registry that briefly lists fewer must not unwatch anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from core.models import Identifier, WorkPage
from core.times import parse
from handlers.context import Context
from handlers.polling.asking import BackingOff, asking
from handlers.render import plural
from sources.base import Source
from sources.errors import SourceError
from sources.listing import pages
from storage import Database, channels, outbox
from storage import sets as sets_store
from storage.sets import SetRow

log = logging.getLogger(__name__)

#: Records without a DOI named in a reply; the rest are counted.
SHOWN_SKIPPED = 3
#: New works named in an announcement; the rest are counted.
SHOWN_JOINED = 5
#: A set listed less than this share of ATTENTION_SET_SYNC_HOURS ago is not due yet (the daily
#: job and a cron `poll --once` do not list it twice a day).
DUE_SHARE = 0.9

#: (registry label, works listed by it so far, works its list holds or None).
Progress = Callable[[str, int, int | None], None]


@dataclass
class ListReport:
    """What listing a set did."""

    #: Works each registry listed, by label (a work two registries list counts in both).
    listed: dict[str, int] = field(default_factory=dict)
    #: ``(item id, label)`` of the works that were new to the set.
    joined: list[tuple[int, str]] = field(default_factory=list)
    #: Records without a DOI, said how: skipped, never counted.
    skipped: list[str] = field(default_factory=list)
    #: ``registry label: error`` of each registry that failed.
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def skipped_text(self) -> str:
        if not self.skipped:
            return ""
        more = len(self.skipped) - SHOWN_SKIPPED
        return (f"; {plural(len(self.skipped), 'record')} without a DOI skipped: "
                + "; ".join(self.skipped[:SHOWN_SKIPPED]) + (f" (and {more:,} more)" if more > 0 else ""))


def listing_sources(ctx: Context, kind: str) -> list[Source]:
    """The configured registries that list this kind of set, in the registry's order."""
    return [s for s in ctx.configured_sources() if kind in s.lists]


def list_set(
    ctx: Context, row: SetRow, *, announce: bool, progress: Progress | None = None
) -> ListReport:
    """List a set's works from every registry that can, adding the new ones to it; with
    ``announce``, tell its channel which works joined (a sync; a first listing answers the
    command that asked for it instead)."""
    report = ListReport()
    for source in listing_sources(ctx, row.kind):
        try:
            _from(ctx, source, row, report, announce=announce, progress=progress)
        except (SourceError, BackingOff) as exc:
            report.failures.append(f"{source.label}: {exc}")
    if report.listed or not report.failures:  # every registry failing: try again at the next run
        with ctx.store.transaction() as db:
            if sets_store.find_set(db, row.channel, row.name) is not None:
                sets_store.mark_synced(db, row)
    return report


def _from(
    ctx: Context, source: Source, row: SetRow, report: ListReport, *, announce: bool,
    progress: Progress | None,
) -> None:
    listed = 0

    def fetch(cursor: str | None) -> WorkPage:
        report.requests += 1
        return asking(ctx, source, row.name, lambda: source.list_works(row.kind, row.value, cursor=cursor))

    for page in pages(source, row.kind, row.value, fetch=fetch):
        report.skipped += list(page.skipped)
        works = [(Identifier(scheme="doi", value=w.doi), w.title) for w in page.works]
        with ctx.store.transaction() as db:
            if sets_store.find_set(db, row.channel, row.name) is None:
                return  # unwatched meanwhile: nothing more joins it
            joined = sets_store.add_works(db, row, works)
            if announce and joined:
                _announce(db, row, joined)
        report.joined += joined
        listed += len(works)
        report.listed[source.label] = listed
        if progress:
            progress(source.label, listed, page.total)


def _announce(db: Database, row: SetRow, joined: list[tuple[int, str]]) -> None:
    names = ", ".join(label for _, label in joined[:SHOWN_JOINED])
    more = len(joined) - SHOWN_JOINED
    text = (f"{plural(len(joined), 'new work')} joined {row.name}: {names}"
            + (f" and {more:,} more (`list {row.name}` shows them)" if more > 0 else ""))
    # Keyed by the first work that joined: one message per page of new works, written with them.
    outbox.enqueue(db, key=f"set:{row.channel}:{row.id}:{joined[0][0]}", channel=row.channel,
                   kind="notice", payload={"text": text})


def due(ctx: Context, row: SetRow) -> bool:
    if not row.synced_at:
        return True
    try:
        last = parse(row.synced_at)
    except ValueError:
        return True
    return ctx.now() - last >= timedelta(hours=ctx.options.set_sync_hours * DUE_SHARE)


def sync_sets(ctx: Context, *, everything: bool = False) -> str:
    """List every set that is due again (all of them with ``everything``); says what happened.
    Sets of a channel that stopped getting alerts wait until it is back."""
    db = ctx.store.db
    rows = [r for r in sets_store.all_sets(db) if (everything or due(ctx, r))
            and channels.get_settings(db, r.channel).active]
    joined = failed = 0
    for row in rows:
        try:
            report = list_set(ctx, row, announce=True)
        except Exception:  # one set's bug must not stop the others
            log.exception("listing %s of %s failed", row.name, row.channel)
            failed += 1
            continue
        joined += len(report.joined)
        failed += bool(report.failures)
        for problem in report.failures:
            log.warning("set %s of %s: %s", row.name, row.channel, problem)
    text = f"sets: {plural(len(rows), 'set')} listed, {plural(joined, 'new work')} joined"
    if failed:
        text += f", {failed} with a registry failing (see the log)"
    return text  # the caller says it once: the scheduler's log, or poll --once's output
