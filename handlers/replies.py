"""The shape of what a command answers, whatever the chat is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file to upload with the reply (a CSV export, a chart)."""

    filename: str
    content: bytes
    title: str = ""


@dataclass(frozen=True)
class Reply:
    """``text`` is plain text (the shell prints it; Slack escapes it and uses it as fallback).
    ``blocks`` are Block Kit blocks where a command renders something richer."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    ok: bool = True
    #: Only the person who asked sees it (user errors, --private).
    ephemeral: bool = False
    files: tuple[Attachment, ...] = field(default_factory=tuple)


def error(text: str) -> Reply:
    return Reply(text=text, ok=False, ephemeral=True)


@dataclass(frozen=True)
class Command:
    """One command as typed after ``/attention``, with who typed it where."""

    name: str
    args: list[str]
    channel: str = "console"
    user: str = "console"
    text: str = ""
    #: Flags like ``--private`` taken off the argument list.
    flags: frozenset[str] = field(default_factory=frozenset)
    #: Typed at the bot machine's terminal (shell, `attention-bot cmd`): whoever runs it already
    #: holds the database file, so the access rules do not apply. Never set for Slack.
    operator: bool = False
