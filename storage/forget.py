"""Forgetting an item (or every item of a web site) everywhere, leaving no row that names it.

An item lives in many tables: its aliases (identifiers), watches, mentions, their monthly
history, count series, baselines, alert threads, outbox rows (alerts, and digests that carry
its alerts), and the link resolver's cache of its landing pages. Free-text columns that may
quote an identifier (the audit log's arguments, poll and source errors) are scrubbed word by
word. Call these functions inside one transaction (``Store.transaction``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from core.identifiers import display, from_key, identifier_url
from core.models import Identifier

#: What a forgotten word becomes in free-text columns.
SCRUBBED = "(forgotten)"
#: The text a summary naming a forgotten item is replaced with.
WITHDRAWN = "This message was withdrawn: an item in it was forgotten (`forget`)."
# Free text that may quote what someone typed or what a source answered about an item.
_TEXT_COLUMNS = (("audit", "args"), ("polls", "error"), ("source_state", "last_error"), ("outbox", "last_error"))
# A title shorter than this is too likely to be a common phrase to search payloads for.
_MIN_TITLE = 12


@dataclass(frozen=True)
class Footprint:
    """How much a forget removes (or would remove)."""

    items: int = 0
    aliases: int = 0
    mentions: int = 0
    #: Channels that watch any of the items.
    channels: int = 0
    #: Outbox rows: alerts queued or sent, digests carrying them.
    messages: int = 0
    cached_pages: int = 0
    domain_watches: int = 0


#: What goes in ``IN (...)``, with :func:`_args` as its parameter: the ids travel as one JSON
#: list, so a web site with 100,000 items stays under SQLite's limit on ``?``.
_IDS = "SELECT value FROM json_each(?)"


def _args(item_ids: Sequence[int]) -> list[object]:
    return [json.dumps(sorted(item_ids))]


def _identifiers(db: Database, item_ids: Sequence[int]) -> list[Identifier]:
    if not item_ids:
        return []
    rows = db.execute(
        f"SELECT key FROM identifiers WHERE item_id IN ({_IDS})", _args(item_ids)
    ).fetchall()
    out = []
    for (key,) in rows:
        try:
            out.append(from_key(key))
        except ValueError:
            continue
    return out


class Forms:
    """The text forms naming forgotten things, and how to spot them in free text.

    Long forms (``doi:10.1/x``, a URL) are searched as substrings; short or all-digit ones (a
    PMID's ``12345678``) only as whole words, since they occur inside unrelated numbers.
    """

    def __init__(self, forms: Iterable[str]) -> None:
        every = {f.lower() for f in forms if f}
        self.exact = every
        self.long = sorted((f for f in every if len(f) >= 6 and not f.isdigit()), key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.exact)

    def named_in(self, text: str) -> bool:
        low = text.lower()
        # JSON escapes non-ASCII: look for both spellings.
        return any(f in low or json.dumps(f)[1:-1] in low for f in self.long)

    def is_word(self, word: str) -> bool:
        return word.lower().strip(".,;:!?()[]{}<>\"'`") in self.exact or self.named_in(word)


def needles(db: Database, item_ids: Sequence[int]) -> list[str]:
    """Every text form of the items' identifiers (key, value, display, resolver URL)."""
    forms: set[str] = set()
    for ident in _identifiers(db, item_ids):
        forms.update(f for f in (ident.key, ident.value, display(ident), identifier_url(ident) or "") if f)
    return sorted(forms)


def _titles(db: Database, item_ids: Sequence[int]) -> list[str]:
    if not item_ids:
        return []
    rows = db.execute(f"SELECT title FROM items WHERE id IN ({_IDS})", _args(item_ids)).fetchall()
    return [r[0] for r in rows if r[0] and len(r[0]) >= _MIN_TITLE]


def _on_host(url: str, host: str, port: int | None) -> bool:
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
        return (parts.hostname or "").rstrip(".") == host and (port is None or parts.port == port)
    except ValueError:
        return False


def items_on_host(db: Database, host: str, *, port: int | None = None) -> list[int]:
    """Items with a URL identifier on ``host`` (and ``port``, when given)."""
    rows = db.execute(
        "SELECT value, item_id FROM identifiers WHERE scheme = 'url' AND instr(lower(value), ?) > 0",
        [host.lower()],
    ).fetchall()
    return sorted({int(item_id) for value, item_id in rows if _on_host(value, host.lower(), port)})


def _domain_targets(db: Database, host: str, port: int | None) -> list[str]:
    rows = db.execute("SELECT DISTINCT target FROM domain_watches").fetchall()
    rows += db.execute("SELECT DISTINCT target FROM domain_baselines").fetchall()
    return sorted({t for (t,) in rows if _on_host(t, host.lower(), port)})


def _pages(db: Database, item_ids: Sequence[int], *, host: str | None = None, port: int | None = None) -> list[str]:
    """Cached landing pages that resolved to the items (or lie on ``host``)."""
    keys = [i.key for i in _identifiers(db, item_ids)]
    urls = {i.value for i in _identifiers(db, item_ids) if i.scheme == "url"}
    found: set[str] = set()
    for url, identifiers in db.execute("SELECT url, identifiers FROM resolved_urls").fetchall():
        named = url in urls or any(json.dumps(k) in identifiers for k in keys)
        if named or (host is not None and _on_host(url, host.lower(), port)):
            found.add(url)
    return sorted(found)


def _messages(db: Database, item_ids: Sequence[int], forms: Forms) -> tuple[list[int], dict[int, str | None]]:
    """Outbox rows to delete, and rows to rewrite (id -> new payload, or None to delete)."""
    ids = set(item_ids)
    delete = [
        int(r[0]) for r in db.execute(
            f"SELECT id FROM outbox WHERE item_id IN ({_IDS})", _args(item_ids)
        ).fetchall()
    ] if item_ids else []
    rewrite: dict[int, str | None] = {}
    # Charts are pictures of totals (base64 PNG): no identifier to find, and digits abound.
    rows = db.execute("SELECT id, kind, payload FROM outbox WHERE item_id IS NULL AND kind != 'summary_chart'").fetchall()
    for row_id, kind, text in rows:
        named = forms.named_in(text)
        if not named and not (kind == "digest" and ids):
            continue
        try:
            payload: Any = json.loads(text)
        except ValueError:
            payload = None
        if kind == "digest" and isinstance(payload, dict) and isinstance(payload.get("alerts"), list):
            kept = [
                a for a in payload["alerts"]
                if not (isinstance(a, dict) and (a.get("item_id") in ids or forms.named_in(json.dumps(a))))
            ]
            if len(kept) == len(payload["alerts"]):
                continue
            rewrite[int(row_id)] = json.dumps({**payload, "alerts": kept}) if kept else None
        elif named:
            keep = {k: payload[k] for k in ("start", "end") if isinstance(payload, dict) and k in payload}
            rewrite[int(row_id)] = json.dumps({"text": WITHDRAWN, "withdrawn": True, **keep})
    return delete, rewrite


def _payload_forms(db: Database, item_ids: Sequence[int], extra: Sequence[str] = ()) -> Forms:
    return Forms([*needles(db, item_ids), *_titles(db, item_ids), *extra])


def footprint(db: Database, item_ids: Sequence[int], *, extra_forms: Sequence[str] = ()) -> Footprint:
    """What :func:`forget_items` would remove, without changing anything."""
    delete, rewrite = _messages(db, item_ids, _payload_forms(db, item_ids, extra_forms))
    if not item_ids:
        return Footprint(messages=len(delete) + len(rewrite))
    marks, args = _IDS, _args(item_ids)

    def count(sql: str) -> int:
        return int(db.execute(sql.format(marks=marks), args).fetchone()[0])

    return Footprint(
        items=len(item_ids),
        aliases=count("SELECT count(*) FROM identifiers WHERE item_id IN ({marks})"),
        mentions=count("SELECT count(*) FROM mentions WHERE item_id IN ({marks})"),
        channels=count("SELECT count(DISTINCT channel) FROM watches WHERE item_id IN ({marks})"),
        messages=len(delete) + len(rewrite),
        cached_pages=len(_pages(db, item_ids)),
    )


def _scrub(db: Database, forms: Forms) -> None:
    """Replace every word naming a forgotten identifier in the free-text columns."""
    if not forms:
        return
    for table, column in _TEXT_COLUMNS:
        rows = db.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
        for rowid, text in rows:
            words = re.split(r"(\s+)", text)
            cleaned = "".join(SCRUBBED if w.strip() and forms.is_word(w) else w for w in words)
            if cleaned != text:
                db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", [cleaned, rowid])


def forget_items(db: Database, item_ids: Sequence[int], *, extra_forms: Sequence[str] = ()) -> Footprint:
    """Delete the items and every row that names them; returns what went."""
    item_ids = sorted(set(item_ids))
    found = footprint(db, item_ids, extra_forms=extra_forms)
    delete, rewrite = _messages(db, item_ids, _payload_forms(db, item_ids, extra_forms))
    forms = Forms([*needles(db, item_ids), *extra_forms])
    for row_id in delete:
        db.execute("DELETE FROM outbox WHERE id = ?", [row_id])
    for row_id, payload in rewrite.items():
        if payload is None:
            db.execute("DELETE FROM outbox WHERE id = ?", [row_id])
        else:
            db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [payload, row_id])
    for url in _pages(db, item_ids):
        db.execute("DELETE FROM resolved_urls WHERE url = ?", [url])
    if item_ids:
        marks, args = _IDS, _args(item_ids)
        for table in ("threads", "baselines", "mention_history", "purged_mentions", "counts", "mentions", "watches", "identifiers"):
            db.execute(f"DELETE FROM {table} WHERE item_id IN ({marks})", args)
        db.execute(f"DELETE FROM items WHERE id IN ({marks})", args)
    _scrub(db, forms)
    return found


def domain_footprint(db: Database, host: str, *, port: int | None = None) -> tuple[list[int], Footprint]:
    """The items on ``host`` and what forgetting the web site would remove."""
    item_ids = items_on_host(db, host, port=port)
    found = footprint(db, item_ids, extra_forms=_host_forms(db, host, port))
    n_watches = sum(
        int(db.execute("SELECT count(*) FROM domain_watches WHERE target = ?", [t]).fetchone()[0])
        for t in _domain_targets(db, host, port)
    )
    pages = len(_pages(db, item_ids, host=host, port=port))
    return item_ids, replace(found, domain_watches=n_watches, cached_pages=pages)


def _host_forms(db: Database, host: str, port: int | None) -> list[str]:
    netloc = host.lower() if port is None else f"{host.lower()}:{port}"
    return [netloc, *_domain_targets(db, host, port)]


def forget_domain(db: Database, host: str, *, port: int | None = None) -> Footprint:
    """Delete a web site's domain watches (every channel), its baselines, its cached pages and
    every item with a URL on it."""
    item_ids, found = domain_footprint(db, host, port=port)
    extra = _host_forms(db, host, port)
    for url in _pages(db, item_ids, host=host, port=port):
        db.execute("DELETE FROM resolved_urls WHERE url = ?", [url])
    for target in _domain_targets(db, host, port):
        db.execute("DELETE FROM domain_watches WHERE target = ?", [target])
        db.execute("DELETE FROM domain_baselines WHERE target = ?", [target])
    forget_items(db, item_ids, extra_forms=extra)
    return found
