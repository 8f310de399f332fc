"""Known data for the summary tests: a Berlin week across the end of summer time (2026-10-25).

The week of Monday 19 October 2026 in Europe/Berlin runs from 2026-10-18T22:00Z (midnight
CEST) to 2026-10-25T23:00Z (midnight CET): 169 hours, not 168.
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from core.models import Count, Identifier, Mention
from storage import Store
from storage.counts import record_counts
from storage.mentions import add_mentions
from storage.watches import watch_item

WORMS = Identifier(scheme="doi", value="10.1234/worms")
GLACIER = Identifier(scheme="doi", value="10.5555/glacier")
OTHER = Identifier(scheme="doi", value="10.9999/other")

WEEK_START, WEEK_END = "2026-10-18T22:00:00+00:00", "2026-10-25T23:00:00+00:00"
#: Monday 26 October 2026, 09:00 in Berlin: when the weekly summary runs.
SUMMARY_TIME = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def mention(source: str, ext: str, kind: str, title: str | None = None) -> Mention:
    return Mention(source=source, external_id=ext, kind=kind, title=title or ext, url=f"https://example.org/{ext}")


def seed_week(store: Store) -> dict[str, int]:
    """Two items watched in C1 (one watched during the week), one in C2, and their mentions."""
    ids = {}
    with time_machine.travel(_at("2026-10-01T09:00:00+00:00"), tick=False), store.transaction() as db:
        ids["worms"], _ = watch_item(db, "C1", [WORMS], title="Deep-sea worms")
        ids["other"], _ = watch_item(db, "C2", [OTHER], title="Someone else's paper")
        record_counts(db, ids["worms"], [Count(source="crossref", metric="citations", value=3, observed_at=_at("2026-10-10T00:00:00+00:00"))])
    with time_machine.travel(_at("2026-10-20T12:00:00+00:00"), tick=False), store.transaction() as db:
        ids["glacier"], _ = watch_item(db, "C1", [GLACIER], title="Glacier data")
    with store.transaction() as db:
        w, g = ids["worms"], ids["glacier"]
        # The week before: 8 (news) + 5 (blog) points for worms.
        add_mentions(db, w, [mention("feeds", "blog-1", "blog")], seen_at="2026-10-14T12:00:00+00:00")
        # Sunday 23:59:59 in Berlin: still the week before.
        add_mentions(db, w, [mention("feeds", "news-0", "news")], seen_at="2026-10-18T21:59:59+00:00")
        # Monday 00:00 in Berlin: the first second of the week.
        add_mentions(db, w, [mention("feeds", "news-1", "news", "Worms in the news")], seen_at=WEEK_START)
        add_mentions(db, w, [mention("wikipedia", "wiki-1", "wikipedia")], seen_at="2026-10-21T10:00:00+00:00")
        # Sunday 23:30 CET: inside the week only if the week ends at local midnight after DST.
        add_mentions(
            db, g, [mention("mastodon", "toot-1", "social"), mention("mastodon", "toot-2", "social")],
            seen_at="2026-10-25T22:30:00+00:00",
        )
        # Monday 00:30 CET: the next week.
        add_mentions(db, g, [mention("mastodon", "toot-3", "social")], seen_at="2026-10-25T23:30:00+00:00")
        # Another channel's item: never in C1's summary.
        add_mentions(db, ids["other"], [mention("feeds", "news-9", "news")], seen_at="2026-10-20T10:00:00+00:00")
        record_counts(db, w, [Count(source="crossref", metric="citations", value=5, observed_at=_at("2026-10-22T00:00:00+00:00"))])
    return ids
