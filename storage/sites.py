"""Splitting where a mention appeared out of titles stored before it had its own column (m012).

Wikipedia titles end in `` (<lang>.wikipedia)``. A feed entry's title ended in `` (<feed's
name>)``: that is taken out only when every mention from the feed ends the same way and there
are at least two of them, since one title may end in brackets of its own.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

_WIKI = re.compile(r"^(?P<title>.+) \((?P<site>[a-z][a-z0-9-]*\.wikipedia)\)$")
_BRACKETED = re.compile(r"^(?P<title>.+) \((?P<site>[^()]+)\)$")


def split_stored_sites(db: Database) -> None:
    rows = db.execute(
        "SELECT id, title FROM mentions WHERE source = 'wikipedia' AND title LIKE '%.wikipedia)'"
    ).fetchall()
    for row_id, title in rows:
        if match := _WIKI.match(title):
            db.execute("UPDATE mentions SET title = ?, site = ? WHERE id = ?",
                       [match["title"], match["site"], row_id])
    feeds: dict[str | None, list[tuple[int, str | None]]] = {}
    for row_id, api_url, title in db.execute(
        "SELECT id, api_url, title FROM mentions WHERE source = 'feeds'"
    ).fetchall():
        feeds.setdefault(api_url, []).append((row_id, title))
    for api_url, entries in feeds.items():
        matches = [_BRACKETED.match(title or "") for _, title in entries]
        sites = {m["site"] for m in matches if m}
        if api_url is None or len(entries) < 2 or None in matches or len(sites) != 1:
            continue
        for (row_id, _), match in zip(entries, matches, strict=True):
            assert match is not None
            db.execute("UPDATE mentions SET title = ?, site = ? WHERE id = ?",
                       [match["title"], match["site"], row_id])
