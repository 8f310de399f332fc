"""The schema, as the migrations that made it, in order (sqlite-utils ``Migrations``: each is
applied once, by name; a database from any earlier version is brought up to date at open)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("attention-bot")


@migrations()
def m001_core(db: Database) -> None:
    db.execute(
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            title TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    # Every identifier of an item is an alias: a DOI, a Handle and a landing-page URL.
    db.execute(
        """CREATE TABLE identifiers (
            key TEXT PRIMARY KEY,
            scheme TEXT NOT NULL,
            value TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX identifiers_item ON identifiers(item_id)")
    db.execute(
        """CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            name TEXT NOT NULL,
            origin TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (channel, name)
        )"""
    )
    db.execute(
        """CREATE TABLE watches (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            muted_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            UNIQUE (channel, item_id)
        )"""
    )
    db.execute("CREATE INDEX watches_item ON watches(item_id)")
    # Whole web sites (host[:port][/path-prefix]) a channel watches.
    db.execute(
        """CREATE TABLE domain_watches (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            UNIQUE (channel, target)
        )"""
    )
    db.execute(
        """CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            url TEXT,
            title TEXT,
            kind TEXT NOT NULL DEFAULT 'other',
            occurred_at TEXT,
            first_seen_at TEXT NOT NULL,
            api_url TEXT,
            poll_id INTEGER,
            UNIQUE (source, external_id)
        )"""
    )
    db.execute("CREATE INDEX mentions_item ON mentions(item_id, first_seen_at)")
    db.execute("CREATE INDEX mentions_seen ON mentions(first_seen_at)")
    db.execute(
        """CREATE TABLE counts (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            metric TEXT NOT NULL,
            value REAL NOT NULL,
            observed_at TEXT NOT NULL,
            api_url TEXT
        )"""
    )
    db.execute("CREATE INDEX counts_series ON counts(item_id, source, metric, observed_at)")
    # One row per poll of one source: its id goes into outbox idempotency keys.
    db.execute(
        """CREATE TABLE polls (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            new_mentions INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )"""
    )
    # Which (item, source) pairs have had their first poll: the baseline that never alerts.
    db.execute(
        """CREATE TABLE baselines (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (item_id, source)
        )"""
    )
    db.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_at TEXT,
            ts TEXT,
            thread_ts TEXT,
            last_error TEXT
        )"""
    )
    db.execute("CREATE INDEX outbox_status ON outbox(status, id)")
    # The ts of an item's first alert in a channel: later alerts go in its thread.
    db.execute(
        """CREATE TABLE threads (
            channel TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            ts TEXT NOT NULL,
            PRIMARY KEY (channel, item_id)
        )"""
    )
    db.execute(
        """CREATE TABLE source_state (
            source TEXT PRIMARY KEY,
            cursor TEXT,
            etag TEXT,
            last_modified TEXT,
            last_success TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            backoff_until TEXT,
            next_run_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE channel_settings (
            channel TEXT PRIMARY KEY,
            min_score_rise REAL NOT NULL DEFAULT 0,
            sources TEXT,
            mode TEXT NOT NULL DEFAULT 'realtime',
            active INTEGER NOT NULL DEFAULT 1,
            inactive_reason TEXT,
            updated_at TEXT NOT NULL
        )"""
    )
    # Landing pages the link resolver fetched, with what they said (cached with a TTL).
    db.execute(
        """CREATE TABLE resolved_urls (
            url TEXT PRIMARY KEY,
            identifiers TEXT NOT NULL,
            status TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )"""
    )


@migrations()
def m002_outbox_claims(db: Database) -> None:
    # Who is sending a row and since when: two bot processes (cron `poll --once` beside `run`)
    # share the outbox, and a row another live process is sending must be left to it.
    db.execute("ALTER TABLE outbox ADD COLUMN claim TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN claimed_at TEXT")


@migrations()
def m003_domain_baselines(db: Database) -> None:
    # Which web domains a source has been asked about: a domain's first poll only records the
    # links already out there, later polls alert about new ones.
    db.execute(
        """CREATE TABLE domain_baselines (
            target TEXT NOT NULL,
            source TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (target, source)
        )"""
    )


@migrations()
def m004_privacy(db: Database) -> None:
    # Who wrote a post is kept only when ATTENTION_STORE_AUTHORS=true; otherwise NULL.
    db.execute("ALTER TABLE mentions ADD COLUMN author TEXT")
    # Mentions older than ATTENTION_RETENTION_DAYS are purged; their number per item, source,
    # kind and month (of first sight) stays here so long-term trends survive.
    db.execute(
        """CREATE TABLE mention_history (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            month TEXT NOT NULL,
            mentions INTEGER NOT NULL,
            PRIMARY KEY (item_id, source, kind, month)
        )"""
    )
    # Who ran which changing command, when and where (kept ATTENTION_AUDIT_DAYS).
    db.execute(
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            channel TEXT NOT NULL,
            command TEXT NOT NULL,
            args TEXT,
            outcome TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX audit_at ON audit(at)")


@migrations()
def m005_counts_by_time(db: Database) -> None:
    # Summaries and `top` ask which counts changed in a week: without this they read every
    # count row ever stored (5,000,000 take 0.4 s). Holding the value makes that read need
    # no table lookups.
    db.execute("CREATE INDEX counts_observed ON counts(observed_at, item_id, source, metric, value)")


@migrations()
def m006_authors_out_of_text(db: Database) -> None:
    # Older versions folded post authors into titles, URLs and ids: take them out (storage.scrub).
    from storage.scrub import scrub_authors  # only this migration needs it

    scrub_authors(db)


@migrations()
def m007_counts_prev_value(db: Database) -> None:
    # A summary asks each changed series' value before the period: with 33,000 changed series
    # a week, one index seek each took 0.3 s. Each row now keeps the value of the row before it
    # in its series (NULL for a series' first row), so the period's own rows say it.
    db.execute("ALTER TABLE counts ADD COLUMN prev_value REAL")
    db.execute(
        "UPDATE counts SET prev_value = p.prev FROM (SELECT id, lag(value) OVER (PARTITION BY "
        "item_id, source, metric ORDER BY observed_at, id) AS prev FROM counts) AS p "
        "WHERE p.id = counts.id AND p.prev IS NOT NULL"
    )
    # The period's rows with everything the summary reads, in time order: no table lookups.
    db.execute("DROP INDEX IF EXISTS counts_observed")
    db.execute(
        "CREATE INDEX counts_period ON counts(observed_at, item_id, source, metric, value, prev_value)"
    )
    # An item's score counts its mentions by kind: with the kind in the index, an item with
    # 20,000 mentions is scored from the index alone (9 ms -> 1 ms). Same number of indexes.
    db.execute("DROP INDEX IF EXISTS mentions_item")
    db.execute("CREATE INDEX mentions_item ON mentions(item_id, kind, first_seen_at)")
    # Items a channel started watching in a period, without reading all its watches.
    db.execute("CREATE INDEX IF NOT EXISTS watches_created ON watches(channel, created_at)")


@migrations()
def m008_purged_mentions(db: Database) -> None:
    # What retention purged, as a hash of the source's id: sources keep returning old posts,
    # and without this a purged one would be stored, counted and alerted about as new.
    db.execute(
        """CREATE TABLE purged_mentions (
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            PRIMARY KEY (source, key)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX purged_mentions_item ON purged_mentions(item_id)")


@migrations()
def m009_identifiers_rekeyed(db: Database) -> None:
    # Issue 12 changed how identifiers are normalised (http and https one URL, doi.org/... typed
    # without a scheme a DOI, PubMed links PMIDs): stored keys follow, merging items that now
    # turn out to be one (storage.rekey).
    from storage.rekey import rekey_identifiers  # only this migration needs it

    rekey_identifiers(db)


@migrations()
def m010_alert_groups(db: Database) -> None:
    # Alerts for one item in one channel that come within a short window are one message: a
    # row is not sent before ``not_before``, and alerts arriving until then join it.
    db.execute("ALTER TABLE outbox ADD COLUMN not_before TEXT")


@migrations()
def m011_rest_reason(db: Database) -> None:
    # Why a source rests until backoff_until: "failures" in a row, or "server" (a 429's
    # Retry-After, a spent quota), so a new process (cron's poll --once) honours it too.
    db.execute("ALTER TABLE source_state ADD COLUMN backoff_reason TEXT")


@migrations()
def m012_mention_site(db: Database) -> None:
    # Where on a source a mention appeared (a wiki, a feed's name) was written into its title
    # ("Salt marsh (en.wikipedia)"); it gets its own column so titles are the posts' own (the
    # export's title column, issue 12). Stored titles are split where that is certain.
    db.execute("ALTER TABLE mentions ADD COLUMN site TEXT")
    from storage.sites import split_stored_sites  # only this migration needs it

    split_stored_sites(db)


@migrations()
def m013a_sets(db: Database) -> None:
    # A work can be in several of a channel's collections and sets at once (issue 16): who is
    # in which collection moves from the watch's one collection_id to a table of its own.
    db.execute(
        """CREATE TABLE collection_items (
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            PRIMARY KEY (collection_id, item_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX collection_items_item ON collection_items(item_id)")
    db.execute(
        "INSERT OR IGNORE INTO collection_items (collection_id, item_id, added_at) "
        "SELECT collection_id, item_id, created_at FROM watches WHERE collection_id IS NOT NULL"
    )
    db.execute("UPDATE watches SET collection_id = NULL")
    # A set is a collection whose works a registry lists: its kind (prefix, orcid, ror; NULL
    # for a collection) and when it was last listed.
    db.execute("ALTER TABLE collections ADD COLUMN kind TEXT")
    db.execute("ALTER TABLE collections ADD COLUMN synced_at TEXT")
    # A watch that exists only because a set listed the work: unwatching the set ends it.
    db.execute("ALTER TABLE watches ADD COLUMN from_set INTEGER NOT NULL DEFAULT 0")


@migrations()
def m013b_asked(db: Database) -> None:
    # When a source last asked about an item: a source that cannot ask every watched work
    # each poll within its rate asks those asked longest ago first.
    db.execute(
        """CREATE TABLE asked (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (item_id, source)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX asked_source ON asked(source, at)")


@migrations()
def m015_streams(db: Database) -> None:
    # Streams (issue 15): how each is doing, a counter that moves when watches change (their
    # in-memory index is rebuilt then), and which polls asked only new items.
    from storage.streams import create_tables  # only this migration needs it

    create_tables(db)
