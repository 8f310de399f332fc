"""The watchlist commands: watch, unwatch, list."""

from __future__ import annotations

from datetime import datetime

from core.errors import InputError
from core.identifiers import display, parse_identifier, split_typed
from core.models import Identifier
from core.sets import joined
from core.times import still_ahead
from handlers.commands import collections, sets
from handlers.context import Context
from handlers.render import plural
from handlers.replies import Command, Reply
from storage import sets as sets_store
from storage import watches

LIST_LIMIT = 50


def parse_all(args: list[str], *, verb: str) -> list[Identifier]:
    """Every identifier in the arguments (spaces or commas between them); one bad one refuses
    the whole command."""
    typed = split_typed(args)
    if not typed:
        raise InputError(f"Give at least one identifier: `{verb} 10.1038/nature12373`.")
    idents, problems = [], []
    for arg in typed:
        try:
            idents.append(parse_identifier(arg))
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        head = "Nothing was changed. " if len(typed) > 1 else ""
        raise InputError(head + "\n".join(problems))
    return list(dict.fromkeys(idents))


def watch_command(ctx: Context, cmd: Command) -> Reply:
    """Watch items by identifier: this channel hears when they get attention.

    Takes DOIs, Handles, arXiv ids, PMIDs, PMCIDs, ISBNs, ARKs, URNs and http(s) URLs,
    several at once: `watch 10.1038/nature12373 hdl:2027/abc`.
    Whole web sites: `watch domain <host>[:port][/path-prefix] [collection=<name>]`.
    Collections in bulk: `watch collection <name> from <file.csv | OAI-PMH base URL> [set=<spec>]`.
    Everything a DOI prefix, a person or an institution publishes, kept in sync:
    `watch prefix 10.5555`, `watch orcid 0000-0002-1825-0097`, `watch ror 02mhbdp94`.
    """
    if sets.is_set_command(cmd.args):
        return sets.watch_set_command(ctx, cmd)
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
        lines.append(f"Now watching {plural(len(added), 'item')} in {cmd.channel}: " + ", ".join(added))
    if already:
        lines.append("Already watched here: " + ", ".join(already))
    return Reply(text="\n".join(lines))


def unwatch_command(ctx: Context, cmd: Command) -> Reply:
    """Stop watching items in this channel. Their history is kept.

    Web sites: `unwatch domain <host>[:port][/path-prefix]`; sets: `unwatch prefix 10.5555`
    (or `orcid`, `ror`). A whole collection (its items and web sites): `unwatch collection <name>`.
    """
    if sets.is_set_command(cmd.args):
        return sets.unwatch_set_command(ctx, cmd)
    if cmd.args and cmd.args[0].lower() == "domain":
        return collections.unwatch_domain_command(ctx, cmd)
    if cmd.args and cmd.args[0].lower() == "collection":
        return collections.unwatch_collection_command(ctx, cmd)
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
    """List what this channel watches: items, web sites, sets and collections (`list <name>` for one).

    A collection shows its web sites (old and new addresses alike) and its items; a set
    (`list prefix:10.5555`, or `list prefix 10.5555`) its works.
    """
    args = joined(cmd.args)
    if len(args) > 1:
        raise InputError("Give one collection or set at most: `list maps`, `list prefix:10.5555`.")
    collection = args[0] if args else None
    db = ctx.store.db
    set_rows = sets_store.all_sets(db, cmd.channel)
    set_names = {r.name for r in set_rows}
    colls = watches.channel_collections(db, cmd.channel)
    if collection is not None:
        return _list_collection(ctx, cmd.channel, collection, colls)
    total = watches.count_watches(db, cmd.channel)
    rows = watches.list_watches(db, cmd.channel, limit=LIST_LIMIT)
    domains = [t for _, t in watches.list_domains(db, cmd.channel)]
    if not rows and not domains and not set_rows:
        return Reply(text=f"Nothing is watched in {cmd.channel} yet. Try `watch 10.1038/nature12373`.")
    lines = []
    if rows:
        lines.append(f"Watched in {cmd.channel}:")
        lines += [_item_line(w, ctx.now()) for w in rows]
        if total > len(rows):
            lines.append(f"  and {total - len(rows)} more - use export")
    if domains:
        lines.append("Web sites watched: " + ", ".join(domains))
    if set_rows:
        lines.append("Sets: " + "; ".join(sets.set_line(ctx, r) for r in set_rows) + " - `list <set>` shows one")
    plain = [c for c in colls if c[0] not in set_names]
    if plain:
        lines.append("Collections: " + "; ".join(
            f"{name} ({plural(n, 'item')}" + (f", sites {', '.join(sites)}" if sites else "") + ")"
            for name, _, n, sites in plain
        ) + " - `list <collection>` shows one")
    return Reply(text="\n".join(lines))


def _item_line(w: watches.Watch, now: datetime) -> str:
    aliases = ", ".join(display(i) for i in w.item.identifiers)
    title = f" - {w.item.title}" if w.item.title else ""
    # A mute that ran out is not cleared from the row: only a running one is shown.
    muted = f" (muted until {(w.muted_until or '')[:10]})" if still_ahead(w.muted_until, now) else ""
    return f"  {aliases}{title}{muted}"


def _list_collection(
    ctx: Context, channel: str, name: str, colls: list[tuple[str, str | None, int, list[str]]]
) -> Reply:
    found = next((c for c in colls if c[0].casefold() == name.casefold()), None)
    if found is None:
        known = ", ".join(c[0] for c in colls)
        hint = f"Collections here: {known}." if known else "Make one with `watch collection <name> from <file.csv | OAI-PMH URL>` or `watch domain <site> collection=<name>`."
        return Reply(text=f"There is no collection `{name}` in {channel}. {hint}", ok=False)
    name, origin, total, sites = found
    rows = watches.list_watches(ctx.store.db, channel, collection=name, limit=LIST_LIMIT)
    as_set = sets.find(ctx, channel, name)
    if as_set is not None:
        lines = [f"Set {sets.set_line(ctx, as_set)} in {channel}"]
    else:
        lines = [f"Collection {name} in {channel}: {plural(total, 'item')}" + (f", imported from {origin}" if origin else "")]
    if sites:
        lines.append("Web sites: " + ", ".join(sites))
    lines += [_item_line(w, ctx.now()) for w in rows]
    if total > len(rows):
        lines.append(f"  and {total - len(rows)} more - use export")
    if not rows and not sites:
        lines.append("  nothing yet")
    return Reply(text="\n".join(lines))
