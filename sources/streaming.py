"""What a stream is: a source that pushes every new post or link change as it happens, read
over one long connection instead of asked item by item.

A stream declares itself like a polled source (``name``, ``label``, a ``Settings`` class whose
fields become ``ATTENTION_<NAME>_<FIELD>``), plus the polled source it stands in for
(``source``: its mentions carry that source's name, so a post found by both is one mention).
``connect(position)`` opens the connection from a stored position; iterating it gives
:class:`StreamEvent` objects, each with the position to resume after it and, when it may name
an item, a :class:`Post`: pure data, parsed by the stream module's own functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from sources.base import Source, from_iso


@dataclass(slots=True)
class Post:
    """What in one event may name an item: its links and text, and what a mention keeps."""

    #: The mention's id before ``:<identifier key>``: the same as the polled source's, so a
    #: post found by a search and by the stream is stored once.
    id: str
    #: The public address of the post or page.
    url: str
    links: tuple[str, ...] = ()
    text: str | None = None
    #: A title (a wiki page's); posts are titled by their text's first words when stored.
    title: str | None = None
    #: When it was written, as the stream says it (ISO 8601).
    created: str | None = None

    @property
    def occurred_at(self) -> datetime | None:
        return from_iso(self.created)


@dataclass(slots=True)
class StreamEvent:
    """One event read: where to resume after it, when it happened, and what it carries."""

    position: str
    #: When the stream's server took the event (Unix seconds), for how far behind we are.
    at: float | None = None
    #: None for events that cannot name an item (deletes, likes, removed links, other wikis).
    post: Post | None = None


class Connection(Protocol):
    """An open stream: iterate it for events until the server ends it; ``close`` (from any
    thread) stops it. Iterating raises a SourceError when the connection fails."""

    def __iter__(self) -> Iterator[StreamEvent]: ...

    def close(self) -> None: ...


class StreamSource(Source):
    """Base of the streams (``sources.STREAMS``). Not polled and never asked by `lookup`."""

    #: The polled source it stands in for, and whose name (and kind) its mentions carry.
    source: ClassVar[str]

    def configured(self) -> bool:
        return self.source in self.config.streams and self.source not in self.config.disabled

    def not_ready(self) -> str | None:
        if self.source in self.config.disabled:
            return f"switched off ({self.source} is in ATTENTION_DISABLED_SOURCES)"
        if self.source not in self.config.streams:
            return f"switched off (add {self.source} to ATTENTION_STREAMS)"
        return None

    def address(self) -> str:
        """The stream's address, kept with each mention as where it came from."""
        return self.base_url()

    def resume_position(self, stored: str | None) -> str | None:
        """Where to reconnect from, given the position stored with what was last matched."""
        return stored

    def connect(self, position: str | None) -> Connection:
        """Open the stream from ``position`` (None: from now). Raises a SourceError."""
        raise NotImplementedError
