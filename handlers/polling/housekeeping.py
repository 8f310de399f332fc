"""The daily housekeeping job: purge what the bot keeps no longer than it needs.

Mentions first seen more than ATTENTION_RETENTION_DAYS ago (default 730) become monthly numbers
per item, source and kind (storage.retention), so trends and scores survive; audit rows older
than ATTENTION_AUDIT_DAYS (default 90) are deleted. Both in one transaction: a crash leaves
either everything or nothing purged, and a second run the same day purges nothing more.
With ATTENTION_STORE_AUTHORS off, authors kept while it was on are forgotten too.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from handlers.context import Context
from handlers.render import plural
from storage import retention


def cutoffs(ctx: Context) -> tuple[str, str]:
    """(mentions first seen before this are purged, audit rows before this are deleted)."""
    now = ctx.now().astimezone(UTC)
    mentions = now - timedelta(days=ctx.options.retention_days)
    audit = now - timedelta(days=ctx.options.audit_days)
    return mentions.isoformat(timespec="seconds"), audit.isoformat(timespec="seconds")


def run_housekeeping(ctx: Context) -> str:
    """Purge old mentions (keeping their monthly counts) and old audit rows; says how many."""
    mentions_before, audit_before = cutoffs(ctx)
    with ctx.store.transaction() as db:
        mentions = retention.purge_mentions(db, older_than=mentions_before)
        audit = retention.purge_audit(db, older_than=audit_before)
        authors = 0 if ctx.options.store_authors else retention.clear_authors(db)
    text = (
        f"housekeeping: {plural(mentions, 'mention')} first seen before "
        f"{mentions_before[:10]} purged (monthly counts kept), {plural(audit, 'audit row')} "
        f"before {audit_before[:10]} deleted"
    )
    if authors:
        text += f", {plural(authors, 'author')} forgotten (ATTENTION_STORE_AUTHORS is off)"
    return text
