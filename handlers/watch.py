"""The watchlist commands: watch, unwatch, list."""

from __future__ import annotations

from core.errors import InputError
from core.identifiers import display, parse_identifier
from core.models import Identifier
from handlers import collections
from handlers.context import Context
from handlers.replies import Command, Reply
from storage import watches

LIST_LIMIT = 50


def parse_all(args: list[str], *, verb: str) -> list[Identifier]:
    """Every argument as an identifier; one bad one refuses the whole command."""
    if not args:
        raise InputError(f"Give at least one identifier: `{verb} 10.1038/nature12373`.")
    idents, problems = [], []
    for arg in args:
        try:
            idents.append(parse_identifier(arg))
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        head = "Nothing was changed. " if len(args) > 1 else ""
        raise InputError(head + "\n".join(problems))
    return list(dict.fromkeys(idents))


def watch_command(ctx: Context, cmd: Command) -> Reply:
    """Watch items by identifier: this channel hears when they get attention.

    Takes DOIs, Handles, arXiv ids, PMIDs, PMCIDs, ISBNs, ARKs, URNs and http(s) URLs,
    several at once: `watch 10.1038/nature12373 hdl:2027/abc`.
    Whole web sites: `watch domain <host>[:port][/path-prefix] [collection=<name>]`.
    Collections in bulk: `watch collection <name> from <file.csv | OAI-PMH base URL> [set=<spec>]`.
    """
    if cmd.args and cmd.args[0].lower() in ("domain", "collection"):
        if cmd.args[0].lower() == "domain":
            return collections.watch_domain_command(ctx, cmd)
        return collections.watch_collection_command(ctx, cmd)
    idents = parse_all(cmd.args, verb="watch")
    added: list[str] = []
    already: list[str] = []
    with ctx.store.transaction() as db:
        for ident in idents:
            _, new = watches.watch_item(db, cmd.channel, [ident])
            (added if new else already).append(display(ident))
    lines = []
    if added:
        lines.append(f"Now watching {len(added)} item{'s' * (len(added) != 1)} in {cmd.channel}: " + ", ".join(added))
    if already:
        lines.append("Already watched here: " + ", ".join(already))
    return Reply(text="\n".join(lines))


def unwatch_command(ctx: Context, cmd: Command) -> Reply:
    """Stop watching items in this channel. Their history is kept.

    Web sites: `unwatch domain <host>[:port][/path-prefix]`.
    """
    if cmd.args and cmd.args[0].lower() == "domain":
        return collections.unwatch_domain_command(ctx, cmd)
    idents = parse_all(cmd.args, verb="unwatch")
    removed: list[str] = []
    missing: list[str] = []
    with ctx.store.transaction() as db:
        for ident in idents:
            (removed if watches.unwatch_item(db, cmd.channel, ident) else missing).append(display(ident))
    lines = []
    if removed:
        lines.append("Stopped watching: " + ", ".join(removed))
    if missing:
        lines.append("Not watched in this channel: " + ", ".join(missing) + " (type `list` to see what is)")
    return Reply(text="\n".join(lines), ok=not missing or bool(removed))


def list_command(ctx: Context, cmd: Command) -> Reply:
    """List what this channel watches (optionally one collection)."""
    collection = cmd.args[0] if cmd.args else None
    db = ctx.store.db
    total = watches.count_watches(db, cmd.channel)
    rows = watches.list_watches(db, cmd.channel, collection=collection, limit=LIST_LIMIT)
    domains = [t for _, t in watches.list_domains(db, cmd.channel)] if collection is None else []
    if not rows and not domains:
        where = f"collection `{collection}`" if collection else cmd.channel
        return Reply(text=f"Nothing is watched in {where} yet. Try `watch 10.1038/nature12373`.")
    lines = []
    if rows:
        lines.append(f"Watched in {cmd.channel}" + (f" (collection {collection})" if collection else "") + ":")
        for w in rows:
            aliases = ", ".join(display(i) for i in w.item.identifiers)
            title = f" - {w.item.title}" if w.item.title else ""
            muted = f" (muted until {w.muted_until[:10]})" if w.muted_until else ""
            lines.append(f"  {aliases}{title}{muted}")
        if collection is None and total > len(rows):
            lines.append(f"  and {total - len(rows)} more - use export")
    if domains:
        lines.append("Web sites watched: " + ", ".join(domains))
    return Reply(text="\n".join(lines))
