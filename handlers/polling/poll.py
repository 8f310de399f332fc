"""One poll of one source: ask it about every watched identifier it can answer for, store what
is new, and write alerts for the items that gained attention (handlers.alerts)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from core.models import Identifier, SourceResult
from core.times import parse
from handlers.context import Context
from handlers.errors import plain
from handlers.polling import domains
from handlers.polling.asking import BackingOff, store_result
from handlers.polling.pool import ask_items
from handlers.polling.resolve import PageReader
from handlers.polling.storing import enqueue, store_and_detect
from handlers.polling.sweep import SweepReport, sweep, sweep_size, sweeps
from handlers.render import plural
from handlers.streams.status import stands_in
from sources.base import Source
from sources.matching import under_domain
from storage import asked as asked_store
from storage import polls, state, watches
from storage.mentions import StoredMention

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class PollFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    target: str
    error: str


class PollReport(BaseModel):
    """What one poll did, for the CLI, the log and `status`."""

    model_config = ConfigDict(frozen=True)

    source: str
    poll_id: int
    #: Items the source could be asked about, and how many of them it was asked about.
    items: int = 0
    items_asked: int = 0
    #: Requests sent (lists and identifiers).
    asked: int = 0
    new_mentions: int = 0
    baselines: int = 0
    alerts: int = 0
    failures: tuple[PollFailure, ...] = ()
    domains: str | None = None
    #: Works whose counts came in lists (handlers.polling.sweep), not one lookup each.
    swept: int = 0
    #: Identifiers left for the next polls: more than the source's rate allows in one.
    unasked: int = 0
    #: Links found under watched sites that were left out or whose page could not be read.
    bad_links: tuple[PollFailure, ...] = ()
    #: Only items never asked before were asked: the source's stream stands in for the rest.
    only_new: bool = False
    #: Why the source stopped being asked ("resting after 3 failures in a row until ...").
    resting: str | None = None
    #: Set when the poll got nothing from the source: everything asked failed, or it rested.
    error: str | None = None
    #: It rested because the server asked for it (a Retry-After): waiting, not failing.
    server_rest: bool = False

    @property
    def failed(self) -> bool:
        """Got nothing from the source because it failed (not because it was asked to wait)."""
        if self.server_rest and self.items_asked == 0:
            return False
        return self.error is not None or bool(self.domains and self.domains.startswith("failed"))

    def summary(self) -> str:
        """``crossref: asked 4 of 300 items (resting after ...), 0 new``: what really happened."""
        of = plural(self.items, "new item" if self.only_new else "item")
        text = f"{self.source}: asked {self.items_asked:,} of {of}"
        if self.swept:
            text += f" ({self.swept:,} answered in lists)"
        if self.resting:
            text += f" ({self.resting})"
        text += f", {self.new_mentions:,} new"
        if self.alerts:
            text += f", {plural(self.alerts, 'alert')}"
        if self.baselines:
            text += f", {plural(self.baselines, 'first ask', 'first asks')} (baselines, no alerts)"
        if self.unasked:
            text += f", {self.unasked:,} left for the next polls (its rate allows no more)"
        item_failures = [f for f in self.failures if f.target != self.source]
        if item_failures:
            text += f"; {len(item_failures):,} failed ({item_failures[0].error})"
        if self.domains:
            text += f"; web sites: {self.domains}"
        if self.only_new:
            text += "; the others are followed by the stream (all asked again weekly)"
        if self.bad_links:
            n = len(self.bad_links)
            first = self.bad_links[0]
            text += f"; {n} link{'s' * (n != 1)} not read ({first.target}: {first.error})"
        return text


@runtime_checkable
class KeepsValidators(Protocol):
    """A source fetching many URLs with conditional requests (sources.feeds.Feeds)."""

    name: str

    def validators(self) -> dict[str, tuple[str | None, str | None]]: ...

    def remember_validators(self, known: Mapping[str, tuple[str | None, str | None]]) -> None: ...


#: Sources whose validators this process has loaded from the database.
_validators_loaded: weakref.WeakSet[Source] = weakref.WeakSet()


def _load_validators(ctx: Context, source: Source) -> None:
    """Before a source's first poll in this process: the ETags it kept, so a restart does not
    fetch every feed in full again."""
    if isinstance(source, KeepsValidators) and source not in _validators_loaded:
        source.remember_validators(state.url_validators(ctx.store.db, source.name))
        _validators_loaded.add(source)


def _save_validators(ctx: Context, source: Source) -> None:
    if isinstance(source, KeepsValidators):
        with ctx.store.transaction() as db:
            state.set_url_validators(db, source.name, source.validators())


#: Watched items read from the database at a time: a poll of 100,000 items never holds them all.
PAGE_ITEMS = 1000


def targets(
    ctx: Context, source: Source, *, skip: AbstractSet[int] = frozenset(), only_new: bool = False,
    only: Collection[int] | None = None,
) -> Iterator[tuple[int, list[Identifier]]]:
    """Watched identifiers the source can answer for, item by item (in item id order), but
    for the items in ``skip`` (a sweep took them); with ``only_new``, only items the source
    was never asked about (its stream follows the others); ``only``: just these items (newly
    watched ones, see handlers.polling.first).

    A source asked by domain already covers every URL under a watched site in one request, so
    those URLs are not asked about one by one: the site's cost stays flat however many pages
    it has. Their DOIs and Handles are still asked (a post may cite doi.org, not the site).
    """
    db = ctx.store.db
    answerable = _answerable(ctx, source)
    after = 0
    while page := watches.watched_identifiers_page(
        db, after_item=after, items=PAGE_ITEMS, only=only
    ):
        after = page[-1][0]
        asked = polls.baselined_among(db, source.name, sorted({i for i, _ in page})) if only_new else set()
        yield from _grouped(page, answerable, skip | asked if asked else skip)


def _answerable(ctx: Context, source: Source) -> Callable[[Identifier], bool]:
    sites = [t for _, t, _ in watches.domain_watchers(ctx.store.db)] if source.by_domain else []

    def answerable(ident: Identifier) -> bool:
        if ident.scheme not in source.schemes or not source.can_answer(ident):
            return False
        return not (ident.scheme == "url" and any(under_domain(ident.value, site) for site in sites))

    return answerable


def _grouped(
    page: list[tuple[int, Identifier]], answerable: Callable[[Identifier], bool], skip: AbstractSet[int]
) -> Iterator[tuple[int, list[Identifier]]]:
    grouped: dict[int, list[Identifier]] = {}
    for item_id, ident in page:
        if item_id not in skip and answerable(ident):
            grouped.setdefault(item_id, []).append(ident)
    yield from grouped.items()


#: The share of a source's allowed requests over one poll interval that asking works one at a
#: time may take; the rest is for `lookup`, web domains and retries.
ROUND_SHARE = 0.8


def interval_minutes(ctx: Context, source: Source) -> float:
    return float(ctx.options.poll_intervals.get(source.name) or source.default_interval_minutes)


def lookup_budget(ctx: Context, source: Source) -> int:
    """Identifiers one poll may ask the source about one at a time, at its rate, in its interval."""
    seconds = interval_minutes(ctx, source) * 60
    return max(1, int(source.request_rate() * seconds * ROUND_SHARE / source.requests_per_lookup()))


def oldest_first(
    ctx: Context, source: Source, *, budget: int, skip: AbstractSet[int] = frozenset(),
) -> Iterator[tuple[int, list[Identifier]]]:
    """The targets of a poll that cannot ask them all: those the source asked longest ago (or
    never) first, until ``budget`` identifiers are asked. The next poll goes on from there."""
    db = ctx.store.db
    answerable = _answerable(ctx, source)
    order = asked_store.watched_by_last_asked(db, source.name)
    for start in range(0, len(order), PAGE_ITEMS):
        page = asked_store.identifiers_of(db, order[start:start + PAGE_ITEMS])
        for item_id, idents in _grouped(page, answerable, skip):
            if budget < len(idents):
                return
            budget -= len(idents)
            yield item_id, idents


def _within(
    queue: Iterator[tuple[int, list[Identifier]]], budget: int
) -> Iterator[tuple[int, list[Identifier]]]:
    for item_id, idents in queue:
        if budget < len(idents):
            return
        budget -= len(idents)
        yield item_id, idents


#: With its stream up, a source's per-item searches ask every item this often (new items are
#: asked at every poll: what was said before they were watched is only found that way).
FULL_POLL_EVERY = timedelta(days=7)


def poll_scope(ctx: Context, source: Source) -> str | None:
    """``new`` when the source's stream is up and every item was asked less than a week ago:
    the poll then asks only items never asked; None for a poll of every item."""
    if not stands_in(ctx, source.name):
        return None
    last = polls.last_full_poll(ctx.store.db, source.name)
    if last is None or ctx.now() - parse(last) >= FULL_POLL_EVERY:
        return None
    return "new"


def _poll_domains(
    ctx: Context, source: Source, poll_id: int, *, resolver: PageReader | None = None
) -> tuple[int, int, str | None, list[PollFailure]]:
    """Ask about the watched web domains; store and alert one item per transaction.

    A domain's first poll by a source is its baseline: links already out there are stored
    without alerts. Returns (new mentions, alerts written, note for the report, bad links).
    """
    try:
        found = domains.find_domain_mentions(ctx, source, resolver=resolver)
    except Exception as exc:
        log.exception("%s: domain poll failed", source.name)
        return 0, 0, f"failed ({plain(exc)})", []
    bad = [PollFailure(target=link, error=why) for link, why in found.bad_links]
    new = written = 0
    for item_id, mentions in found.by_item.items():
        with ctx.store.transaction() as db:
            fresh = {
                m.external_id for m in mentions
                if ctx.options.alert_on_first_poll
                or polls.has_domain_baseline(db, found.target_of[m.external_id], source.name)
            }
            outcome = store_result(
                db, item_id, SourceResult(source=source.name, mentions=tuple(mentions)),
                poll_id=poll_id, store_authors=ctx.options.store_authors,
            )
            new_by_item: dict[int, list[StoredMention]] = {}
            for m in outcome.new_mentions:
                new_by_item.setdefault(m.item_id, []).append(m)
            alertable = {
                owner: [m for m in ms if m.external_id in fresh] for owner, ms in new_by_item.items()
            }
            written += enqueue(
                ctx, db, source=source, poll_id=poll_id, owners={o for o, ms in alertable.items() if ms},
                first=lambda owner: False, new_by_item=alertable, changed_by_item={},
            )
            new += len(outcome.new_mentions)
    with ctx.store.transaction() as db:
        for target in found.asked:
            polls.set_domain_baseline(db, target, source.name)
    if not found.asked and found.failed:
        return new, written, f"failed ({found.failed[0]})", bad
    return new, written, None, bad


def run_poll(
    ctx: Context, source: Source, *, progress: Progress | None = None,
    resolver: PageReader | None = None, only: Collection[int] | None = None,
) -> PollReport:
    """Poll one source for every actively watched identifier it can answer for (watched DOIs
    in lists when it can, handlers.polling.sweep; the rest one at a time, as many as its rate
    allows in its interval, those asked longest ago first), then, if it can be asked by
    domain, for every watched web site (links resolved by ``resolver``, default: the safe
    landing-page reader). With ``only`` (newly watched items), just those, one at a time.

    A failing identifier never stops the rest; failures are listed in the report.
    """
    # A first ask of new items is not a poll of every item (streams' weekly full poll).
    scope = "first" if only is not None else poll_scope(ctx, source)
    only_new = scope == "new"
    with ctx.store.transaction() as db:
        poll_id = polls.start_poll(db, source.name, scope=scope)
    _load_validators(ctx, source)
    swept = SweepReport()
    if sweeps(source) and only is None:
        size = sweep_size(ctx, source)
        if progress:
            progress(0, size)
        swept = sweep(ctx, source, poll_id, progress=(lambda n: progress(n, size)) if progress else None)
    taken = swept.handled
    # Counted in a first pass, then read again page by page while asking.
    items = lookups = 0
    for _, idents in targets(ctx, source, skip=taken, only_new=only_new, only=only):
        items += 1
        lookups += len(idents)
    budget = lookup_budget(ctx, source)
    paced = lookups > budget and not only_new
    total = len(taken) + items
    asked = swept.requests
    new, baselines, written = swept.new_mentions, swept.baselines, swept.alerts
    failures = [PollFailure(target=what, error=error) for what, error in swept.failures]
    if progress:
        progress(len(taken), total)
    resting: BackingOff | None = swept.resting
    if only is not None:  # new items: as many as the rate allows; polls take the rest first
        queue = _within(targets(ctx, source, only=only), budget)
    elif paced:
        queue = oldest_first(ctx, source, budget=budget, skip=taken)
    else:
        queue = targets(ctx, source, skip=taken, only_new=only_new)
    # Asked several at a time (handlers.poll_pool), stored one item per transaction in order.
    done = items_asked = len(taken)
    for item_id, got in ask_items(ctx, source, queue if resting is None else iter(())):
        done += 1
        asked += got.asked
        # An item whose every ask was refused because the source rests was not asked.
        items_asked += bool(got.answered or got.failures)
        failures.extend(PollFailure(target=key, error=error) for key, error in got.failures)
        resting = resting or got.resting
        results, answered = got.results, got.answered
        if results:
            try:
                found, baseline, count = store_and_detect(
                    ctx, source, poll_id, item_id, results, asked=answered
                )
            except Exception:
                log.exception("%s: storing results for item %s failed", source.name, item_id)
                failures.append(PollFailure(
                    target=f"item {item_id}",
                    error="could not store what it found; the bot's log has the details",
                ))
            else:
                new += found
                baselines += baseline
                written += count
        if progress:
            progress(done, total)
    if resting is not None:
        failures.append(PollFailure(target=source.name, error=str(resting)))
    note = None
    bad_links: list[PollFailure] = []
    if source.by_domain and resting is None and only is None:
        found, count, note, bad_links = _poll_domains(ctx, source, poll_id, resolver=resolver)
        new += found
        written += count
    _save_validators(ctx, source)
    error = None
    if failures and (resting is not None or len(failures) == asked):
        error = failures[-1].error if resting is not None else failures[0].error
    with ctx.store.transaction() as db:
        polls.finish_poll(db, poll_id, items=total, new_mentions=new, error=error)
    report = PollReport(
        source=source.name, poll_id=poll_id, items=total, items_asked=items_asked, asked=asked,
        new_mentions=new, baselines=baselines, alerts=written, failures=tuple(failures),
        domains=note, swept=swept.answered, unasked=max(0, lookups - budget) if paced else 0,
        only_new=only_new, bad_links=tuple(bad_links), error=error,
        resting=str(resting) if resting is not None else None,
        server_rest=resting is not None and resting.by_server,
    )
    # The caller says it once where people read it (the scheduler's log, poll --once's output).
    log.debug("poll %s", report.summary())
    return report
