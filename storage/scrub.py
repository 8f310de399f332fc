"""Taking authors out of what older versions stored (run once, by migration m005).

Before authors were kept apart (``mentions.author``, off by default), sources folded them into
what they stored: Mastodon and Bluesky titles began ``@handle: ``, Hacker News comments were
``Comment by <name> on ...``, Bluesky URLs named the handle and Mastodon ids held the status URI
(``https://server/users/<name>/statuses/<n>``). This rewrites those rows, and the alerts in the
outbox, to what the sources store now; Mastodon ids become the hash the source now makes, so a
status already stored is not taken for a new one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from core.models import opaque_id

_HANDLE_PREFIX = re.compile(r"^@\S+?: ")
_HANDLE_ONLY = re.compile(r"^@\S+$")
_HN_COMMENT = re.compile(r"^Comment by \S+ on “")
# ``<status uri>:<identifier key>``: the URI's path holds no colon.
_MASTODON_ID = re.compile(r"^(https?://[^/]+/[^:]*):(.+)$")
_BLUESKY_ID = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/:]+):")


def _title(source: str, title: str | None) -> str | None:
    if not title:
        return title
    if source in ("mastodon", "bluesky"):
        if _HANDLE_ONLY.match(title):
            return None
        return _HANDLE_PREFIX.sub("", title, count=1)
    if source == "hackernews":
        return _HN_COMMENT.sub("Comment on “", title, count=1)
    return title


def _scrub_entry(entry: dict[str, Any], urls: dict[str, str]) -> None:
    entry["title"] = _title(str(entry.get("source")), entry.get("title"))
    if entry.get("url") in urls:
        entry["url"] = urls[entry["url"]]


def scrub_authors(db: Database) -> None:
    """Rewrite stored mentions and outbox alerts so they carry no author. Idempotent."""
    urls: dict[str, str] = {}
    rows = db.execute(
        "SELECT id, source, external_id, url, title FROM mentions "
        "WHERE source IN ('mastodon', 'bluesky', 'hackernews')"
    ).fetchall()
    for row_id, source, external_id, url, title in rows:
        new_id, new_url = external_id, url
        if source == "mastodon" and (m := _MASTODON_ID.match(external_id)):
            new_id = f"{opaque_id(m[1])}:{m[2]}"
        if source == "bluesky" and (m := _BLUESKY_ID.match(external_id)):
            new_url = f"https://bsky.app/profile/{m[1]}/post/{m[2]}"
            if url and url != new_url:
                urls[url] = new_url
        db.execute(
            "UPDATE OR IGNORE mentions SET external_id = ?, url = ?, title = ? WHERE id = ?",
            [new_id, new_url, _title(source, title), row_id],
        )
    for row_id, payload in db.execute(
        "SELECT id, payload FROM outbox WHERE kind IN ('alert', 'digest')"
    ).fetchall():
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        alerts = data.get("alerts", []) if isinstance(data, dict) else []
        for alert in [data, *alerts]:
            for entry in alert.get("mentions", []) if isinstance(alert, dict) else []:
                if isinstance(entry, dict):
                    _scrub_entry(entry, urls)
        db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [json.dumps(data), row_id])
