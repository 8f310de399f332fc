"""From a link to the identifiers of one item: the resolver with its cache and the URL rules.

A link's identifiers are, in order: what its landing page declares (sources.landing), the key
of the first URL rule it matches, and the link itself. Pages are fetched through the safe
resolver (sources.resolver) and cached in ``resolved_urls`` for ``resolver_cache_hours``; a
page that could not be read is cached as failed too (for at most an hour when the failure may
pass: a timeout, a 5xx), so a poll does not fetch it again and again.

A link that is not a usable web address (a control character, too long, a broken host) is no
item at all: :func:`resolve_link` raises :class:`~sources.resolver.Refused` saying why.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from core.errors import InputError
from core.identifiers import from_key, normalise_url
from core.models import Identifier
from handlers.context import Context
from sources.errors import SourceError, SourceTimeout, SourceUnavailable
from sources.factory import Transport
from sources.landing import Found, LandingPage
from sources.resolver import Refused, Resolve, ResolverConfig, resolve_page, shown_url, url_problem
from sources.urlrules import UrlRule, key_for, parse_rules
from storage import resolved

log = logging.getLogger(__name__)

#: Hours a failure that may pass (timeout, 5xx, connection) is kept before the page is tried again.
TRANSIENT_HOURS = 1.0

#: url -> the landing page it leads to; raises SourceError when it cannot be read.
PageReader = Callable[[str], LandingPage]


@dataclass(frozen=True)
class Resolved:
    url: str
    #: Every identifier of the item the link names: declared ones first, then rule key, the URL.
    identifiers: tuple[Identifier, ...]
    title: str | None = None
    #: ``ok`` or why the page gave nothing (the link itself still counts).
    status: str = "ok"
    #: Fetched (or refused) just now, not taken from the cache.
    fresh: bool = False


def resolver_config(ctx: Context) -> ResolverConfig:
    opts = ctx.options
    return ResolverConfig(
        max_bytes=opts.resolver_max_bytes, timeout=opts.resolver_timeout,
        allow_hosts=opts.allow_hosts,
    )


def url_rules(ctx: Context) -> tuple[UrlRule, ...]:
    """The operator's URL rules; a bad setting is logged and ignored rather than stopping polls."""
    try:
        return parse_rules(ctx.options.url_rules)
    except InputError as exc:
        log.error("ATTENTION_URL_RULES ignored: %s", exc)
        return ()


def page_reader(
    ctx: Context, *, resolve: Resolve = socket.getaddrinfo,
    transport: Transport | None = None,
) -> PageReader:
    config = resolver_config(ctx)

    def read(url: str) -> LandingPage:
        try:
            return resolve_page(url, config=config, resolve=resolve, transport=transport)[1]
        except SourceTimeout:
            raise
        except SourceUnavailable:
            # Links are kept as https (core.urls); a site that speaks only http is read there.
            if not url.startswith("https://"):
                raise
            return resolve_page("http://" + url[8:], config=config, resolve=resolve, transport=transport)[1]

    return read


def _encode(page: LandingPage) -> str:
    return json.dumps(
        {"title": page.title, "found": [[f.identifier.key, f.tag, f.inferred] for f in page.found]}
    )


def _decode(url: str, text: str) -> LandingPage:
    data = json.loads(text or "{}")
    found = []
    for key, tag, inferred in data.get("found", []):
        try:
            found.append(Found(identifier=from_key(key), tag=tag, inferred=inferred))
        except ValueError:
            continue  # a scheme this version no longer knows
    return LandingPage(url=url, title=data.get("title"), found=tuple(found))


def cached_page(
    ctx: Context, url: str, *, reader: PageReader
) -> tuple[LandingPage | None, str, bool]:
    """The landing page of ``url`` from the cache or the network, and a status.

    Pages that answered and pages that failed are cached (``ok``, ``refused: ...``,
    ``error: ...``) for ``resolver_cache_hours``; failures that may pass (``unavailable: ...``:
    timeouts, 5xx) for at most TRANSIENT_HOURS, so a later poll tries again."""
    ttl = ctx.options.resolver_cache_hours
    hit = resolved.get_cached(ctx.store.db, url, now=ctx.now(), ttl_hours=ttl)
    passing = hit is not None and hit.status.startswith("unavailable:")
    if hit is not None and passing and not _younger(hit.fetched_at, ctx.now(), TRANSIENT_HOURS):
        hit = None
    if hit is not None:
        return (_decode(url, hit.identifiers) if hit.status == "ok" else None), hit.status, False
    try:
        page: LandingPage | None = reader(url)
        status = "ok"
    except Refused as exc:
        page, status = None, f"refused: {exc}"
    except SourceUnavailable as exc:
        page, status = None, f"unavailable: {exc}"
    except SourceError as exc:
        page, status = None, f"error: {exc}"
    except Exception as exc:  # a page the resolver could not cope with: kept as failed all the same
        log.exception("reading %s failed", shown_url(url))
        page, status = None, f"error: {type(exc).__name__}: {exc}"
    with ctx.store.transaction() as db:
        resolved.put_cached(
            db, url, _encode(page) if page else "{}", status[:2000],
            at=ctx.now().isoformat(timespec="seconds"),
        )
    return page, status, True


def _younger(iso: str, now: datetime, hours: float) -> bool:
    try:
        return now - datetime.fromisoformat(iso) < timedelta(hours=hours)
    except ValueError:
        return False


def _home(ident: Identifier, link: str) -> bool:
    """A site's home page named by an item page (a template's canonical link pointing at
    ``/``): not this item, and taking it as an alias would fold every page into one item."""
    return ident.scheme == "url" and ident.value != link and urlsplit(ident.value).path in ("", "/")


def resolve_link(
    ctx: Context, url: str, *, reader: PageReader | None = None,
    rules: tuple[UrlRule, ...] | None = None,
) -> Resolved:
    """Every identifier the link at ``url`` stands for (never empty: the URL itself is one).

    Raises Refused, naming the link, when it is not a usable web address."""
    problem = url_problem(url)
    if problem:
        raise Refused(f"`{shown_url(url)}` {problem}", source="resolver")
    try:
        link = normalise_url(url)
    except InputError as exc:
        raise Refused(f"`{shown_url(url)}` is not a valid web address", source="resolver") from exc
    rules = url_rules(ctx) if rules is None else rules
    page, status, fresh = cached_page(ctx, link, reader=reader or page_reader(ctx))
    idents: list[Identifier] = []
    if page is not None:
        registered = [f.identifier for f in page.registered]
        idents += registered + [i for i in page.identifiers if i not in registered and not _home(i, link)]
    for candidate in [link] + [i.value for i in idents if i.scheme == "url"]:
        key = key_for(candidate, rules)
        if key is not None:
            idents.append(key)
            break
    idents.append(Identifier(scheme="url", value=link))
    return Resolved(
        url=link, identifiers=tuple(dict.fromkeys(idents)),
        title=page.title if page else None, status=status, fresh=fresh,
    )
