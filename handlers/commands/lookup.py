"""`lookup` (ask every source now) and `sources` (how each source is doing)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait

from core.errors import InputError
from core.identifiers import display, parse_identifier, split_typed
from core.models import Identifier, Mention, SourceResult, titled
from handlers import render
from handlers.commands.health import health_lines, round_lines
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.asking import ask, store_result
from handlers.render import plural
from handlers.replies import Command, Reply
from sources.base import Source
from sources.errors import SourceError
from storage import items, polls, watches
from storage import mentions as mentions_store

log = logging.getLogger(__name__)

#: Newest mentions shown per source; the rest are counted.
SHOWN_PER_SOURCE = 3


def _in_background(fn: Callable[[], SourceResult]) -> Future[SourceResult]:
    """Run ``fn`` on a daemon thread. Not a ThreadPoolExecutor: its workers are joined when the
    interpreter exits, so one hung source would hold `attention-bot cmd` open after replying."""
    future: Future[SourceResult] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting thread, which reports it
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="lookup").start()
    return future


def _when(mention: Mention) -> float:
    return mention.occurred_at.timestamp() if mention.occurred_at else 0.0


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _mention_line(m: Mention) -> str:
    day = f"{m.occurred_at:%Y-%m-%d} " if m.occurred_at else ""
    title = titled(m.title, m.site) or m.url or m.external_id
    link = f" <{m.url}>" if m.url and m.url != title else ""
    return f"  • {day}{title}{link}"


def lookup_command(ctx: Context, cmd: Command) -> Reply:
    """Ask every source now who mentioned or cited an item, and show what they found.

    The item need not be watched; what is found is stored. One line names each source
    that failed or did not answer in time. Example: `lookup 10.1371/journal.pone.0000030`
    """
    typed = split_typed(cmd.args)
    if len(typed) != 1:
        raise InputError("Give one identifier: `lookup 10.1371/journal.pone.0000030`.")
    ident = parse_identifier(typed[0])
    sources = [s for s in ctx.configured_sources() if s.can_answer(ident)]
    if not sources:
        return Reply(
            text=f"No configured source can be asked about {ident.scheme.upper()} identifiers. "
            "Type `sources` to see which sources are set up.",
            ok=False,
        )
    started = time.monotonic()
    # Each question gets the lookup's time: its thread stops soon after the lookup answers.
    # A lookup is someone's question, not the schedule's: its failures leave poll health alone.
    budget = ctx.lookup_timeout
    futures = {
        s.name: _in_background(
            lambda s=s: ask(ctx, s, identifier=ident, seconds=budget, record=False)  # type: ignore[misc]
        )
        for s in sources
    }
    wait(futures.values(), timeout=ctx.lookup_timeout)
    results: dict[str, SourceResult] = {}
    problems: dict[str, str] = {}
    for source in sources:
        future = futures[source.name]
        if not future.done():
            problems[source.name] = f"timed out after {ctx.lookup_timeout:g} s"
            continue
        exc = future.exception()
        if exc is not None:
            if not isinstance(exc, SourceError):
                log.error("lookup: %s failed", source.name, exc_info=exc)
            problems[source.name] = plain(exc)
        else:
            results[source.name] = future.result()
    new_ids = _store(ctx, ident, list(results.values()))
    took = time.monotonic() - started
    return Reply(
        text=_render(ident, sources, results, problems, new_ids, took),
        blocks=_blocks(ident, sources, results, problems, took),
    )


def _store(ctx: Context, ident: Identifier, results: list[SourceResult]) -> set[str]:
    """Keep what was found under the item (created if new); returns new mentions' keys.

    What a source polls for this item is left to the poll: stored here, a new mention or a
    risen count would no longer be new there, and no channel would be alerted (an alert's
    Details button runs `lookup`)."""
    new: set[str] = set()
    with ctx.store.transaction() as db:
        item_id, _ = items.ensure_item(db, [ident])
        for result in results:
            if polls.has_baseline(db, item_id, result.source):
                known = mentions_store.stored_ids(db, result.source, [m.external_id for m in result.mentions])
                new.update(f"{m.source}:{m.external_id}" for m in result.mentions if m.external_id not in known)
                continue
            outcome = store_result(db, item_id, result, store_authors=ctx.options.store_authors)
            new.update(f"{m.source}:{m.external_id}" for m in outcome.new_mentions)
    return new


def _render(
    ident: Identifier, sources: list[Source], results: dict[str, SourceResult],
    problems: dict[str, str], new_ids: set[str], took: float,
) -> str:
    answered = len(results)
    lines = [
        f"Lookup of {display(ident)}: {answered} of {len(sources)} sources answered in {took:.1f} s."
    ]
    for source in sources:
        if source.name in problems:
            lines.append(f"{source.label}: {problems[source.name]}")
            continue
        result = results[source.name]
        parts = [f"{c.metric} {_number(c.value)}" for c in result.counts]
        mentions = sorted(result.mentions, key=_when, reverse=True)
        if mentions:
            fresh = sum(f"{m.source}:{m.external_id}" in new_ids for m in mentions)
            noun = "mention" if len(mentions) == 1 else "mentions"
            parts.append(f"{len(mentions)} {noun}" + (f" ({fresh} new)" if fresh else ""))
        head = f"{source.label}: " + (", ".join(parts) if parts else "nothing found")
        if result.details_url:
            head += f" - details: {result.details_url}"
        lines.append(head)
        lines += [_mention_line(m) for m in mentions[:SHOWN_PER_SOURCE]]
        if len(mentions) > SHOWN_PER_SOURCE:
            lines.append(f"  and {len(mentions) - SHOWN_PER_SOURCE} more")
    return "\n".join(lines)


def _blocks(
    ident: Identifier, sources: list[Source], results: dict[str, SourceResult],
    problems: dict[str, str], took: float,
) -> list[render.Block]:
    """The same answer as Block Kit: one section per source, failures in small grey text."""
    blocks = [render.header(f"Lookup of {display(ident)}")]
    for source in sources:
        result = results.get(source.name)
        if result is None:
            continue
        parts = [f"{c.metric} {_number(c.value)}" for c in result.counts]
        mentions = sorted(result.mentions, key=_when, reverse=True)
        if mentions:
            parts.append(f"{plural(len(mentions), 'mention')}")
        text = f"*{render.escape_mrkdwn(source.label)}*: " + render.escape_mrkdwn(
            ", ".join(parts) if parts else "nothing found"
        )
        if result.details_url:
            text += " · " + render.link(result.details_url, "details")
        text += "".join(
            "\n• " + render.link(m.url, titled(m.title, m.site) or m.url or m.external_id)
            for m in mentions[:SHOWN_PER_SOURCE]
        )
        if len(mentions) > SHOWN_PER_SOURCE:
            text += f"\nand {len(mentions) - SHOWN_PER_SOURCE} more"
        blocks.append(render.section(text))
    notes = [f"{source.label}: {problems[source.name]}" for source in sources if source.name in problems]
    footer = f"{len(results)} of {len(sources)} sources answered in {took:.1f} s"
    blocks.append(render.context(render.escape_mrkdwn("\n".join([*notes, footer]))))
    return render.truncate_blocks(blocks)


def sources_command(ctx: Context, cmd: Command) -> Reply:
    """Show each source: configured or not, last success and error, next poll.

    A source that failed several times in a row rests for a while; this says until when.
    Then how the watched works are asked: in lists, or one at a time (and how long a round of
    them takes at the source's rate).
    """
    lines = ["Sources:", *health_lines(ctx)]
    if len(lines) == 1:
        lines.append("  none are registered")
    rounds = round_lines(ctx)
    if rounds:
        lines += ["How the watched works are asked:", *(f"  {line}" for line in rounds)]
    gone = watches.inactive_channels(ctx.store.db)
    if gone:
        lines.append(
            "Channels not getting alerts (invite the bot again, then `watch` there): "
            + ", ".join(f"{channel} ({reason or 'unreachable'})" for channel, reason in gone)
        )
    return Reply(text="\n".join(lines))
