"""Watching web sites and collections: `watch domain`, `unwatch domain`, `watch collection`,
`unwatch collection` (the import itself is handlers.commands.importing)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from core.errors import InputError
from core.text import hidden_in, shown
from handlers.commands.importing import ImportReport, harvest, import_csv
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.resolve import resolver_config
from handlers.render import plural
from handlers.replies import Command, Reply
from sources.errors import SourceError
from sources.resolver import Refused, fetch_page
from storage import watches

# --- commands ---


def normalise_target(text: str) -> str:
    """``host[:port][/path-prefix]`` in the stored form, or InputError saying how to write it."""
    if hidden := hidden_in(text):
        raise InputError(f"`{shown(text.strip())}` contains characters that do not show ({', '.join(hidden)}): "
                         "type the web site again, e.g. `repository.example.edu/handle`.")
    raw = text.strip().strip("<>")
    lowered = raw.lower()
    if "://" in raw and not lowered.startswith(("http://", "https://")):
        raise InputError(f"`{raw}` is not a web address: give host[:port][/path], e.g. `repository.example.edu/handle`.")
    bare = raw.split("://", 1)[-1]
    if bare.startswith("*."):
        raise InputError(f"`{raw}`: give each site without a wildcard, e.g. `watch domain {bare[2:]}` "
                         "(a site covers only its own host name).")
    try:
        parts = urlsplit("http://" + bare)
        port = parts.port
        if port == 0:
            raise ValueError("port 0")
    except ValueError as exc:
        raise InputError(f"`{raw}` has a bad port ({exc}): give host[:port][/path], e.g. `repo.example.edu:8443`.") from exc
    host = (parts.hostname or "").rstrip(".")
    labels = host.split(".")
    valid = all(lab and len(lab) <= 63 and all(c.isalnum() or c == "-" for c in lab) for lab in labels)
    if not host or not valid or (len(labels) < 2 and host != "localhost") or parts.username:
        raise InputError(
            f"`{raw}` is not a web site: give host[:port][/path-prefix], e.g. "
            "`watch domain digital.library.example.edu/collections/maps`."
        )
    if parts.query or parts.fragment or any(ch.isspace() for ch in parts.path):
        raise InputError(f"`{raw}`: give a path prefix without ? or #, e.g. `{host}/collections/maps`.")
    # Links are matched without their default port (sources.matching.clean_url drops :80 and
    # :443): a site kept with one would never match a link.
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return netloc + parts.path.rstrip("/")


def _options(args: list[str]) -> tuple[list[str], dict[str, str]]:
    words, opts = [], {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and key.lower() in ("collection", "set"):
            opts[key.lower()] = value.strip()
        else:
            words.append(arg)
    return words, opts


def watch_domain_command(ctx: Context, cmd: Command) -> Reply:
    """`watch domain <host>[:port][/path-prefix] [collection=<name>]`: watch a whole web site."""
    targets, opts = _options(cmd.args[1:])
    if not targets:
        raise InputError("Give a web site: `watch domain digital.library.example.edu/collections/maps`.")
    normalised = [normalise_target(t) for t in targets]
    collection = opts.get("collection")
    added: list[str] = []
    already: list[str] = []
    with ctx.store.transaction() as db:
        coll_id = watches.ensure_collection(db, cmd.channel, collection) if collection else None
        for target in normalised:
            new = watches.watch_domain(db, cmd.channel, target, collection_id=coll_id)
            if not new and coll_id is not None:
                watches.set_domain_collection(db, cmd.channel, target, coll_id)
            (added if new else already).append(target)
    into = f" (collection {collection})" if collection else ""
    lines = []
    if added:
        lines.append(f"Now watching links to {', '.join(added)}{into}: every page under it counts.")
    if already:
        lines.append(f"Already watched here: {', '.join(already)}{into if collection else ''}")
    return Reply(text="\n".join(lines))


def unwatch_domain_command(ctx: Context, cmd: Command) -> Reply:
    """`unwatch domain <target>`: stop watching a web site (its items stay watched)."""
    targets = [normalise_target(t) for t in cmd.args[1:]]
    if not targets:
        raise InputError("Give the web site to stop watching: `unwatch domain repository.example.edu`.")
    with ctx.store.transaction() as db:
        gone = [t for t in targets if watches.unwatch_domain(db, cmd.channel, t)]
    missing = [t for t in targets if t not in gone]
    lines = [f"Stopped watching links to {', '.join(gone)}."] if gone else []
    if missing:
        lines.append(f"Not watched in this channel: {', '.join(missing)} (type `list` to see what is)")
    return Reply(text="\n".join(lines), ok=bool(gone))


def unwatch_collection_command(ctx: Context, cmd: Command) -> Reply:
    """`unwatch collection <name>`: stop watching a whole collection (names in any case)."""
    if len(cmd.args) != 2:
        raise InputError("Give the collection's name: `unwatch collection maps`.")
    with ctx.store.transaction() as db:
        name = watches.find_collection(db, cmd.channel, cmd.args[1])
        if name is None:
            known = ", ".join(c[0] for c in watches.channel_collections(db, cmd.channel))
            hint = f"Collections here: {known}." if known else "This channel has no collections."
            return Reply(text=f"There is no collection `{shown(cmd.args[1])}` in {cmd.channel}. {hint}",
                         ok=False)
        items, sites = watches.unwatch_collection(db, cmd.channel, name)
    what = plural(items, "item") + (f" and {plural(sites, 'web site')}" if sites else "")
    return Reply(text=f"Stopped watching collection {name} in {cmd.channel}: {what}. "
                      "Their history is kept.")


def watch_collection_command(ctx: Context, cmd: Command) -> Reply:
    """`watch collection <name> from <file.csv | CSV URL | OAI-PMH base URL> [set=<spec>]`."""
    words, opts = _options(cmd.args[1:])
    if len(words) != 3 or words[1].lower() != "from":
        raise InputError(
            "Write `watch collection <name> from <file.csv | OAI-PMH base URL> [set=<spec>]`, "
            "e.g. `watch collection maps from https://repo.example.edu/oai/request set=col_1794_12`."
        )
    name, origin = words[0], words[2]
    # Filled as pages arrive, so a harvest that stops halfway can say what it kept.
    report = ImportReport()
    if origin.lower().startswith(("http://", "https://")):
        path = urlsplit(origin).path.lower()
        try:
            if path.endswith(".csv"):
                fetched = fetch_page(origin, config=resolver_config(ctx))
                if fetched.status >= 400:
                    raise InputError(f"{origin} answered HTTP {fetched.status}.")
                report = import_csv(ctx, fetched.body.decode("utf-8-sig", "replace"),
                                    channel=cmd.channel, collection=name, origin=origin)
            else:
                harvest(ctx, origin, channel=cmd.channel, collection=name, set_spec=opts.get("set"), report=report)
        except (Refused, SourceError) as exc:
            if not report.rows and isinstance(exc, Refused):
                raise InputError(f"Cannot read {origin}: {exc}.") from exc
            kept = f"; {report.summary()} before it stopped (run the same command again to resume)" if report.rows else ""
            why = plain(exc) if isinstance(exc, SourceError) else str(exc)
            return Reply(text=f"Collection {name}: the import stopped: {why}{kept}.", ok=False)
    else:
        if not cmd.operator:  # a file on the bot's machine is for its operator only
            raise InputError(
                "From Slack, give the CSV as an http(s) URL or an OAI-PMH base URL; for a file on "
                "the bot's machine run `attention-bot import FILE.csv --channel C --collection NAME`."
            )
        file = Path(origin).expanduser()
        if not file.is_file():
            raise InputError(f"There is no file `{origin}`: give the path of a CSV file or an OAI-PMH URL.")
        report = import_csv(ctx, file.read_text(encoding="utf-8-sig", errors="replace"),
                            channel=cmd.channel, collection=name, origin=str(file))
    return Reply(text=f"Collection {name}: {report.summary()}.", ok=report.rows > 0 or not report.refused)
