"""`attention-bot`: run the bot, run one command, open a shell, and the batch jobs."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO

from bot import __version__
from bot.importcmd import args_harvest, args_import, cmd_harvest, cmd_import
from bot.pollcmd import args_poll, cmd_poll
from bot.startup import EXIT_OK, EXIT_USER_ERROR, start
from bot.streamcmd import args_stream, cmd_stream
from bot.summarycmd import args_export, args_summary, cmd_export, cmd_summary

log = logging.getLogger("attention-bot")


def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot: Slack when tokens are set, otherwise the console."""
    settings = start()
    from bot.app import build_context

    ctx = build_context(settings)
    if settings.slack_app_token or (args.http and settings.slack_bot_token):
        from bot.slack_serve import serve

        return serve(settings, ctx, http=args.http, port=args.port or settings.port)
    if args.http:
        print(
            "HTTP mode needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; see README 'Connect Slack'.",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    from bot.console import run_console

    return run_console(settings, ctx)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the badges, details pages, /healthz and /metrics from the database (no Slack, no polls)."""
    settings = start()
    from bot.app import build_context
    from bot.server import serve_pages

    port = args.port or settings.port
    return serve_pages(settings, build_context(settings), port=port, host=args.host)


def cmd_cmd(args: argparse.Namespace) -> int:
    """Run one command exactly as `/attention <text>` would in Slack and print the reply."""
    settings = start()
    from bot.app import build_context
    from bot.shell import format_reply
    from handlers.router import dispatch

    if not args.text:
        print('Give a command to run, e.g. attention-bot cmd "watch 10.1038/nature12373".', file=sys.stderr)
        return EXIT_USER_ERROR
    ctx = build_context(settings)
    text = " ".join(args.text)
    shown: list[str] = []
    if sys.stderr.isatty():
        ctx.progress = line_in_place(sys.stderr, shown)
    # Without --user the machine's operator runs it: trusted (see handlers.access).
    reply = dispatch(ctx, text, channel=args.channel or settings.default_channel,
                     user=args.user or "console", operator=args.user is None)
    if shown:
        print(file=sys.stderr)  # end the progress line
    stream = sys.stdout if reply.ok else sys.stderr
    print(format_reply(reply, files_dir=settings.files_dir), file=stream)
    return EXIT_OK if reply.ok else EXIT_USER_ERROR


def line_in_place(stream: TextIO, shown: list[str]) -> Callable[[str], None]:
    """How a long command (`watch prefix ...`) shows its progress on a terminal: one line,
    rewritten in place; ``shown`` keeps the last, so the caller can end the line."""

    def show(text: str) -> None:
        pad = max(0, len(shown[-1]) - len(text)) if shown else 0
        print("\r" + text + " " * pad, end="", file=stream, flush=True)
        shown[:] = [text]

    return show


def cmd_shell(args: argparse.Namespace) -> int:
    """An interactive loop over the same commands, with line editing and history."""
    settings = start()
    from bot.app import build_context
    from bot.shell import run_shell

    ctx = build_context(settings)
    channel = args.channel or settings.default_channel
    if sys.stdin.isatty():
        print(f"attention-bot {__version__} shell - channel {channel}, database {settings.db}.")
        print("Type `help` for commands, Ctrl-D or `exit` to leave.")
    return run_shell(ctx, channel=channel, user=args.user, files_dir=settings.files_dir)


# (name, help, add its arguments, run it): the explicit list of subcommands.
Subcommand = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def port_number(text: str) -> int:
    """``--port``'s value, or argparse's one-line error saying what a port is."""
    if not (text.strip().isdecimal() and len(text.strip()) <= 5 and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: give a whole number from 1 to 65535")
    return int(text)


def _args_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--http", action="store_true", help="serve Slack's HTTP mode instead of Socket Mode")
    p.add_argument("--port", type=port_number, help="port for --http (default: PORT, else 3000)")


def _args_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=port_number, help="port (default: PORT, else 3000)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default all; 127.0.0.1 behind a proxy)")


USER_HELP = ("run as this Slack user id, under the access rules (ATTENTION_ADMINS); "
             "default: the machine's operator, who may run every command")


def _args_cmd(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", help="channel the command runs in (default: ATTENTION_DEFAULT_CHANNEL)")
    p.add_argument("--user", help=USER_HELP)
    # Everything after the command's first word is the command's own, flags too
    # (`cmd forget 10.1038/x --yes`, `cmd summary --private`), except --channel and --user,
    # which are taken out wherever they are (`cmd "watch X" --channel C`): see main().
    p.add_argument("text", nargs=argparse.REMAINDER, help='the command, e.g. "watch 10.1038/nature12373"')


#: The options of `cmd` that may also follow the command text.
CMD_OPTIONS = ("--channel", "--user")


def options_after_text(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Move ``--channel C`` / ``--user U`` typed after `cmd`'s text into their options."""
    text: list[str] = []
    words = iter(args.text)
    for word in words:
        option, eq, value = word.partition("=")
        if option not in CMD_OPTIONS:
            text.append(word)
            continue
        if not eq:
            value = next(words, "")
            if not value or value.startswith("--"):
                parser.error(f"{option} needs a value, e.g. {option} C0123456")
        field = option.removeprefix("--")
        if getattr(args, field) not in (None, value):
            parser.error(f"{option} was given twice")
        setattr(args, field, value)
    args.text = text


def _args_shell(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", help="channel the commands run in")
    p.add_argument("--user", help=USER_HELP)


SUBCOMMANDS: list[Subcommand] = [
    ("run", "start the bot (Slack, or the console when no tokens are set)", _args_run, cmd_run),
    ("serve", "serve badges and details pages from the database, without Slack: serve [--port N]", _args_serve, cmd_serve),
    ("cmd", "run one command as /attention would and print the reply", _args_cmd, cmd_cmd),
    ("shell", "interactive shell over the commands", _args_shell, cmd_shell),
    ("poll", "poll the sources once and deliver the alerts (for cron): poll --once", args_poll, cmd_poll),
    ("stream", "read the streams in the foreground and deliver what they match: stream --for 60", args_stream, cmd_stream),
    ("summary", "print a channel's summary, or deliver it now with --post", args_summary, cmd_summary),
    ("export", "write a channel's mentions to a CSV file", args_export, cmd_export),
    ("import", "import a CSV of identifiers as a watched collection", args_import, cmd_import),
    ("harvest", "harvest an OAI-PMH repository as a watched collection", args_harvest, cmd_harvest),
]


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (exit status 2), naming where the usage is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="attention-bot",
        description="Tells a library or research group when what it publishes gets attention online.",
    )
    parser.add_argument("--version", action="version", version=f"attention-bot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, add_args, func in SUBCOMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(func=func, parser=p)
    return parser


def _quiet_broken_pipe() -> None:
    """Output piped into `head` that stopped reading: end without a traceback, and without
    Python's complaint when it flushes stdout at exit (the recipe in Python's signal docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    if args.command == "cmd":
        options_after_text(args, args.parser)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        _quiet_broken_pipe()
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
