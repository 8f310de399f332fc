"""Turning an outbox payload into a message: plain text (fallback, console) and Block Kit blocks.

Rendering happens at delivery time from the payload's data, so a change of layout applies to
alerts already waiting in the outbox. Escaping, links and buttons come from handlers.render.
"""

from __future__ import annotations

from typing import Any

from core.scoring import format_change
from handlers.render import (
    actions_for_alert,
    context,
    escape_mrkdwn,
    link,
    plural,
    section,
    truncate_blocks,
)

Blocks = list[dict[str, Any]]
#: Alerts shown in full in a digest message; the rest are counted.
DIGEST_SHOWN = 15


def _name(p: dict[str, Any]) -> str:
    return str(p.get("title") or p.get("identifier") or f"item {p.get('item_id')}")


def _quoted_name(p: dict[str, Any]) -> str:
    # A title is quoted so it reads as one; a bare DOI or Handle is not a title.
    return f'"{p["title"]}"' if p.get("title") else _name(p)


def _label(p: dict[str, Any]) -> str:
    return str(p.get("source_label") or p.get("source"))


def headline(p: dict[str, Any]) -> str:
    """``"Title" gained attention on Wikipedia: 3 new mentions``."""
    parts = []
    n = int(p.get("new_count") or 0)
    if n:
        parts.append(f"{plural(n, 'new mention')}")
    if p.get("counts"):
        parts.append(", ".join(_count_text(c, _label(p)) for c in p["counts"]))
    return f"{_quoted_name(p)} gained attention on {_label(p)}: " + "; ".join(parts)


def count_text(metric: str, before: float, after: float, *, source_label: str | None = None) -> str:
    """``Crossref citations 3 -> 5``; without a source label, ``citations 3 -> 5``."""
    name = metric.replace("_", " ")
    return f"{source_label + ' ' if source_label else ''}{name} {before:g} -> {after:g}"


def _count_text(c: dict[str, Any], source_label: str) -> str:
    # A source's own score (Altmetric's) must not read as the bot's attention score; in an
    # alert that groups several sources, each count says whose it is.
    label = str(c.get("source_label") or source_label)
    return count_text(
        str(c["metric"]), float(c["before"]), float(c["after"]),
        source_label=label if c["metric"] == "score" or label != source_label else None,
    )


def _score_text(p: dict[str, Any]) -> str:
    before, after = float(p.get("score_before", 0)), float(p.get("score", 0))
    if round(after - before, 2) == 0:
        return f"attention score {after:g} (unchanged)"
    return "attention score " + format_change(before, after)


def _footer(p: dict[str, Any], *, sep: str = " - ") -> str:
    # The identifier closes the alert when the headline shows a title instead.
    return _score_text(p) + (f"{sep}{p.get('identifier')}" if p.get("title") and p.get("identifier") else "")


def _by(m: dict[str, Any]) -> str:
    # Present only when authors are stored (ATTENTION_STORE_AUTHORS=true).
    return f" by {m['author']}" if m.get("author") else ""


def _mention_line(m: dict[str, Any]) -> str:
    title = m.get("title") or m.get("url") or "a mention"
    when = f" ({str(m['occurred_at'])[:10]})" if m.get("occurred_at") else ""
    return f"{title}{_by(m)}{when}"


def alert_text(p: dict[str, Any]) -> str:
    lines = [headline(p)]
    for m in p.get("mentions", []):
        lines.append(f"  - {_mention_line(m)}" + (f" {m['url']}" if m.get("url") else ""))
    if p.get("more"):
        lines.append(f"  and {p['more']} more")
    lines.append(f"  {_footer(p)}")
    return "\n".join(lines)


def alert_blocks(p: dict[str, Any]) -> Blocks:
    title = link(p.get("identifier_url"), _name(p))
    n = int(p.get("new_count") or 0)
    what = []
    if n:
        what.append(f"{plural(n, 'new mention')}")
    what += [escape_mrkdwn(_count_text(c, _label(p))) for c in p.get("counts", [])]
    label = escape_mrkdwn(_label(p))
    blocks: Blocks = [section(f"*{title}* gained attention on {label}: " + "; ".join(what))]
    items = []
    for m in p.get("mentions", []):
        text = str(m.get("title") or m.get("url") or "a mention")
        when = f" ({escape_mrkdwn(str(m['occurred_at'])[:10])})" if m.get("occurred_at") else ""
        items.append(f"• {link(m.get('url'), text)}{escape_mrkdwn(_by(m))}{when}")
    if p.get("more"):
        items.append(f"and {p['more']} more")
    if items:
        blocks.append(section("\n".join(items)))
    blocks.append(context(escape_mrkdwn(_footer(p, sep=" · "))))
    actions = actions_for_alert(p)
    if actions:
        blocks.append(actions)
    return blocks


def digest_text(p: dict[str, Any]) -> str:
    alerts = p.get("alerts", [])
    lines = [f"Daily digest for {p.get('day')}: {plural(len(alerts), 'alert')}"]
    for a in alerts:
        lines.append(alert_text(a))
    return "\n\n".join(lines)


def digest_blocks(p: dict[str, Any]) -> Blocks:
    alerts = p.get("alerts", [])
    blocks: Blocks = [
        section(f"*Daily digest for {escape_mrkdwn(str(p.get('day')))}*: {plural(len(alerts), 'alert')}")
    ]
    for a in alerts[:DIGEST_SHOWN]:  # Slack allows 50 blocks a message: no buttons here
        blocks += [b for b in alert_blocks(a) if b.get("type") != "actions"]
    if len(alerts) > DIGEST_SHOWN:
        blocks.append(context(f"and {len(alerts) - DIGEST_SHOWN} more alerts"))
    return truncate_blocks(blocks)


def render(kind: str, payload: dict[str, Any]) -> tuple[str, Blocks]:
    """(text, blocks) for an outbox row."""
    if kind == "digest":
        return digest_text(payload), digest_blocks(payload)
    if kind == "alert":
        return alert_text(payload), alert_blocks(payload)
    text = str(payload.get("text") or kind)
    blocks = payload.get("blocks")
    return text, blocks if isinstance(blocks, list) else [section(escape_mrkdwn(text))]
