"""Slash command latency in HTTP mode while a poll runs.

The bot runs as it does with ``--http``: ``bot.slack_http.make_http_server`` around the Bolt app
from ``bot.slack.create_app``, talking to a loopback fake of Slack's Web API and response_url.
A client in its own process (``bench.slash_client``, Slack's side) sends 1,000 signed
``/attention list`` and ``/attention help`` requests one after another to a channel watching
10,000 items, while a poll of those items runs in a thread against a loopback source that
takes 20 ms an answer (and stores a mention and a count per item). Figures: p50 and p99 time
to the HTTP response (Slack's 3-second ack) and errors (non-200). Baseline: the same requests
with no poll running. The poll is stopped when the client is done.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Size, percentile, result
from bench.loopback import FakeSlackApi, LoopbackSource, SlowSourceServer
from bot.settings import load_settings
from bot.slack import create_app
from bot.slack_client import make_client
from bot.slack_http import make_http_server
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.config import SourcesConfig
from sources.http import HttpFactory
from storage import bulk, open_store
from storage.watches import watch_item

SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"
SIZES: dict[str, dict[str, Any]] = {
    "full": {"requests": 1000, "items": 10_000, "latency": 0.020},
    "smoke": {"requests": 20, "items": 100, "latency": 0.002},
}
GOAL_P99_MS = 50.0


def _client(url: str, response_url: str, n: int) -> list[tuple[int, float]]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.slash_client", url + "/slack/events", SECRET, response_url, str(n)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    return [(int(s), float(t)) for s, t in json.loads(out.stdout)]


def _figures(samples: list[tuple[int, float]]) -> dict[str, Any]:
    times = [t * 1000 for _, t in samples]
    return {
        "requests": len(samples),
        "p50_ms": round(percentile(times, 50), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "max_ms": round(max(times), 2),
        "errors": sum(1 for s, _ in samples if s != 200),
    }


def _wait(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def run(size: Size = "full") -> dict[str, Any]:
    p = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp, FakeSlackApi() as slack, \
            SlowSourceServer(latency=p["latency"]) as api:
        settings = load_settings(
            slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url=slack.api_url,
            db=Path(tmp) / "attention.db",
        )
        store = open_store(settings.db)
        config = SourcesConfig(settings={LoopbackSource.name: {"url": api.url}})
        http = HttpFactory(config)
        source = LoopbackSource(config, http)
        ctx = Context(store=store, sources=[source])
        with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
            for i in range(p["items"]):
                watch_item(db, CHANNEL, [Identifier(scheme="doi", value=f"10.5555/latency.{i}")])
        app = create_app(settings, ctx, client=make_client(settings))
        server = make_http_server(app, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        poll_error: list[BaseException] = []
        try:
            _client(url, slack.response_url, 10)  # warm up: imports, first connections
            quiet = _client(url, slack.response_url, p["requests"])

            def poll() -> None:
                try:
                    run_poll(ctx, source)
                except BaseException as exc:  # reported below, never lost in the thread
                    poll_error.append(exc)

            poller = threading.Thread(target=poll, name="bench-poll", daemon=True)
            poller.start()
            _wait(lambda: source.asked >= 10, 30)
            asked_before = source.asked
            busy = _client(url, slack.response_url, p["requests"])
            asked_during = source.asked - asked_before
            source.stop()
            poller.join(120)
            answered = _wait(lambda: slack.responses >= 10 + 2 * p["requests"], 60)
        finally:
            server.shutdown()
            server.server_close()
            http.close()
            store.close()
    ours, base = _figures(busy), _figures(quiet)
    ours["poll_asks_during_requests"] = asked_during
    ours["all_answered_through_response_url"] = answered
    ours["poll_failed"] = repr(poll_error[0]) if poll_error else None
    met = ours["p99_ms"] <= GOAL_P99_MS and ours["errors"] == 0 and asked_during > 0
    return result(
        "command_latency",
        params={"requests": p["requests"], "commands": ["list", "help"], "watched_items": p["items"],
                "source_latency_ms": p["latency"] * 1000, "mode": "HTTP, sequential client in its own process",
                "size": size},
        figures=ours,
        baseline=base,
        ratio={"p50": round(ours["p50_ms"] / base["p50_ms"], 2), "p99": round(ours["p99_ms"] / base["p99_ms"], 2)},
        goal=f"p99 time to ack <= {GOAL_P99_MS:g} ms and 0 errors while a poll of {p['items']:,} items runs",
        goal_met=met,
    )
