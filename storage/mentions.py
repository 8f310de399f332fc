"""Mentions: unique on (source, the source's own id). Adding returns only what is new."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from core.models import Mention, opaque_id
from core.times import utcnow


@dataclass(frozen=True)
class StoredMention:
    id: int
    item_id: int
    source: str
    external_id: str
    url: str | None
    title: str | None
    kind: str
    occurred_at: str | None
    first_seen_at: str
    api_url: str | None
    #: NULL unless authors are stored (ATTENTION_STORE_AUTHORS=true).
    author: str | None = None
    #: Where on the source (``en.wikipedia``, a feed's name); see core.models.Mention.
    site: str | None = None


_COLUMNS = (
    "id, item_id, source, external_id, url, title, kind, occurred_at, first_seen_at, api_url, "
    "author, site"
)


def _utc_text(moment: datetime) -> str:
    # Times are compared and sorted as text: one kept in its source's offset (Bluesky's
    # +09:00) would sort hours away from the rest. A naive time is taken as UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def add_mentions(
    db: Database,
    item_id: int,
    mentions: Iterable[Mention],
    *,
    poll_id: int | None = None,
    seen_at: str | None = None,
    store_authors: bool = False,
) -> list[StoredMention]:
    """Store mentions of one item; return those not seen before (in the order given).

    A mention's author is written only with ``store_authors`` (ATTENTION_STORE_AUTHORS=true);
    otherwise the column stays NULL and the returned mentions carry no author either.
    """
    now = seen_at or utcnow()
    new = []
    mentions = list(mentions)
    purged = purged_among(db, [(m.source, m.external_id) for m in mentions])
    for m in mentions:
        if (m.source, m.external_id) in purged:
            continue
        occurred = _utc_text(m.occurred_at) if m.occurred_at else None
        author = m.author if store_authors else None
        cur = db.execute(
            "INSERT OR IGNORE INTO mentions (source, external_id, item_id, url, title, kind, "
            "occurred_at, first_seen_at, api_url, poll_id, author, site) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [m.source, m.external_id, item_id, m.url, m.title, m.kind, occurred, now, m.api_url,
             poll_id, author, m.site],
        )
        if cur.rowcount:
            new.append(
                StoredMention(
                    int(cur.lastrowid or 0), item_id, m.source, m.external_id, m.url, m.title,
                    m.kind, occurred, now, m.api_url, author, m.site,
                )
            )
    return new


def purged_among(db: Database, ids: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source, external id) pairs retention purged (storage.retention): known, not new."""
    if not ids or db.execute("SELECT 1 FROM purged_mentions LIMIT 1").fetchone() is None:
        return set()
    by_key = {(source, opaque_id(external_id)): (source, external_id) for source, external_id in ids}
    found = db.execute(
        "SELECT source, key FROM purged_mentions WHERE (source, key) IN "
        "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))",
        [json.dumps(list(by_key))],
    ).fetchall()
    return {by_key[(source, key)] for source, key in found}


def _rows(db: Database, sql: str, params: list[object]) -> list[StoredMention]:
    return [StoredMention(*row) for row in db.execute(sql, params).fetchall()]


def mentions_of(db: Database, item_id: int, *, limit: int = 100) -> list[StoredMention]:
    return _rows(
        db,
        f"SELECT {_COLUMNS} FROM mentions WHERE item_id = ? "
        "ORDER BY COALESCE(occurred_at, first_seen_at) DESC, id DESC LIMIT ?",
        [item_id, limit],
    )


#: Mentions stored by the first poll of their item by their source (the baseline): the poll
#: records the baseline after storing them, in the same transaction, so they are not later.
_NOT_BASELINE = (
    " AND NOT EXISTS (SELECT 1 FROM baselines b WHERE b.item_id = m.item_id "
    "AND b.source = m.source AND m.first_seen_at <= b.at)"
)


def items_filter(column: str, item_ids: Collection[int] | None) -> tuple[str, list[object]]:
    """`` AND <column> IN (...)`` limiting a query to ``item_ids`` (nothing when None).

    The ids go as one JSON parameter: a collection of 12,000 items would pass SQLite's limit
    on ``?`` placeholders.
    """
    if item_ids is None:
        return "", []
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(sorted(item_ids))]


def _in_period(
    start: str, end: str, *, channel: str | None, exclude_baseline: bool, item_ids: Collection[int] | None,
) -> tuple[str, list[object]]:
    """``FROM mentions m ... WHERE ...`` and its parameters: mentions first seen in [start, end),
    of the items ``channel`` watches (every item when None), of ``item_ids`` only when given."""
    only, only_params = items_filter("m.item_id", item_ids)
    where = "m.first_seen_at >= ? AND m.first_seen_at < ?" + only + (_NOT_BASELINE if exclude_baseline else "")
    if channel is None:
        return f"FROM mentions m WHERE {where}", [start, end, *only_params]
    return (
        f"FROM mentions m JOIN watches w ON w.item_id = m.item_id AND w.channel = ? WHERE {where}",
        [channel, start, end, *only_params],
    )


def mentions_between(
    db: Database,
    start: str,
    end: str,
    *,
    channel: str | None = None,
    exclude_baseline: bool = False,
    item_ids: Collection[int] | None = None,
) -> list[StoredMention]:
    """Mentions first seen in [start, end), for the items a channel watches (or all), and of
    ``item_ids`` only when given (a collection's items).

    ``exclude_baseline`` leaves out what an item's first poll found: attention it already had
    when it was watched, not attention it gained.
    """
    columns = ", ".join("m." + c.strip() for c in _COLUMNS.split(","))
    sql, params = _in_period(start, end, channel=channel, exclude_baseline=exclude_baseline, item_ids=item_ids)
    return _rows(db, f"SELECT {columns} {sql} ORDER BY m.first_seen_at, m.id", params)


#: What a summary needs of a mention: item_id, source, kind, first_seen_at.
#: item id, source, kind, first seen, and when it was written (if the source says).
MentionFact = tuple[int, str, str, str, str | None]


def mention_facts_between(
    db: Database,
    start: str,
    end: str,
    *,
    channel: str | None,
    exclude_baseline: bool = False,
    item_ids: Collection[int] | None = None,
) -> list[MentionFact]:
    """The mentions :func:`mentions_between` gives, as plain tuples of what a summary counts (a
    week of a big watchlist has 10,000 of them). ``channel`` None: every item's, which spares a
    channel that watches every item 10,000 checks of its watches."""
    sql, params = _in_period(start, end, channel=channel, exclude_baseline=exclude_baseline, item_ids=item_ids)
    return db.execute(
        f"SELECT m.item_id, m.source, m.kind, m.first_seen_at, m.occurred_at {sql} "
        "ORDER BY m.first_seen_at, m.id", params
    ).fetchall()


def kind_counts_between(
    db: Database,
    start: str,
    end: str,
    *,
    channel: str | None = None,
    exclude_baseline: bool = False,
    item_ids: Collection[int] | None = None,
) -> dict[str, int]:
    """How many of the mentions :func:`mentions_between` gives are of each kind, counted by
    SQLite: a previous period's score needs no rows."""
    sql, params = _in_period(start, end, channel=channel, exclude_baseline=exclude_baseline, item_ids=item_ids)
    return {r[0]: int(r[1]) for r in db.execute(f"SELECT m.kind, count(*) {sql} GROUP BY m.kind", params)}


def stored_ids(db: Database, source: str, external_ids: Collection[str]) -> set[str]:
    """Which of a source's mention ids are stored already."""
    rows = db.execute(
        "SELECT external_id FROM mentions WHERE source = ? AND external_id IN "
        "(SELECT value FROM json_each(?))",
        [source, json.dumps(list(external_ids))],
    ).fetchall()
    return {r[0] for r in rows}


def count_by_source(db: Database, item_id: int) -> dict[str, int]:
    """Mentions of an item per source, with those purged after ATTENTION_RETENTION_DAYS
    (kept as monthly numbers in ``mention_history``)."""
    return {
        r[0]: int(r[1])
        for r in db.execute(
            "SELECT source, sum(n) FROM (SELECT source, count(*) AS n FROM mentions "
            "WHERE item_id = ? GROUP BY source UNION ALL SELECT source, mentions FROM "
            "mention_history WHERE item_id = ?) GROUP BY source",
            [item_id, item_id],
        ).fetchall()
    }


def kinds_of(db: Database, item_id: int, *, before: str | None = None) -> list[str]:
    """The kind of every mention of an item (first seen before ``before``), for scoring: one
    entry per mention, from :func:`kind_counts_of`."""
    return [kind for kind, n in sorted(kind_counts_of(db, item_id, before=before).items()) for _ in range(n)]


def kind_counts_of(db: Database, item_id: int, *, before: str | None = None) -> dict[str, int]:
    """How many mentions of an item (first seen before ``before``) are of each kind, counted
    by SQLite: an item with 20,000 mentions scores in one short answer.

    Purged mentions count from ``mention_history``. Their month is all that is left of when
    they were first seen: a month counts once it has begun before ``before`` (purging keeps
    only mentions older than every kept one, so a later ``before`` counts them all).
    """
    counts: dict[str, int] = {}
    for kind, n in db.execute(
        "SELECT kind, count(*) FROM mentions WHERE item_id = ?"
        + (" AND first_seen_at < ?" if before is not None else "") + " GROUP BY kind",
        [item_id] + ([before] if before is not None else []),
    ).fetchall():
        counts[kind] = counts.get(kind, 0) + int(n)
    for kind, n in db.execute(
        "SELECT kind, sum(mentions) FROM mention_history WHERE item_id = ?"
        + (" AND month || '-01T00:00:00+00:00' < ?" if before is not None else "") + " GROUP BY kind",
        [item_id] + ([before] if before is not None else []),
    ).fetchall():
        counts[kind] = counts.get(kind, 0) + int(n)
    return counts


#: One mention as ``ingest_mentions`` takes it: source, external_id, item_id, url, title, kind,
#: occurred_at, first_seen_at, api_url, poll_id, author (times as UTC ISO text).
MentionRow = tuple[
    str, str, int, str | None, str | None, str, str | None, str, str | None, int | None, str | None
]


#: SQLite's page cache (KiB) while ``ingest_mentions`` runs, given back afterwards.
INGEST_CACHE_KIB = 131_072


def ingest_mentions(db: Database, rows: Iterable[MentionRow]) -> int:
    """Store many mentions in one statement; returns how many were new (the rest were known).

    For imports and backfills, where the new rows themselves are not needed: one
    ``executemany`` instead of a statement per mention; batches of about 100,000 go fastest. ``author`` is stored as given, so pass
    None unless authors are kept (ATTENTION_STORE_AUTHORS=true). Call inside a transaction.
    """
    rows = list(rows)
    purged = purged_among(db, [(r[0], r[1]) for r in rows])
    if purged:
        rows = [r for r in rows if (r[0], r[1]) not in purged]
    before = db.conn.total_changes
    # A batch's index entries land all over the file (by item, by the source's id): with the
    # pages in memory each is written once per batch, not read and written again per mention.
    cache = int(db.execute("PRAGMA cache_size").fetchone()[0])
    db.conn.execute(f"PRAGMA cache_size = -{INGEST_CACHE_KIB}")
    try:
        db.conn.executemany(
            "INSERT OR IGNORE INTO mentions (source, external_id, item_id, url, title, kind, "
            "occurred_at, first_seen_at, api_url, poll_id, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    finally:
        db.conn.execute(f"PRAGMA cache_size = {cache}")
    return db.conn.total_changes - before


def monthly_counts_of(db: Database, item_id: int) -> dict[str, int]:
    """Mentions of an item per month (``2026-11``), oldest first: by when each was written, or
    first seen where its source gives no date; purged ones by their month in ``mention_history``."""
    months: dict[str, int] = {}
    for month, n in db.execute(
        "SELECT substr(COALESCE(occurred_at, first_seen_at), 1, 7) AS month, count(*) FROM mentions "
        "WHERE item_id = ? GROUP BY month UNION ALL SELECT month, sum(mentions) FROM mention_history "
        "WHERE item_id = ? GROUP BY month",
        [item_id, item_id],
    ).fetchall():
        months[month] = months.get(month, 0) + int(n)
    return dict(sorted(months.items()))


def count_by_source_since(db: Database, item_id: int, since: str) -> dict[str, int]:
    """Mentions of an item per source first seen at or after ``since`` (UTC ISO text)."""
    return {
        r[0]: int(r[1])
        for r in db.execute(
            "SELECT source, count(*) FROM mentions WHERE item_id = ? AND first_seen_at >= ? GROUP BY source",
            [item_id, since],
        ).fetchall()
    }
