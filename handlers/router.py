"""The one place commands are registered and dispatched, for Slack, the shell and the CLI.

A command is a function ``(ctx, cmd) -> Reply``. Its docstring is its help text: the first
line is the summary, the rest the details. ``usage`` is what the user types.
"""

from __future__ import annotations

import difflib
import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.errors import InputError
from core.sets import KINDS
from handlers.commands import access, alerting, check, forget, lookup, summaries, watch
from handlers.commands.numbers import typed
from handlers.context import Context
from handlers.replies import Command, Reply, error

log = logging.getLogger(__name__)


Handler = Callable[[Context, Command], Reply]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    usage: str
    #: Slow commands are acknowledged at once in Slack and answered later.
    slow: bool = False
    #: For a command slow only in some forms (``watch collection ... from <url>``).
    slow_when: Callable[[list[str]], bool] | None = None
    #: Changing commands (watch, forget ...) obey ATTENTION_ADMINS / ATTENTION_ADMIN_CHANNELS
    #: and are audited; ``changes_when`` for a command that changes only in some forms.
    changes: bool = False
    changes_when: Callable[[list[str]], bool] | None = None
    #: Read-only, but shown only to those who may change things (the audit log).
    admins_only: bool = False
    #: What the audit log keeps of the arguments (default: as typed).
    audit_args: Callable[[Command], str] | None = None
    #: Answered only to the asker (in Slack, an ephemeral reply); any command is with --private.
    private: bool = False

    def is_slow(self, args: list[str]) -> bool:
        return self.slow or bool(self.slow_when and self.slow_when(args))

    def is_changing(self, args: list[str]) -> bool:
        return self.changes or bool(self.changes_when and self.changes_when(args))

    @property
    def summary(self) -> str:
        return (self.handler.__doc__ or "").strip().splitlines()[0] if self.handler.__doc__ else ""

    @property
    def details(self) -> str:
        lines = (self.handler.__doc__ or "").strip().splitlines()[1:]
        return "\n".join(line.strip() for line in lines).strip()


def _nearest(name: str) -> str:
    """``: did you mean `watch`?`` for a command typed a letter wrong, else a full stop."""
    close = difflib.get_close_matches(name.lower(), COMMANDS, n=1, cutoff=0.6)
    return f": did you mean `{close[0]}`?" if close else "."


def help_command(ctx: Context, cmd: Command) -> Reply:
    """Show the commands, or the details of one: `help watch`."""
    if cmd.args:
        spec = COMMANDS.get(cmd.args[0].lower())
        if spec is None:
            return error(f"There is no command `{typed(cmd.args[0])}`{_nearest(cmd.args[0])} "
                         "Type `help` to see them all.")
        body = f"{spec.usage}\n  {spec.summary}"
        if spec.details:
            body += "\n\n" + spec.details
        return Reply(text=body)
    lines = ["Commands (type `help <command>` for details):"]
    for spec in REGISTRY:
        lines += [f"  {spec.usage}", f"      {spec.summary}"]
    return Reply(text="\n".join(lines))


# The explicit list of every command, in the order `help` shows them.
REGISTRY: list[CommandSpec] = [
    CommandSpec("help", help_command, "help [command]", private=True),
    CommandSpec(
        "watch",
        watch.watch_command,
        "watch <id> [<id> ...] | watch domain <site> | watch collection <name> from <csv|url> | watch prefix|orcid|ror <id>",
        # Importing a collection or listing a set fetches and stores thousands of records.
        slow_when=lambda args: bool(args) and args[0].lower() in ("collection", *KINDS),
        changes=True,
    ),
    CommandSpec("unwatch", watch.unwatch_command,
                "unwatch <id> [<id> ...] | unwatch domain <site> | unwatch collection <name> "
                "| unwatch prefix|orcid|ror <id>", changes=True),
    CommandSpec("list", watch.list_command, "list [collection|set]"),
    CommandSpec("check", check.check_command, "check <url>", slow=True),
    CommandSpec("lookup", lookup.lookup_command, "lookup <id>", slow=True),
    CommandSpec("sources", lookup.sources_command, "sources", private=True),
    CommandSpec("settings", alerting.settings_command, "settings [show | min-score N | sources all|<names> | mode realtime|digest]",
                changes_when=lambda args: bool(args) and args[0].lower() != "show"),
    CommandSpec("mute", alerting.mute_command, "mute <id> [days]", changes=True),
    CommandSpec("status", alerting.status_command, "status"),
    CommandSpec("summary", summaries.summary_command, "summary [7d|30d] [collection|set] [--private]", slow=True),
    CommandSpec("top", summaries.top_command, "top [N] [period] [collection|set]"),
    CommandSpec("export", summaries.export_command, "export [period]", slow=True),
    CommandSpec("forget", forget.forget_command, "forget <id> [--yes] | forget domain <host> [--yes]",
                changes=True, audit_args=forget.audit_args),
    CommandSpec("audit", access.audit_command, "audit [N]", admins_only=True, private=True),
]

COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in REGISTRY}

FLAGS = frozenset({"--private", forget.YES})


def parse(text: str, *, channel: str = "console", user: str = "console", operator: bool = False) -> Command:
    """Split what follows ``/attention`` into a Command; InputError on unbalanced quotes."""
    try:
        words = shlex.split(text or "")
    except ValueError as exc:
        raise InputError(f"Could not read that command ({exc}): check the quotes.") from exc
    flags = frozenset(w.lower() for w in words if w.lower() in FLAGS)
    words = [w for w in words if w.lower() not in FLAGS]
    if not words:
        return Command("help", [], channel, user, text, flags, operator)
    return Command(words[0].lower(), words[1:], channel, user, text, flags, operator)


def is_slow(text: str) -> bool:
    """Whether ``text`` runs a slow command, which Slack acknowledges before answering."""
    try:
        cmd = parse(text)
    except InputError:
        return False
    spec = COMMANDS.get(cmd.name)
    return spec is not None and spec.is_slow(cmd.args)


def dispatch(
    ctx: Context, text: str, *, channel: str = "console", user: str = "console", operator: bool = False
) -> Reply:
    """Run one command as typed after ``/attention``. Never raises for user errors.

    ``operator``: typed at the bot machine's terminal, trusted (see handlers.access). Changing
    commands are checked against the access rule here, and each one is audited.
    """
    cmd: Command | None = None
    spec: CommandSpec | None = None
    outcome = "error"
    try:
        cmd = parse(text, channel=channel, user=user, operator=operator)
        spec = COMMANDS.get(cmd.name)
        if spec is None:
            return error(f"Unknown command `{typed(cmd.name)}`{_nearest(cmd.name)} "
                         "Type `help` to see what the bot can do.")
        changing = spec.is_changing(cmd.args)
        if (changing or spec.admins_only) and not access.may_change(ctx, cmd):
            outcome = "refused"
            return access.refusal(ctx, cmd, changing=changing)
        reply = spec.handler(ctx, cmd)
        outcome = "ok" if reply.ok else "error"
        if spec.private or "--private" in cmd.flags:
            reply = replace(reply, ephemeral=True)
        return reply
    except InputError as exc:
        return error(str(exc))
    except Exception:
        log.exception("command failed: %s in %s", cmd.name if cmd else "(unreadable)", channel)
        return Reply(
            text="Something went wrong running that command; the bot's log has the details.",
            ok=False,
            ephemeral=True,
        )
    finally:
        if cmd is not None and spec is not None and spec.is_changing(cmd.args):
            args = spec.audit_args(cmd) if spec.audit_args else " ".join([*cmd.args, *sorted(cmd.flags)])
            access.record(ctx, cmd, args=args, outcome=outcome)
