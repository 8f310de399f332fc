"""Block Kit for any reply, as plain dicts clipped to Slack's limits here, so they are not
discovered as ``invalid_blocks`` in production (tests validate every builder against
``slack_sdk.models``). Transport-agnostic: handlers never import Slack's libraries.

Everything that came from outside (titles, user input) goes through :func:`escape_mrkdwn` or
:func:`link`, so a post titled ``<!channel>`` cannot ping and a title cannot forge a link.
Helpers take *mrkdwn* (already escaped) unless their argument is called ``plain``/``label``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from handlers.replies import Reply


def plural(n: float, word: str, many: str | None = None) -> str:
    """``1 mention``, ``2 mentions``, ``1,500 items``, ``2.5 points``; ``many`` for words whose
    plural is not word + s (``plural(n, "alias", "aliases")``)."""
    shown = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    return f"{shown} {word if n == 1 else many or word + 's'}"

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
HEADER_CHARS = 150
BUTTON_VALUE_CHARS = 2000

#: action_ids of the alert buttons; bot/slack.py routes every ``attention_*`` action.
ACTION_PREFIX = "attention_"
DETAILS, MUTE, UNWATCH = "attention_details", "attention_mute", "attention_unwatch"
MUTE_DAYS = 7

# Hosts whose whole path is an identifier: a `#` or `;` there is part of the DOI/Handle.
_RESOLVER_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org", "hdl.handle.net", "n2t.net"})
_ID_SAFE = "/:@!$'()*+,=-._~"
# Characters that may never appear raw inside Slack's <url|label>, nor in a URL.
_URL_BREAKERS = re.compile(r"[<>|\s\"`{}\\^\x00-\x1f\x7f]")


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _encode_breakers(url: str) -> str:
    return _URL_BREAKERS.sub(lambda m: quote(m.group(0), safe=""), url)


def safe_url(url: str) -> str | None:
    """``url`` fit to sit inside ``<...|...>``, or None when it is not an http(s)/mailto link.

    Resolver links (doi.org, hdl.handle.net) are re-encoded as a whole so a DOI holding
    ``<``, ``>``, ``#``, ``;`` or ``|`` still resolves. A bare DOI is turned into its doi.org link.
    """
    raw = str(url).strip()
    if re.match(r"^(doi:)?10\.\d{4,9}/", raw, re.IGNORECASE):
        raw = "https://doi.org/" + re.sub(r"^doi:", "", raw, flags=re.IGNORECASE)
    if raw.lower().startswith("mailto:"):
        return _encode_breakers(raw).replace("&", "&amp;")
    scheme, _, rest = raw.partition("://")
    if scheme.lower() not in ("http", "https") or not rest:
        return None
    host, slash, path = rest.partition("/")
    if host.lower() in _RESOLVER_HOSTS and slash:
        # unquote first so an already-encoded DOI is not encoded twice
        encoded = f"{scheme.lower()}://{host}/{quote(unquote(path), safe=_ID_SAFE)}"
    else:
        if not urlsplit(_encode_breakers(raw)).netloc:
            return None
        encoded = _encode_breakers(raw)
    # Slack reads the whole message as HTML-escaped text, the URL included.
    return encoded.replace("&", "&amp;")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link ``<url|label>`` with ``label`` escaped; just the label if ``url`` is unusable."""
    shown = escape_mrkdwn(label) if label else ""
    target = safe_url(url) if url else None
    if target is None:
        return shown or escape_mrkdwn(url or "")
    return f"<{target}|{shown}>" if shown else f"<{target}>"


def clip(text: str, limit: int, *, marker: str = "…") -> str:
    """Cut mrkdwn to ``limit`` characters at a line or word break, never inside ``<...>``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(marker)]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:  # would cut a link in half
        cut = cut[:opened]
    for sep in ("\n", " "):
        at = cut.rfind(sep)
        if at > len(cut) // 2:
            cut = cut[:at]
            break
    return cut.rstrip() + marker


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str, *, limit: int = 75) -> Block:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def section(text_mrkdwn: str, *, block_id: str | None = None) -> Block:
    """A section of mrkdwn (clipped to 3,000 characters)."""
    block: Block = {"type": "section", "text": _mrkdwn(clip(text_mrkdwn, SECTION_CHARS) or " ")}
    if block_id:
        block["block_id"] = block_id
    return block


def fields(pairs: Sequence[tuple[str, str]], *, text_mrkdwn: str | None = None) -> Block:
    """A section of up to 10 two-column fields: ``(label, value_mrkdwn)``; labels are escaped."""
    if len(pairs) > MAX_FIELDS:
        raise ValueError(f"Slack allows {MAX_FIELDS} fields in a section, got {len(pairs)}: split them")
    block: Block = {"type": "section"}
    if text_mrkdwn:
        block["text"] = _mrkdwn(clip(text_mrkdwn, SECTION_CHARS))
    block["fields"] = [_mrkdwn(clip(f"*{escape_mrkdwn(label)}*\n{value}", FIELD_CHARS)) for label, value in pairs]
    return block


def context(text_mrkdwn: str) -> Block:
    """Small grey text under a message (sources, scores, hints)."""
    return {"type": "context", "elements": [_mrkdwn(clip(text_mrkdwn, SECTION_CHARS) or " ")]}


def header(plain: str) -> Block:
    """A bold header line; plain text (never parsed, so nothing to escape), max 150 characters."""
    return {"type": "header", "text": {"type": "plain_text", "text": clip(plain.replace("\n", " "), HEADER_CHARS) or " "}}


def button(
    label: str, *, action_id: str, value: str, style: str | None = None,
    confirm: tuple[str, str, str, str] | None = None,
) -> Block:
    """A button; its ``action_id`` names what it does and its ``value`` what about (see
    handlers.actions). ``confirm`` is (title, text_mrkdwn, confirm label, deny label): Slack
    asks before running it."""
    if len(value) > BUTTON_VALUE_CHARS:
        raise ValueError(f"a button's value is at most {BUTTON_VALUE_CHARS} characters")
    made: Block = {"type": "button", "text": _plain(label), "action_id": action_id, "value": value}
    if style:
        made["style"] = style
    if confirm:
        title, text, yes, no = confirm
        made["confirm"] = {
            "title": _plain(title, limit=100), "text": _mrkdwn(clip(text, 300)),
            "confirm": _plain(yes, limit=30), "deny": _plain(no, limit=30),
        }
    return made


def actions(block_id: str, buttons: Sequence[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(buttons)}


def more_note(count: int) -> Block:
    return context(f"and {count} more - use export")


def truncate_blocks(blocks: Sequence[Block], *, limit: int = MAX_BLOCKS) -> list[Block]:
    """At most ``limit`` blocks; what is cut is counted in a final "and N more - use export"."""
    if len(blocks) <= limit:
        return list(blocks)
    kept = list(blocks[: limit - 1])
    return kept + [more_note(len(blocks) - len(kept))]


def reply_blocks(reply: Reply) -> list[Block]:
    """A plain-text Reply as mrkdwn sections: escaped, 3,000 characters a section, 50 blocks.

    Lines are kept whole; when they do not fit, the rest is counted as "and N more".
    """
    if reply.blocks:
        return truncate_blocks(reply.blocks)
    lines = escape_mrkdwn(reply.text or "").splitlines() or [" "]
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = clip(line, SECTION_CHARS)
        if chunks[-1] and size + len(line) + 1 > SECTION_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    blocks = [section("\n".join(chunk)) for chunk in chunks]
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = chunks[: MAX_BLOCKS - 1]
    left = sum(1 for chunk in chunks[MAX_BLOCKS - 1 :] for line in chunk if line.strip())
    return blocks[: len(kept)] + [more_note(left)]


def _alert_identifier(item: str | Mapping[str, Any]) -> str | None:
    if isinstance(item, Mapping):
        value = item.get("identifier") or item.get("key")
        return str(value) if value else None
    return str(item) if item else None


def actions_for_alert(item: str | Mapping[str, Any]) -> Block | None:
    """The buttons under an alert: Details (private lookup), Mute 7 days, Unwatch.

    ``item`` is the identifier as a user would type it (``doi:10.1/x``), or an alert payload
    with an ``identifier``. Each button's value is only that identifier: the action_id says
    which command it runs (handlers.actions). None when the identifier is too long to fit a
    button value (Slack allows 2,000 characters).
    """
    ident = _alert_identifier(item)
    if not ident:
        return None
    value = shlex.quote(ident)
    if len(value) > BUTTON_VALUE_CHARS:
        return None
    confirm = ("Stop watching?", f"This channel will no longer hear about {escape_mrkdwn(ident)}.", "Unwatch", "Keep")
    return actions("attention_alert_actions", [
        button("Details", action_id=DETAILS, value=value),
        button(f"Mute {MUTE_DAYS} days", action_id=MUTE, value=value),
        button("Unwatch", action_id=UNWATCH, value=value, style="danger", confirm=confirm),
    ])


def bullet_list(lines_mrkdwn: Iterable[str], *, limit: int = 20) -> list[Block]:
    """Sections of "• line" items, at most ``limit`` lines, then "and N more - use export"."""
    items = list(lines_mrkdwn)
    shown = items[:limit]
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in shown:
        candidate = "\n".join([*chunk, f"• {line}"])
        if chunk and len(candidate) > SECTION_CHARS:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(f"• {line}")
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(items) > limit:
        blocks.append(more_note(len(items) - limit))
    return truncate_blocks(blocks)
