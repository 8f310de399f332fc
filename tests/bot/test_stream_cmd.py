"""`attention-bot stream --for N`: reads the streams in the foreground, delivers what they
match through the console (or Slack) like `run`, stops cleanly and says what it read."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from bot.cli import main
from handlers.router import dispatch
from tests import paths
from tests.fakes.streams import FakeJetstream

POSTS = json.loads((paths.DATA / "streams" / "jetstream-posts.json").read_text())


def test_stream_for_a_while_alerts_through_the_console_and_stops(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cmd", "--channel", "C1", "watch 10.5555/abc"]) == 0
    capsys.readouterr()
    with FakeJetstream(POSTS) as fake:
        monkeypatch.setenv("ATTENTION_STREAMS", "bluesky")
        monkeypatch.setenv("ATTENTION_JETSTREAM_URL", fake.url)
        assert main(["stream", "--for", "2"]) == 0
    out = capsys.readouterr().out
    assert "gained attention on Bluesky: 3 new mentions" in out
    assert "jetstream: 9 events read, 3 matched, 3 new mentions, 1 alert, " in out
    assert main(["cmd", "--channel", "C1", "sources"]) == 0
    assert (
        "Bluesky stream (Jetstream): not connected; today 9 events read, 3 matched"
        in capsys.readouterr().out
    )


def test_stream_refuses_an_unknown_or_switched_off_stream(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["stream", "--stream", "myspace", "--for", "1"]) == 1
    assert (
        "There is no stream `myspace`. Streams: bluesky (jetstream), wikipedia (wikimedia_stream)."
        in capsys.readouterr().err
    )
    assert (
        main(["stream", "--stream", "bluesky", "--for", "1"]) == 1
    )  # ATTENTION_STREAMS is empty here
    assert "switched off (add bluesky to ATTENTION_STREAMS)" in capsys.readouterr().err
    assert main(["stream", "--for", "0"]) == 1


def test_run_keeps_the_streams_going_beside_the_scheduler_and_stops_them_with_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.app import build_context
    from bot.scheduler import start_scheduler
    from bot.settings import load_settings
    from tests.fakes.http import wait_for
    from tests.fakes.notifier import RecordingNotifier

    with FakeJetstream(POSTS) as fake:
        monkeypatch.setenv("ATTENTION_JETSTREAM_URL", fake.url)
        settings = load_settings(
            db=tmp_path / "attention.db", streams=("bluesky",), alert_group_seconds=0
        )
        ctx = build_context(settings)
        assert dispatch(ctx, "watch 10.5555/abc", channel="C1").ok
        chat = RecordingNotifier()
        scheduler = start_scheduler(settings, ctx, chat)
        try:
            # A match wakes the delivery job: the alert is posted without waiting its minute.
            assert wait_for(lambda: len(chat.posts) == 1, timeout=15)
        finally:
            scheduler.shutdown(wait=False)
        assert not any(t.name.startswith("stream ") and t.is_alive() for t in threading.enumerate())
        ctx.store.close()
    assert "3 new mentions" in chat.posts[0].text


def test_a_stream_that_does_not_exist_stops_the_bot_at_start_with_the_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATTENTION_STREAMS", "bluesky,mastodon")
    with pytest.raises(SystemExit) as stop:
        main(["cmd", "list"])
    assert stop.value.code == 2
    assert (
        "ATTENTION_STREAMS: there is no stream for mastodon (the streams are bluesky, wikipedia)"
        in capsys.readouterr().err
    )
