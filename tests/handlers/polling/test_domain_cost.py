"""A watched web site costs one question per poll, however many of its pages are watched."""

from __future__ import annotations

import httpx

from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.factory import HttpFactory
from sources.wikipedia import Wikipedia
from storage import Store
from storage.watches import watch_domain, watch_item
from tests.fakes.config import sources_config


def test_pages_under_a_watched_site_are_not_asked_one_by_one(fresh_store: Store) -> None:
    asked: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        if request.url.params.get("list") == "exturlusage":
            return httpx.Response(200, json={"query": {"exturlusage": []}})
        return httpx.Response(200, json={"query": {"searchinfo": {"totalhits": 0}, "search": []}})

    config = sources_config(urls={"wikipedia": "https://{lang}.wikipedia.org/w/api.php"}, wikipedia_langs=("en",))
    source = Wikipedia(config, HttpFactory(config, transport=httpx.MockTransport(answer), sleep=lambda _s: None))
    ctx = Context(store=fresh_store, sources=[source])
    with fresh_store.transaction() as db:
        watch_domain(db, "C1", "repo.example.edu/handle")
        for n in range(50):
            watch_item(db, "C1", [Identifier(scheme="url", value=f"https://repo.example.edu/handle/1794/{n}")])
        watch_item(db, "C1", [Identifier(scheme="url", value="https://elsewhere.example.org/paper")])
        watch_item(db, "C1", [Identifier(scheme="doi", value="10.1234/abc")])

    report = run_poll(ctx, source)

    kinds = [u.params.get("list") for u in asked]
    assert kinds.count("exturlusage") == 1  # the whole site in one question
    searched = [u.params.get("srsearch", "") for u in asked if u.params.get("list") == "search"]
    assert len(searched) == 2  # the page outside the site and the DOI, nothing under the site
    assert any("elsewhere.example.org" in s for s in searched) and any("10.1234/abc" in s for s in searched)
    assert not report.failures
