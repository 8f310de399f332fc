"""Authors are not stored by default: a recorded post, parsed, polled, stored and alerted about,
leaves its author's handle or name in no column of any table, in no title and in no log line.
With ATTENTION_STORE_AUTHORS=true the author column holds it and alerts say "by ...".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from core.identifiers import parse_identifier
from core.models import Identifier, Mention, SourceResult
from handlers.alerts.render import alert_text
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import run_poll
from sources import bluesky, hackernews, mastodon, reddit
from sources.base import Source
from sources.config import SourcesConfig
from sources.factory import HttpFactory
from storage import watches
from tests import paths

OWN = paths.DATA


class RecordedSource(Source):
    """Answers every question with one recorded response, through the source's own parser."""

    schemes: ClassVar[frozenset[str]] = frozenset({"doi", "handle", "arxiv", "url"})
    kind = "social"

    def __init__(self, name: str, parse: Callable[[Identifier], list[Mention]]) -> None:
        config = SourcesConfig()
        super().__init__(config, HttpFactory(config))
        self.name = name  # type: ignore[misc]
        self.label = name.title()  # type: ignore[misc]
        self._parse = parse

    def lookup(self, identifier: Identifier) -> SourceResult:
        return SourceResult(source=self.name, mentions=tuple(self._parse(identifier)))


@dataclass(frozen=True)
class Case:
    source: str
    item: str
    #: How the author appears in the answer (a handle, or a name), each searched for.
    authors: tuple[str, ...]
    #: What Mention.author holds for one of the posts.
    stored: str
    load: Callable[[Path], Any]
    parse: Callable[..., list[Mention]]


def _mastodon(fixtures: Path) -> Any:
    cassette = yaml.safe_load((fixtures / "mastodon/v2-search-mastodon-social-mastodonpy.vcr.yaml").read_text())
    search = next(i for i in cassette["interactions"] if "/api/v2/search" in i["request"]["uri"])
    return json.loads(search["response"]["body"]["string"])


def _hn_story(fixtures: Path) -> Any:
    recorded = json.loads((fixtures / "hackernews/algolia-v1-search-recorded-node-hacker-news-api.json").read_text())
    return next(r["reply"] for r in recorded if r["url"] == "/api/v1/search_by_date?hitsPerPage=1&tags=(story)")


CASES = [
    Case("mastodon", "https://www.youtube.com/watch?v=MWCSw_cNxKc", ("greg@icosahedron.website", "@greg@"),
         "@greg@icosahedron.website", _mastodon, mastodon.parse_search),
    Case("bluesky",
         "https://missionlocal.org/2023/12/redistricting-reform-elections-commission-report-supervisors/",
         ("lwvsf",), "@lwvsf.bsky.social",
         lambda f: json.loads((f / "bluesky/searchPosts-redistricting-bskyr.json").read_text()),
         bluesky.parse_search_posts),
    Case("reddit", "10.1371/journal.pbio.1001555", ("jjberg2", "YetAnotherBadAlias"), "u/jjberg2",
         lambda f: json.loads((f / "reddit/search-listing-lagotto.json").read_text()),
         reddit.parse_listing),
    Case("hackernews", "http://in.reuters.com/article/2014/06/19/apple-google-settlement-idINL2N0P01ZI20140619",
         ("bradleyjg",), "bradleyjg", _hn_story, hackernews.parse_search),
    # A comment (our own recording: the recorded comments link nothing): "Comment by dave" was its title.
    Case("hackernews", "10.1371/journal.pone.0000030", ("dave", "alice"), "dave",
         lambda f: json.loads((OWN / "hackernews/search-fuzzy-mix.json").read_text()),
         hackernews.parse_search),
]


def dump(ctx: Context) -> dict[str, str]:
    """Every cell of every table, as text, per table.column."""
    db = ctx.store.db
    out: dict[str, str] = {}
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    for table in tables:
        cur = db.execute(f"SELECT * FROM [{table}]")
        columns = [d[0] for d in cur.description]
        for row in cur.fetchall():
            for column, value in zip(columns, row, strict=True):
                key = f"{table}.{column}"
                out[key] = out.get(key, "") + "\n" + ("" if value is None else str(value))
    return out


def poll(ctx: Context, case: Case, fixtures: Path, *, store_authors: bool) -> None:
    data = case.load(fixtures)
    source = RecordedSource(case.source, lambda ident: case.parse(data, identifier=ident, api_url="https://api.test/q"))
    ctx.sources = [source]
    # Alerts on the first poll too, so the outbox payloads are checked as well.
    ctx.options = Options(**{"store_authors": store_authors, "alert_on_first_poll": True})
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [parse_identifier(case.item)])
    report = run_poll(ctx, source)
    assert report.new_mentions >= 1 and report.alerts == 1


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.source}-{c.authors[0]}")
def test_by_default_no_author_is_written_anywhere_nor_logged(
    ctx: Context, fixtures_dir: Path, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    # The recorded answer does name the author: the parser sees it and keeps it apart.
    found = case.parse(case.load(fixtures_dir), identifier=parse_identifier(case.item))
    assert case.stored in {m.author for m in found}
    assert all(a not in (m.title or "") for m in found for a in case.authors)

    with caplog.at_level(logging.DEBUG):
        poll(ctx, case, fixtures_dir, store_authors=False)
    cells = dump(ctx)
    text = "\n".join(cells.values())
    assert cells["mentions.title"].strip() and cells["outbox.payload"].strip()
    assert cells["mentions.author"].strip() == ""
    if case.source == "mastodon":
        # A Mastodon post's URL names its account (https://server/@name/id) and is the only way
        # to open it: the URL is kept (in mentions.url and the alert linking to it), nothing else.
        urls = [u for u in cells["mentions.url"].split("\n") if u]
        assert urls and all("/@greg/" in u for u in urls)
        for url in urls:
            text = text.replace(url, "")
    for author in case.authors:
        assert author.lower() not in text.lower(), [k for k, v in cells.items() if author.lower() in v.lower()]
        assert author.lower() not in caplog.text.lower()
    assert "poll " + case.source in caplog.text  # the poll did log, without naming anyone


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.source}-{c.authors[0]}")
def test_with_store_authors_the_author_column_holds_it_and_alerts_say_by(
    ctx: Context, fixtures_dir: Path, case: Case
) -> None:
    poll(ctx, case, fixtures_dir, store_authors=True)
    authors = {r[0] for r in ctx.store.db.execute("SELECT author FROM mentions").fetchall()}
    assert case.stored in authors
    (payload,) = [json.loads(r[0]) for r in ctx.store.db.execute("SELECT payload FROM outbox").fetchall()]
    assert f"by {case.stored}" in alert_text(payload)
    # Titles still never carry it.
    titles = [r[0] or "" for r in ctx.store.db.execute("SELECT title FROM mentions").fetchall()]
    assert all(case.authors[0] not in t for t in titles)


def test_an_alert_without_stored_authors_says_nobody(ctx: Context, fixtures_dir: Path) -> None:
    poll(ctx, CASES[4], fixtures_dir, store_authors=False)
    (payload,) = [json.loads(r[0]) for r in ctx.store.db.execute("SELECT payload FROM outbox").fetchall()]
    text = alert_text(payload)
    assert "Comment on “Ten simple rules for open science”" in text and " by " not in text


def test_switching_store_authors_off_forgets_the_authors_at_the_next_housekeeping(
    ctx: Context, fixtures_dir: Path
) -> None:
    from handlers.polling.housekeeping import run_housekeeping

    case = CASES[2]  # reddit: u/jjberg2
    poll(ctx, case, fixtures_dir, store_authors=True)
    assert case.stored in dump(ctx)["mentions.author"] and case.stored in dump(ctx)["outbox.payload"]
    # The operator sets ATTENTION_STORE_AUTHORS=false again; the daily job runs.
    ctx.options = Options(**{"store_authors": False})
    text = run_housekeeping(ctx)
    assert "author" in text and "forgotten" in text
    cells = dump(ctx)
    assert all(case.authors[0].lower() not in v.lower() for v in cells.values())
    # The alert still reads well, without a "by".
    (payload,) = [json.loads(r[0]) for r in ctx.store.db.execute("SELECT payload FROM outbox").fetchall()]
    assert payload["mentions"] and " by " not in alert_text(payload)
    assert "author" not in run_housekeeping(ctx)  # nothing left to forget


def test_housekeeping_keeps_authors_while_store_authors_is_on(ctx: Context, fixtures_dir: Path) -> None:
    from handlers.polling.housekeeping import run_housekeeping

    case = CASES[2]
    poll(ctx, case, fixtures_dir, store_authors=True)
    run_housekeeping(ctx)  # ctx.options still says store_authors=True
    assert case.stored in dump(ctx)["mentions.author"]
