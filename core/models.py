"""Frozen models that cross layers: what a source found, what the store keeps, what a user sees."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

#: Kinds of attention a mention can be, used by scoring and by per-channel filters.
MENTION_KINDS = ("news", "blog", "policy", "wikipedia", "social", "forum", "citation", "other")


class Identifier(BaseModel):
    """One normalised persistent identifier, e.g. scheme="doi", value="10.1038/nature12373"."""

    model_config = ConfigDict(frozen=True)

    scheme: str
    value: str

    @property
    def key(self) -> str:
        """Stable text form used as the store's key: ``doi:10.1038/nature12373``."""
        return f"{self.scheme}:{self.value}"

    def __str__(self) -> str:
        return self.key


class Item(BaseModel):
    """A thing a library published. It may carry several identifiers (aliases of one item)."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str | None = None
    identifiers: tuple[Identifier, ...] = ()

    @property
    def primary(self) -> Identifier | None:
        return self.identifiers[0] if self.identifiers else None

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return self.primary.key if self.primary else f"item {self.id}"


class Mention(BaseModel):
    """A post, page or work that mentions, links or cites an item, with where it came from."""

    model_config = ConfigDict(frozen=True)

    source: str
    external_id: str
    url: str | None = None
    title: str | None = None
    #: Where on the source it appeared (a wiki, ``en.wikipedia``; a feed's name): shown beside
    #: the title, kept apart from it so the title is the post's own.
    site: str | None = None
    occurred_at: datetime | None = None
    api_url: str | None = None
    kind: str = "other"
    #: The identifier (or URL) in the mention that ties it to an item.
    identifier: Identifier | None = None
    #: Who wrote it (a handle or name). Stored only when ATTENTION_STORE_AUTHORS=true, and never
    #: folded into ``title`` or ``url`` by a source, so not storing it leaves no trace of it.
    author: str | None = None


def titled(title: str | None, site: str | None) -> str | None:
    """``Salt marsh (en.wikipedia)``: a mention's title as people read it, with where it was."""
    if title and site:
        return f"{title} ({site})"
    return title or site


def opaque_id(text: str) -> str:
    """A stable id that does not show ``text``: for a source's post ids that name their author
    (a Mastodon status URI is ``https://server/users/<name>/statuses/<n>``)."""
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:32]


class Count(BaseModel):
    """A number a source reports for an item at one moment (citations, score, views...)."""

    model_config = ConfigDict(frozen=True)

    source: str
    metric: str
    value: float
    identifier: Identifier | None = None
    api_url: str | None = None
    observed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class SourceResult(BaseModel):
    """What one source answered for one question (an identifier or a domain)."""

    model_config = ConfigDict(frozen=True)

    source: str
    mentions: tuple[Mention, ...] = ()
    counts: tuple[Count, ...] = ()
    #: A page for people to see the source's own view of the item (e.g. Altmetric's details page).
    details_url: str | None = None


class ListedWork(BaseModel):
    """One work in a registry's list: its DOI (lower case), title and the counts the list gave."""

    model_config = ConfigDict(frozen=True)

    doi: str
    title: str | None = None
    counts: tuple[Count, ...] = ()


class WorkPage(BaseModel):
    """One page of a registry's list of works (a set's, or of DOIs asked together)."""

    model_config = ConfigDict(frozen=True)

    works: tuple[ListedWork, ...] = ()
    #: Records the page held that name no DOI, said how (they are skipped, never counted).
    skipped: tuple[str, ...] = ()
    #: Where the next page starts; None when this was the last one.
    next_cursor: str | None = None
    #: How many works the whole list holds, when the registry says.
    total: int | None = None
