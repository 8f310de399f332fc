"""Asking a source and keeping what it said: shared by `lookup`, the poll job and collections.

``ask`` records the source's health in ``source_state`` (last success, last error, back-off
after repeated failures); ``store_result`` files mentions and counts under items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import sources
from core.models import Count, Identifier, Mention, SourceResult
from core.times import shown
from handlers.context import Context
from handlers.errors import plain
from handlers.render import plural
from sources.base import Source
from sources.errors import BadResponse, RateLimited, SourceError, SourceUnavailable
from sources.transport import STEP_TIMEOUTS, step
from storage import Database, items, state
from storage import counts as counts_store
from storage import mentions as mentions_store
from storage.mentions import StoredMention

log = logging.getLogger(__name__)

#: Consecutive failures after which a source rests (doubling each further failure).
BACKOFF_AFTER = 3

T = TypeVar("T")



def summed_across_aliases() -> dict[str, frozenset[str]]:
    """Sources whose counts split between an item's aliases (``alias_counts = "sum"``), with
    the schemes they are asked by: the item's count is then the sum over its aliases."""
    return {cls.name: cls.schemes for cls in sources.REGISTRY if cls.alias_counts == "sum"}


@dataclass(frozen=True)
class StoreOutcome:
    new_mentions: list[StoredMention] = field(default_factory=list)
    changed_counts: list[tuple[Count, float | None]] = field(default_factory=list)


class BackingOff(SourceUnavailable):
    """The source rests until ``until`` (after repeated failures, or because the server asked
    for it); it was not asked."""

    def __init__(self, message: str, *, source: str, until: str, by_server: bool = False) -> None:
        super().__init__(message, source=source)
        self.until = until
        #: The server asked for the rest (a Retry-After): waiting is then no failure.
        self.by_server = by_server


def rest_note(st: state.SourceState, now: datetime) -> str:
    """Why and until when a resting source is not asked, for people: ``resting until 07:12 UTC
    (asked to wait by the server)``, or ``resting after 3 failures in a row until ...``."""
    until = st.backoff_until or ""
    if st.backoff_reason == state.SERVER:
        try:
            at = datetime.fromisoformat(until)
            when = f"{at:%H:%M} UTC" + ("" if at.date() == now.date() else f" on {at:%Y-%m-%d}")
        except ValueError:
            when = until
        return f"resting until {when} (asked to wait by the server)"
    return f"resting after {plural(st.consecutive_failures, 'failure')} in a row until {shown(until)}"


def ask(
    ctx: Context, source: Source, *, identifier: Identifier | None = None,
    domain: str | None = None, seconds: float | None = None, record: bool = True,
) -> SourceResult:
    """Ask one source about an identifier or a web domain and record how it went.

    The question may spend ``seconds`` on the network, retries included (by default
    STEP_TIMEOUTS request timeouts). Raises a SourceError subclass on failure (after recording
    it); refuses with :class:`BackingOff` while the source rests after repeated failures.
    ``record=False`` (a `lookup` someone asked for) leaves the source's poll health as it was:
    a lookup's failure neither counts towards a rest nor shows as the poll's last error (a
    server's own request to wait is still kept).
    """
    if (identifier is None) == (domain is None):
        raise ValueError("ask about exactly one of identifier or domain")
    if identifier is not None:
        return asking(ctx, source, identifier.key, lambda: source.lookup(identifier),
                      seconds=seconds, record=record)
    return asking(ctx, source, domain or "", lambda: source.lookup_domain(domain or ""),
                  seconds=seconds, record=record)


def asking(
    ctx: Context, source: Source, what: str, call: Callable[[], T], *,
    seconds: float | None = None, record: bool = True,
) -> T:
    """``call()`` (one request or a few to ``source``, about ``what``), bounded and with the
    source's health recorded as :func:`ask` does (unless not ``record``): a list page of a set
    or a sweep counts like a lookup."""
    current = state.get_state(ctx.store.db, source.name)
    if state.in_backoff(current, ctx.now()):
        until = current.backoff_until or ""
        raise BackingOff(rest_note(current, ctx.now()), source=source.name, until=until,
                         by_server=current.backoff_reason == state.SERVER)
    budget = seconds if seconds is not None else source.config.timeout * STEP_TIMEOUTS
    try:
        with step(budget):
            result = call()
    except SourceError as exc:
        exc.source = exc.source or source.name
        # The whole story for the operator; people are shown plain(exc).
        log.warning("%s failed on %s: %s (%r)", source.name, what, exc, exc.__cause__)
        if record:
            _failed(ctx, source, plain(exc))
        if isinstance(exc, RateLimited) and exc.retry_after:
            # The server said when to come back: kept, so a new process (cron) waits too.
            with ctx.store.transaction() as db:
                back_at = ctx.now() + timedelta(seconds=exc.retry_after)
                state.rest(db, source.name, back_at, reason=state.SERVER)
        raise
    except Exception as exc:
        # A parser meeting a shape it does not know is the source's fault, not the bot's:
        # keep the other sources going and show it like any other bad answer.
        log.exception("%s failed on %s", source.name, what)
        error = BadResponse(
            f"gave an answer the bot could not read ({type(exc).__name__}: {exc})",
            source=source.name,
        )
        if record:
            _failed(ctx, source, plain(error))
        raise error from exc
    if record:
        with ctx.store.transaction() as db:
            state.record_success(db, source.name)
    return result


def _failed(ctx: Context, source: Source, message: str) -> None:
    with ctx.store.transaction() as db:
        state.record_failure(db, source.name, message, backoff_after=BACKOFF_AFTER)


def owner_of(db: Database, item_id: int, identifier: Identifier | None) -> int:
    """The item a mention or count belongs to: the one its identifier names, else the asked one."""
    if identifier is None:
        return item_id
    return items.find_item_id(db, identifier) or item_id


def merge_alias_counts(
    db: Database, item_id: int, results: Sequence[SourceResult], *,
    asked: Collection[Identifier] | None = None,
) -> list[Count]:
    """One count per (item, source, metric) from the answers about an item's aliases.

    Asking each alias gives one number each; stored one after the other they would make the
    series flip between them. Sources that declare ``alias_counts = "sum"`` are summed over the aliases, and
    only when every alias they answer for was asked (``asked``; by default the aliases the counts
    name): a partial sum would look like a drop and then a rise. Other sources keep the largest.
    """
    summed = summed_across_aliases()
    groups: dict[tuple[int, str, str], dict[str | None, Count]] = {}
    for n, result in enumerate(results):
        for c in result.counts:
            key = (owner_of(db, item_id, c.identifier), c.source, c.metric)
            # A count that names no identifier answers the alias asked: answers about two
            # aliases (a work's two DOIs) are two counts, of which the largest is kept.
            alias = c.identifier.key if c.identifier else (None if c.source in summed else f"answer {n}")
            groups.setdefault(key, {})[alias] = c
    asked_keys = {i.key for i in asked} if asked is not None else None
    merged: list[Count] = []
    for (owner, source, _), by_alias in groups.items():
        counts = list(by_alias.values())
        schemes = summed.get(source)
        if schemes is None:
            merged.append(max(counts, key=lambda c: c.value))
            continue
        item = items.get_item(db, owner)
        wanted = {i.key for i in item.identifiers if i.scheme in schemes} if item else set()
        covered = asked_keys if asked_keys is not None else {k for k in by_alias if k}
        if not wanted <= covered:
            continue
        newest = max(counts, key=lambda c: c.observed_at)
        merged.append(newest.model_copy(update={
            "value": sum(c.value for c in counts),
            "identifier": item.primary if item else newest.identifier,
        }))
    return merged


def store_results(
    db: Database, item_id: int, results: Sequence[SourceResult], *, poll_id: int | None = None,
    asked: Collection[Identifier] | None = None, store_authors: bool = False,
) -> StoreOutcome:
    """File one source's answers about an item's aliases: new mentions (deduplicated on
    source + external id) and the counts that changed, merged across aliases
    (:func:`merge_alias_counts`). Authors are written only with ``store_authors``
    (ATTENTION_STORE_AUTHORS). Call inside a transaction."""
    by_item: dict[int, list[Mention]] = {}
    for result in results:
        for m in result.mentions:
            by_item.setdefault(owner_of(db, item_id, m.identifier), []).append(m)
    new: list[StoredMention] = []
    for owner, group in by_item.items():
        new += mentions_store.add_mentions(
            db, owner, group, poll_id=poll_id, store_authors=store_authors
        )
    counts_by_item: dict[int, list[Count]] = {}
    for c in merge_alias_counts(db, item_id, results, asked=asked):
        counts_by_item.setdefault(owner_of(db, item_id, c.identifier), []).append(c)
    changed: list[tuple[Count, float | None]] = []
    for owner, group_counts in counts_by_item.items():
        changed += counts_store.record_counts(db, owner, group_counts)
    return StoreOutcome(new_mentions=new, changed_counts=changed)


def store_result(
    db: Database, item_id: int, result: SourceResult, *, poll_id: int | None = None,
    store_authors: bool = False,
) -> StoreOutcome:
    """File a source's answer about one identifier (see :func:`store_results`). Mentions and
    counts without an identifier belong to ``item_id``. Counts that split across aliases are
    not recorded from one alias's answer when the item has others: the poll asks them all."""
    return store_results(db, item_id, [result], poll_id=poll_id, store_authors=store_authors)
