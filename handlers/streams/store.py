"""Storing what a stream matched: the mentions, their alerts and the stream's position, in ONE
transaction, so a crash loses none of them and a restart (which resumes from the stored
position, a little before it) finds the mentions already stored and alerts nothing twice.

Every batch of matched events gets a poll row (source: the stream's name), which makes each
alert's outbox key (channel + item + poll) new. A stream carries only new posts, so what it
matches alerts at once: it needs no baseline of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Identifier, Mention
from handlers.alerts import detect
from handlers.context import Context
from handlers.polling.asking import owner_of
from handlers.polling.domains import adopt_link
from handlers.polling.resolve import PageReader, page_reader, resolve_link, url_rules
from handlers.streams.index import Match
from sources.base import Source
from sources.errors import SourceError
from sources.matching import snippet
from sources.streaming import Post, StreamSource
from storage import Database, polls, state, watches
from storage import mentions as mentions_store
from storage.mentions import StoredMention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    new_mentions: int = 0
    alerts: int = 0


def _mention(stream: StreamSource, post: Post, ident: Identifier) -> Mention:
    return Mention(
        source=stream.source,
        external_id=f"{post.id}:{ident.key}",
        url=post.url,
        title=post.title or snippet(post.text),
        occurred_at=post.occurred_at,
        api_url=stream.address(),
        kind=stream.kind,
        identifier=ident,
    )


def _site_items(
    ctx: Context, found: Sequence[tuple[Post, Match]], reader: PageReader | None
) -> None:
    """Name the items behind links under watched web sites (the link resolver reads each page,
    as a domain poll does), adding them to each match; a page that cannot be read still counts
    as its URL."""
    links = {link for _, m in found for link in m.site_links}
    if not links:
        return
    reader = reader or page_reader(ctx)
    rules = url_rules(ctx)
    items: dict[str, tuple[int, Identifier]] = {}
    watchers = watches.domain_watchers(ctx.store.db)
    for link in sorted(links):
        try:
            resolved = resolve_link(ctx, link, reader=reader, rules=rules)
        except SourceError as exc:  # not a usable web address: left out, as a domain poll does
            log.info("a link under a watched site was left out: %s", exc)
            continue
        with ctx.store.transaction() as db:
            items[link] = (
                adopt_link(db, resolved, watchers),
                Identifier(scheme="url", value=resolved.url),
            )
    for _, m in found:
        for link in m.site_links:
            if link in items:
                item_id, ident = items[link]
                m.items.setdefault(item_id, ident)


def alerting_source(ctx: Context, stream: StreamSource) -> Source:
    """The polled source a stream stands in for: alerts name it, channels filter by it."""
    return ctx.source(stream.source) or stream


def store_matches(
    ctx: Context,
    stream: StreamSource,
    found: Sequence[tuple[Post, Match]],
    *,
    position: str,
    resolver: PageReader | None = None,
) -> Stored:
    """Store a batch of matched posts, alert the channels watching their items and keep
    ``position`` as where the stream resumes: one transaction."""
    _site_items(ctx, found, resolver)
    source = alerting_source(ctx, stream)
    with ctx.store.transaction() as db:
        poll_id = polls.start_poll(db, stream.name)
        by_owner: dict[int, list[Mention]] = {}
        for post, match in found:
            for item_id, ident in match.items.items():
                by_owner.setdefault(owner_of(db, item_id, ident), []).append(
                    _mention(stream, post, ident)
                )
        new = alerts = 0
        for owner, group in sorted(by_owner.items()):
            stored = _add(ctx, db, owner, group, poll_id=poll_id)
            new += len(stored)
            if stored:
                alerts += len(
                    detect.enqueue_alerts(
                        ctx,
                        db,
                        item_id=owner,
                        source=source,
                        poll_id=poll_id,
                        new_mentions=stored,
                        changes=[],
                    )
                )
        state.set_validators(db, stream.name, cursor=position)
        polls.finish_poll(db, poll_id, items=len(by_owner), new_mentions=new)
    return Stored(new_mentions=new, alerts=alerts)


def _add(
    ctx: Context, db: Database, owner: int, group: list[Mention], *, poll_id: int
) -> list[StoredMention]:
    return mentions_store.add_mentions(
        db, owner, group, poll_id=poll_id, store_authors=ctx.options.store_authors
    )


def save_position(ctx: Context, stream: StreamSource, position: str) -> None:
    """Keep where the stream resumes when nothing was matched since the last save."""
    with ctx.store.transaction() as db:
        state.set_validators(db, stream.name, cursor=position)
