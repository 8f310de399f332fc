"""Button presses: each button runs one command, and its value says only what about.

A button's action_id chooses the command (Details runs `lookup`, Mute runs `mute`...); its
value is an identifier (or, for Forget, a web site as `domain <host>`). Anything else in a
value is refused before any command runs, so a click crafted to carry `watch 10.9999/x` on a
Mute button changes nothing. Alerts posted before values were bare identifiers carry the whole
command (`mute 'doi:10.1/x' 7`): that form is read too, for the button's own command only.
"""

from __future__ import annotations

import shlex

from core.errors import InputError
from core.identifiers import parse_identifier
from handlers.commands import access
from handlers.commands.collections import normalise_target
from handlers.commands.forget import FORGET, YES
from handlers.commands.numbers import typed
from handlers.context import Context
from handlers.render import DETAILS, MUTE, MUTE_DAYS, UNWATCH
from handlers.replies import Command, Reply, error
from handlers.router import dispatch

#: The one command each button runs.
COMMAND_OF = {DETAILS: "lookup", MUTE: "mute", UNWATCH: "unwatch", FORGET: "forget"}


def _words(value: str, verb: str) -> list[str]:
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise InputError("its value is not readable") from exc
    if words and words[0].lower() == verb:  # an alert posted before values were identifiers
        words = words[1:]
    if verb == "mute" and len(words) == 2 and words[1] == str(MUTE_DAYS):
        words = words[:1]
    if verb == "forget" and words and words[-1].lower() == YES:
        words = words[:-1]
    return words


def action_text(action_id: str, value: str) -> str:
    """The command a button press runs, or InputError when the value is not the one kind of
    thing that button may carry."""
    verb = COMMAND_OF.get(action_id)
    if verb is None:
        raise InputError("it is not a button the bot made")
    words = _words(value, verb)
    if verb == "forget" and len(words) == 2 and words[0].lower() == "domain":
        return f"forget domain {shlex.quote(normalise_target(words[1]))} {YES}"
    if len(words) != 1:
        raise InputError("its value is not one identifier")
    try:
        parse_identifier(words[0])
    except InputError as exc:
        raise InputError("its value is not an identifier") from exc
    ident = shlex.quote(words[0])
    return {
        "lookup": f"lookup {ident}",
        "mute": f"mute {ident} {MUTE_DAYS}",
        "unwatch": f"unwatch {ident}",
        "forget": f"forget {ident} {YES}",
    }[verb]


def run_action(ctx: Context, action_id: str, value: str, *, channel: str, user: str) -> Reply:
    """Run a button press as the person who pressed it, under the same rules as typing it."""
    try:
        text = action_text(action_id, value)
    except InputError as exc:
        verb = COMMAND_OF.get(action_id, "button")
        if verb in ("mute", "unwatch", "forget"):  # a changing button: kept in the audit log
            access.record(ctx, Command(verb, [], channel, user), args="(a button value refused)",
                          outcome="refused")
        return error(f"That button cannot run with the value `{typed(value)}` ({exc}): "
                     "nothing was changed.")
    return dispatch(ctx, text, channel=channel, user=user)
