"""The details page (HTML through Jinja2, everything escaped), its JSON, and the static files
the pages use. Views return strings; ``bot/server.py`` serves them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from core.identifiers import display
from core.models import Identifier
from handlers.web.attention import Details, MonthRow
from handlers.web.badge import badge_svg
from handlers.web.paths import embed_id

TEMPLATES = Path(__file__).with_name("templates")
CHART_WIDTH, CHART_HEIGHT = 720, 160


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


@cache
def static_file(name: str) -> str:
    """``embed.js`` or ``page.css``, as shipped."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def snippet(base: str, identifier: Identifier) -> str:
    """The two lines a library pastes into its item page template."""
    return (f'<script src="{base}/embed.js" async></script>\n'
            f'<div data-attention-id="{embed_id(identifier)}"></div>')


def _chart(months: tuple[MonthRow, ...]) -> dict[str, Any]:
    peak = max((m.mentions for m in months), default=0)
    top, bottom = 16, CHART_HEIGHT - 18
    slot = CHART_WIDTH / max(1, len(months))
    bars = []
    for n, m in enumerate(months):
        h = 0.0 if peak == 0 else (bottom - top) * m.mentions / peak
        bars.append({"x": round(n * slot + 1, 2), "y": round(bottom - h, 2), "w": round(slot - 2, 2),
                     "h": round(h, 2), "month": m.month, "n": m.mentions})
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "base": bottom, "bars": bars, "peak": peak,
            "first": months[0].month if months else "", "last": months[-1].month if months else ""}


def details_html(d: Details, *, base: str, identifier: Identifier) -> str:
    """The page. ``base`` is ATTENTION_PUBLIC_URL or empty (links relative to the host)."""
    return _env().get_template("item.html").render(
        d=d,
        heading=d.title or display(identifier),
        base=base,
        json_url=f"{base}/items/{d.path}.json",
        donut=Markup(badge_svg(d.facts, "donut", weights=d.weights)),  # noqa: S704 - escaped in badge_svg
        chart=_chart(d.months),
        weights=sorted(d.weights.items(), key=lambda kv: -kv[1]),
        snippet=snippet(base, identifier),
    )


def missing_html(message: str, *, base: str) -> str:
    return _env().get_template("missing.html").render(message=message, base=base)


def details_json(d: Details, *, base: str) -> dict[str, Any]:
    """The bot's own details-page API: the page's facts as JSON."""
    return {
        "title": d.title,
        "identifiers": [i.model_dump() for i in d.identifiers],
        "score": d.facts.score,
        "label": d.facts.label,
        "kinds": d.facts.kinds,
        "score_weights": d.weights,
        "sources": [s.model_dump() for s in d.sources],
        "counts": [c.model_dump() for c in d.counts],
        "months": [m.model_dump() for m in d.months],
        "mentions_total": d.mentions_total,
        "mentions": [m.model_dump(exclude_none=True) for m in d.mentions],
        "generated_at": d.generated_at,
        "links": {"page": f"{base}/items/{d.path}", "json": f"{base}/items/{d.path}.json",
                  "badge": f"{base}/badge/{d.path}.svg"},
    }
