"""Wikimedia's EventStreams: every external link added to any wiki page, as server-sent events.

``mediawiki.page-links-change`` sends one event per edit that changed a page's links, with
``meta.domain`` (``en.wikipedia.org``), ``page_title``, ``page_id``, ``page_namespace`` and
``added_links`` / ``removed_links`` (lists of ``{link, external}``). An added external link is
a candidate mention; removed links are not. Each event has an SSE ``id`` (Kafka positions):
reconnecting with ``Last-Event-ID`` resumes after it. Read through the source's httpx client
(httpx-sse), so the User-Agent Wikimedia asks for, timeouts and the tests' network guard apply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, cast

import httpx
from httpx_sse import EventSource, SSEError

from core.config import StrList, setting
from sources.base import from_iso
from sources.config import SourceSettings
from sources.errors import BadResponse, SourceUnavailable
from sources.streaming import Post, StreamEvent, StreamSource
from sources.wikipedia import article_url

log = logging.getLogger(__name__)

DEFAULT_URL = "https://stream.wikimedia.org/v2/stream/mediawiki.page-links-change"
WIKIPEDIA = ".wikipedia.org"
#: Seconds without a byte before the connection counts as dead (edits arrive every second).
READ_TIMEOUT = 60.0
#: The longest line of an event read (an edit adding thousands of links is a few hundred KB).
MAX_LINE = 2_000_000


def wiki_counts(domain: str, wikis: tuple[str, ...]) -> bool:
    """Whether a link change on ``domain`` counts: any Wikipedia, or those of ``wikis``
    (``en`` or ``en.wikipedia.org``) when it lists some."""
    if not domain.endswith(WIKIPEDIA):
        return False
    return not wikis or domain in wikis or domain.removesuffix(WIKIPEDIA) in wikis


def _external(added: Any) -> tuple[str, ...]:
    if not isinstance(added, list):
        return ()
    return tuple(
        a["link"]
        for a in added
        if isinstance(a, dict)
        and a.get("external")
        and isinstance(a.get("link"), str)
        and a["link"]
    )


def parse_links_change(data: Any, *, position: str, wikis: tuple[str, ...] = ()) -> StreamEvent:
    """One page-links-change event: the page and the external links the edit added, when it
    is an article on a counted Wikipedia; otherwise only the position."""
    if not isinstance(data, dict):
        return StreamEvent(position=position)
    meta = data.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    stamp = meta.get("dt") if isinstance(meta.get("dt"), str) else None
    event = StreamEvent(position=position, at=_epoch(stamp))
    domain = str(meta.get("domain") or "").lower()
    title = data.get("page_title")
    if not wiki_counts(domain, wikis) or not isinstance(title, str) or not title:
        return event
    if data.get("page_namespace", 0) != 0:
        return event  # talk and user pages: polls count articles only
    links = _external(data.get("added_links"))
    if not links:
        return event
    lang = domain.removesuffix(WIKIPEDIA)
    name = title.replace("_", " ")
    page = data.get("page_id") or name
    post = Post(
        id=f"{lang}:{page}",
        url=article_url(f"https://{domain}/w/api.php", name),
        links=links,
        title=f"{name} ({lang}.wikipedia)",
        created=stamp,
    )
    return StreamEvent(position=position, at=event.at, post=post)


def _epoch(stamp: str | None) -> float | None:
    moment = from_iso(stamp)
    return moment.timestamp() if moment else None


class _Bounded:
    """The response as EventSource reads it (its headers and text), refusing a line longer than
    MAX_LINE: a server that never ends a line must not fill the memory."""

    def __init__(self, response: httpx.Response) -> None:
        self.headers = response.headers
        self._response = response

    def iter_text(self) -> Iterator[str]:
        run = 0
        for text in self._response.iter_text():
            cut = max(text.rfind("\n"), text.rfind("\r"))
            run = len(text) - cut - 1 if cut >= 0 else run + len(text)
            if run > MAX_LINE:
                raise BadResponse(
                    f"sent a line longer than {MAX_LINE:,} characters", source="wikimedia_stream"
                )
            yield text


class _Events:
    """One open EventStreams connection."""

    def __init__(
        self, response: httpx.Response, *, position: str | None, wikis: tuple[str, ...]
    ) -> None:
        self._response = response
        self._position = position or ""
        self._wikis = wikis

    def __iter__(self) -> Iterator[StreamEvent]:
        try:
            for sse in EventSource(cast(httpx.Response, _Bounded(self._response))).iter_sse():
                if sse.id:
                    self._position = sse.id
                if not sse.data.strip():
                    continue  # a heartbeat
                try:
                    data = json.loads(sse.data)
                except (ValueError, RecursionError):
                    log.debug("wikimedia_stream: an event that is not JSON was skipped")
                    continue
                yield parse_links_change(data, position=self._position, wikis=self._wikis)
        except SSEError as exc:
            raise BadResponse(
                f"did not answer with server-sent events ({exc})", source="wikimedia_stream"
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(
                f"connection failed ({type(exc).__name__}: {exc})", source="wikimedia_stream"
            ) from exc
        finally:
            self._response.close()

    def close(self) -> None:
        self._response.close()


class WikimediaStream(StreamSource):
    name = "wikimedia_stream"
    label = "Wikipedia stream (EventStreams)"
    source = "wikipedia"
    kind = "wikipedia"

    class Settings(SourceSettings):
        url: str = setting(
            DEFAULT_URL, "Wikimedia EventStreams address of `mediawiki.page-links-change`."
        )
        wikis: StrList = setting(
            (),
            "Wikipedias whose new links the stream counts (e.g. `en,de`); empty: every one.",
            env="ATTENTION_STREAM_WIKIS",
        )

    def connect(self, position: str | None) -> _Events:
        headers = {"Accept": "text/event-stream"}
        if position:
            headers["Last-Event-ID"] = position
        response = self.http.client(self).open_stream(
            self.base_url(), headers=headers, read_timeout=READ_TIMEOUT
        )
        wikis = tuple(w.strip().lower() for w in self.settings.wikis)
        return _Events(response, position=position, wikis=wikis)
