"""What the web face shows of an item, read from the store only: no source is asked.

Only public data: the score and its parts, the public posts that mention the item (source,
date, link), the numbers sources report and the requests they came from. Never who watches
it, nor the post's author unless ATTENTION_STORE_AUTHORS is on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from core.identifiers import display, identifier_url
from core.models import MENTION_KINDS, Identifier, Item
from handlers.context import Context
from handlers.render import plural
from handlers.web.paths import TYPED, identifier_from_path, path_of
from storage import counts as counts_store
from storage import items as items_store
from storage import mentions as mentions_store
from storage import watches as watches_store

#: Newest mentions listed on a details page; the rest are counted.
MENTIONS_SHOWN = 100
#: Months the attention-over-time chart covers, up to this one.
CHART_MONTHS = 24
KIND_NAMES = {"news": ("news", "news"), "blog": ("blog", "blogs"), "policy": ("policy", "policy"),
              "wikipedia": ("Wikipedia", "Wikipedia"), "social": ("social", "social"),
              "forum": ("forum", "forum"), "citation": ("citing work", "citing works"),
              "other": ("other", "other")}
_SECRET_PARAMS = ("key", "token", "secret", "password", "auth")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Facts(Frozen):
    """What a badge shows: the score and the mentions by kind. ``known`` is False for an item
    no channel watches (a neutral badge)."""

    known: bool
    score: float = 0.0
    kinds: dict[str, int] = {}
    path: str | None = None

    @property
    def shown_score(self) -> str:
        return shown(self.score)

    @property
    def label(self) -> str:
        """The accessible name: ``Attention score 42: 3 news, 12 social, 1 Wikipedia``."""
        if not self.known:
            return "Attention score: no attention yet"
        parts = [kind_label(kind, n) for kind, n in self.kinds.items() if n]
        return f"Attention score {self.shown_score}" + (": " + ", ".join(parts) if parts else ": no attention yet")


class IdentifierView(Frozen):
    scheme: str
    shown: str
    url: str | None


class SourceRow(Frozen):
    source: str
    label: str
    mentions: int


class CountRow(Frozen):
    source: str
    source_label: str
    metric: str
    value: float
    observed_at: str
    api_url: str | None


class MentionRow(Frozen):
    source: str
    source_label: str
    kind: str
    title: str | None
    url: str | None
    date: str | None
    api_url: str | None
    author: str | None = None


class MonthRow(Frozen):
    month: str
    mentions: int


class Details(Frozen):
    """Everything the details page and its JSON show."""

    title: str | None
    path: str
    identifiers: tuple[IdentifierView, ...]
    facts: Facts
    sources: tuple[SourceRow, ...]
    counts: tuple[CountRow, ...]
    months: tuple[MonthRow, ...]
    mentions: tuple[MentionRow, ...]
    mentions_total: int
    weights: dict[str, float]
    generated_at: str


def shown(score: float) -> str:
    """``42``, ``7.5``, ``0``: whole numbers from 10 up, one decimal below."""
    value = round(score) if score >= 10 else round(score, 1)
    return f"{value:g}"


def kind_label(kind: str, n: int) -> str:
    one, many = KIND_NAMES.get(kind, (kind, kind))
    return plural(n, one, many)


def find_item(ctx: Context, scheme: str, value: str) -> tuple[Identifier, Item | None]:
    """The identifier a path names and the watched item it is an alias of (None when no channel
    watches it). InputError when the path is not an identifier."""
    ident = identifier_from_path(scheme, value)
    db = ctx.store.db
    item_id = items_store.find_item_id(db, ident)
    if item_id is None or not watches_store.is_watched(db, item_id):
        return ident, None
    return ident, items_store.get_item(db, item_id)


def page_identifier(item: Item, asked: Identifier) -> Identifier:
    """The identifier an item's links use: its first one a path can name (not a rule key)."""
    return next((i for i in item.identifiers if i.scheme in TYPED), asked)


def facts_of(ctx: Context, item: Item | None, asked: Identifier) -> Facts:
    if item is None:
        return Facts(known=False)
    kinds = mentions_store.kind_counts_of(ctx.store.db, item.id)
    table = ctx.score_weights
    score = round(sum(table.get(k, table["other"]) * n for k, n in kinds.items()), 2)
    ordered = {k: kinds[k] for k in (*MENTION_KINDS, *sorted(kinds)) if kinds.get(k)}
    return Facts(known=True, score=score, kinds=ordered, path=path_of(page_identifier(item, asked)))


def public_link(url: str | None) -> str | None:
    """An http(s) link fit to show, or None (a ``javascript:`` URL from a feed never is)."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    return url


def provenance(url: str | None) -> str | None:
    """The request a number came from, without anything that looks like a credential."""
    link = public_link(url)
    if link is None:
        return None
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not any(word in k.lower() for word in _SECRET_PARAMS)]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _label(ctx: Context, source: str) -> str:
    found = ctx.source(source)
    return found.label if found is not None else source


def _months(counts: dict[str, int], now: datetime) -> tuple[MonthRow, ...]:
    """The last CHART_MONTHS months to now, with none left out (a month without mentions is 0)."""
    year, month = now.year, now.month
    keys = []
    for _ in range(CHART_MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return tuple(MonthRow(month=k, mentions=counts.get(k, 0)) for k in reversed(keys))


def details_of(ctx: Context, item: Item, asked: Identifier) -> Details:
    db = ctx.store.db
    now = ctx.now().astimezone(UTC)
    facts = facts_of(ctx, item, asked)
    by_source = mentions_store.count_by_source(db, item.id)
    stored = mentions_store.mentions_of(db, item.id, limit=MENTIONS_SHOWN)
    authors = ctx.options.store_authors
    return Details(
        title=item.title,
        path=facts.path or path_of(asked),
        identifiers=tuple(IdentifierView(scheme=i.scheme, shown=display(i), url=public_link(identifier_url(i)))
                          for i in item.identifiers if i.scheme in TYPED or i.scheme == "key"),
        facts=facts,
        sources=tuple(SourceRow(source=s, label=_label(ctx, s), mentions=n)
                      for s, n in sorted(by_source.items(), key=lambda p: (-p[1], p[0]))),
        counts=tuple(
            CountRow(source=o.source, source_label=_label(ctx, o.source), metric=o.metric, value=o.value,
                     observed_at=o.observed_at, api_url=provenance(o.api_url))
            for o in counts_store.latest_observations(db, item.id)
        ),
        months=_months(mentions_store.monthly_counts_of(db, item.id), now),
        mentions=tuple(
            MentionRow(source=m.source, source_label=_label(ctx, m.source), kind=m.kind, title=m.title,
                       url=public_link(m.url), date=(m.occurred_at or m.first_seen_at)[:10],
                       api_url=provenance(m.api_url), author=m.author if authors else None)
            for m in stored
        ),
        mentions_total=sum(by_source.values()),
        weights=ctx.score_weights,
        generated_at=now.isoformat(timespec="seconds"),
    )

