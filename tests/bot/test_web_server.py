"""The web face as a browser, a library's page and Prometheus reach it over HTTP: headers that let
another site embed it, caching, the switch that turns it off, /metrics, `attention-bot serve`,
and link unfurls through the fake Slack."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from bot.server import WebServer, build_app
from core.models import Count, Mention
from handlers.context import Context
from handlers.options import Options
from handlers.router import dispatch
from handlers.web.paths import identifier_from_path
from storage import counts, items, mentions
from tests.bot.test_cli import cli_env
from tests.bot.test_slack_http import Running, serving, slack_settings
from tests.bot.test_slack_run import free_port, healthy
from tests.fakes.http import wait_for
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

DOI = "10.1038/nature12373"


def _watch(ctx: Context) -> None:
    assert dispatch(ctx, f"watch {DOI}", channel="C0LIB").ok
    item_id = items.find_item_id(ctx.store.db, identifier_from_path("doi", DOI)) or 0
    with ctx.store.transaction() as db:
        mentions.add_mentions(db, item_id, [Mention(source="feeds", external_id="1", kind="news", url="https://n.example/1")])
        counts.record_counts(db, item_id, [Count(source="crossref", metric="citations", value=3)])


@pytest.fixture
def site(ctx: Context) -> Iterator[str]:
    _watch(ctx)
    server = WebServer(build_app(ctx), host="127.0.0.1", port=0)
    port = server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_a_badge_may_be_embedded_anywhere_and_is_cached(site: str) -> None:
    with httpx.Client(base_url=site, timeout=5) as web:
        resp = web.get(f"/badge/doi/{DOI}.svg?style=bar")
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/svg+xml"
        assert resp.headers["access-control-allow-origin"] == "*"
        assert resp.headers["cross-origin-resource-policy"] == "cross-origin"
        assert "max-age" in resp.headers["cache-control"] and "Attention score 8: 1 news" in resp.text
        again = web.get(f"/badge/doi/{DOI}.svg?style=bar", headers={"If-None-Match": resp.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        other = web.get(f"/badge/doi/{DOI}.svg?style=number", headers={"If-None-Match": resp.headers["etag"]})
        assert other.status_code == 200  # another style is another badge
        assert web.get("/badge/doi/10.9999/none.svg").status_code == 200


def test_the_details_page_has_a_csp_and_may_be_framed(site: str) -> None:
    resp = httpx.get(f"{site}/items/doi/{DOI}", timeout=5)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors *" in csp
    assert "x-frame-options" not in resp.headers and resp.headers["x-content-type-options"] == "nosniff"
    assert f'{site}/embed.js' in resp.text  # the snippet names the address the page was reached at
    css = httpx.get(f"{site}/assets/page.css", timeout=5)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("path", [f"/items/doi/{DOI}.json", f"/items/doi/{DOI}?format=json",
                                  f"/items/url/{quote('https://doi.org/' + DOI, safe='')}?format=json"])
def test_the_json_api_is_open_to_other_sites(site: str, path: str) -> None:
    resp = httpx.get(site + path, timeout=5)
    assert resp.status_code == 200 and resp.headers["access-control-allow-origin"] == "*"
    assert resp.json()["score"] == 8 and resp.json()["counts"][0]["value"] == 3


def test_embed_js_is_served_to_any_site(site: str) -> None:
    resp = httpx.get(f"{site}/embed.js", timeout=5)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/javascript")
    assert resp.headers["access-control-allow-origin"] == "*" and "data-attention-id" in resp.text


def test_pages_can_be_switched_off(ctx: Context) -> None:
    _watch(ctx)
    ctx.options = Options(public_pages=False)
    server = WebServer(build_app(ctx), host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{server.start()}"
    try:
        for path in (f"/badge/doi/{DOI}.svg", f"/items/doi/{DOI}", "/embed.js"):
            assert httpx.get(url + path, timeout=5).status_code == 404
        assert httpx.get(url + "/healthz", timeout=5).text == "ok"
        assert httpx.get(url + "/metrics", timeout=5).status_code == 200
    finally:
        server.stop()


def test_metrics_count_polls_outbox_and_stream_lag(ctx: Context, site: str) -> None:
    from storage import outbox, polls

    with ctx.store.transaction() as db:
        for error in (None, "timed out"):
            polls.finish_poll(db, polls.start_poll(db, "crossref"), items=1, new_mentions=0, error=error)
        outbox.enqueue(db, key="k1", channel="C0LIB", kind="alert", payload={})
    ctx.gauges.set_stream_lag("bluesky", 2.5)
    text = httpx.get(site + "/metrics", timeout=5).text
    assert 'attention_polls_total{source="crossref"} 2.0' in text
    assert 'attention_poll_failures_total{source="crossref"} 1.0' in text
    assert 'attention_outbox_depth{status="pending"} 1.0' in text
    assert 'attention_alerts_sent_total{kind="alert"} 0.0' in text
    assert 'attention_stream_lag_seconds{stream="bluesky"} 2.5' in text
    assert "C0LIB" not in text


def test_serve_runs_the_pages_without_slack_and_stops_on_sigterm(ctx: Context, tmp_path: Path) -> None:
    _watch(ctx)
    ctx.store.close()
    port = free_port()
    env = cli_env(tmp_path, ATTENTION_DB=str(tmp_path / "attention.db"))
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--host", "127.0.0.1"],
                            env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: healthy(url) or proc.poll() is not None, timeout=60), "serve did not start"
        assert proc.poll() is None, proc.communicate()[1]
        assert httpx.get(f"{url}/badge/doi/{DOI}.json", timeout=5).json()["score"] == 8
        assert httpx.post(f"{url}/slack/events", timeout=5).status_code == 404  # no Slack here
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "Traceback" not in err


def test_serve_on_a_busy_port_says_to_choose_another(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--host", "127.0.0.1"],
                              env=cli_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"Cannot serve on port {port}" in done.stderr


def test_a_pasted_link_of_a_watched_item_is_unfurled_through_slack(fake_slack: FakeSlack, ctx: Context,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    _watch(ctx)
    with serving(slack_settings(fake_slack, tmp_path), ctx) as url:
        bot = Running(url, fake_slack, ctx)
        for n, (source, extra) in enumerate([("conversations_history", {"message_ts": "1700000000.000100"}),
                                             ("composer", {"message_ts": "Uxxx-abc", "unfurl_id": "C0LIB.1.abc"})]):
            event = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0APP", "event_id": f"EvL{n}",
                     "event_time": int(time.time()), "token": "legacy",
                     "event": {"type": "link_shared", "channel": "C0LIB", "user": "U0ANN", "source": source,
                               "links": [{"domain": "doi.org", "url": f"https://doi.org/{DOI}"},
                                         {"domain": "doi.org", "url": "https://doi.org/10.5555/unwatched"}],
                               **extra}}
            assert bot.post(json.dumps(event), content_type="application/json").status_code == 200
            assert wait_for(lambda n=n: len(fake_slack.unfurls) > n)
    history, composer = fake_slack.unfurls
    assert history["channel"] == "C0LIB" and history["ts"] == "1700000000.000100"
    assert composer["unfurl_id"] == "C0LIB.1.abc" and composer["source"] == "composer" and "ts" not in composer
    cards = history["unfurls"]
    assert "Attention score *8*: 1 news" in json.dumps(cards[f"https://doi.org/{DOI}"])
    assert "/attention watch 10.5555/unwatched" in json.dumps(cards["https://doi.org/10.5555/unwatched"])
