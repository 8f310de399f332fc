"""On-demand commands over a period: summary, top, export (and the CSV the CLI writes too)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from core.errors import InputError
from core.scoring import weights as score_weights
from handlers.chart import chart_png
from handlers.context import Context
from handlers.replies import Attachment, Command, Reply
from handlers.summary import (
    PERIOD_HELP,
    _plural,
    build_summary,
    parse_period,
    render_summary,
    rolling_bounds,
)
from storage import summaries as summaries_store

DEFAULT_PERIOD = timedelta(days=7)
DEFAULT_TOP, MAX_TOP = 5, 50

EXPORT_COLUMNS = (
    "identifiers", "item_title", "source", "kind", "title", "url", "occurred_at", "first_seen_at",
    "score_weight",
)
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _period_arg(args: list[str], *, verb: str) -> timedelta:
    if len(args) > 1:
        raise InputError(f"`{verb}` takes one period at most: {PERIOD_HELP}, e.g. `{verb} 30d`.")
    return parse_period(args[0]) if args else DEFAULT_PERIOD


def _days(period: timedelta) -> str:
    return _plural(period.days, "day")


def summary_command(ctx: Context, cmd: Command) -> Reply:
    """Summarise this channel's attention: totals, top items, sources, with a chart.

    `summary` covers the last 7 days; `summary 30d` the last 30 (also `12w`).
    Add `--private` to see it alone instead of showing it to the channel.
    """
    period = _period_arg(cmd.args, verb="summary")
    start, end = rolling_bounds(ctx.now(), period)
    summary = build_summary(ctx, cmd.channel, start=start, end=end)
    reply = render_summary(summary)
    files: tuple[Attachment, ...] = ()
    if summary.has_attention:
        day = summary.end[:10]
        files = (Attachment(f"attention-summary-{day}.png", chart_png(summary), f"Attention {summary.label}"),)
    return Reply(
        text=reply.text, blocks=reply.blocks, files=files, ephemeral="--private" in cmd.flags
    )


def top_command(ctx: Context, cmd: Command) -> Reply:
    """The items that gained the most attention: `top`, `top 10`, `top 10 30d`.

    Ranked by the attention score they gained in the period (default 5 items over 7 days).
    """
    count, period = DEFAULT_TOP, DEFAULT_PERIOD
    for arg in cmd.args:
        if arg.isdigit():
            count = int(arg)
            if not 1 <= count <= MAX_TOP:
                raise InputError(f"Show between 1 and {MAX_TOP} items: `top 10`.")
        else:
            period = parse_period(arg)
    start, end = rolling_bounds(ctx.now(), period)
    summary = build_summary(ctx, cmd.channel, start=start, end=end, top=count)
    if not summary.top:
        return Reply(text=f"No item watched here gained attention in the last {_days(period)}.")
    lines = [f"Top {len(summary.top)} in the last {_days(period)}:"]
    for n, c in enumerate(summary.top, 1):
        what = [f"score {c.score_before:g} -> {c.score_after:g}"]
        if c.new_mentions:
            what.append(f"{_plural(c.new_mentions, 'new mention')} ({', '.join(c.sources)})")
        what += list(c.counts)
        ident = f" ({c.identifier})" if c.identifier and c.identifier != c.label else ""
        lines.append(f"{n}. {c.label}{ident}: " + "; ".join(what))
    return Reply(text="\n".join(lines))


def csv_cell(value: object) -> str:
    """Text for one CSV cell, with a leading quote where a spreadsheet would run a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(
    ctx: Context, channel: str, *, start: str | None = None, end: str | None = None
) -> tuple[bytes, int]:
    """The channel's mentions as UTF-8 CSV (with a BOM so spreadsheets read accents); and how many."""
    table = score_weights(ctx.score_weights)
    rows = summaries_store.export_rows(ctx.store.db, channel, start=start, end=end)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        weight = table.get(r.kind, table["other"])
        writer.writerow(
            [csv_cell(v) for v in (r.identifiers, r.item_title, r.source, r.kind, r.title, r.url,
                                   r.occurred_at, r.first_seen_at)]
            + [f"{weight:g}"]
        )
    return out.getvalue().encode("utf-8-sig"), len(rows)


def export_command(ctx: Context, cmd: Command) -> Reply:
    """Export this channel's mentions as a CSV file: `export` (everything) or `export 30d`.

    Columns: identifiers, item title, source, kind, mention title, url, occurred_at,
    first_seen_at and the mention's score weight.
    """
    if len(cmd.args) > 1:
        raise InputError(f"`export` takes one period at most: {PERIOD_HELP}, e.g. `export 30d`.")
    start = end = None
    when = "all time"
    if cmd.args:
        period = parse_period(cmd.args[0])
        start, end = rolling_bounds(ctx.now(), period)
        when = f"the last {_days(period)}"
    content, count = export_csv(ctx, cmd.channel, start=start, end=end)
    if not count:
        return Reply(text=f"No mentions of the items watched here ({when}): nothing to export.")
    day = ctx.now().date().isoformat()
    name = f"attention-{cmd.channel}-{day}.csv".replace("/", "-")
    return Reply(
        text=f"Exported {_plural(count, 'mention')} ({when}).",
        files=(Attachment(name, content, f"Mentions export ({when})"),),
    )
