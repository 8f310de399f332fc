"""The attention score: a transparent weighted sum of mentions by kind of source.

Each mention adds the weight of its kind. The defaults follow the spirit of Altmetric's
published weights (a news story counts far more than a post on social media) and are
configurable with ``ATTENTION_SCORE_WEIGHTS`` (JSON, e.g. ``{"news": 10, "social": 0.5}``).
Citation counts are reported beside the score, not inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEFAULT_WEIGHTS: dict[str, float] = {
    "news": 8.0,
    "blog": 5.0,
    "policy": 3.0,
    "wikipedia": 3.0,
    "forum": 1.0,
    "social": 0.5,
    "citation": 0.0,
    "other": 0.25,
}


def weights(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    merged = dict(DEFAULT_WEIGHTS)
    merged.update(overrides or {})
    return merged


def score(kinds: Iterable[str], overrides: Mapping[str, float] | None = None) -> float:
    """Score of a set of mentions given their kinds (one entry per mention)."""
    table = weights(overrides)
    return round(sum(table.get(kind, table["other"]) for kind in kinds), 2)


def format_change(before: float, after: float) -> str:
    """``12.5 (+3)`` style text for alerts and summaries."""
    delta = round(after - before, 2)
    sign = "+" if delta >= 0 else "-"
    return f"{after:g} ({sign}{abs(delta):g})"
