"""Asking a source about many items at once, for the poll job (handlers.poll).

At 200 ms a request, asking one identifier after another tops out at 5 requests a second,
far below what most sources allow. Here a bounded pool of threads, as many as the source may
have requests in flight (``Source.request_slots``), asks about several items at a time while
the source's HTTP client keeps its rate (sources.http token bucket). Only a bounded window of
items is in flight, so a poll of 100,000 items never holds 100,000 futures, and answers come
back in the order the items went in, so storing and alerting stay as they were one by one.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from core.models import Identifier, SourceResult
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.asking import BackingOff, ask
from sources.base import Source
from sources.errors import SourceError

log = logging.getLogger(__name__)

#: Items queued per pool thread beyond the one it asks about: keeps every thread busy while
#: the poll stores the oldest answers, without holding the whole poll in memory.
QUEUED_PER_THREAD = 3


@dataclass
class ItemAnswers:
    """What asking about one item's identifiers gave."""

    results: list[SourceResult] = field(default_factory=list)
    #: The identifiers that were answered (a failed one is not among them).
    answered: list[Identifier] = field(default_factory=list)
    #: ``(identifier key, error shown to users)`` of each failed ask.
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Asks tried, the refused one included.
    asked: int = 0
    #: Set when the source refused because it rests after repeated failures.
    resting: BackingOff | None = None


def ask_item(ctx: Context, source: Source, idents: list[Identifier], *, stop: threading.Event) -> ItemAnswers:
    """Ask about one item's identifiers one after another; a failing one never stops the rest.

    A refusal because the source rests sets ``stop``: every further ask would be refused too.
    """
    out = ItemAnswers()
    for ident in idents:
        if stop.is_set():
            break
        out.asked += 1
        try:
            out.results.append(ask(ctx, source, identifier=ident))
            out.answered.append(ident)
        except BackingOff as exc:
            out.resting = exc
            stop.set()
            break
        except Exception as exc:  # a bug in one source must not stop the poll either
            if not isinstance(exc, SourceError):
                log.exception("%s: asking about %s failed", source.name, ident.key)
            out.failures.append((ident.key, plain(exc)))
    return out


def ask_items(
    ctx: Context, source: Source, targets: Iterable[tuple[int, list[Identifier]]],
) -> Iterator[tuple[int, ItemAnswers]]:
    """``(item id, answers)`` for each target, in the order given, asked concurrently.

    Once the source refuses because it rests, nothing more is asked: items not yet started
    are left out and the iteration ends after the ones already asked about.
    """
    threads = source.request_slots()
    stop = threading.Event()
    pending: deque[tuple[int, Future[ItemAnswers]]] = deque()
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"poll-{source.name}")
    try:
        for item_id, idents in targets:
            if stop.is_set():
                break
            pending.append((item_id, pool.submit(ask_item, ctx, source, idents, stop=stop)))
            if len(pending) >= threads * (1 + QUEUED_PER_THREAD):
                yield from _settled(pending.popleft())
        while pending:
            yield from _settled(pending.popleft())
    finally:
        stop.set()  # a caller leaving early: the queued items need not be asked
        pool.shutdown(wait=True, cancel_futures=True)


def _settled(entry: tuple[int, Future[ItemAnswers]]) -> Iterator[tuple[int, ItemAnswers]]:
    item_id, future = entry
    got = future.result()
    if got.asked:  # items queued behind a refusal were never asked
        yield item_id, got
