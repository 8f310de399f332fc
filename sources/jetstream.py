"""Bluesky's Jetstream: every new public post, as JSON over a WebSocket, no key needed.

The bot subscribes to ``wantedCollections=app.bsky.feed.post``. Each message is one event with
``did``, ``time_us`` and ``kind``; a post is a ``commit`` whose ``operation`` is ``create``,
carrying the record (text, link facets, external embed). ``time_us`` is the resume position:
Jetstream's cursors are times, the same on every instance, so a reconnect (to the same or the
next address in ``ATTENTION_JETSTREAM_URL``) asks for ``cursor=<time_us>`` a few seconds
earlier, and events seen twice are stored once (mentions are unique by source and post).

Compression: websockets offers permessage-deflate, which Jetstream negotiates; its own zstd
mode (``compress=true``) needs a dictionary file and is not used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.config import StrList, setting
from sources.bluesky import record_links
from sources.config import SourceSettings
from sources.errors import SourceUnavailable
from sources.streaming import Post, StreamEvent, StreamSource

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

log = logging.getLogger(__name__)

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
POST = "app.bsky.feed.post"
#: A reconnect starts this much before the stored position: Jetstream's own advice for gapless
#: replay across instances (what is read twice is stored once).
REWIND_US = 5_000_000
#: The largest message read; a post is a few kilobytes.
MAX_MESSAGE = 1_000_000


def subscribe_url(base: str, cursor: str | None) -> str:
    """``base`` asking for posts only, from ``cursor`` (Unix microseconds) when given."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("wantedCollections", "cursor")]
    query.append(("wantedCollections", POST))
    if cursor:
        query.append(("cursor", cursor))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _links(record: dict[str, Any]) -> tuple[str, ...]:
    try:
        return tuple(link for link in record_links(record) if isinstance(link, str) and link)
    except (AttributeError, TypeError):  # facets or embed in a shape the lexicon does not have
        return ()


def parse_event(data: Any) -> StreamEvent | None:
    """One Jetstream event: its position, time and, for a new post, the post; None when it is
    not an event at all (no ``time_us``)."""
    if not isinstance(data, dict):
        return None
    time_us = data.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool):
        return None
    event = StreamEvent(position=str(time_us), at=time_us / 1_000_000)  # made once: 20,000 a second
    commit = data.get("commit")
    if data.get("kind") != "commit" or not isinstance(commit, dict):
        return event
    if commit.get("operation") != "create" or commit.get("collection") != POST:
        return event  # an edit or delete is not new attention
    record, did, rkey = commit.get("record"), data.get("did"), commit.get("rkey")
    if not isinstance(record, dict) or not isinstance(did, str) or not isinstance(rkey, str):
        return event
    text = record.get("text")
    created = record.get("createdAt")
    event.post = Post(
        id=f"at://{did}/{POST}/{rkey}",
        # The DID, not the handle (which the event does not carry): see README "Privacy".
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        links=_links(record),
        text=text if isinstance(text, str) else None,
        created=created if isinstance(created, str) else None,
    )
    return event


def parse_message(message: str | bytes) -> StreamEvent | None:
    """A WebSocket message as an event; None for one that is not JSON or not an event."""
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError, RecursionError):
        log.debug("jetstream: a message that is not JSON was skipped")
        return None
    return parse_event(data)


class _Socket:
    """One open Jetstream connection."""

    def __init__(self, ws: ClientConnection, host: str) -> None:
        self._ws = ws
        self.host = host

    def __iter__(self) -> Iterator[StreamEvent]:
        from websockets.exceptions import ConnectionClosedError, WebSocketException

        try:
            for message in self._ws:
                event = parse_message(message)
                if event is not None:
                    yield event
        except ConnectionClosedError as exc:
            raise SourceUnavailable(
                f"{self.host} dropped the connection ({exc})", source="jetstream"
            ) from exc
        except (OSError, WebSocketException) as exc:
            raise SourceUnavailable(
                f"{self.host} failed ({type(exc).__name__}: {exc})", source="jetstream"
            ) from exc

    def close(self) -> None:
        self._ws.close()


class Jetstream(StreamSource):
    name = "jetstream"
    label = "Bluesky stream (Jetstream)"
    source = "bluesky"
    kind = "social"

    class Settings(SourceSettings):
        url: StrList = setting(
            (DEFAULT_URL,),
            "Jetstream WebSocket address; several, comma-separated, are tried in order.",
        )

    def urls(self) -> list[str]:
        return [u for u in self.settings.url if u] or [DEFAULT_URL]

    def address(self) -> str:
        return self.urls()[0]

    def resume_position(self, stored: str | None) -> str | None:
        if not stored or not stored.isdigit():
            return None
        return str(max(0, int(stored) - REWIND_US))

    def connect(self, position: str | None) -> _Socket:
        # Imported here: only a process that reads the stream loads websockets.
        from websockets.exceptions import InvalidStatus, WebSocketException
        from websockets.sync.client import connect as ws_connect

        problems = []
        for base in self.urls():
            host = urlsplit(base).netloc or base
            try:
                ws = ws_connect(
                    subscribe_url(base, position),
                    open_timeout=self.config.timeout,
                    close_timeout=2,
                    user_agent_header=self.config.user_agent,
                    max_size=MAX_MESSAGE,
                )
            except InvalidStatus as exc:
                problems.append(f"{host} answered HTTP {exc.response.status_code}")
            except (OSError, TimeoutError, WebSocketException) as exc:
                problems.append(f"{host}: {type(exc).__name__}: {exc}")
            else:
                # Entered like ``with connect(...)``, which websockets asks of callers; the
                # socket closes it (``close``) when the stream stops.
                return _Socket(ws.__enter__(), host)
        raise SourceUnavailable("could not connect: " + "; ".join(problems), source=self.name)
