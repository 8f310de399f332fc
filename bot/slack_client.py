"""Slack Web API access: the WebClient factory and the Slack Notifier used by the delivery loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings
from handlers.notifier import DeliveryError
from handlers.render import clip, escape_mrkdwn, truncate_blocks

log = logging.getLogger(__name__)

#: Message metadata event type carrying an alert's idempotency key.
EVENT_TYPE = "attention_alert"
#: Slack errors that mean the channel is gone for us: its watches should go inactive.
CHANNEL_GONE = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "account_inactive"}
)
#: Errors that will be the same next time: do not retry.
FINAL = frozenset(
    {
        "invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope",
        "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments",
        "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
        "restricted_action", "cannot_reply_to_message",
    }
)
#: Pages of a thread's replies read when looking for a key (200 replies a page).
MAX_THREAD_PAGES = 10
TEXT_CHARS = 39_000  # Slack truncates `text` past 40,000 characters


def make_client(settings: Settings, *, timeout: int = 30) -> WebClient:
    """A WebClient on SLACK_API_URL that retries rate limits (honouring Retry-After), 500/503
    answers and dropped connections."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=settings.secret("slack_bot_token"),
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def delivery_error(error: str | None, *, channel: str, what: str) -> DeliveryError:
    """The DeliveryError for a Slack error code."""
    code = error or "unknown_error"
    if code in CHANNEL_GONE:
        return DeliveryError(
            f"Slack says {code} for {channel} while {what}: invite the bot again (/invite @attention-bot) "
            "or its watches there stay paused.",
            final=True,
            channel_gone=True,
        )
    return DeliveryError(f"Slack refused {what} in {channel}: {code}", final=code in FINAL)


class SlackNotifier:
    """Delivers alerts and summaries to Slack; implements handlers.notifier.Notifier.

    ``text`` is plain text: it is escaped here, so titles cannot ping or forge links.
    """

    def __init__(self, client: WebClient, *, history_limit: int = 200) -> None:
        self.client = client
        self.history_limit = history_limit

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        channel = str(kwargs.get("channel"))
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            raise delivery_error(exc.response.get("error"), channel=channel, what=what) from exc
        except (SlackClientError, URLError, OSError) as exc:
            raise DeliveryError(f"Could not reach Slack while {what}: {exc}") from exc

    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
        key: str | None = None,
    ) -> str | None:
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": clip(escape_mrkdwn(text), TEXT_CHARS),
            "unfurl_links": False,  # an alert lists several links: previews would bury it
            "unfurl_media": False,
        }
        if blocks:
            kwargs["blocks"] = truncate_blocks(blocks)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            kwargs["reply_broadcast"] = broadcast
        if key:
            kwargs["metadata"] = {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
        resp = self._call("posting a message", self.client.chat_postMessage, **kwargs)
        ts = resp.get("ts")
        return str(ts) if ts else None

    def find_by_key(self, channel: str, key: str, *, thread_ts: str | None = None) -> str | None:
        """Search the channel's recent top-level messages (and broadcast thread replies) and,
        given ``thread_ts``, that thread's replies: conversations.history never shows those."""
        resp = self._call(
            "reading channel history",
            self.client.conversations_history,
            channel=channel,
            limit=self.history_limit,
            include_all_metadata=True,
        )
        found = _with_key(resp.get("messages"), key)
        if found or not thread_ts:
            return found
        return self._find_in_thread(channel, key, thread_ts)

    def _find_in_thread(self, channel: str, key: str, thread_ts: str) -> str | None:
        def replies(**kwargs: Any) -> Any:
            try:
                return self.client.conversations_replies(**kwargs)
            except SlackApiError as exc:
                if exc.response.get("error") == "thread_not_found":  # its parent was deleted
                    return {"messages": []}
                raise

        cursor: str | None = None
        for _ in range(MAX_THREAD_PAGES):
            resp = self._call(
                "reading a thread", replies, channel=channel, ts=thread_ts, limit=self.history_limit,
                include_all_metadata=True, cursor=cursor,
            )
            found = _with_key(resp.get("messages"), key)
            if found:
                return found
            # Replies come oldest first: a long thread's newest ones are on later pages.
            cursor = ((resp.get("response_metadata") or {}).get("next_cursor")) or None
            if not cursor:
                break
        return None

    def upload(
        self, channel: str, *, filename: str, content: bytes, title: str = "", thread_ts: str | None = None
    ) -> None:
        self._call(
            "uploading a file",
            self.client.files_upload_v2,
            channel=channel,
            filename=filename,
            content=content,
            title=title or filename,
            thread_ts=thread_ts,
        )


def _with_key(messages: list[dict[str, Any]] | None, key: str) -> str | None:
    """The ts of the message whose metadata carries ``key``."""
    for message in messages or []:
        meta = message.get("metadata") or {}
        if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == key:
            return str(message.get("ts"))
    return None


def build_slack_notifier(settings: Settings) -> SlackNotifier:
    """The notifier the scheduler uses when SLACK_BOT_TOKEN is set."""
    return SlackNotifier(make_client(settings))
