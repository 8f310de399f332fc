"""Streams end to end against loopback fakes of Jetstream (WebSocket) and EventStreams (SSE):
matched posts become mentions and alerts, a restart resumes from the stored position with
nothing twice, a dropped connection reconnects, and `sources` shows each stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.router import dispatch
from handlers.streams.run import backoff
from sources.errors import SourceUnavailable
from sources.landing import LandingPage
from storage import state
from tests import paths
from tests.fakes.http import wait_for
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.streams import FakeEventStreams, FakeJetstream, kafka_id
from tests.handlers.streams.conftest import count, running, with_streams

DATA = paths.DATA / "streams"
POSTS: list[dict[str, Any]] = json.loads((DATA / "jetstream-posts.json").read_text())
CHANGES: list[dict[str, Any]] = json.loads((DATA / "page-links-change.json").read_text())
LAST_US = POSTS[-1]["time_us"]


def no_pages(url: str) -> LandingPage:
    raise SourceUnavailable("no landing pages in this test", source="resolver")


def _watch(ctx: Context) -> None:
    for channel, command in (
        ("C1", "watch 10.5555/abc hdl:2027/abc"),
        ("C2", "watch 10.5555/abc"),
        ("C1", "watch domain repo.example.edu/maps"),
    ):
        assert dispatch(ctx, command, channel=channel).ok


def test_bluesky_posts_become_mentions_with_one_alert_per_item_per_channel(ctx: Context) -> None:
    ctx.options = ctx.options.model_copy(update={"alert_group_seconds": 120})  # the default window
    _watch(ctx)
    with FakeJetstream(POSTS) as fake:
        with_streams(
            ctx, jetstream_url=fake.url, user_agent="attention-bot/test (+x; ops@example.org)"
        )
        mentions = count(ctx, "SELECT count(*) FROM mentions WHERE source = 'bluesky'")
        with running(ctx, ctx.streams[0], resolver=no_pages) as runner:
            assert wait_for(
                lambda: mentions() == 5 and runner.stats.events == len(POSTS), timeout=10
            )
    assert fake.asked[0]["wantedCollections"] == ["app.bsky.feed.post"]
    assert "cursor" not in fake.asked[0]  # nothing stored yet: from now
    assert fake.user_agents[0].startswith("attention-bot/test")
    rows = ctx.store.db.execute(
        "SELECT external_id, url, kind FROM mentions WHERE source = 'bluesky' ORDER BY external_id"
    ).fetchall()
    assert (
        "at://did:plc:facet1/app.bsky.feed.post/3lfacet1:doi:10.5555/abc",
        "https://bsky.app/profile/did:plc:facet1/post/3lfacet1",
        "social",
    ) in rows
    assert not any("miss5" in r[0] for r in rows)  # 10.5555/abc1 is another DOI
    assert any(
        r[0].endswith(":url:https://repo.example.edu/maps/12") for r in rows
    )  # under the site
    chat = RecordingNotifier()
    assert deliver_pending(ctx, chat).sent == 0  # waiting in their window for more
    deliver_pending(ctx, chat, flush=True)  # as `stream --for` does when it ends
    # One message per item and channel: the DOI's three posts in one, the Handle's and the
    # site page's in theirs; C2 watches only the DOI.
    assert len(chat.in_channel("C1")) == 3 and len(chat.in_channel("C2")) == 1
    assert "3 new mentions" in chat.in_channel("C2")[0].text
    assert "gained attention on Bluesky" in chat.in_channel("C2")[0].text
    assert state.get_state(ctx.store.db, "jetstream").cursor == str(LAST_US)


def test_a_restart_resumes_from_the_stored_position_with_no_mention_or_alert_twice(
    ctx: Context,
) -> None:
    _watch(ctx)
    with FakeJetstream(POSTS) as fake:
        with_streams(ctx, jetstream_url=fake.url)
        mentions = count(ctx, "SELECT count(*) FROM mentions")
        alerts = count(ctx, "SELECT count(*) FROM outbox")
        with running(ctx, ctx.streams[0], resolver=no_pages) as first:
            assert wait_for(
                lambda: first.stats.events == len(POSTS) and mentions() == 5, timeout=10
            )
        before = (mentions(), alerts())
        with running(ctx, ctx.streams[0], resolver=no_pages) as second:
            assert wait_for(lambda: len(fake.asked) == 2 and second.stats.events > 0, timeout=10)
    # The server was asked from the stored time_us, rewound 5 s (Jetstream's advice).
    assert fake.asked[1]["cursor"] == [str(LAST_US - 5_000_000)]
    assert second.stats.events == len(POSTS)  # all replayed (they are within 5 s) ...
    assert (mentions(), alerts()) == before  # ... and none stored or alerted again


def test_a_dropped_connection_reconnects_and_misses_nothing(ctx: Context) -> None:
    _watch(ctx)
    with FakeJetstream(POSTS) as fake:
        fake.drop_after = [2]  # the first connection ends after two posts
        with_streams(
            ctx, jetstream_url=f"ws://127.0.0.1:9/subscribe,{fake.url}"
        )  # the first fails over
        mentions = count(ctx, "SELECT count(*) FROM mentions")
        with running(ctx, ctx.streams[0], resolver=no_pages) as runner:
            assert wait_for(lambda: len(fake.asked) >= 2 and mentions() == 5, timeout=15)
    assert runner.stats.reconnects >= 1
    assert "cursor" in fake.asked[1]  # the second connection resumed where the first stopped


def test_wikipedia_link_changes_are_mentions_and_a_reconnect_sends_last_event_id(
    ctx: Context,
) -> None:
    _watch(ctx)
    with FakeEventStreams(CHANGES) as fake:
        with_streams(ctx, wikimedia_stream_url=fake.url)
        stream = ctx.stream("wikipedia")
        assert stream is not None
        mentions = count(ctx, "SELECT count(*) FROM mentions WHERE source = 'wikipedia'")
        with running(ctx, stream, resolver=no_pages) as runner:
            assert wait_for(
                lambda: runner.stats.events == len(CHANGES) and mentions() == 2, timeout=10
            )
        fake.add(
            {
                "meta": {"domain": "en.wikipedia.org", "dt": "2026-12-01T00:01:00Z"},
                "page_id": 8,
                "page_title": "Estuary",
                "page_namespace": 0,
                "added_links": [{"link": "https://hdl.handle.net/2027/abc", "external": True}],
            }
        )
        with running(ctx, stream, resolver=no_pages):
            assert wait_for(lambda: mentions() == 3, timeout=10)
    assert fake.last_event_ids == [None, kafka_id(len(CHANGES) - 1)]
    rows = dict(
        ctx.store.db.execute(
            "SELECT external_id, url FROM mentions WHERE source = 'wikipedia'"
        ).fetchall()
    )
    assert rows["en:4242:doi:10.5555/abc"] == "https://en.wikipedia.org/wiki/Salt_marsh"
    assert (
        rows["de:77:url:https://repo.example.edu/maps/12"]
        == "https://de.wikipedia.org/wiki/Salzwiese"
    )
    assert rows["en:8:handle:2027/abc"] == "https://en.wikipedia.org/wiki/Estuary"
    assert not any(
        k.startswith(("fr:", "ja:", "en:4243")) for k in rows
    )  # removed, near miss, talk page


def test_sources_shows_each_stream_connected_behind_and_counted(ctx: Context) -> None:
    _watch(ctx)
    with FakeJetstream(POSTS) as fake:
        with_streams(ctx, jetstream_url=fake.url, streams=("bluesky",))
        with running(ctx, ctx.streams[0], resolver=no_pages) as runner:
            assert wait_for(lambda: runner.stats.events == len(POSTS), timeout=10)
            runner._record(connected=True, events=len(POSTS), matched=6)
            text = dispatch(ctx, "sources", channel="C1").text
            assert wait_for(
                lambda: "bluesky" in ctx.gauges.stream_lags(), timeout=5
            )  # for /metrics
    line = next(x for x in text.splitlines() if "Bluesky stream (Jetstream)" in x)
    assert "connected to 127.0.0.1" in line and "s behind" in line
    assert "today 9 events read, 6 matched" in line
    assert (
        "Wikipedia stream (EventStreams): switched off (add wikipedia to ATTENTION_STREAMS)" in text
    )
    after = dispatch(ctx, "sources", channel="C1").text
    assert "Bluesky stream (Jetstream): not connected" in after


@pytest.mark.parametrize("failures", [1, 2, 5, 20])
def test_reconnects_back_off_exponentially_with_jitter(failures: int) -> None:
    full = min(300.0, 2.0 ** (failures - 1))
    low, high = backoff(failures, rand=lambda a, b: a), backoff(failures, rand=lambda a, b: b)
    assert (low, high) == (full / 2, full)


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        ("<html>maintenance</html>", "text/html", "did not answer with server-sent events"),
        (
            "data: " + "x" * 2_100_000 + "\n\n",
            "text/event-stream",
            "sent a line longer than 2,000,000 characters",
        ),
    ],
)
def test_a_stream_url_that_answers_something_else_is_shown_and_retried(
    ctx: Context, body: str, content_type: str, said: str
) -> None:
    from tests.fakes.http import FakeServer

    with FakeServer() as srv:
        srv.route("GET", "/v2/stream/x", body=body, content_type=content_type)
        with_streams(ctx, wikimedia_stream_url=f"{srv.url}/v2/stream/x")
        stream = ctx.stream("wikipedia")
        assert stream is not None
        with running(ctx, stream) as runner:
            assert wait_for(lambda: runner.stats.last_error is not None, timeout=10)
    assert said in (runner.stats.last_error or "")
    text = dispatch(ctx, "sources", channel="C1").text
    assert "Wikipedia stream (EventStreams): not connected (last error" in text and said in text
