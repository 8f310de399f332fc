"""One poll of one source: ask it about every watched identifier it can answer for, store what
is new, and write alerts for the items that gained attention (handlers.alerts)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.models import Identifier, SourceResult
from handlers import alerts
from handlers.asking import BackingOff, ask, store_result
from handlers.context import Context
from sources.base import Source, SourceError
from storage import items, polls, watches

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
    items: int = 0
    asked: int = 0
    new_mentions: int = 0
    baselines: int = 0
    alerts: int = 0
    failures: tuple[PollFailure, ...] = ()
    domains: str | None = None

    def summary(self) -> str:
        text = (
            f"{self.source}: {self.items} item{'s' * (self.items != 1)}, "
            f"{self.new_mentions} new mention{'s' * (self.new_mentions != 1)}, "
            f"{self.alerts} alert{'s' * (self.alerts != 1)}"
        )
        if self.baselines:
            text += f", {self.baselines} baseline{'s' * (self.baselines != 1)} recorded"
        if self.failures:
            text += f", {len(self.failures)} failed ({self.failures[0].error})"
        if self.domains:
            text += f"; domains: {self.domains}"
        return text


def targets(ctx: Context, source: Source) -> dict[int, list[Identifier]]:
    """Watched identifiers the source can answer for, grouped by item."""
    grouped: dict[int, list[Identifier]] = {}
    for item_id, ident in watches.watched_identifiers(ctx.store.db, source.schemes):
        if source.can_answer(ident):
            grouped.setdefault(item_id, []).append(ident)
    return grouped


def _owner(db: Any, item_id: int, ident: Identifier | None) -> int:
    if ident is None:
        return item_id
    return items.find_item_id(db, ident) or item_id


def _store_and_detect(
    ctx: Context, source: Source, poll_id: int, item_id: int, results: list[SourceResult]
) -> tuple[int, bool, int]:
    """Store one item's answers and write its alerts in ONE transaction.

    Returns (new mentions, baseline recorded, alerts written).
    """
    first_alerts = bool(ctx.options.get("alert_on_first_poll"))
    with ctx.store.transaction() as db:
        baseline = not polls.has_baseline(db, item_id, source.name)
        new_by_item: dict[int, list[Any]] = {}
        changed_by_item: dict[int, list[Any]] = {}
        for result in results:
            outcome = store_result(db, item_id, result, poll_id=poll_id)
            for m in outcome.new_mentions:
                new_by_item.setdefault(m.item_id, []).append(m)
            for count, before in outcome.changed_counts:
                changed_by_item.setdefault(_owner(db, item_id, count.identifier), []).append((count, before))
        if baseline:
            polls.set_baseline(db, item_id, source.name)
        written = 0
        for owner in sorted(set(new_by_item) | set(changed_by_item)):
            # The first poll of a pair only records what is already there, unless asked otherwise.
            first = baseline if owner == item_id else not polls.has_baseline(db, owner, source.name)
            if first and not first_alerts:
                continue
            written += len(
                alerts.enqueue_alerts(
                    ctx, db, item_id=owner, source=source, poll_id=poll_id,
                    new_mentions=new_by_item.get(owner, []),
                    changes=alerts.rises(changed_by_item.get(owner, [])),
                )
            )
        found = sum(len(v) for v in new_by_item.values())
    return found, baseline, written


def _poll_domains(ctx: Context, source: Source) -> str | None:
    """Domain watches are helper module handlers.domains' business, when it is there."""
    try:
        domains = importlib.import_module("handlers.domains")
    except ImportError:
        return None
    poll_domains = getattr(domains, "poll_domains", None)
    if poll_domains is None:
        return None
    try:
        outcome = poll_domains(ctx, source)
    except Exception as exc:
        log.exception("%s: domain poll failed", source.name)
        return f"failed ({exc})"
    return None if outcome is None else str(getattr(outcome, "summary", lambda: outcome)())


def run_poll(ctx: Context, source: Source, *, progress: Progress | None = None) -> PollReport:
    """Poll one source for every actively watched identifier it can answer for.

    A failing identifier never stops the rest; failures are listed in the report.
    """
    with ctx.store.transaction() as db:
        poll_id = polls.start_poll(db, source.name)
    grouped = targets(ctx, source)
    total = len(grouped)
    asked = new = baselines = written = 0
    failures: list[PollFailure] = []
    if progress:
        progress(0, total)
    resting: BackingOff | None = None
    for done, (item_id, idents) in enumerate(grouped.items(), start=1):
        if resting is not None:
            break  # the source rests after repeated failures: every other ask would be refused
        results = []
        for ident in idents:
            asked += 1
            try:
                results.append(ask(ctx, source, identifier=ident))
            except BackingOff as exc:
                resting = exc
                break
            except SourceError as exc:
                failures.append(PollFailure(target=ident.key, error=str(exc)))
            except Exception as exc:  # a bug in one source must not stop the poll
                log.exception("%s: asking about %s failed", source.name, ident.key)
                failures.append(PollFailure(target=ident.key, error=f"{type(exc).__name__}: {exc}"))
        if results:
            try:
                found, baseline, count = _store_and_detect(ctx, source, poll_id, item_id, results)
            except Exception as exc:
                log.exception("%s: storing results for item %s failed", source.name, item_id)
                failures.append(PollFailure(target=f"item {item_id}", error=f"{type(exc).__name__}: {exc}"))
            else:
                new += found
                baselines += baseline
                written += count
        if progress:
            progress(done, total)
    if resting is not None:
        failures.append(PollFailure(target=source.name, error=str(resting)))
    domains = _poll_domains(ctx, source) if source.by_domain and resting is None else None
    error = None
    if failures and (resting is not None or len(failures) == asked):
        error = failures[-1].error if resting is not None else failures[0].error
    with ctx.store.transaction() as db:
        polls.finish_poll(db, poll_id, items=total, new_mentions=new, error=error)
    report = PollReport(
        source=source.name, poll_id=poll_id, items=total, asked=asked, new_mentions=new,
        baselines=baselines, alerts=written, failures=tuple(failures), domains=domains,
    )
    log.info("poll %s", report.summary())
    return report
