"""Stored identifiers under today's rules (migration m009).

Items are found by the normalised form of their identifiers (``identifiers.key``). Older versions
stored some in forms the parser no longer gives (issue 12): ``handle:doi.org/10.1/x`` for a DOI
typed without ``https://``, ``url:http://...`` beside ``url:https://...`` (or with a trailing
``/``, a default port, ``utm_*`` tags), PubMed and PMC links as URLs, ``urn:NBN:...``. Each such
row gets today's key; where that key already names another item, the two become one
(storage.items.merge_owners). Mentions whose source id ends with the old key (``<post>:<key>``,
as every source writes them) are renamed, so the next poll does not take a known post for a new
one. Purged mentions are kept only as hashes of those ids and cannot be renamed.
"""

from __future__ import annotations

from sqlite_utils import Database

from core.identifiers import restate
from core.models import Identifier
from storage.items import find_item_id, merge_owners


def rekey_identifiers(db: Database) -> int:
    """Give every stored identifier its current key; returns how many changed."""
    rows = db.execute("SELECT key, scheme, value FROM identifiers WHERE scheme != 'key'").fetchall()
    changed = 0
    for key, scheme, value in rows:
        old = Identifier(scheme=scheme, value=value)
        new = restate(old)
        if new.key != key and _rekey(db, old, new):
            changed += 1
    if changed:
        # Cached landing pages list identifiers by their old keys: read them again.
        db.execute("DELETE FROM resolved_urls")
    return changed


def _rekey(db: Database, old: Identifier, new: Identifier) -> bool:
    item_id = find_item_id(db, old)
    if item_id is None:
        return False
    _rename_mentions(db, item_id, old.key, new.key)
    owner = find_item_id(db, new)
    if owner is None:
        db.execute(
            "UPDATE identifiers SET key = ?, scheme = ?, value = ? WHERE key = ?",
            [new.key, new.scheme, new.value, old.key],
        )
        return True
    if owner != item_id:
        merge_owners(db, [old, new])
    db.execute("DELETE FROM identifiers WHERE key = ?", [old.key])
    return True


def _rename_mentions(db: Database, item_id: int, old: str, new: str) -> None:
    tail = ":" + old
    db.execute(
        "UPDATE OR IGNORE mentions SET external_id = substr(external_id, 1, length(external_id) - ?) "
        "|| ? WHERE item_id = ? AND substr(external_id, -?) = ?",
        [len(tail), ":" + new, item_id, len(tail), tail],
    )
    # Still under the old key: the post is already stored under the new one (the http and the
    # https item each found it), so this row is a second copy.
    db.execute(
        "DELETE FROM mentions WHERE item_id = ? AND substr(external_id, -?) = ?",
        [item_id, len(tail), tail],
    )
