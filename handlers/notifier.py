"""How handlers deliver messages without knowing the chat: the Notifier protocol.

``bot/notify.py`` implements it for Slack and for the console. Handlers never call Slack.
"""

from __future__ import annotations

from typing import Any, Protocol


class DeliveryError(Exception):
    """A message could not be delivered. ``final`` means retrying will not help."""

    def __init__(self, message: str, *, final: bool = False, channel_gone: bool = False) -> None:
        super().__init__(message)
        self.final = final
        #: The channel no longer exists or removed the bot: its watches should go inactive.
        self.channel_gone = channel_gone


class Notifier(Protocol):
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
        """Post a message; return its ts (the console returns a made-up one). ``key`` is the
        idempotency key, carried in message metadata so it can be found again."""
        ...

    def find_by_key(self, channel: str, key: str, *, thread_ts: str | None = None) -> str | None:
        """The ts of a message already posted with ``key`` in the channel's recent history or,
        given ``thread_ts``, in that thread too (thread replies are not in channel history)."""
        ...

    def upload(
        self, channel: str, *, filename: str, content: bytes, title: str = "", thread_ts: str | None = None
    ) -> None:
        """Upload a file (a chart, a CSV) to the channel."""
        ...
