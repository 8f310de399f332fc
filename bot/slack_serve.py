"""Connected to Slack: check the settings, build the app, open Socket Mode or serve HTTP mode,
run the scheduler beside it, and stop all of it cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import scheduler as jobs
from bot.server import SlackEndpoint, WebServer, build_app, install_signals
from bot.settings import Settings
from bot.slack import create_app
from bot.slack_client import SlackNotifier, make_client
from bot.workers import Workers
from handlers.context import Context

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG = 0, 2


def _stop_scheduler(scheduler: Any | None) -> None:
    if scheduler is None:
        return
    try:
        scheduler.shutdown(wait=False)  # a running poll must not hold up Ctrl-C
    except TypeError:
        scheduler.shutdown()


def _config_problems(settings: Settings, *, http: bool) -> list[str]:
    problems = []
    if not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...).")
    if http and not settings.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests (Basic Information page).")
    if not http and not settings.slack_app_token:
        problems.append("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) with connections:write.")
    return problems


def _start_transport(
    app: App, settings: Settings, ctx: Context, *, http: bool, host: str, port: int, closers: list[Callable[[], None]]
) -> int:
    """Start HTTP mode (returns the bound port) or Socket Mode (returns 0) in the background."""
    if http:
        endpoint = SlackEndpoint(app, settings.secret("slack_signing_secret") or "")
        server = WebServer(build_app(ctx, slack=endpoint), host=host, port=port,
                           max_connections=settings.http_max_connections)
        bound = server.start()
        closers.append(server.stop)
        pages = ", the pages under /badge and /items" if settings.public_pages else ""
        log.info("Slack HTTP mode on port %d: POST /slack/events, GET /healthz, /metrics%s", bound, pages)
        return bound
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.secret("slack_app_token"))
    handler.connect()
    closers.append(handler.close)
    log.info("connected to Slack in Socket Mode")
    return 0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc)
    return str(getattr(exc, "reason", None) or exc)


def _transport_problem(exc: BaseException, *, http: bool, port: int) -> str:
    """One line saying why Slack could not be served, and what to change."""
    if http:
        return f"Cannot serve HTTP mode on port {port} ({_reason(exc)}): choose another with --port N."
    if isinstance(exc, SlackApiError):
        return (f"Slack refused SLACK_APP_TOKEN ({_reason(exc)}): create an app-level token (xapp-...) with "
                "the connections:write scope under Basic Information > App-Level Tokens.")
    return f"Could not open a Socket Mode connection to Slack ({_reason(exc)}): check the network."


def serve(
    settings: Settings,
    ctx: Context,
    *,
    http: bool,
    port: int,
    host: str = "0.0.0.0",
    client: WebClient | None = None,
    stop: threading.Event | None = None,
    ready: Callable[[int], None] | None = None,
) -> int:
    """Run the bot in Socket Mode (or HTTP mode) with the scheduler until Ctrl-C or SIGTERM.

    ``stop``/``ready`` let a caller (tests) stop it and learn the HTTP port it bound.
    """
    problems = _config_problems(settings, http=http)
    if problems:
        print("attention-bot cannot connect to Slack:", *problems, "See README 'Connect Slack'.", sep="\n  ", file=sys.stderr)
        return EXIT_CONFIG
    client = client or make_client(settings)
    workers = Workers()
    try:
        app = create_app(settings, ctx, client=client, workers=workers)
    except BoltError as exc:
        print(f"Slack did not accept SLACK_BOT_TOKEN ({exc}): copy it again from OAuth & Permissions.", file=sys.stderr)
        return EXIT_CONFIG
    except (SlackClientError, URLError, OSError) as exc:
        print(f"Could not reach Slack at {settings.slack_api_url} ({_reason(exc)}): check the network, "
              "or SLACK_API_URL if you changed it.", file=sys.stderr)
        return EXIT_CONFIG
    stop = stop or threading.Event()
    restore_signals = install_signals(stop)
    scheduler = None
    closers: list[Callable[[], None]] = []
    try:
        try:
            bound = _start_transport(app, settings, ctx, http=http, host=host, port=port, closers=closers)
        except (SlackClientError, URLError, OSError) as exc:
            print(_transport_problem(exc, http=http, port=port), file=sys.stderr)
            return EXIT_CONFIG
        scheduler = jobs.start_scheduler(settings, ctx, SlackNotifier(client))
        if ready:
            ready(bound)
        while not stop.wait(0.5):  # a timed wait lets KeyboardInterrupt through everywhere
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        for close in closers:
            close()
        workers.shutdown()
        _stop_scheduler(scheduler)
        restore_signals()
        ctx.store.close()
    return EXIT_OK
