"""Polling watched web sites: one question per domain, whatever the number of items under it.

For each distinct watched target (``host[:port][/path-prefix]``) a domain-capable source is
asked once (``lookup_domain``). Each link it reports is resolved to an item: the identifiers
its landing page declares, a URL-rule key, and the URL itself all become aliases of one item,
so a mention by DOI, by Handle and by URL count for the same thing. Channels watching the
domain then watch that item (in the domain watch's collection), and the mention is stored.

A link that cannot be resolved never stops the others: one that is no usable web address is
reported by name and left out; one whose page failed still counts as its own URL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from core.models import Identifier, Mention
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.asking import BackingOff, ask
from handlers.polling.resolve import PageReader, Resolved, page_reader, resolve_link, url_rules
from sources.base import Source
from sources.errors import SourceError
from sources.matching import under_domain
from sources.resolver import shown_url
from sources.urlrules import UrlRule
from storage import Database, watches
from storage.items import ensure_item, find_item_id, merge_owners

log = logging.getLogger(__name__)


def distinct_targets(targets: list[str]) -> list[str]:
    """Targets to ask about: one under another (``host/maps`` under ``host``) needs no question
    of its own, the wider answer covers it."""
    unique = sorted(set(targets), key=len)
    kept: list[str] = []
    for target in unique:
        if not any(under_domain("https://" + target, wider) for wider in kept):
            kept.append(target)
    return kept


@dataclass
class DomainFinds:
    """What one round of domain questions found, not yet stored."""

    #: The mentions to file under each item (created and watched as needed).
    by_item: dict[int, list[Mention]] = field(default_factory=dict)
    #: The target each mention was found under (by external id), for domain baselines.
    target_of: dict[str, str] = field(default_factory=dict)
    #: Targets the source answered for, and the errors of those it did not.
    asked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: ``(link as shown, why)`` for each link left out or whose page could not be read.
    bad_links: list[tuple[str, str]] = field(default_factory=list)


def adopt_link(db: Database, link: Resolved, watchers: list[tuple[str, str, int | None]]) -> int:
    """The item a link under watched web sites names, created if new and watched by every
    channel watching a site it lies under (in that watch's collection). Call in a transaction."""
    # The page declares these are one work: items watched by its DOI and by its Handle become
    # one. URLs (canonical links) only join an item, never merge two, since a site template
    # can point every page at the same one.
    merge_owners(db, [i for i in link.identifiers if i.scheme != "url"])
    item_id, _ = ensure_item(db, link.identifiers, title=link.title)
    for channel, watched, collection_id in watchers:
        if under_domain(link.url, watched):
            watches.watch_item(db, channel, list(link.identifiers), collection_id=collection_id)
    return item_id


def find_domain_mentions(
    ctx: Context, source: Source, *, resolver: PageReader | None = None
) -> DomainFinds:
    """Ask ``source`` once per watched domain and resolve each link it reports to an item.

    Items are created and watched by the channels watching the domain; the mentions are
    returned for the caller to store (the poll job stores and alerts in one transaction).
    A source failing for one domain is logged and the next domain is asked; a source resting
    after repeated failures is not asked at all.
    """
    found = DomainFinds()
    if not source.by_domain:
        return found
    watchers = watches.domain_watchers(ctx.store.db)
    if not watchers:
        return found
    reader = resolver or page_reader(ctx)
    rules = url_rules(ctx)
    links: dict[str, Resolved] = {}
    by_item: dict[int, list[Mention]] = defaultdict(list)
    named_by: dict[int, Identifier] = {}
    for target in distinct_targets([t for _, t, _ in watchers]):
        try:
            result = ask(ctx, source, domain=target)
        except BackingOff as exc:
            log.info("%s rests; domains not asked", source.name)
            found.failed.append(str(exc))
            break
        except SourceError as exc:  # ask() logged the details
            found.failed.append(plain(exc))
            continue
        found.asked.append(target)
        for mention in result.mentions:
            ident = mention.identifier
            if ident is None or ident.scheme != "url":
                continue
            link = links.get(ident.value)
            if link is None:
                link = _resolve(ctx, ident.value, reader=reader, rules=rules, found=found)
                if link is None:
                    continue
                links[ident.value] = link
            with ctx.store.transaction() as db:
                item_id = adopt_link(db, link, watchers)
            by_item[item_id].append(mention)
            named_by.setdefault(item_id, link.identifiers[0])
            found.target_of.setdefault(mention.external_id, target)
    # A later link may have merged an item found earlier in this round into another one.
    for item_id, mentions in by_item.items():
        now_id = find_item_id(ctx.store.db, named_by[item_id]) or item_id
        found.by_item.setdefault(now_id, []).extend(mentions)
    return found


def _resolve(
    ctx: Context, url: str, *, reader: PageReader, rules: tuple[UrlRule, ...], found: DomainFinds
) -> Resolved | None:
    """The link resolved, or None (noted in ``found.bad_links``) when it is no usable address.
    Whatever else goes wrong with one link is noted and the link counts as its own URL."""
    try:
        link = resolve_link(ctx, url, reader=reader, rules=rules)
    except SourceError as exc:
        log.warning("link %s left out: %s", shown_url(url), exc)
        found.bad_links.append((shown_url(url), str(exc)))
        return None
    except Exception as exc:  # a bug met on one link must not cost the poll its other links
        log.exception("resolving %s failed", shown_url(url))
        found.bad_links.append((shown_url(url), f"{type(exc).__name__}: {exc}"))
        return None
    if link.status != "ok" and link.fresh:
        found.bad_links.append((shown_url(url), link.status))
    return link

