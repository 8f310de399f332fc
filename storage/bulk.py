"""Building big databases fast (benchmarks, backfills) and measuring their size on disk."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from storage.counts import INSERT_COUNT

#: One count as ``ingest_counts`` takes it: item_id, source, metric, value, observed_at, api_url.
CountRow = tuple[int, str, str, float, str, str | None]


@contextmanager
def unsafe_fast_writes(db: Database) -> Iterator[None]:
    """No fsync while building a database that can be built again: a crash may corrupt it.

    Never for the bot's own database; ``synchronous`` and the page cache go back afterwards.
    """
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute("PRAGMA synchronous = OFF")
    db.conn.execute("PRAGMA cache_size = -262144")  # 256 MB: index pages stay in memory
    try:
        yield
    finally:
        db.conn.execute("PRAGMA synchronous = NORMAL")
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")


def ingest_counts(db: Database, rows: Iterable[CountRow]) -> int:
    """Append count observations as given (no check for unchanged values); returns how many.

    Each row keeps the value before it in its series, as ``record_counts`` writes it: give a
    series' rows in the order they were observed."""
    before = db.conn.total_changes
    db.conn.executemany(INSERT_COUNT, rows)
    return db.conn.total_changes - before


def table_rows(db: Database, table: str) -> int:
    if table not in db.table_names():
        raise ValueError(f"no table {table!r}")
    return int(db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])


def bytes_on_disk(db: Database) -> int:
    """Bytes the database's pages take (free pages excluded), WAL not counted."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def checkpoint(db: Database) -> None:
    """Move the WAL into the database file (so its size is the database's)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def set_watch_times(db: Database, channel: str, created_at: str, *, item_ids: Iterable[int] | None = None) -> int:
    """Date a channel's watches (of ``item_ids`` only, when given) as made at ``created_at``:
    a database built today for a benchmark stands for one that grew over the years."""
    sql = "UPDATE watches SET created_at = ? WHERE channel = ?"
    params: list[object] = [created_at, channel]
    if item_ids is not None:
        sql += " AND item_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(item_ids)))
    return int(db.execute(sql, params).rowcount)


def watch_new_items(db: Database, channel: str, keys: Iterable[tuple[str, str]], *, at: str) -> int:
    """Watch each ``(scheme, value)`` as a new item of its own, a few statements per 10,000
    (benchmarks: a million watched identifiers). The identifiers must be new and normalised.
    Returns how many."""
    next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]) + 1
    done = 0
    keys = iter(keys)
    while chunk := list(itertools.islice(keys, 10_000)):
        rows = [(next_id + n, scheme, value) for n, (scheme, value) in enumerate(chunk)]
        next_id += len(rows)
        db.conn.executemany(
            "INSERT INTO items (id, created_at) VALUES (?, ?)", ((i, at) for i, _, _ in rows)
        )
        db.conn.executemany(
            "INSERT INTO identifiers (key, scheme, value, item_id, added_at) VALUES (?, ?, ?, ?, ?)",
            ((f"{s}:{v}", s, v, i, at) for i, s, v in rows),
        )
        db.conn.executemany(
            "INSERT INTO watches (channel, item_id, created_at) VALUES (?, ?, ?)",
            ((channel, i, at) for i, _, _ in rows),
        )
        done += len(rows)
    return done
