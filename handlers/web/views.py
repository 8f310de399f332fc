"""The web face's entry points: a request's path in, a status, a body and its media type out.
``bot/server.py`` adapts them to HTTP (headers, caching, CORS); the logic is here."""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.errors import InputError
from core.identifiers import display
from handlers.context import Context
from handlers.web import attention, badge, page

SVG, HTML, JSON = "image/svg+xml", "text/html; charset=utf-8", "application/json"
STATIC = {"embed.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}
HOW = "Ask for /items/<scheme>/<identifier>, e.g. /items/doi/10.1038/nature12373."


@dataclass(frozen=True)
class View:
    status: int
    body: str
    media_type: str


def _split(rest: str) -> tuple[str, str]:
    scheme, _, value = rest.partition("/")
    return scheme, value


def badge_view(ctx: Context, rest: str, *, style: str | None = None, base: str = "") -> View:
    """``doi/10.1038/nature12373.svg`` (the badge) or ``.json`` (what the snippet needs: the
    score and its accessible name). An unknown or unreadable identifier gets the neutral
    badge, never an error: a library's page must not show a broken image."""
    if rest.endswith(".svg"):
        as_json, rest = False, rest.removesuffix(".svg")
    elif rest.endswith(".json"):
        as_json, rest = True, rest.removesuffix(".json")
    else:
        return View(404, "A badge is /badge/<scheme>/<identifier>.svg (or .json).", "text/plain; charset=utf-8")
    try:
        asked, item = attention.find_item(ctx, *_split(rest))
        facts = attention.facts_of(ctx, item, asked)
    except InputError:
        facts = attention.Facts(known=False)
    if as_json:
        body = {"known": facts.known, "score": facts.score, "label": facts.label, "kinds": facts.kinds,
                "details": f"{base}/items/{facts.path}" if facts.path else None,
                "badge": f"{base}/badge/{facts.path}.svg" if facts.path else None}
        return View(200, json.dumps(body), JSON)
    chosen = style if style in badge.STYLES else "donut"
    return View(200, badge.badge_svg(facts, chosen, weights=ctx.score_weights), SVG)


def item_view(ctx: Context, rest: str, *, fmt: str | None = None, base: str = "") -> View:
    """The details page of ``doi/10.1038/nature12373``, or its JSON for ``....json`` or
    ``?format=json``. A DOI that itself ends in ``.json`` is the page of that DOI when no
    watched item has the name without it (``?format=json`` always gives JSON of the whole)."""
    as_json = fmt == "json"
    if fmt is None and rest.endswith(".json"):
        try:
            _, stripped_item = attention.find_item(ctx, *_split(rest.removesuffix(".json")))
            _, whole_item = attention.find_item(ctx, *_split(rest))
        except InputError:
            stripped_item = whole_item = None
        if stripped_item is not None or whole_item is None:
            as_json, rest = True, rest.removesuffix(".json")
    try:
        asked, item = attention.find_item(ctx, *_split(rest))
    except InputError as exc:
        return _missing(f"{exc} {HOW}", as_json=as_json, base=base)
    if item is None:
        return _missing(f"Nothing is tracked here for {display(asked)}.", as_json=as_json, base=base)
    details = attention.details_of(ctx, item, asked)
    shown = attention.page_identifier(item, asked)
    if as_json:
        return View(200, json.dumps(page.details_json(details, base=base), ensure_ascii=False), JSON)
    return View(200, page.details_html(details, base=base, identifier=shown), HTML)


def _missing(message: str, *, as_json: bool, base: str) -> View:
    if as_json:
        return View(404, json.dumps({"error": message}), JSON)
    return View(404, page.missing_html(message, base=base), HTML)


def static_view(name: str) -> View | None:
    media = STATIC.get(name)
    return View(200, page.static_file(name), media) if media else None
