"""`attention-bot import FILE.csv` and `attention-bot harvest URL`: collections in bulk from the
shell, with a counter on stderr when it is a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot import startup
from handlers.commands.access import record
from handlers.commands.importing import Progress
from handlers.context import Context
from handlers.replies import Command


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", required=True, help="channel that watches the collection (a Slack channel id)")
    p.add_argument("--collection", required=True, help="name of the collection, for `list <name>` and summaries")


def args_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="CSV with an identifier column (identifier, doi, handle, url ... or the first) and an optional title")
    _common(p)


def args_harvest(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="OAI-PMH base URL, e.g. https://repository.example.edu/oai/request")
    _common(p)
    p.add_argument("--set", dest="set_spec", help="harvest only this OAI-PMH set (setSpec)")


def counter(stream: TextIO) -> Progress:
    """``12,408 / 13,000 rows`` rewritten in place (a plain counter: no library needed)."""

    def show(done: int, total: int | None) -> None:
        of = f" / {total:,}" if total else ""
        print(f"\r{done:,}{of} rows", end="", file=stream, flush=True)

    return show


def _run(args: argparse.Namespace, *, harvesting: bool) -> int:
    from bot.app import build_context
    from core.errors import InputError
    from handlers.commands.importing import ImportReport, harvest, import_csv
    from handlers.errors import plain
    from sources.errors import SourceError

    settings = startup.start()
    tty = sys.stderr.isatty()
    progress = counter(sys.stderr) if tty else None
    if not harvesting and not Path(args.file).is_file():
        print(f"There is no file {args.file}: give the path of a CSV file.", file=sys.stderr)
        return startup.EXIT_USER_ERROR
    ctx = build_context(settings)
    report = ImportReport()
    outcome = "error"
    try:
        if harvesting:
            harvest(ctx, args.url, channel=args.channel, collection=args.collection,
                    set_spec=args.set_spec, progress=progress, report=report)
        else:
            text = Path(args.file).read_text(encoding="utf-8-sig", errors="replace")
            report = import_csv(ctx, text, channel=args.channel, collection=args.collection,
                                origin=str(Path(args.file).resolve()), progress=progress)
    except (InputError, SourceError) as exc:
        if tty:
            print(file=sys.stderr)
        why = plain(exc) if isinstance(exc, SourceError) else exc
        print(f"Import stopped: {why}", file=sys.stderr)
        if report.rows:
            print(f"Collection {args.collection}: {report.summary()} before it stopped; "
                  "run the same command again to resume.", file=sys.stderr)
        return startup.EXIT_USER_ERROR
    else:
        outcome = "ok" if report.rows or not report.refused else "error"
    finally:
        _audit(ctx, args, harvesting=harvesting, outcome=outcome)
        ctx.store.close()
    if tty:
        print(file=sys.stderr)
    print(f"Collection {args.collection}: {report.summary()}.")
    return startup.EXIT_OK if report.rows or not report.refused else startup.EXIT_USER_ERROR


def _audit(ctx: Context, args: argparse.Namespace, *, harvesting: bool, outcome: str) -> None:
    """The terminal is trusted (it holds the database file) but its changes are audited too."""
    source = args.url if harvesting else str(Path(args.file).resolve())
    what = f"{source} --channel {args.channel} --collection {args.collection}"
    if harvesting and args.set_spec:
        what += f" --set {args.set_spec}"
    command = Command("harvest" if harvesting else "import", [], channel=args.channel, operator=True)
    record(ctx, command, args=what, outcome=outcome)


def cmd_import(args: argparse.Namespace) -> int:
    """Import a CSV of identifiers as a collection a channel watches (idempotent)."""
    return _run(args, harvesting=False)


def cmd_harvest(args: argparse.Namespace) -> int:
    """Harvest an OAI-PMH repository (oai_dc) as a collection a channel watches (idempotent)."""
    return _run(args, harvesting=True)
