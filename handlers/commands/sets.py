"""Watching sets of works: `watch prefix|orcid|ror <id>`, `unwatch prefix|orcid|ror <id>`, and how
`list` shows a set. A set is a collection a registry lists (storage.sets); listing it is
handlers.polling.sets."""

from __future__ import annotations

from core.errors import InputError
from core.sets import EXAMPLES, KINDS, WHAT, SetRef, parse_set, set_name
from core.times import shown
from handlers.context import Context
from handlers.polling.sets import ListReport, Progress, list_set, listing_sources
from handlers.render import plural
from handlers.replies import Command, Reply
from storage import sets as sets_store
from storage.sets import SetRow

USAGE = "`watch prefix 10.5555`, `watch orcid 0000-0002-1825-0097` or `watch ror 02mhbdp94`"


def is_set_command(args: list[str]) -> bool:
    """`watch prefix 10.5555` (and `unwatch ...`): the first word names a kind of set."""
    return bool(args) and args[0].lower() in KINDS


def _ref(args: list[str], *, verb: str) -> SetRef:
    if len(args) != 2:
        kind = args[0].lower()
        raise InputError(f"Give one {WHAT[kind]}: {EXAMPLES[kind].replace('watch', verb, 1)}.")
    return parse_set(args[0], args[1])


def _progress(ctx: Context, name: str) -> Progress | None:
    show = ctx.progress
    if show is None:
        return None

    def shown_(label: str, done: int, total: int | None) -> None:
        of = f" / {total:,}" if total else ""
        show(f"{name}: {label} {done:,}{of} works")

    return shown_


def _by_registry(report: ListReport) -> str:
    return ", ".join(f"{label} {n:,}" for label, n in report.listed.items())


def watch_set_command(ctx: Context, cmd: Command) -> Reply:
    """`watch prefix <10.x> | watch orcid <iD> | watch ror <id>`: every work of a DOI prefix, a
    person or an institution, listed by the registries and kept in sync."""
    ref = _ref(cmd.args, verb="watch")  # a refused id writes nothing
    if not listing_sources(ctx, ref.kind):
        raise InputError(
            f"No source that lists works by {WHAT[ref.kind]} is switched on (Crossref, DataCite"
            + (", OpenAlex" if ref.kind != "prefix" else "")
            + "): check ATTENTION_DISABLED_SOURCES."
        )
    with ctx.store.transaction() as db:
        row, created = sets_store.ensure_set(db, cmd.channel, ref.kind, ref.name)
    report = list_set(ctx, row, announce=False, progress=_progress(ctx, ref.name))
    works = sets_store.members(ctx.store.db, row)
    failed = "".join(f"\n{problem}" for problem in report.failures)
    if not works and report.failures:
        return Reply(
            text=f"Could not list {ref.name} now; it is kept in {cmd.channel} and listed again at the "
                 f"next set listing (or `watch {ref.kind} {ref.value}` again).{failed}",
            ok=False,
        )
    listed = f" ({_by_registry(report)})" if report.listed else ""
    if created:
        head = f"Now watching {ref.name} in {cmd.channel}: {plural(works, 'work')}{listed}"
    else:
        head = (f"{ref.name} was already watched in {cmd.channel}: {plural(works, 'work')}{listed}, "
                f"{len(report.joined):,} new")
    if not works:
        head += f". No registry lists a work of this {WHAT[ref.kind]} yet"
    tail = ". New works join it when it is listed again (daily)."
    return Reply(text=head + report.skipped_text() + tail + failed)


def unwatch_set_command(ctx: Context, cmd: Command) -> Reply:
    """`unwatch prefix|orcid|ror <id>`: stop watching a set; its works stay watched where they
    are watched by hand or in another set or collection."""
    ref = _ref(cmd.args, verb="unwatch")
    with ctx.store.transaction() as db:
        row = sets_store.find_set(db, cmd.channel, ref.name)
        if row is None:
            return Reply(text=f"{ref.name} is not watched in {cmd.channel} (type `list` to see what is).", ok=False)
        works = sets_store.members(db, row)
        ended = sets_store.drop_set(db, row)
    kept = works - ended
    text = f"Stopped watching {ref.name}: {plural(ended, 'work')} no longer watched here"
    if kept > 0:
        text += f"; {plural(kept, 'work')} stay (watched by hand, or in another set or collection)"
    return Reply(text=text + ".")


def set_line(ctx: Context, row: SetRow) -> str:
    """``prefix:10.5555 (12,408 works, listed 2026-12-01 03:00 UTC)``."""
    works = sets_store.members(ctx.store.db, row)
    return f"{row.name} ({plural(works, 'work')}, listed {shown(row.synced_at, never='not yet')})"


def find(ctx: Context, channel: str, name: str) -> SetRow | None:
    """The channel's set called ``name`` (any form `set_name` reads), or None."""
    ref = set_name(name)
    return sets_store.find_set(ctx.store.db, channel, ref.name) if ref else None
