"""Who may change what the bot does, and the audit log of changing commands.

The rule (ATTENTION_ADMINS, ATTENTION_ADMIN_CHANNELS): when both are empty everyone may do
everything; otherwise a changing command runs only for a listed user or in a listed channel.
The terminal (shell, `attention-bot cmd`, `attention-bot import`) is trusted: whoever runs
it already holds the database file. Slack never sets ``Command.operator``.

:func:`handlers.router.dispatch` applies the rule to every command marked as changing and
writes the audit row; nothing else needs to check.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC

from core.errors import InputError
from core.text import shown
from handlers.commands import numbers
from handlers.context import Context
from handlers.render import escape_mrkdwn, section
from handlers.replies import Command, Reply
from storage import audit

log = logging.getLogger(__name__)

DEFAULT_AUDIT_ROWS, MAX_AUDIT_ROWS = 20, 200
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


def _admins(ctx: Context) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ctx.options.admins, ctx.options.admin_channels


def may_change(ctx: Context, cmd: Command) -> bool:
    """Whether ``cmd``'s user may run a changing command where it was typed."""
    if cmd.operator:
        return True
    admins, rooms = _admins(ctx)
    if not admins and not rooms:
        return True
    return cmd.user in admins or cmd.channel in rooms


def user_ref(user: str) -> str:
    """``<@U123>`` for a Slack user id (Slack shows the name), else the escaped text."""
    return f"<@{user}>" if _USER_ID.match(user) else escape_mrkdwn(user)


def channel_ref(channel: str) -> str:
    return f"<#{channel}>" if _CHANNEL_ID.match(channel) else escape_mrkdwn(channel)


def _who(ctx: Context, *, rich: bool) -> str:
    """Who may change things: Slack mentions (``<@U1>``) in mrkdwn, the plain ids otherwise."""
    admins, rooms = _admins(ctx)
    names = [user_ref(u) if rich else u for u in admins]
    if rooms:
        names.append("anyone in " + ", ".join(channel_ref(c) if rich else c for c in rooms))
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def refusal(ctx: Context, cmd: Command, *, changing: bool = True) -> Reply:
    """What a user who may not run ``cmd`` is told: who may, and that nothing changed. The
    text is plain (the terminal prints it; Slack shows it in notifications); the blocks
    mention the people so Slack shows their names."""
    tail = "nothing was changed." if changing else "ask one of them."
    text = f"Only {_who(ctx, rich=False)} may run `{cmd.name}`; {tail}"
    rich = f"Only {_who(ctx, rich=True)} may run `{cmd.name}`; {tail}"
    return Reply(text=text, blocks=[section(rich)], ok=False, ephemeral=True)


def record(ctx: Context, cmd: Command, *, args: str, outcome: str) -> None:
    """Write one audit row; a failure is logged, never turned into the command's answer."""
    try:
        with ctx.store.transaction() as db:
            # A refused NUL or bidi override is kept only escaped, like everywhere it is shown.
            audit.record(
                db, user=cmd.user, channel=cmd.channel, command=cmd.name, args=shown(args), outcome=outcome,
                at=ctx.now().astimezone(UTC).isoformat(timespec="seconds"),  # purge compares text
            )
    except Exception:
        log.exception("could not write the audit row of %s", cmd.name)


def audit_command(ctx: Context, cmd: Command) -> Reply:
    """Show who ran which changing command, when and where, newest first: `audit 50`.

    Only the bot's admins see it (with no admins configured, anyone). Rows are kept for
    ATTENTION_AUDIT_DAYS days.
    """
    if len(cmd.args) > 1:
        raise InputError(f"Give one number of rows: `audit 50` (1 to {MAX_AUDIT_ROWS}).")
    n = DEFAULT_AUDIT_ROWS
    if cmd.args:
        n = numbers.whole_number(cmd.args[0], low=1, high=MAX_AUDIT_ROWS, what="a number of rows",
                                 example="audit 50")
    rows = audit.recent(ctx.store.db, limit=n)
    if not rows:
        return Reply(text="The audit log is empty: no changing command has been run yet.")
    head = f"Changing commands, newest first ({len(rows)}, times in UTC):"
    plain, rich = [head], [head]
    for r in rows:
        when = r.at.replace("T", " ")[:16]
        what = f"{r.command} {r.args}" if r.args else r.command
        plain.append(f"{when}  {r.user} in {r.channel}: {what} - {r.outcome}")
        rich.append(f"{when}  {user_ref(r.user)} in {channel_ref(r.channel)}: `{escape_mrkdwn(what)}` - {r.outcome}")
    chunks: list[list[str]] = [[]]
    for line in rich:
        if sum(len(x) + 1 for x in chunks[-1]) + len(line) > 2900:
            chunks.append([])
        chunks[-1].append(line)
    return Reply(text="\n".join(plain), blocks=[section("\n".join(c)) for c in chunks])
