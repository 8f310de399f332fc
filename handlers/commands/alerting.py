"""Commands about alerts: per-channel `settings`, `mute` one item, and `status` of the bot."""

from __future__ import annotations

from datetime import timedelta

from core.errors import InputError
from core.identifiers import display, parse_identifier
from core.scoring import DEFAULT_WEIGHTS
from handlers.commands import numbers
from handlers.commands.health import health_lines
from handlers.context import Context
from handlers.render import plural
from handlers.replies import Command, Reply
from storage import channels, outbox, watches

MAX_MUTE_DAYS = 365
MAX_MIN_SCORE = 10_000
DEFAULT_MUTE_DAYS = 7


def _show(ctx: Context, channel: str) -> Reply:
    s = channels.get_settings(ctx.store.db, channel)
    sources = ", ".join(s.sources) if s.sources is not None else "all"
    lines = [
        f"Alert settings for {channel}:",
        f"  minimum score rise: {s.min_score_rise:g}" + (" (every new mention alerts)" if not s.min_score_rise else ""),
        f"  sources that alert: {sources}",
        f"  mode: {s.mode}" + (" (one message a day)" if s.mode == "digest" else " (as it happens)"),
    ]
    if not s.active:
        lines.append(f"  INACTIVE: {s.inactive_reason or 'the channel could not be reached'}")
    return Reply(text="\n".join(lines))


def _source_names(ctx: Context, text: str) -> tuple[str, ...] | None:
    """Source names (`wikipedia`) or kinds of mention (`news`, `blog`, `policy`...)."""
    if text.lower() == "all":
        return None
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    known = [s.name for s in ctx.sources]
    kinds = [k for k in DEFAULT_WEIGHTS if k not in known]
    unknown = [n for n in names if known and n not in known and n not in kinds]
    if not names or unknown:
        shown = ", ".join(unknown) or text
        raise InputError(
            f"`{shown}` is not a source or a kind of mention. Give `all` or names separated by commas"
            + (f", from the sources {', '.join(known)}" if known else "")
            + f" or the kinds {', '.join(kinds)}; e.g. `settings sources news,wikipedia`."
        )
    return names


def settings_command(ctx: Context, cmd: Command) -> Reply:
    """Show or change how this channel is alerted.

    `settings` or `settings show`: the current settings.
    `settings min-score 5`: alert only when an item's attention score rises by at least 5.
    `settings sources news,wikipedia`: only these sources, or kinds of mention (news, blog,
    policy, social...), alert (`settings sources all` undoes it).
    `settings mode digest`: one grouped message a day instead of alerts as they happen
    (`settings mode realtime` goes back).
    """
    args = cmd.args
    if not args or args[0].lower() == "show":
        return _show(ctx, cmd.channel)
    what = args[0].lower()
    if what not in ("min-score", "sources", "mode"):
        raise InputError(
            f"`settings {args[0]}` is not a setting. Use `settings show`, `settings min-score 5`, "
            "`settings sources all|<name,name>` or `settings mode realtime|digest`."
        )
    # `settings sources News, Blog`: a list may have spaces after its commas.
    value = " ".join(args[1:]) if what == "sources" else (args[1] if len(args) == 2 else "")
    if not value:
        raise InputError(f"Give one value: `settings {what} <value>` (see `help settings`).")
    if what == "min-score":
        rise = numbers.number(value, low=0, high=MAX_MIN_SCORE, what="a score rise",
                              example="settings min-score 5")
    with ctx.store.transaction() as db:
        if what == "min-score":
            channels.set_min_score_rise(db, cmd.channel, rise)
        elif what == "sources":
            channels.set_sources(db, cmd.channel, _source_names(ctx, value))
        else:
            mode = value.lower()
            if mode not in channels.MODES:
                raise InputError(f"`{value}` is not a mode: use `settings mode realtime` or `settings mode digest`.")
            channels.set_mode(db, cmd.channel, mode)
    return _show(ctx, cmd.channel)


def mute_command(ctx: Context, cmd: Command) -> Reply:
    """Silence one item's alerts in this channel for some days (default 7).

    `mute 10.1038/nature12373 30` (or `30d`, or `4w`) mutes for 30 days;
    `mute 10.1038/nature12373 0` unmutes.
    """
    if not cmd.args:
        raise InputError("Give an identifier and optionally days: `mute 10.1038/nature12373 14`.")
    ident = parse_identifier(cmd.args[0])
    days = DEFAULT_MUTE_DAYS
    if len(cmd.args) > 1:  # `14`, `14d`, `14 days`, `2w`
        days = numbers.days(" ".join(cmd.args[1:]), low=0, high=MAX_MUTE_DAYS,
                            example=f"mute {display(ident)} 14")
    with ctx.store.transaction() as db:
        item = watches.get_watched_item(db, cmd.channel, ident)
        if item is None:
            raise InputError(f"{display(ident)} is not watched in this channel (type `list` to see what is).")
        until = None
        if days:
            until = (ctx.now() + timedelta(days=days)).isoformat(timespec="seconds")
        watches.mute(db, cmd.channel, item.id, until)
    name = item.title or display(item.primary or ident)
    if until is None:
        return Reply(text=f"Unmuted {name}: its alerts come to {cmd.channel} again.")
    return Reply(text=f"Muted {name} in {cmd.channel} for {plural(days, 'day')} "
                      f"(until {until[:10]}).")


def status_command(ctx: Context, cmd: Command) -> Reply:
    """Show poll health per source, channels that stopped getting alerts, and the outbox."""
    db = ctx.store.db
    lines = ["Sources:", *(f"  {line}" for line in health_lines(ctx))]
    if not ctx.sources:
        lines.append("  none registered")
    gone = watches.inactive_channels(db)
    if gone:
        lines.append("Inactive channels (no alerts until the bot is back in them):")
        lines += [f"  {channel}: {reason or 'unreachable'}" for channel, reason in gone]
    counts = outbox.backlog(db)
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    backlog = f"Outbox: {waiting} waiting to be sent"
    if counts.get("held"):
        backlog += f", {counts['held']} held for daily digests"
    if counts.get("failed"):
        backlog += f", {counts['failed']} gave up"
    lines.append(backlog)
    return Reply(text="\n".join(lines))
