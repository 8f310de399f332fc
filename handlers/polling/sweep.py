"""The batch part of a poll: citations of many watched DOIs from a few list requests.

A source that lists works with their counts (``Source.lists``) is asked about the watched
works whose one identifier it answers for is a DOI (storage.asked.single_dois) in lists, not
one work at a time:

* by DOI prefix (``prefix``): the watched DOIs of a prefix come with its list, 1,000 a page.
  The first page says how big the prefix is; when paging through the rest of it would take
  more requests than asking the DOIs not seen yet another way, the rest are asked that way.
* by OR-ed DOIs (``dois``): up to the source's ``batch_size`` DOIs a request, across prefixes.
* the rest (a source that lists only by prefix, a prefix of one or two watched DOIs) one work
  at a time, by the poll (handlers.polling.poll).

Counts become count series and alerts exactly as a lookup's do (handlers.polling.storing), a
page of works in one transaction. A work a list does not hold gets no count: a missing work is
not read as zero. Where a list leaves out what a lookup gives (Europe PMC's citing works,
``asks_again_on_rise``), a work whose count rose is also looked up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from core.models import Identifier, SourceResult, WorkPage
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.asking import BackingOff, ask, asking
from handlers.polling.storing import store_and_detect
from sources.base import Source
from sources.errors import SourceError
from sources.listing import pages
from storage import asked as asked_store
from storage import counts as counts_store

log = logging.getLogger(__name__)

#: Watched DOIs read from the database at a time.
PAGE_DOIS = 1000
#: Characters that would split a DOI in an OR-ed list (and whitespace).
SEPARATORS = frozenset(',|" \t')

Progress = Callable[[int], None]


@dataclass
class SweepReport:
    #: Items the sweep took (answered or not): the poll does not ask them one by one.
    handled: set[int] = field(default_factory=set)
    #: Items a list answered for.
    answered: int = 0
    requests: int = 0
    new_mentions: int = 0
    baselines: int = 0
    alerts: int = 0
    #: ``(what was asked, error shown to users)`` per failed request.
    failures: list[tuple[str, str]] = field(default_factory=list)
    resting: BackingOff | None = None


def sweeps(source: Source) -> bool:
    """Whether a poll of ``source`` sweeps watched DOIs in lists."""
    return bool(source.lists & {"prefix", "dois"}) and "doi" in source.schemes


def prefix_of(doi: str) -> str:
    return doi.split("/", 1)[0]


def _by_prefix(ctx: Context, source: Source) -> Iterator[tuple[str, dict[str, int]]]:
    """``(prefix, {DOI: item id})`` of the works to sweep, one prefix at a time."""
    after, prefix = "", ""
    group: dict[str, int] = {}
    while rows := asked_store.single_dois(ctx.store.db, source.schemes, after=after, limit=PAGE_DOIS):
        after = rows[-1][0]
        for doi, item_id in rows:
            if prefix_of(doi) != prefix and group:
                yield prefix, group
                group = {}
            prefix = prefix_of(doi)
            group[doi] = item_id
    if group:
        yield prefix, group


class Sweep:
    """One sweep of one source, for one poll."""

    def __init__(self, ctx: Context, source: Source, poll_id: int, progress: Progress | None) -> None:
        self.ctx, self.source, self.poll_id = ctx, source, poll_id
        self.progress = progress
        self.report = SweepReport()

    def run(self) -> SweepReport:
        source = self.source
        leftover: dict[str, int] = {}
        try:
            for prefix, wanted in _by_prefix(self.ctx, source):
                if "prefix" in source.lists and self._other_cost(len(wanted)) > 1:
                    wanted = self._list_prefix(prefix, wanted)
                leftover |= wanted
                if "dois" in source.lists and len(leftover) >= source.batch_size:
                    leftover = self._ask_dois(leftover, flush=False)
            if "dois" in source.lists:
                self._ask_dois(leftover, flush=True)
        except BackingOff as exc:
            self.report.resting = exc  # every further request would be refused too
        return self.report

    def _other_cost(self, n: int) -> int:
        """Requests ``n`` DOIs cost when not listed by prefix."""
        return math.ceil(n / self.source.batch_size) if "dois" in self.source.lists else n

    def _list_prefix(self, prefix: str, wanted: dict[str, int]) -> dict[str, int]:
        """Page through a prefix's list for its watched DOIs; returns those left to ask another
        way (none when the list was read to its end: the others are not in it)."""
        source = self.source
        unseen = dict(wanted)
        listed = 0

        def fetch(cursor: str | None) -> WorkPage:
            self.report.requests += 1
            return asking(self.ctx, source, f"prefix {prefix}",
                          lambda: source.list_works("prefix", prefix, cursor=cursor))

        try:
            for page in pages(source, "prefix", prefix, fetch=fetch):
                listed += len(page.works) + len(page.skipped)
                self._store(page, unseen)
                if page.next_cursor is None:
                    self._taken(unseen)  # the whole list was read: the rest are not in it
                    return {}
                left = math.ceil(max(0, (page.total or 0) - listed) / max(1, source.page_size))
                if page.total is not None and left > self._other_cost(len(unseen)):
                    return unseen  # a big prefix with few of its works watched
        except BackingOff:
            raise
        except SourceError as exc:
            self.report.failures.append((f"prefix {prefix}", plain(exc)))
            self._taken(unseen)  # asked and not answered: no count, no second request
            return {}
        return unseen

    def _ask_dois(self, wanted: dict[str, int], *, flush: bool) -> dict[str, int]:
        """Ask DOIs ``batch_size`` at a time; the last short batch only when ``flush``. A DOI
        holding a character that separates OR-ed values (``,`` at Crossref, ``|`` at OpenAlex,
        a quote at Europe PMC) is left to be asked by itself."""
        source, size = self.source, max(1, self.source.batch_size)
        dois = sorted(d for d in wanted if not SEPARATORS.intersection(d))
        while len(dois) >= size or (flush and dois):
            batch, dois = dois[:size], dois[size:]
            chunk = {doi: wanted[doi] for doi in batch}
            self.report.requests += 1
            try:
                page = asking(self.ctx, source, f"{len(batch)} DOIs", partial(source.list_works, "dois", batch))
            except BackingOff:
                raise
            except SourceError as exc:
                self.report.failures.append((f"{len(batch)} DOIs from {batch[0]}", plain(exc)))
                self._taken(chunk)
                continue
            self._store(page, chunk)
            self._taken(chunk)
        return {doi: wanted[doi] for doi in dois} | {d: i for d, i in wanted.items() if SEPARATORS.intersection(d)}

    def _taken(self, unseen: dict[str, int]) -> None:
        """Works asked whose list held nothing for them: handled, with no count."""
        self.report.handled.update(unseen.values())
        self._tick()
        unseen.clear()

    def _tick(self) -> None:
        if self.progress:
            self.progress(len(self.report.handled))

    def _store(self, page: WorkPage, unseen: dict[str, int]) -> None:
        """File a page's counts under the watched works it holds, in one transaction."""
        answers: dict[int, tuple[Identifier, SourceResult]] = {}
        for work in page.works:
            item_id = unseen.pop(work.doi, None)
            if item_id is None:
                continue  # a work of the prefix nobody watches
            answers[item_id] = (Identifier(scheme="doi", value=work.doi),
                                SourceResult(source=self.source.name, counts=work.counts))
        if self.source.asks_again_on_rise:
            answers = {i: (ident, self._with_details(i, ident, r)) for i, (ident, r) in answers.items()}
        if answers:
            with self.ctx.store.transaction() as db:
                for item_id, (ident, result) in answers.items():
                    new, baseline, written = store_and_detect(
                        self.ctx, self.source, self.poll_id, item_id, [result], asked=[ident], db=db
                    )
                    self.report.new_mentions += new
                    self.report.baselines += baseline
                    self.report.alerts += written
        self.report.answered += len(answers)
        self.report.handled.update(answers)
        self._tick()

    def _with_details(self, item_id: int, ident: Identifier, result: SourceResult) -> SourceResult:
        """A work whose count rose is looked up too, for what the list leaves out."""
        db = self.ctx.store.db
        rose = any(
            (before := counts_store.latest(db, item_id, c.source, c.metric)) is not None and c.value > before
            for c in result.counts
        )
        if not rose:
            return result
        self.report.requests += self.source.requests_per_lookup()
        try:
            found = ask(self.ctx, self.source, identifier=ident)
        except BackingOff:
            raise
        except SourceError as exc:
            self.report.failures.append((ident.key, plain(exc)))
            return result
        return result.model_copy(update={"mentions": found.mentions})


def sweep(ctx: Context, source: Source, poll_id: int, *, progress: Progress | None = None) -> SweepReport:
    """Sweep the watched DOIs ``source`` lists (see the module's docstring)."""
    return Sweep(ctx, source, poll_id, progress).run()


def sweep_size(ctx: Context, source: Source) -> int:
    """Works a sweep of ``source`` would take (for the poll's progress)."""
    return asked_store.count_single_dois(ctx.store.db, source.schemes) if sweeps(source) else 0
