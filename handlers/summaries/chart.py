"""The weekly chart: new mentions per day by source (stacked bars) and a donut of source shares.

Built on ``matplotlib.figure.Figure`` with the Agg canvas directly, so nothing touches pyplot's
global state or needs a display, and charts can be drawn from the scheduler's thread.
An empty period still renders (the axes with a "no new mentions" note); callers decide whether
to upload it (the weekly post skips the chart of an empty week).
"""

from __future__ import annotations

import io
from datetime import date

from handlers.summaries.data import Summary

# Colour-blind friendly (Okabe-Ito), in the order sources appear in the breakdown.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER_COLOUR = "#999999"
MAX_SERIES = len(PALETTE)


def chart_png(summary: Summary, *, dpi: int = 100) -> bytes:
    """A PNG of the summary's attention per day by source and the shares of each source."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = {s.source: s.label for s in summary.by_source}
    order = [s.source for s in summary.by_source]
    # Sources beyond the palette are drawn together as "other" so colours stay distinct.
    shown = order[: MAX_SERIES - 1] if len(order) > MAX_SERIES else order
    series = {name: [0] * len(summary.days) for name in [*shown, "other"]}
    index = {day: n for n, day in enumerate(summary.days)}
    for point in summary.daily:
        if point.day in index:
            key = point.source if point.source in shown else "other"
            series[key][index[point.day]] += point.mentions
    if not any(series["other"]):
        series.pop("other")
    colours = {name: PALETTE[n] for n, name in enumerate(shown)} | {"other": OTHER_COLOUR}

    fig = Figure(figsize=(10, 4.2), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    bars_ax, donut_ax = fig.subplots(1, 2, width_ratios=(2.2, 1))
    fig.suptitle(f"Attention {summary.label} ({summary.tz})", fontsize=12)

    ticks = [date.fromisoformat(d).strftime("%a %d") for d in summary.days]
    x = list(range(len(summary.days)))
    bottom = [0] * len(x)
    for name, values in series.items():
        bars_ax.bar(x, values, bottom=bottom, color=colours[name], label=labels.get(name, name), width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    bars_ax.set_xticks(x, ticks, fontsize=8, rotation=45 if len(x) > 10 else 0)
    bars_ax.set_ylabel("new mentions")
    bars_ax.set_title("Per day, by source", fontsize=10)
    bars_ax.spines[["top", "right"]].set_visible(False)
    if max(bottom, default=0) == 0:
        bars_ax.set_ylim(0, 1)
        bars_ax.text(0.5, 0.5, "no new mentions", transform=bars_ax.transAxes, ha="center", color="#666666")
    else:
        bars_ax.yaxis.get_major_locator().set_params(integer=True)
        bars_ax.set_ylim(0, max(bottom) * 1.2)
        bars_ax.legend(fontsize=8, frameon=False, loc="best")

    totals = {name: sum(values) for name, values in series.items() if sum(values)}
    if totals:
        donut_ax.pie(
            list(totals.values()),
            labels=[labels.get(n, n) for n in totals],
            colors=[colours[n] for n in totals],
            wedgeprops={"width": 0.38, "edgecolor": "white"},
            autopct="%1.0f%%",
            pctdistance=0.8,
            startangle=90,
            counterclock=False,
            textprops={"fontsize": 8},
        )
    else:
        donut_ax.pie([1], colors=["#e6e6e6"], wedgeprops={"width": 0.38})
    donut_ax.text(0, 0, f"{summary.new_mentions}\nmentions", ha="center", va="center", fontsize=10)
    donut_ax.set_title("Share by source", fontsize=10)
    donut_ax.set_aspect("equal")

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
