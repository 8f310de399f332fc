"""`attention-bot poll --once` end to end: Hacker News on a loopback fake, the console as chat.

Baseline, then one alert, then silence, then a follow-up in the thread of the first alert.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.cli import main
from sources import REGISTRY
from tests import paths
from tests.fakes.http import Canned, FakeServer, Recorded, canned

ROOT = paths.ROOT
DOI = "10.1234/abc"


class FakeHackerNews:
    """Algolia's search_by_date answering with the stories the test has "published" so far."""

    def __init__(self) -> None:
        self.stories: list[dict[str, Any]] = []
        self.server = FakeServer()
        self.server.route_fn("GET", "/search_by_date", self._answer)

    def publish(self, object_id: str, title: str, when: datetime) -> None:
        self.stories.append({
            "objectID": object_id, "title": title, "url": f"https://doi.org/{DOI}",
            "author": "someone", "created_at_i": int(when.timestamp()), "_tags": ["story"],
        })

    def _answer(self, rec: Recorded) -> Canned:
        story_query = rec.query.get("tags") == ["story"]
        return canned(json={"hits": list(self.stories) if story_query else [], "nbHits": len(self.stories)})


@pytest.fixture
def hn() -> Iterator[FakeHackerNews]:
    fake = FakeHackerNews()
    with fake.server:
        yield fake


def env_for(tmp_path: Path, hn: FakeHackerNews) -> dict[str, str]:
    others = [cls.name for cls in REGISTRY if cls.name != "hackernews"]
    return {
        "ATTENTION_DB": str(tmp_path / "attention.db"),
        "ATTENTION_HACKERNEWS_URL": hn.server.url,
        "ATTENTION_DISABLED_SOURCES": ",".join(others),
        "ATTENTION_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def cli_env(tmp_path: Path, hn: FakeHackerNews, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env_for(tmp_path, hn).items():
        monkeypatch.setenv(name, value)


def poll(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["poll", "--once"]) == 0
    return capsys.readouterr().out


def test_baseline_then_one_alert_then_silence_then_a_threaded_follow_up(
    cli_env: None, hn: FakeHackerNews, capsys: pytest.CaptureFixture[str]
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=True) as clock:
        assert main(["cmd", "watch", DOI]) == 0
        hn.publish("1", "An old thread", datetime(2026, 2, 1, tzinfo=UTC))
        out = poll(capsys)
        assert "hackernews: asked 1 of 1 item, 1 new, 1 first ask (baselines, no alerts)" in out
        assert "sets: 0 sets listed, 0 new works joined" in out  # the set listing runs here too
        assert "gained attention" not in out

        clock.shift(86400)
        hn.publish("2", "Show HN: the paper", datetime(2026, 3, 3, 8, tzinfo=UTC))
        out = poll(capsys)
        assert out.count("gained attention") == 1
        assert "[#console] 10.1234/abc gained attention on Hacker News: 1 new mention" in out
        assert "attention score 2 (+1)" in out
        assert "Show HN: the paper (2026-03-03)" in out and "An old thread" not in out

        clock.shift(86400)
        out = poll(capsys)
        assert "gained attention" not in out and "hackernews: asked 1 of 1 item, 0 new\n" in out

        clock.shift(86400)
        hn.publish("3", "Ask HN: follow-up", datetime(2026, 3, 5, 8, tzinfo=UTC))
        out = poll(capsys)
        assert out.count("gained attention") == 1
        assert "[#console (in thread)]" in out and "Ask HN: follow-up" in out

        # The week's summary counts what was gained, not the old thread the baseline found.
        assert main(["summary", "--channel", "console", "--period", "7d"]) == 0
        out = capsys.readouterr().out
        assert "2 new mentions, 1 item with attention" in out
        assert "1. 10.1234/abc: score 1 -> 3; 2 new mentions on Hacker News" in out
        assert "Hacker News: 2 mentions of 1 item" in out


def test_unknown_source_lists_the_names(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poll", "--once", "--source", "nope"]) == 1
    err = capsys.readouterr().err
    assert "There is no source `nope`. Sources: " in err and "hackernews" in err


@pytest.mark.slow
def test_killed_between_detection_and_delivery_the_rerun_delivers_once(
    tmp_path: Path, hn: FakeHackerNews
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env.update(env_for(tmp_path, hn))

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tests.handlers.alerts.later", "0", "bot.cli", *args], capture_output=True, text=True,
            env={**env, **extra, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=60,
        )

    assert cli("cmd", "watch", DOI).returncode == 0
    hn.publish("1", "An old thread", datetime(2026, 2, 1, tzinfo=UTC))
    assert cli("poll", "--once").returncode == 0
    hn.publish("2", "Show HN: the paper", datetime(2026, 3, 3, tzinfo=UTC))
    crashed = cli("poll", "--once", ATTENTION_TEST_CRASH_AT="after_detect")
    assert crashed.returncode == 17 and "gained attention" not in crashed.stdout
    rerun = cli("poll", "--once")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.count("gained attention") == 1 and "Show HN: the paper" in rerun.stdout
    again = cli("poll", "--once")
    assert "gained attention" not in again.stdout


def test_progress_is_rewritten_in_place_on_a_terminal() -> None:
    import io

    from bot.pollcmd import terminal_progress

    out = io.StringIO()
    show = terminal_progress("wikipedia", out)
    for done in range(3):
        show(done, 2)
    assert out.getvalue() == "\rwikipedia: 0/2 items\rwikipedia: 1/2 items\rwikipedia: 2/2 items\n"


def test_one_round_gives_one_message_for_an_item_two_sources_mention(
    cli_env: None, hn: FakeHackerNews, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    articles: list[dict[str, Any]] = []

    def wiki_answer(rec: Recorded) -> Canned:
        if rec.query.get("list") == ["search"]:
            return canned(json={"batchcomplete": True, "query": {"search": list(articles)}})
        return canned(json={"batchcomplete": True, "query": {"exturlusage": []}})

    with FakeServer() as wiki:
        wiki.route_fn("GET", "/w/api.php", wiki_answer)
        others = [cls.name for cls in REGISTRY if cls.name not in ("hackernews", "wikipedia")]
        monkeypatch.setenv("ATTENTION_DISABLED_SOURCES", ",".join(others))
        monkeypatch.setenv("ATTENTION_WIKIPEDIA_URL", f"{wiki.url}/w/api.php")
        monkeypatch.setenv("ATTENTION_WIKIPEDIA_LANGS", "en")
        with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=True) as clock:
            assert main(["cmd", "watch", DOI]) == 0
            hn.publish("1", "An old thread", datetime(2026, 2, 1, tzinfo=UTC))
            out = poll(capsys)
            assert "gained attention" not in out  # both sources' baselines

            clock.shift(86400)
            hn.publish("2", "Show HN: the paper", datetime(2026, 3, 3, 8, tzinfo=UTC))
            hn.publish("3", "Ask HN: has anyone read", datetime(2026, 3, 3, 9, tzinfo=UTC))
            articles.append({"ns": 0, "title": "Salt marsh", "pageid": 7, "timestamp": "2026-03-03T10:00:00Z"})
            out = poll(capsys)
    assert out.count("gained attention") == 1
    assert "gained attention on Wikipedia and Hacker News: 3 new mentions" in out
    assert all(t in out for t in ("Show HN: the paper", "Ask HN: has anyone read", "Salt marsh"))


def test_a_long_retry_after_is_honoured_by_the_next_process(
    tmp_path: Path, hn: FakeHackerNews, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    hn.server.route("GET", "/search_by_date", status=429, headers={"Retry-After": "3600"}, json={})
    assert main(["cmd", "watch", DOI]) == 0
    assert main(["poll", "--once"]) == 1  # its only source was refused: the round failed
    out = capsys.readouterr().out
    assert "rate limited (HTTP 429); retry after 1.0 h" in out
    asked = len(hn.server.requests)
    assert asked >= 1

    # cron's next `poll --once` is a new process: it reads the rest from the database.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env.update(env_for(tmp_path, hn))
    again = subprocess.run([sys.executable, "-m", "bot.cli", "poll", "--once"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=60)
    assert again.returncode == 0, again.stderr  # waiting as the server asked is no failure
    assert len(hn.server.requests) == asked  # not asked again
    assert "asked to wait by the server" in again.stdout

    assert main(["cmd", "sources"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Hacker News"))
    until = datetime.now(UTC) + timedelta(seconds=3600)
    shown = [f"resting until {t:%H:%M} UTC" for t in (until - timedelta(minutes=1), until)]
    assert any(s in line for s in shown), line
    assert "(asked to wait by the server)" in line
