"""A summary as people read it: plain text for the shell and Slack's fallback, and Block Kit."""

from __future__ import annotations

from core.sets import kind_of
from handlers import render
from handlers.alerts.render import count_text
from handlers.render import plural
from handlers.replies import Reply
from handlers.summaries.data import NEWLY_WATCHED_SHOWN, CountChange, ItemChange, Summary


def count_line(rise: CountChange) -> str:
    """``Crossref citations 3 -> 5``."""
    return count_text(rise.metric, rise.before, rise.after, source_label=rise.source_label)


def render_top(summary: Summary, heading: str) -> Reply:
    """`top`: one line an item, biggest gain first."""
    lines = [heading]
    for rank, c in enumerate(summary.top, 1):
        what = [f"score {c.score_before:g} -> {c.score_after:g}"]
        if c.new_mentions:
            what.append(f"{plural(c.new_mentions, 'new mention')} ({', '.join(c.sources)})")
        what += [count_line(rise) for rise in c.counts]
        ident = f" ({c.identifier})" if c.identifier and c.identifier != c.label else ""
        lines.append(f"{rank}. {c.label}{ident}: " + "; ".join(what))
    return Reply(text="\n".join(lines))


def _points(score: float) -> str:
    return plural(score, "point")


def _score_line(s: Summary) -> str:
    delta = round(s.score - s.previous_score, 2)
    sign = "+" if delta >= 0 else "-"
    return f"attention score {s.score:g} ({sign}{abs(delta):g} on the previous {plural(s.period_days, 'day')})"


def _item_text(c: ItemChange) -> str:
    parts = [f"score {c.score_before:g} -> {c.score_after:g}"]
    if c.new_mentions:
        parts.append(f"{plural(c.new_mentions, 'new mention')} on {', '.join(c.sources)}")
    parts += [count_line(rise) for rise in c.counts]
    return "; ".join(parts)


def when(s: Summary) -> str:
    """``the last 7 days: 26 Nov - 2 Dec 2026``: which window, and its dates."""
    return f"{s.window}: {s.label}" if s.window else s.label


def summary_text(s: Summary) -> str:
    lines = [f"Attention summary for {s.scope}, {when(s)} ({s.tz})"]
    if not s.has_attention:
        lines.append("No new attention this time.")
    else:
        lines.append(
            f"{plural(s.new_mentions, 'new mention')}, "
            f"{plural(s.items_with_attention, 'item')} with attention, {_score_line(s)}"
        )
        lines.append("Top items:")
        for n, c in enumerate(s.top, 1):
            ident = f" ({c.identifier})" if c.identifier and c.identifier != c.label else ""
            lines.append(f"  {n}. {c.label}{ident}: {_item_text(c)}")
        if s.by_source:
            lines.append("By source:")
            for src in s.by_source:
                lines.append(
                    f"  {src.label}: {plural(src.mentions, 'mention')} of {plural(src.items, 'item')}, "
                    + _points(src.score)
                )
    if s.newly_watched:
        lines.append(f"Newly watched ({len(s.newly_watched)}):")
        shown = s.newly_watched[:NEWLY_WATCHED_SHOWN]
        lines += [f"  - {w.label}" + (f" ({w.identifier})" if w.identifier and w.identifier != w.label else "")
                  for w in shown]
        if len(s.newly_watched) > len(shown):
            # A collection of 12,000 imported this week: count them, as the blocks do.
            lines.append(f"  and {len(s.newly_watched) - len(shown)} more - use export")
    return "\n".join(lines)


def summary_blocks(s: Summary) -> list[render.Block]:
    title = f"Attention summary, {kind_of(s.collection)} {s.collection}" if s.collection else "Attention summary"
    blocks = [render.header(f"{title}, {when(s)}" if s.window else f"{title}: {s.label}")]
    if not s.has_attention:
        blocks.append(render.section("No new attention this time."))
    else:
        blocks.append(
            render.fields(
                [
                    ("New mentions", str(s.new_mentions)),
                    ("Items with attention", str(s.items_with_attention)),
                    ("Attention score", render.escape_mrkdwn(_score_line(s).removeprefix("attention score "))),
                ]
            )
        )
        lines = [
            f"*{render.link(c.url, c.label)}*: {render.escape_mrkdwn(_item_text(c))}" for c in s.top
        ]
        blocks.append(render.section("*Top items*"))
        blocks += render.bullet_list(lines, limit=10)
        if s.by_source:
            shown, rest = s.by_source[: render.MAX_FIELDS], s.by_source[render.MAX_FIELDS :]
            pairs = [(src.label, f"{plural(src.mentions, 'mention')} · {_points(src.score)}") for src in shown]
            blocks.append(render.fields(pairs, text_mrkdwn="*By source*"))
            if rest:
                # Slack allows 10 fields a section: name the others rather than hide them.
                others = ", ".join(f"{src.label} ({plural(src.mentions, 'mention')})" for src in rest)
                blocks.append(render.context(render.escape_mrkdwn(
                    f"and {plural(len(rest), 'more source')}: {others}"
                )))
    if s.newly_watched:
        blocks.append(render.section(f"*Newly watched* ({len(s.newly_watched)})"))
        blocks += render.bullet_list(
            [render.link(w.url, w.label) for w in s.newly_watched], limit=NEWLY_WATCHED_SHOWN
        )
    blocks.append(render.context(render.escape_mrkdwn(f"{s.label} · {s.tz} · {s.scope}")))
    return render.truncate_blocks(blocks)


def render_summary(summary: Summary) -> Reply:
    """The summary as a Reply: plain text (shell, fallback) and Block Kit."""
    return Reply(text=summary_text(summary), blocks=summary_blocks(summary))
