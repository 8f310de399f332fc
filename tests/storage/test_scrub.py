"""A database written by an older version, with authors folded into titles, URLs and ids, has
them taken out when the bot upgrades it; a status polled again is not taken for a new one."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from core.identifiers import parse_identifier
from core.models import Mention, opaque_id
from storage import open_store
from storage.mentions import add_mentions
from storage.migrations import migrations

URI = "https://icosahedron.website/users/greg/statuses/116388148912635764"
TOOT_URL = "https://icosahedron.website/@greg/116388148912635764"
SKEET = "at://did:plc:tb6kdi6xp44xmafqow5wqqd7/app.bsky.feed.post/3kgho46gd7q2h"
OLD_SKEET_URL = "https://bsky.app/profile/lwvsf.bsky.social/post/3kgho46gd7q2h"
KEY = "doi:10.1234/abc"

OLD_ROWS = [
    ("mastodon", f"{URI}:{KEY}", TOOT_URL, "@greg@icosahedron.website: a fine paper"),
    ("bluesky", f"{SKEET}:{KEY}", OLD_SKEET_URL, "@lwvsf.bsky.social: read this"),
    ("bluesky", f"{SKEET.replace('3kgh', '3zzz')}:{KEY}", OLD_SKEET_URL.replace("3kgh", "3zzz"), "@lwvsf.bsky.social"),
    ("hackernews", "41000010", "https://news.ycombinator.com/item?id=41000010", "Comment by dave on “Ten rules”"),
    ("feeds", "post-1", "https://blog.example/p1", "@ignored: feeds titles are left alone"),
]


def old_database(path: Path) -> None:
    db = Database(path)
    migrations.apply(db, stop_before="m006_authors_out_of_text")
    db.execute("INSERT INTO items (id, title, created_at) VALUES (1, 'A paper', '2026-01-01T00:00:00+00:00')")
    for n, (source, external_id, url, title) in enumerate(OLD_ROWS, start=1):
        db.execute(
            "INSERT INTO mentions (id, source, external_id, item_id, url, title, kind, first_seen_at) "
            "VALUES (?, ?, ?, 1, ?, ?, 'social', '2026-01-02T00:00:00+00:00')",
            [n, source, external_id, url, title],
        )
    payload = {"item_id": 1, "title": "A paper", "mentions": [
        {"source": "mastodon", "title": OLD_ROWS[0][3], "url": TOOT_URL},
        {"source": "bluesky", "title": OLD_ROWS[1][3], "url": OLD_SKEET_URL},
    ]}
    db.execute(
        "INSERT INTO outbox (key, channel, item_id, kind, payload, created_at) VALUES "
        "('alert:C1:1:1', 'C1', 1, 'alert', ?, '2026-01-02T00:00:00+00:00')",
        [json.dumps(payload)],
    )
    db.conn.commit()
    db.conn.close()


def test_upgrading_takes_the_authors_out_of_stored_mentions_and_alerts(tmp_path: Path) -> None:
    old_database(tmp_path / "attention.db")
    store = open_store(tmp_path / "attention.db")
    try:
        db = store.db
        rows = db.execute("SELECT source, external_id, url, title FROM mentions ORDER BY id").fetchall()
        assert rows[0] == ("mastodon", f"{opaque_id(URI)}:{KEY}", TOOT_URL, "a fine paper")
        assert rows[1][2:] == ("https://bsky.app/profile/did:plc:tb6kdi6xp44xmafqow5wqqd7/post/3kgho46gd7q2h", "read this")
        assert rows[2][3] is None  # the title was nothing but the handle
        assert rows[3][3] == "Comment on “Ten rules”"
        assert rows[4][3] == "@ignored: feeds titles are left alone"
        (payload,) = [r[0] for r in db.execute("SELECT payload FROM outbox").fetchall()]
        for gone in ("lwvsf", "greg@", "@greg:"):
            assert gone not in payload
        # The status polled again after the upgrade is the one already stored: nothing new.
        again = Mention(source="mastodon", external_id=f"{opaque_id(URI)}:{KEY}", url=TOOT_URL,
                        identifier=parse_identifier("10.1234/abc"))
        with store.transaction() as tx:
            assert add_mentions(tx, 1, [again]) == []
    finally:
        store.close()
