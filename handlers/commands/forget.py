"""`forget`: remove an item, or a whole web site, from the bot everywhere, on request.

Without `--yes` nothing changes: the reply says what would go, with (in Slack) a button
that runs the same command with `--yes` through the router, as the person who pressed it.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from core.errors import InputError
from core.identifiers import display, parse_identifier, split_typed
from handlers.commands.collections import normalise_target
from handlers.context import Context
from handlers.render import (
    ACTION_PREFIX,
    BUTTON_VALUE_CHARS,
    Block,
    actions,
    button,
    escape_mrkdwn,
    plural,
    section,
)
from handlers.replies import Command, Reply
from sources.matching import under_domain
from storage import forget, items, watches

#: The confirmation button's action_id (bot/slack.py routes every ``attention_*`` action).
FORGET = ACTION_PREFIX + "forget"
YES = "--yes"


def audit_args(cmd: Command) -> str:
    """What the audit log keeps of a forget: never the identifier or site forgotten."""
    what = "1 web site" if cmd.args and cmd.args[0].lower() == "domain" else "1 item"
    return what + (" (confirmed)" if YES in cmd.flags else " (preview)")


def _amounts(found: forget.Footprint) -> str:
    parts = []
    if found.domain_watches:
        parts.append(plural(found.domain_watches, "site watch", "site watches"))
    if found.domain_watches or found.items != 1:
        parts.append(plural(found.items, "item"))
    parts += [
        plural(found.aliases, "alias", "aliases"),
        plural(found.mentions, "mention"),
        f"watched in {plural(found.channels, 'channel')}",
        plural(found.messages, "alert or digest", "alerts or digests"),
    ]
    if found.cached_pages:
        parts.append(plural(found.cached_pages, "cached landing page"))
    return ", ".join(parts)


def _confirm(typed: str, what: str, found: forget.Footprint) -> Reply:
    command = f"forget {typed} {YES}"
    head = (f"`forget` would remove {what} from the bot everywhere, in every channel: "
            f"{_amounts(found)}. Nothing was changed yet.")
    blocks: list[Block] = [section(escape_mrkdwn(head))]
    if len(typed) <= BUTTON_VALUE_CHARS:
        # The value says only what to forget; the button's action_id says it is a forget.
        blocks.append(actions("attention_forget_confirm", [button(
            "Forget everywhere", action_id=FORGET, value=typed, style="danger",
            confirm=("Forget everywhere?",
                     "Every channel loses it, with its mentions and history. This cannot be undone.",
                     "Forget", "Keep"),
        )]))
    else:
        blocks.append(section(f"Type `{escape_mrkdwn(command)}` to remove it."))
    return Reply(text=f"{head} Type `{command}` to remove it.", blocks=blocks, ephemeral=True)


def _done(what: str, found: forget.Footprint, note: str = "") -> Reply:
    text = (f"Forgot {what} everywhere (every channel): removed {_amounts(found)}. "
            "Messages already posted in Slack stay: delete them there if they must go." + note)
    return Reply(text=text, ephemeral=True)


def forget_command(ctx: Context, cmd: Command) -> Reply:
    """Remove an item from the bot everywhere: aliases, mentions, counts, watches, alerts.

    `forget 10.1038/nature12373` says what would be removed, in every channel;
    `forget 10.1038/nature12373 --yes` removes it (in Slack, press the button).
    `forget domain <host>` removes a web site: its watches in every channel and every
    item with a link on it. The audit log keeps only that something was forgotten.
    """
    if cmd.args and cmd.args[0].lower() == "domain":
        return _forget_domain(ctx, cmd)
    typed = split_typed(cmd.args)
    if len(typed) != 1:
        raise InputError("Give one identifier: `forget 10.1038/nature12373` (or `forget domain <host>`).")
    ident = parse_identifier(typed[0])
    what = display(ident)
    if YES not in cmd.flags:
        db = ctx.store.db
        item_id = items.find_item_id(db, ident)
        if item_id is None:
            raise InputError(f"{what} is not known to the bot: there is nothing to forget.")
        return _confirm(shlex.quote(typed[0]), what, forget.footprint(db, [item_id]))
    with ctx.store.transaction() as db:
        item_id = items.find_item_id(db, ident)
        if item_id is None:
            raise InputError(f"{what} is not known to the bot: there is nothing to forget.")
        item = items.get_item(db, item_id)
        urls = [i.value for i in (item.identifiers if item else ()) if i.scheme == "url"]
        sites = sorted({t for _, t, _ in watches.domain_watchers(db) if any(under_domain(u, t) for u in urls)})
        found = forget.forget_items(db, [item_id])
    note = ""
    if sites:
        note = (f" A watched web site links to it ({', '.join(sites)}): the next poll may find it again; "
                "`forget domain <host>` removes the site.")
    return _done(what, found, note)


def _host(text: str) -> tuple[str, int | None]:
    target = normalise_target(text)
    if "/" in target:
        raise InputError(f"Forget a whole host, without a path: `forget domain {target.split('/', 1)[0]}`.")
    parts = urlsplit("http://" + target)
    return parts.hostname or target, parts.port


def _forget_domain(ctx: Context, cmd: Command) -> Reply:
    if len(cmd.args) != 2:
        raise InputError("Give one web site: `forget domain repository.example.edu`.")
    host, port = _host(cmd.args[1])
    what = host if port is None else f"{host}:{port}"
    if YES not in cmd.flags:
        item_ids, found = forget.domain_footprint(ctx.store.db, host, port=port)
        if not item_ids and not found.domain_watches:
            raise InputError(f"Nothing on {what} is known to the bot: there is nothing to forget.")
        return _confirm(f"domain {shlex.quote(what)}", f"the web site {what}", found)
    with ctx.store.transaction() as db:
        item_ids, found = forget.domain_footprint(db, host, port=port)
        if not item_ids and not found.domain_watches:
            raise InputError(f"Nothing on {what} is known to the bot: there is nothing to forget.")
        found = forget.forget_domain(db, host, port=port)
    return _done(f"the web site {what}", found)
