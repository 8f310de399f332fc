"""Badges and details pages for watched, aliased and unknown items, from the store alone:
what a library's visitor sees, what the JSON API answers, and what never leaks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from core.models import Count, Identifier, Mention
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from handlers.web import attention, badge, views
from handlers.web.paths import identifier_from_path, path_of
from storage import counts, items, mentions

DOI = "10.1038/nature12373"


def _watched(ctx: Context, *typed: str, channel: str = "C0LIB") -> int:
    assert dispatch(ctx, "watch " + " ".join(typed), channel=channel).ok
    item_id = items.find_item_id(ctx.store.db, identifier_from_path("doi", DOI))
    assert item_id is not None
    return item_id


@pytest.fixture
def watched(ctx: Context) -> Context:
    """A watched DOI with a Handle alias, three kinds of mention and a citation count."""
    item_id = _watched(ctx, DOI)
    db = ctx.store.db
    with ctx.store.transaction():
        items.add_aliases(db, item_id, [Identifier(scheme="handle", value="2027/abc")])
        items.set_title(db, item_id, "Nanometre-scale <thermometry> & more")
        mentions.add_mentions(db, item_id, [
            Mention(source="feeds", external_id="n1", kind="news", title="A story", url="https://news.example/a",
                    occurred_at=datetime(2026, 10, 3, tzinfo=UTC), author="Reporter"),
            Mention(source="mastodon", external_id="s1", kind="social", title="<img src=x onerror=alert(1)>",
                    url="javascript:alert(1)", api_url="https://mastodon.social/api/v2/search?q=x&access_token=sekrit"),
            Mention(source="mastodon", external_id="s2", kind="social", title="toot", url="https://mastodon.social/@a/2"),
            Mention(source="wikipedia", external_id="w1", kind="wikipedia", title="Thermometry",
                    url="https://en.wikipedia.org/wiki/Thermometry"),
        ])
        counts.record_counts(db, item_id, [Count(source="crossref", metric="citations", value=15,
                                                 api_url="https://api.crossref.org/works/10.1038/nature12373")])
    return ctx


def test_a_badge_names_the_score_and_its_kinds(watched: Context) -> None:
    view = views.badge_view(watched, f"doi/{DOI}.svg")
    assert view.status == 200 and view.media_type == "image/svg+xml"
    name = "Attention score 12: 1 news, 1 Wikipedia, 2 social"  # 8 + 3 + 2 x 0.5
    assert f'aria-label="{name}"' in view.body and f"<title>{name}</title>" in view.body
    assert ">12</text>" in view.body
    colours = set(re.findall(r'stroke="(#[0-9a-f]{6})"', view.body)) - {badge.NEUTRAL}
    assert colours == {badge.COLOURS["news"], badge.COLOURS["social"], badge.COLOURS["wikipedia"]}


# Paths as the server hands them over: percent-decoded.
@pytest.mark.parametrize("path", [f"doi/{DOI.upper()}", "handle/2027/abc", "hdl/2027/abc", f"url/https://doi.org/{DOI}",
                                  f"url/http://dx.doi.org/{DOI}"])
def test_every_alias_and_form_of_a_watched_item_gets_its_badge(watched: Context, path: str) -> None:
    facts = json.loads(views.badge_view(watched, path + ".json").body)
    assert facts["known"] is True and facts["score"] == 12
    assert facts["details"].endswith(f"/items/doi/{DOI}")


@pytest.mark.parametrize("path", ["doi/10.9999/nobody.svg", "doi/not-a-doi.svg", "gopher/x.svg", "doi/.svg", "x.svg"])
def test_an_unknown_or_unreadable_item_gets_a_neutral_badge_not_an_error(ctx: Context, path: str) -> None:
    view = views.badge_view(ctx, path)
    assert view.status == 200 and 'aria-label="Attention score: no attention yet"' in view.body
    assert badge.NEUTRAL in view.body and not any(c in view.body for c in badge.COLOURS.values())


def test_an_item_no_channel_watches_any_more_is_unknown(watched: Context) -> None:
    assert dispatch(watched, f"unwatch {DOI}", channel="C0LIB").ok
    assert json.loads(views.badge_view(watched, f"doi/{DOI}.json").body)["known"] is False
    assert views.item_view(watched, f"doi/{DOI}").status == 404


@pytest.mark.parametrize("style", ["donut", "bar", "number", "nonsense"])
def test_every_style_carries_the_score_and_its_accessible_name(watched: Context, style: str) -> None:
    body = views.badge_view(watched, f"doi/{DOI}.svg", style=style).body
    assert body.startswith("<svg") and 'role="img"' in body and "Attention score 12" in body
    assert ">12</text>" in body


def test_the_details_page_shows_the_facts_escaped(watched: Context) -> None:
    view = views.item_view(watched, f"doi/{DOI}", base="https://attention.example.edu")
    html = view.body
    assert view.status == 200 and view.media_type.startswith("text/html")
    assert "Nanometre-scale &lt;thermometry&gt; &amp; more" in html  # a title from outside, escaped
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html  # a feed's link that is no web address is not a link
    assert 'href="https://news.example/a"' in html and "2026-10-03" in html
    assert "handle:2027/abc" in html and "https://doi.org/10.1038/nature12373" in html
    assert "Crossref" not in html or "crossref" in html  # a count is named by its source
    assert ">15<" in html and "api.crossref.org/works" in html  # where the number came from
    assert "access_token" not in html and "sekrit" not in html
    assert "C0LIB" not in html  # nothing about who watches it
    assert "Reporter" not in html  # no authors unless ATTENTION_STORE_AUTHORS
    assert '<script src="https://attention.example.edu/embed.js" async></script>' in html.replace("&lt;", "<").replace(
        "&gt;", ">").replace("&#34;", '"')
    assert "<script" not in html  # the page runs no script (its CSP allows none)
    assert re.search(r'<rect[^>]+height="[1-9]', html), "the chart has a bar for the mentions"


def test_authors_show_only_when_they_are_stored(watched: Context) -> None:
    item_id = items.find_item_id(watched.store.db, identifier_from_path("doi", DOI))
    with watched.store.transaction() as db:
        mentions.add_mentions(db, item_id or 0, [Mention(source="bluesky", external_id="b1", kind="social",
                                                         title="post", author="@writer.example")], store_authors=True)
    assert "writer.example" not in views.item_view(watched, f"doi/{DOI}").body
    watched.options = Options(store_authors=True)
    assert "by @writer.example" in views.item_view(watched, f"doi/{DOI}").body


def test_the_json_api_answers_the_same_facts(watched: Context) -> None:
    for path, fmt in ((f"doi/{DOI}.json", None), ("hdl/2027/abc", "json")):
        data = json.loads(views.item_view(watched, path, fmt=fmt, base="https://a.example").body)
        assert data["score"] == 12 and data["kinds"] == {"news": 1, "social": 2, "wikipedia": 1}
        assert data["title"] == "Nanometre-scale <thermometry> & more"
        assert data["counts"][0]["value"] == 15 and data["mentions_total"] == 4
        assert data["counts"][0]["api_url"] == "https://api.crossref.org/works/10.1038/nature12373"
        assert data["links"]["badge"] == f"https://a.example/badge/doi/{DOI}.svg"
        assert all("author" not in m for m in data["mentions"])
        assert "C0LIB" not in json.dumps(data)


def test_a_doi_that_ends_in_json_has_its_page_and_its_json(ctx: Context) -> None:
    dispatch(ctx, "watch 10.5061/dryad.x.json", channel="C0LIB")
    page = views.item_view(ctx, "doi/10.5061/dryad.x.json")
    assert page.status == 200 and page.media_type.startswith("text/html")
    data = views.item_view(ctx, "doi/10.5061/dryad.x.json", fmt="json")
    assert json.loads(data.body)["identifiers"][0]["shown"] == "10.5061/dryad.x.json"


def test_an_unknown_item_page_says_so_and_how_to_ask(ctx: Context) -> None:
    missing = views.item_view(ctx, "doi/10.9999/nobody")
    assert missing.status == 404 and "Nothing is tracked here for 10.9999/nobody" in missing.body
    wrong = views.item_view(ctx, "gopher/x")
    assert wrong.status == 404 and "/items/doi/10.1038/nature12373" in wrong.body
    assert json.loads(views.item_view(ctx, "doi/10.9999/nobody", fmt="json").body)["error"]


@pytest.mark.parametrize(
    ("ident", "path"),
    [(Identifier(scheme="doi", value="10.1000/a#b;c"), "doi/10.1000/a%23b%3Bc"),
     (Identifier(scheme="ark", value="13030/tf5p30086k"), "ark/13030/tf5p30086k"),
     (Identifier(scheme="url", value="https://repo.example.edu/item/1?x=2"),
      "url/https%3A%2F%2Frepo.example.edu%2Fitem%2F1%3Fx%3D2")],
)
def test_paths_name_identifiers_both_ways(ident: Identifier, path: str) -> None:
    from urllib.parse import unquote

    assert path_of(ident) == path
    scheme, _, value = unquote(path).partition("/")
    assert identifier_from_path(scheme, value) == ident


def test_a_score_shows_whole_from_ten_and_with_one_decimal_below() -> None:
    assert [attention.shown(s) for s in (0, 0.5, 7.25, 12.4, 130.6)] == ["0", "0.5", "7.2", "12", "131"]
