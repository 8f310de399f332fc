"""The Slack adapter: `/attention`, @mentions and alert buttons go to the same router as the
shell; replies come back as Block Kit; pasted links of watched items are unfurled. Socket Mode
by default, HTTP mode with ``--http`` (served by ``bot.server`` beside the web pages).

Nothing happens at import: :func:`create_app` builds the Bolt App, :func:`serve` runs it.

Acks never wait: each listener acknowledges in the request's own thread and hands the answer
to a pool of the project's own (:class:`Workers`): quick commands on one, slow ones (lookup,
check, summary, export) on another, so five slow `check`s leave every quick command free.
(Bolt's lazy listeners would do the same, but copy each request deeply first: 1.6 ms of the
ack path per request, which a burst of 200 adds up.)
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import logredact
from bot.settings import Settings
from bot.slack_client import make_client
from bot.workers import Workers
from core.errors import InputError
from handlers.actions import action_text
from handlers.actions import run_action as press
from handlers.context import Context
from handlers.render import (
    ACTION_PREFIX,
    DETAILS,
    clip,
    context,
    escape_mrkdwn,
    reply_blocks,
    truncate_blocks,
)
from handlers.replies import Reply
from handlers.router import dispatch, is_slow
from handlers.web.unfurl import unfurls

log = logging.getLogger(__name__)

COMMAND = "/attention"
EXIT_OK, EXIT_CONFIG = 0, 2
BUSY = "The bot is busy with other slow commands right now: try again in a minute."
#: Kept for callers of the old name.
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
# Slack's auto-links: <url> or <url|what the user typed>; user and channel refs are left alone.
_LINK = re.compile(r"<((?:https?://|mailto:)[^<>|\s]*)(?:\|([^<>]*))?>", re.IGNORECASE)


def is_private(reply: Reply) -> bool:
    """Shown only to the asker: user errors, and what the router marked private (commands
    declared private, ``--private``)."""
    return reply.ephemeral or not reply.ok


def message_payload(reply: Reply, *, note: str | None = None) -> dict[str, Any]:
    """``text`` (escaped fallback for notifications) and ``blocks`` for a Reply."""
    blocks = reply_blocks(reply)
    if note:
        blocks = truncate_blocks([context(note), *blocks])
    return {"text": clip(escape_mrkdwn(reply.text or " "), 3000), "blocks": blocks}


def as_typed(text: str) -> str:
    """Undo Slack's formatting of what a user typed: ``<http://example.org|example.org>`` ->
    ``example.org``, ``<https://doi.org/10.1/x>`` -> the URL, ``&lt;`` ``&gt;`` ``&amp;`` -> ``< > &``.

    Message events always arrive formatted this way (slash commands may), and an identifier
    with a ``<`` or a site Slack auto-linked must reach the router as the user wrote it.
    """
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_after_mention(text: str) -> str:
    """``<@UBOT> watch 10.1/x`` -> ``watch 10.1/x`` (whatever precedes the mention is chatter)."""
    match = _MENTION.search(text or "")
    return as_typed(text[match.end() :] if match else text or "").strip()


def _looking_up(text: str) -> str:
    return clip(f"Looking up ... `/attention {escape_mrkdwn(text.strip())}`", 300)


def _upload_files(client: WebClient, reply: Reply, *, channel: str, thread_ts: str | None = None) -> str | None:
    """Upload a reply's files to the channel; a user-facing problem, or None."""
    for attachment in reply.files:
        try:
            client.files_upload_v2(
                channel=channel,
                filename=attachment.filename,
                content=attachment.content,
                title=attachment.title or attachment.filename,
                thread_ts=thread_ts,
            )
        except SlackApiError as exc:
            code = exc.response.get("error")
            if code in ("not_in_channel", "channel_not_found"):
                return f"I could not post `{attachment.filename}` here ({code}): invite me with `/invite @attention-bot`."
            return f"Slack refused the file `{attachment.filename}` ({code})."
        except SlackClientError as exc:
            log.warning("file upload failed: %s", exc)
            return f"Could not upload `{attachment.filename}`; the bot's log has the details."
    return None


class _TokenNoticeFilter(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: the same
    token, so the warning would only alarm operators on every start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger(log_level: str) -> logging.Logger:
    """The logger Bolt copies to every logger it makes for the app. Its INFO lines carry
    request bodies (a refused request's user name and command): below WARNING only with
    ATTENTION_LOG_LEVEL=DEBUG, and bodies are hidden at every level (bot.logredact)."""
    level = logging.DEBUG if log_level.strip().upper() == "DEBUG" else logging.WARNING
    logredact.install_cleaning()
    bolt_log = logging.getLogger("slack_bolt.App")
    bolt_log.setLevel(level)
    if not any(isinstance(f, _TokenNoticeFilter) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenNoticeFilter())
    # Loggers Bolt made before (another App in this process) keep the level they were given.
    for name, made in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("slack_bolt.") and isinstance(made, logging.Logger):
            made.setLevel(level)
    return bolt_log


def create_app(
    settings: Settings,
    ctx: Context,
    *,
    client: WebClient | None = None,
    workers: Workers | None = None,
) -> App:
    """The Bolt App with its listeners. Calls ``auth.test`` once to check the bot token."""
    client = client or make_client(settings)
    work = workers or Workers()
    app = App(
        client=client,
        # Socket Mode requests are not signed; a random secret makes stray HTTP requests fail.
        signing_secret=settings.secret("slack_signing_secret") or secrets.token_hex(32),
        # Listeners run in the request's own thread: they ack and hand the rest to ``work``.
        process_before_response=True,
        name="attention-bot",
        logger=_bolt_logger(settings.log_level),
    )

    def respond_reply(respond: Callable[..., Any], reply: Reply, text: str, *, note: str | None = None) -> None:
        private = is_private(reply)
        respond(
            **message_payload(reply, note=note),
            response_type="ephemeral" if private else "in_channel",
            replace_original=False,
        )

    def on_command(ack: Callable[..., Any], body: dict[str, Any], respond: Callable[..., Any],
                   client: WebClient) -> None:
        text = as_typed(body.get("text") or "")
        if is_slow(text):
            ack(response_type="ephemeral", text=_looking_up(text))
        else:
            ack()
        work.run(text, lambda: answer_command(body, text, respond, client),
                 lambda: respond(text=BUSY, response_type="ephemeral", replace_original=False))

    def answer_command(body: dict[str, Any], text: str, respond: Callable[..., Any], client: WebClient) -> None:
        channel = body.get("channel_id") or ""
        reply = dispatch(ctx, text, channel=channel, user=body.get("user_id") or "")
        respond_reply(respond, reply, text)
        if reply.files:
            problem: str | None
            if is_private(reply):
                problem = "Files are posted to the channel for everyone: run the command without `--private` to get them."
            else:
                problem = _upload_files(client, reply, channel=channel)
            if problem:
                respond(text=problem, response_type="ephemeral", replace_original=False)

    def on_mention(ack: Callable[..., Any], event: dict[str, Any], client: WebClient) -> None:
        ack()
        text = command_after_mention(event.get("text") or "")
        channel, user = event.get("channel") or "", event.get("user") or ""
        thread_ts = event.get("thread_ts")  # answer in the thread the mention was made in

        def busy() -> None:
            if user:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=BUSY)

        work.run(text, lambda: answer_mention(text, channel, user, thread_ts, client), busy)

    def answer_mention(text: str, channel: str, user: str, thread_ts: str | None, client: WebClient) -> None:
        reply = dispatch(ctx, text, channel=channel, user=user)
        payload = message_payload(reply)
        if is_private(reply) and user:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, **payload)
            return
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False, **payload)
        if reply.files:
            problem = _upload_files(client, reply, channel=channel, thread_ts=thread_ts)
            if problem and user:
                client.chat_postEphemeral(channel=channel, user=user, text=problem)

    def on_action(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                  respond: Callable[..., Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        try:  # which pool: the command the button runs (Details is a slow lookup)
            text = action_text(str(action.get("action_id") or ""), value)
        except InputError:
            text = ""  # refused quickly by answer_action
        work.run(text, lambda: answer_action(body, action, value, respond),
                 lambda: respond(text=BUSY, response_type="ephemeral", replace_original=False))

    def answer_action(
        body: dict[str, Any], action: dict[str, Any], value: str, respond: Callable[..., Any]
    ) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
        user = (body.get("user") or {}).get("id") or ""
        # The action_id chooses the command; the value may only say what about.
        reply = press(ctx, str(action.get("action_id") or ""), value, channel=channel, user=user)
        if action.get("action_id") == DETAILS or is_private(reply):
            respond(**message_payload(reply), response_type="ephemeral", replace_original=False)
            return
        who = f"<@{user}>" if _USER_ID.match(user) else "Someone"
        label = escape_mrkdwn(str((action.get("text") or {}).get("text") or "a button"))
        respond_reply(respond, reply, value, note=f"{who} pressed *{label}*")

    def on_link_shared(ack: Callable[..., Any], event: dict[str, Any], client: WebClient) -> None:
        ack()
        work.quick.submit(lambda: answer_unfurl(event, client))

    def answer_unfurl(event: dict[str, Any], client: WebClient) -> None:
        links = [str(link.get("url") or "") for link in event.get("links") or [] if isinstance(link, dict)]
        cards = unfurls(ctx, [url for url in links if url], channel=event.get("channel") or "")
        if not cards:
            return
        # A link still in the composer has an unfurl_id and no message ts yet.
        if event.get("unfurl_id") and event.get("source"):
            where = {"unfurl_id": event["unfurl_id"], "source": event["source"]}
        else:
            where = {"channel": event.get("channel"), "ts": event.get("message_ts")}
        try:
            client.chat_unfurl(unfurls=cards, **where)
        except SlackApiError as exc:
            log.warning("Slack refused an unfurl (%s)", exc.response.get("error"))

    app.command(COMMAND)(on_command)
    app.event("app_mention")(on_mention)
    app.event("link_shared")(on_link_shared)
    app.action(re.compile(f"^{ACTION_PREFIX}"))(on_action)
    return app
