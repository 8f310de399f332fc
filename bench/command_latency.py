"""Slash command latency in HTTP mode: while a poll runs, and in a burst beside slow commands.

The bot runs as it does with ``--http``: ``bot.server`` (uvicorn + Starlette) around the Bolt
app from ``bot.slack.create_app``, talking to a loopback fake of Slack's Web API and
response_url. A client in its own process (``bench.slash_client``, Slack's side) sends signed
``/attention list`` and ``/attention help`` requests to a channel watching 10,000 items:

* one after another, 1,000 of them, while a poll of those items runs in a thread against a
  loopback source that takes 20 ms an answer (and stores a mention and a count per item);
  the limit: the same requests to the same app with no poll running, just before;
* 200 at once, each on its own connection, while 5 ``/attention check`` commands are in flight
  (their landing page takes 8 s to answer); the limit: the same burst with nothing slow in
  flight, just before.

Figures: p50 and p99 time to the HTTP response (Slack's 3-second ack) and errors (non-200).
Each repeat starts from scratch (a fresh database, app and servers).
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

import httpx

from bench.common import Benchmark, Measured, Params, Trial, Verdict, percentile
from bench.loopback import FakeSlackApi, LoopbackSource, SlowSourceServer
from bench.slash_client import form, signed
from bot.server import SlackEndpoint, WebServer, build_app
from bot.settings import load_settings
from bot.slack import create_app
from bot.slack_client import make_client
from core.models import Identifier
from handlers.context import Context
from handlers.polling.poll import run_poll
from sources.config import SourcesConfig
from sources.factory import HttpFactory
from storage import bulk, open_store
from storage.watches import watch_item

SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"
_SHAPE = {"commands": ["list", "help"], "mode": "HTTP, sequential client in its own process"}
SIZES: dict[str, dict[str, Any]] = {
    "full": {"requests": 1000, "items": 10_000, "latency": 0.020, "burst": 200, "slow": 5,
             "page_seconds": 8.0, **_SHAPE},
    "quick": {"requests": 60, "items": 500, "latency": 0.020, "burst": 30, "slow": 5,
              "page_seconds": 1.5, **_SHAPE},
    "smoke": {"requests": 20, "items": 100, "latency": 0.002, "burst": 20, "slow": 5,
              "page_seconds": 3.0, **_SHAPE},
}
#: The p99 with a poll running against the p99 of the same requests with none; and the p99 of
#: a burst beside slow commands against the same burst with nothing slow in flight.
GOAL_P99_RATIO = 2.0
GOAL_BURST_RATIO = 1.5
#: Slack shows the user an error when a slash command is not acked within 3 seconds.
SLACK_ACK_MS = 3000.0


def _client(url: str, response_url: str, n: int, *, burst: bool = False) -> list[tuple[int, float]]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.slash_client", url + "/slack/events", SECRET, response_url, str(n),
         *(["--burst"] if burst else [])],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    return [(int(s), float(t)) for s, t in json.loads(out.stdout)]


def _slow_checks(url: str, response_url: str, page: str, n: int) -> int:
    """Send ``n`` `/attention check <page>`; returns how many were acknowledged."""
    acked = 0
    with httpx.Client(timeout=10) as client:
        for _ in range(n):
            body = form(f"check {page}", response_url)
            resp = client.post(url + "/slack/events", content=body.encode(), headers=signed(SECRET, body))
            acked += resp.status_code == 200 and "Looking up" in resp.text
    return acked


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


def _trial(p: Params, _state: None) -> Trial:
    """One repeat from scratch (a fresh database, app and servers): the requests with no
    poll, then the same requests while a poll runs."""
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp, FakeSlackApi() as slack, \
            SlowSourceServer(latency=p["latency"]) as api, SlowSourceServer(latency=p["page_seconds"]) as page:
        settings = load_settings(
            slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url=slack.api_url,
            db=Path(tmp) / "attention.db", allow_hosts=[page.url.removeprefix("http://")],
            resolver_timeout=p["page_seconds"] * 3,
        )
        store = open_store(settings.db)
        config = SourcesConfig(settings={LoopbackSource.name: {"url": api.url}})
        http = HttpFactory(config)
        source = LoopbackSource(config, http)
        ctx = Context(store=store, sources=[source], options=settings.options())
        with bulk.unsafe_fast_writes(store.db), store.transaction() as db:
            for i in range(p["items"]):
                watch_item(db, CHANNEL, [Identifier(scheme="doi", value=f"10.5555/latency.{i}")])
        app = create_app(settings, ctx, client=make_client(settings))
        server = WebServer(build_app(ctx, slack=SlackEndpoint(app, SECRET)), host="127.0.0.1", port=0)
        url = f"http://127.0.0.1:{server.start()}"
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

            # A burst alone, then the same burst while slow commands hold their workers (after
            # one unmeasured burst: the server's threads start on the first).
            before = slack.responses
            _client(url, slack.response_url, p["burst"], burst=True)
            _wait(lambda: slack.responses >= before + p["burst"], 60)
            before = slack.responses
            burst_quiet = _client(url, slack.response_url, p["burst"], burst=True)
            _wait(lambda: slack.responses >= before + p["burst"], 60)
            page_url = page.url + "/landing"
            acked_slow = _slow_checks(url, slack.response_url, page_url, p["slow"])
            _wait(lambda: page.active >= p["slow"], 30)
            in_flight = page.active
            before = slack.responses
            burst_slow = _client(url, slack.response_url, p["burst"], burst=True)
            slow_still_running = page.active == in_flight
            burst_answered = _wait(lambda: slack.responses >= before + p["burst"] + p["slow"], 60)
        finally:
            server.stop()
            http.close()
            store.close()
    ours, base = _figures(busy), _figures(quiet)
    ours["poll_asks_during_requests"] = asked_during
    ours["all_answered_through_response_url"] = answered
    ours["poll_failed"] = repr(poll_error[0]) if poll_error else None
    burst = _figures(burst_slow)
    burst.update(slow_commands_acked=acked_slow, slow_commands_in_flight=in_flight,
                 slow_still_running_after_burst=slow_still_running, all_answered=burst_answered)
    ours["burst_with_slow_commands"] = burst
    base["burst_alone"] = _figures(burst_quiet)
    return Trial(
        figures=ours,
        baseline=base,
        ratio={"p99": round(ours["p99_ms"] / base["p99_ms"], 2),
               "burst_p99": round(burst["p99_ms"] / max(base["burst_alone"]["p99_ms"], 0.01), 2),
               "p50": round(ours["p50_ms"] / base["p50_ms"], 2)},
    )


def _judge(p: Params, m: Measured) -> Verdict:
    def sound(t: Trial) -> bool:
        burst = t.figures["burst_with_slow_commands"]
        return (t.figures["errors"] == 0 and t.baseline["errors"] == 0 and burst["errors"] == 0
                and t.figures["poll_asks_during_requests"] > 0 and burst["slow_commands_in_flight"] >= p["slow"]
                and max(t.figures["max_ms"], burst["max_ms"]) < SLACK_ACK_MS)

    return Verdict(
        f"p99 time to ack while a poll of {p['items']:,} items runs <= {GOAL_P99_RATIO:g}x the p99 with "
        f"no poll; {p['burst']} at once beside {p['slow']} slow checks <= {GOAL_BURST_RATIO:g}x the same "
        f"burst alone; 0 errors, every ack within Slack's {SLACK_ACK_MS / 1000:g} s",
        m.ratio["p99"] <= GOAL_P99_RATIO and m.ratio["burst_p99"] <= GOAL_BURST_RATIO and m.every(sound),
    )


BENCH = Benchmark(
    name="command_latency", sizes=SIZES, trial=_trial, judge=_judge, key=("p99_ms", "p99_ms")
)
