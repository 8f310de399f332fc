"""With its stream up, a source's scheduled per-item searches ask only items never asked (their
history), and every item weekly; with the stream down they ask every item again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from storage.streams import record_stream
from tests.fakes.http import FakeServer
from tests.handlers.streams.conftest import with_streams

EMPTY = {"batchcomplete": True, "query": {"searchinfo": {"totalhits": 0}, "search": []}}


def _stream_seen(ctx: Context, *, ago: timedelta) -> None:
    with ctx.store.transaction() as db:
        record_stream(db, "wikimedia_stream", now=datetime.now(UTC) - ago, connected=True, host="h")


def _searched(wiki: FakeServer) -> list[str]:
    searched = [r.query["srsearch"][0] for r in wiki.requests if "srsearch" in r.query]
    wiki.requests.clear()
    return searched


def test_searches_ask_only_new_items_while_the_stream_stands_in(ctx: Context) -> None:
    with FakeServer() as wiki:
        wiki.route("GET", "/w/api.php", json=EMPTY)
        with_streams(ctx, urls={"wikipedia": f"{wiki.url}/w/api.php"}, wikipedia_langs=("en",))
        wikipedia = ctx.source("wikipedia")
        assert wikipedia is not None
        assert dispatch(ctx, "watch 10.5555/one 10.5555/two", channel="C1").ok

        run_poll(ctx, wikipedia)  # no stream yet: every item, and they get their baseline
        assert len(_searched(wiki)) == 2

        _stream_seen(ctx, ago=timedelta(seconds=1))
        assert dispatch(ctx, "watch 10.5555/three", channel="C1").ok
        report = run_poll(ctx, wikipedia)
        assert _searched(wiki) == ['"10.5555/three"']  # only the new item's history
        assert report.only_new and "followed by the stream" in report.summary()

        ctx.store.db.execute(
            "UPDATE polls SET started_at = '2000-01-01T00:00:00+00:00' WHERE scope IS NULL"
        )
        ctx.store.db.conn.commit()
        run_poll(ctx, wikipedia)  # a week after the last full poll: every item again
        assert len(_searched(wiki)) == 3

        _stream_seen(ctx, ago=timedelta(minutes=10))  # the stream stopped saying it is up
        run_poll(ctx, wikipedia)
        assert len(_searched(wiki)) == 3
