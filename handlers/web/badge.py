"""Badges as SVG: a donut coloured by kind of source with the score inside (``donut``), a
shields-style label and score (``bar``), or the score alone (``number``). Each carries its
accessible name (``role="img"``, ``aria-label`` and ``<title>``)."""

from __future__ import annotations

import math
from html import escape

from core.scoring import weights as default_weights
from handlers.web.attention import Facts

STYLES = ("donut", "bar", "number")
#: One colour per kind of source (colour-blind-safe where it matters: news, social, blog).
COLOURS = {
    "news": "#d1495b",
    "blog": "#edae49",
    "policy": "#7b4397",
    "wikipedia": "#6c757d",
    "social": "#2e86de",
    "forum": "#00a878",
    "citation": "#8d6e63",
    "other": "#b0a8b9",
}
NEUTRAL = "#c9ced6"
INK = "#1d2733"


def shares(facts: Facts, table: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """Each kind's share of the donut: its part of the score, or of the mentions when no kind
    adds to the score (only citing works)."""
    table = table or default_weights()
    parts = {k: n * table.get(k, table["other"]) for k, n in facts.kinds.items()}
    if sum(parts.values()) <= 0:
        parts = {k: float(n) for k, n in facts.kinds.items()}
    total = sum(parts.values())
    return [(k, v / total) for k, v in parts.items() if v > 0] if total > 0 else []


def _open(width: int, height: int, label: str) -> str:
    name = escape(label)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{name}"><title>{name}</title>')


def _donut(facts: Facts, table: dict[str, float] | None) -> str:
    size, radius, ring = 64, 25.0, 10
    circumference = 2 * math.pi * radius
    parts = [f'<circle cx="32" cy="32" r="{radius}" fill="none" stroke="{NEUTRAL}" stroke-width="{ring}"/>']
    offset = 0.0
    for kind, share in shares(facts, table):
        length = share * circumference
        parts.append(
            f'<circle cx="32" cy="32" r="{radius}" fill="none" stroke="{COLOURS.get(kind, COLOURS["other"])}" '
            f'stroke-width="{ring}" stroke-dasharray="{length:.3f} {circumference - length:.3f}" '
            f'stroke-dashoffset="{-offset:.3f}" transform="rotate(-90 32 32)"/>'
        )
        offset += length
    text = facts.shown_score if facts.known else "?"
    font = 18 if len(text) <= 2 else 15 if len(text) <= 3 else 12
    parts.append(
        f'<circle cx="32" cy="32" r="{radius - ring / 2:.1f}" fill="#ffffff"/>'
        f'<text x="32" y="32" dy="0.35em" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        f'font-size="{font}" font-weight="bold" fill="{INK}">{escape(text)}</text>'
    )
    return _open(size, size, facts.label) + "".join(parts) + "</svg>"


def _text_width(text: str, per_char: float = 7.0) -> int:
    return int(len(text) * per_char + 12)


def _bar(facts: Facts, table: dict[str, float] | None) -> str:
    left_text = "attention"
    right_text = facts.shown_score if facts.known else "none yet"
    left, right = _text_width(left_text), _text_width(right_text)
    width, height = left + right, 20
    parts = [
        f'<rect width="{left}" height="{height}" fill="#555"/>',
        f'<rect x="{left}" width="{right}" height="{height}" fill="{INK if facts.known else NEUTRAL}"/>',
    ]
    x = 0.0
    for kind, share in shares(facts, table):  # the kinds as a thin stacked stripe along the bottom
        w = share * width
        parts.append(f'<rect x="{x:.2f}" y="{height - 3}" width="{w:.2f}" height="3" '
                     f'fill="{COLOURS.get(kind, COLOURS["other"])}"/>')
        x += w
    font = 'font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"'
    parts.append(f'<text x="{left / 2}" y="14" text-anchor="middle" {font} fill="#fff">{left_text}</text>')
    ink = "#fff" if facts.known else INK
    parts.append(f'<text x="{left + right / 2}" y="14" text-anchor="middle" {font} font-weight="bold" '
                 f'fill="{ink}">{escape(right_text)}</text>')
    return _open(width, height, facts.label) + "".join(parts) + "</svg>"


def _number(facts: Facts) -> str:
    text = facts.shown_score if facts.known else "–"
    width, height = max(28, _text_width(text, 9.0)), 24
    return (
        _open(width, height, facts.label)
        + f'<rect width="{width}" height="{height}" rx="4" fill="{INK if facts.known else NEUTRAL}"/>'
        + f'<text x="{width / 2}" y="16.5" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        + f'font-size="14" font-weight="bold" fill="{"#fff" if facts.known else INK}">{escape(text)}</text></svg>'
    )


def badge_svg(facts: Facts, style: str = "donut", *, weights: dict[str, float] | None = None) -> str:
    """The badge of ``facts`` in ``style`` (an unknown style is the donut)."""
    if style == "bar":
        return _bar(facts, weights)
    if style == "number":
        return _number(facts)
    return _donut(facts, weights)
