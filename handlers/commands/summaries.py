"""On-demand commands over a period: summary, top, export (and the CSV the CLI writes too)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from core.errors import InputError
from core.scoring import weights as score_weights
from core.sets import joined, kind_of
from handlers.commands import numbers
from handlers.context import Context
from handlers.render import plural
from handlers.replies import Attachment, Command, Reply
from handlers.summaries.chart import chart_png
from handlers.summaries.data import build_summary
from handlers.summaries.periods import PERIOD_HELP, parse_period, recent_bounds, window_name
from handlers.summaries.render import render_summary, render_top
from storage import summaries as summaries_store
from storage import watches as watches_store

DEFAULT_PERIOD = timedelta(days=7)
DEFAULT_TOP, MAX_TOP = 5, 50

#: ``title`` is the post's own; where it appeared (a wiki, a feed's name) is ``site``.
EXPORT_COLUMNS = (
    "identifiers", "item_title", "source", "site", "kind", "title", "url", "occurred_at",
    "first_seen_at", "score_weight", "collections",
)
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_period(arg: str) -> bool:
    # `7x` or `400d` is a period written wrong, unless a collection has that name.
    return bool(re.fullmatch(r"\d+\s*[a-z]?", arg.strip().lower()))


def _period_or_none(arg: str) -> timedelta | None:
    try:
        return parse_period(arg)
    except InputError:
        return None


def collection_names(ctx: Context, channel: str) -> list[str]:
    return [c[0] for c in watches_store.channel_collections(ctx.store.db, channel)]


def find_collection(ctx: Context, channel: str, name: str) -> str | None:
    """The channel's collection called ``name`` in any case (`Maps` is `maps`), as stored."""
    return watches_store.find_collection(ctx.store.db, channel, name)


def check_collection(ctx: Context, channel: str, name: str, *, what: str | None = None) -> str:
    """The stored name of the channel's collection ``name`` (in any case); else an InputError
    naming the ones it has.

    ``what`` describes the other arguments the name could have been (periods, for commands).
    """
    found = find_collection(ctx, channel, name)
    if found is not None:
        return found
    names = collection_names(ctx, channel)
    start = f"`{name}` is not {what} or a collection of {channel}" if what else (
        f"There is no collection `{name}` in {channel}"
    )
    if names:
        raise InputError(f"{start}: collections here are {', '.join(names)}.")
    raise InputError(
        f"{start}: this channel has no collections yet. Make one with "
        "`watch collection <name> from <file.csv | OAI-PMH URL>`."
    )


def _period_or_collection(
    ctx: Context, channel: str, arg: str, *, what: str
) -> tuple[timedelta | None, str | None]:
    """A period, else one of the channel's collections, else an error saying how to write either."""
    period = _period_or_none(arg)
    if period is not None:
        return period, None
    if (found := find_collection(ctx, channel, arg)) is not None:
        return None, found
    if _looks_like_period(arg):
        parse_period(arg)  # raises, saying how to write a period
    return None, check_collection(ctx, channel, arg, what=what)


def _summary_args(ctx: Context, cmd: Command) -> tuple[timedelta, str | None]:
    """`summary [period] [collection]`, in either order."""
    periods: list[timedelta] = []
    names: list[str] = []
    for arg in joined(cmd.args):
        period, name = _period_or_collection(ctx, cmd.channel, arg, what=f"a period ({PERIOD_HELP})")
        periods += [period] if period else []
        names += [name] if name else []
    if len(periods) > 1 or len(names) > 1:
        raise InputError(
            f"`summary` takes one period ({PERIOD_HELP}) and one collection at most, e.g. `summary 30d maps`."
        )
    return (periods[0] if periods else DEFAULT_PERIOD), (names[0] if names else None)


def _days(period: timedelta) -> str:
    return plural(period.days, "day")


def summary_command(ctx: Context, cmd: Command) -> Reply:
    """Summarise this channel's attention: totals, top items, sources, with a chart.

    `summary` covers the last 7 days (today and the six before, in ATTENTION_SUMMARY_TZ);
    `summary 30d` the last 30 (also `12w`). `summary maps` (or `summary 30d maps`) covers
    only the items of collection maps; `summary prefix:10.5555` (or `summary 30d prefix
    10.5555`) only the works of a set. Add `--private` to see it alone instead of showing
    it to the channel.
    """
    period, collection = _summary_args(ctx, cmd)
    start, end = recent_bounds(ctx.now(), period, tz=ctx.options.summary_tz)
    summary = build_summary(ctx, cmd.channel, start=start, end=end, collection=collection,
                            window=window_name(period))
    reply = render_summary(summary)
    files: tuple[Attachment, ...] = ()
    if summary.has_attention:
        day = summary.end[:10]
        files = (Attachment(f"attention-summary-{day}.png", chart_png(summary), f"Attention {summary.label}"),)
    return Reply(text=reply.text, blocks=reply.blocks, files=files)


def top_command(ctx: Context, cmd: Command) -> Reply:
    """The items that gained the most attention: `top`, `top 10`, `top 10 30d`, `top 10 30d maps`.

    Ranked by the attention score they gained in the period (default 5 items over 7 days),
    among all the items watched here or those of one collection or set (`top 10 orcid:0000-...`).
    """
    count, period = DEFAULT_TOP, DEFAULT_PERIOD
    collection = None
    for arg in joined(cmd.args):
        if arg.isdecimal() and not find_collection(ctx, cmd.channel, arg):
            count = numbers.whole_number(arg, low=1, high=MAX_TOP, what="a number of items to show",
                                         example="top 10")
            continue
        asked, name = _period_or_collection(
            ctx, cmd.channel, arg, what=f"a number of items, a period ({PERIOD_HELP})"
        )
        if asked is not None:
            period = asked
        elif collection is not None:
            raise InputError("Give one collection at most: `top 10 30d maps`.")
        else:
            collection = name
    start, end = recent_bounds(ctx.now(), period, tz=ctx.options.summary_tz)
    summary = build_summary(ctx, cmd.channel, start=start, end=end, top=count, collection=collection)
    of = f" of {kind_of(collection)} {collection}" if collection else ""
    when = f"the last {_days(period)} ({summary.label})"
    if not summary.top:
        return Reply(text=f"No item{of or ' watched here'} gained attention in {when}.")
    return render_top(summary, f"Top {len(summary.top)}{of} in {when}:")


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
            [csv_cell(v) for v in (r.identifiers, r.item_title, r.source, r.site, r.kind, r.title,
                                   r.url, r.occurred_at, r.first_seen_at)]
            + [f"{weight:g}", csv_cell(r.collections)]
        )
    return out.getvalue().encode("utf-8-sig"), len(rows)


def export_command(ctx: Context, cmd: Command) -> Reply:
    """Export this channel's mentions as a CSV file: `export` (everything) or `export 30d`.

    Columns: identifiers, item title, source, site (a wiki, a feed's name), kind, mention
    title, url, occurred_at, first_seen_at, the mention's score weight and the collections and
    sets the item is in here.
    """
    if len(cmd.args) > 1:
        raise InputError(f"`export` takes one period at most: {PERIOD_HELP}, e.g. `export 30d`.")
    start = end = None
    when = "all time"
    if cmd.args:
        period = parse_period(cmd.args[0])
        start, end = recent_bounds(ctx.now(), period, tz=ctx.options.summary_tz)
        when = f"the last {_days(period)}"
    content, count = export_csv(ctx, cmd.channel, start=start, end=end)
    if not count:
        return Reply(text=f"No mentions of the items watched here ({when}): nothing to export.")
    day = ctx.now().date().isoformat()
    name = f"attention-{cmd.channel}-{day}.csv".replace("/", "-")
    return Reply(
        text=f"Exported {plural(count, 'mention')} ({when}).",
        files=(Attachment(name, content, f"Mentions export ({when})"),),
    )
