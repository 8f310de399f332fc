"""Secrets (Slack tokens, signing secret, API keys, passwords) never reach the log, stderr, a
reply or the database, however things fail: sources answering 401/500 (even echoing the key
back), Slack API errors, bad settings, a command that crashes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot import cli, logredact, startup
from bot.app import build_context
from bot.settings import Settings, load_settings
from bot.slack import create_app
from bot.slack_client import build_slack_notifier
from handlers import router
from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.replies import Command, Reply
from sources import http as sources_http
from storage import outbox
from tests import paths
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

ROOT = paths.ROOT
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-SECRET-bot-7f3a9c",
    "SLACK_APP_TOKEN": "xapp-SECRET-app-51d0e2",
    "SLACK_SIGNING_SECRET": "SECRET-signing-88c1f4",
    "ALTMETRIC_API_KEY": "SECRET-altmetric-2b7e91",
    "OPENALEX_API_KEY": "SECRET-openalex-9e4a33",
    "ATTENTION_BLUESKY_APP_PASSWORD": "SECRET-bsky-pw-a1b2c3",
    "ATTENTION_REDDIT_CLIENT_SECRET": "SECRET-reddit-c3d4e5",
    "ATTENTION_MASTODON_TOKEN": "SECRET-mastodon-d5e6f7",
}
OTHER = {
    "ATTENTION_BLUESKY_HANDLE": "bot.example.org",
    "ATTENTION_REDDIT_CLIENT_ID": "client-id",
    "ATTENTION_FEEDS": "https://feeds.example.org/rss",
    "ATTENTION_LOG_LEVEL": "DEBUG",
}


def leaks(*texts: str) -> list[str]:
    """The secret values (or a long piece of one) found in ``texts``."""
    joined = "\n".join(texts)
    return [v for v in SECRETS.values() if v in joined or v[-10:] in joined]


def db_text(ctx: Context) -> str:
    db = ctx.store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    return json.dumps({t: [list(map(str, r)) for r in db.execute(f"SELECT * FROM [{t}]").fetchall()] for t in tables})


def echo(status: int) -> httpx.MockTransport:
    """Every source's server answers ``status`` and, like careless servers do, echoes the whole
    request (URL with its query, headers, body) in its error message."""

    def handler(request: httpx.Request) -> httpx.Response:
        said = f"bad request {request.url} headers={dict(request.headers)} body={request.content.decode(errors='replace')}"
        return httpx.Response(status, json={"error": said, "message": said}, headers={"X-Echo": said[:200]})

    return httpx.MockTransport(handler)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name, value in {**SECRETS, **OTHER, "ATTENTION_DB": str(tmp_path / "a.db")}.items():
        monkeypatch.setenv(name, value)
    factory = logging.getLogRecordFactory()
    yield
    logredact.uninstall()
    logging.setLogRecordFactory(factory)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, logredact.RedactQuerySecrets)]:
            logger.removeFilter(f)


def debug(caplog: pytest.LogCaptureFixture) -> None:
    # Loggers an earlier test quietened (`_logging` at INFO) must speak here too.
    for name in (None, "httpx", "httpcore", "slack_sdk", "slack_bolt"):
        caplog.set_level(logging.DEBUG, logger=name)


def started(settings: Settings, transport: httpx.BaseTransport) -> Context:
    startup.configure_logging(settings)  # what `attention-bot run` does first
    return build_context(settings, transport=transport)


@pytest.mark.parametrize("status", [401, 500])
def test_failing_sources_leak_no_secret(env: None, status: int, caplog: pytest.LogCaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_http, "ATTEMPTS", 1)  # retries are tested elsewhere; keep this fast
    settings = load_settings()
    ctx = started(settings, echo(status))
    debug(caplog)
    try:
        assert {s.name for s in ctx.configured_sources()} >= {"altmetric", "openalex", "bluesky", "reddit", "mastodon"}
        replies = [router.dispatch(ctx, "watch 10.1234/secret-test", channel="C1", user="U1")]
        replies.append(router.dispatch(ctx, "lookup 10.1234/secret-test", channel="C1", user="U1"))
        for source in ctx.configured_sources():
            run_poll(ctx, source)
        replies += [router.dispatch(ctx, text, channel="C1", user="U1") for text in ("status", "sources")]
        texts = [r.text + json.dumps(r.blocks or []) for r in replies]
        assert "401" in "".join(texts) or "500" in "".join(texts) or "unavailable" in "".join(texts)
        assert "?key=***" in caplog.text and "api_key=***" in caplog.text  # the requests were logged
        assert leaks(caplog.text, *texts, db_text(ctx)) == []
    finally:
        ctx.store.close()


def test_a_crashing_command_leaks_no_secret(env: None, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings()
    ctx = started(settings, echo(500))
    debug(caplog)
    key = SECRETS["ALTMETRIC_API_KEY"]

    def crash(ctx: Context, cmd: Command) -> Reply:
        # A foreign error carrying a request URL with the key, as an unwrapped httpx error would.
        request = httpx.Request("GET", f"https://api.altmetric.com/v1/doi/10.1/x?key={key}")
        raise httpx.HTTPStatusError(f"Server error for url {request.url} (token {SECRETS['SLACK_BOT_TOKEN']})",
                                    request=request, response=httpx.Response(500, request=request))

    spec = router.COMMANDS["status"]
    monkeypatch.setitem(router.COMMANDS, "status", type(spec)(spec.name, crash, spec.usage))
    reply = router.dispatch(ctx, "status", channel="C1", user="U1")
    ctx.store.close()
    assert not reply.ok and "went wrong" in reply.text
    assert "Traceback" in caplog.text and "HTTPStatusError" in caplog.text  # still debuggable
    assert leaks(caplog.text, reply.text) == []


def test_slack_errors_leak_no_secret(env: None, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    settings = load_settings()
    ctx = started(settings, echo(500))
    debug(caplog)
    try:
        create_app(settings, ctx)  # auth.test at DEBUG: the request with its Authorization header
        with ctx.store.transaction() as db:
            outbox.enqueue(db, key="k1", channel="C1", kind="text", payload={"text": "hello"})
            outbox.enqueue(db, key="k2", channel="C2", kind="text", payload={"text": "hello"})
        fake_slack.error("chat.postMessage", "invalid_auth")
        fake_slack.fail("chat.postMessage", status=500, times=5)
        deliver_pending(ctx, build_slack_notifier(settings))
        assert "invalid_auth" in db_text(ctx) and "auth.test" in caplog.text
        assert leaks(caplog.text, db_text(ctx)) == []
    finally:
        ctx.store.close()


def test_bad_settings_leak_no_secret(env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ATTENTION_RETENTION_DAYS", "forever")
    monkeypatch.setenv("ATTENTION_POLL_INTERVALS", "crossref=0")
    with pytest.raises(SystemExit):
        cli.main(["cmd", "status"])
    err = capsys.readouterr().err
    assert "ATTENTION_RETENTION_DAYS" in err and "ATTENTION_POLL_INTERVALS" in err
    assert leaks(err) == []


class _Echo(BaseHTTPRequestHandler):
    """Answers any request 401 with the whole request (query, headers, body) echoed back."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        said = f"bad request {self.path} {dict(self.headers)} {self.rfile.read(length).decode(errors='replace')}"
        body = json.dumps({"error": said, "message": said}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_cli_stderr_of_a_failing_lookup_has_no_secret(env: None, tmp_path: Path, echo_server: str) -> None:
    # A real `attention-bot cmd` process at DEBUG, every source's server answering 401.
    urls = {f"ATTENTION_{n}_URL": f"{echo_server}/{n.lower()}" for n in (
        "WIKIPEDIA", "HACKERNEWS", "CROSSREF", "DATACITE", "EUROPEPMC", "ALTMETRIC", "OPENALEX",
        "BLUESKY", "REDDIT", "REDDIT_AUTH")}
    environ = {**os.environ, **urls, "ATTENTION_MASTODON_SERVERS": f"{echo_server}/mastodon",
               "ATTENTION_FEEDS": f"{echo_server}/feed.rss", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "cmd", "lookup", "10.1234/secret-test"],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    assert "DEBUG" in done.stderr and "/altmetric/doi/10.1234/secret-test?key=***" in done.stderr
    assert "Altmetric" in done.stdout + done.stderr
    assert leaks(done.stdout, done.stderr) == []
