"""Keep API keys out of the log: httpx logs every request URL, and some sources take their key
in the query string (Altmetric ``key=``, OpenAlex ``api_key=``).

Besides the filter on the httpx loggers, :func:`install_secrets` hides the configured secret
values themselves (tokens, keys, passwords) in every record any logger creates, tracebacks
included, whatever handler (a file, stderr, pytest's caplog) receives it.

Slack's libraries log request bodies (Bolt: a refused request's whole form, with the user's
name and the command typed; at DEBUG, replies and payloads): in their records the bodies are
hidden too (:func:`hide_bodies`), at every level, so user ids stay in the audit log alone.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any

#: Query parameters whose values are secrets.
_SECRET_PARAM = re.compile(
    r"([?&](?:key|api_key|apikey|access_token|token|password|client_secret)=)[^&\s\"'#]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the values of secret query parameters replaced by ``***``."""
    return _SECRET_PARAM.sub(r"\1***", text)


class RedactQuerySecrets(logging.Filter):
    """Rewrites a record's message with secret query values hidden (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(*logger_names: str) -> None:
    """Add the filter to each named logger once (a second call adds nothing)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQuerySecrets) for f in logger.filters):
            logger.addFilter(RedactQuerySecrets())


#: Loggers whose records may carry a Slack request's body.
SLACK_LOGGERS = ("slack_bolt", "slack_sdk")
HIDDEN = "<request body hidden>"
# "... body: token=x&user_name=alice&text=..." (Bolt's refused-signature line) to its end.
_BODY_TAIL = re.compile(r"(?is)(\bbody\b\W{0,3}).+$")
# A form as sent (a=1&b=2&c=3) anywhere else.
_FORM = re.compile(r"(?:[\w.%-]+=[^&\s]*&){2,}[\w.%-]+=[^&\s)]*")
# A parsed payload, as a dict or JSON: whatever lies between the braces around its fields.
_PAYLOAD = re.compile(
    r"""(?s)\{.*?['"](?:user_name|user_id|text|trigger_id|response_url|token)['"]\s*:.*\}"""
)


def hide_bodies(text: str) -> str:
    """``text`` with Slack request bodies (forms, payloads) replaced by a placeholder."""
    text = _BODY_TAIL.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _FORM.sub(HIDDEN, text)
    return _PAYLOAD.sub("{" + HIDDEN + "}", text)


#: Shorter values are not hidden: they would blank out ordinary words.
MIN_SECRET = 6
_secrets: tuple[str, ...] = ()
_base_factory: Callable[..., logging.LogRecord] | None = None


def hide(text: str) -> str:
    """``text`` with secret query values and every installed secret value replaced by ``***``."""
    text = redact(text)
    for value in _secrets:
        text = text.replace(value, "***")
    return text


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it later, as it would have
        return
    cleaned = hide(message)
    if record.name.startswith(SLACK_LOGGERS):
        cleaned = hide_bodies(cleaned)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        shown = hide(text)
        if shown != text:
            record.exc_text = shown  # formatters print exc_text instead of formatting exc_info
    if record.stack_info:
        record.stack_info = hide(record.stack_info)


def install_secrets(values: Iterable[str | None]) -> None:
    """Hide ``values`` in every log record from now on (a second call replaces the values)."""
    global _secrets
    _secrets = tuple(sorted({v for v in values if v and len(v) >= MIN_SECRET}, key=len, reverse=True))
    install_cleaning()


def install_cleaning() -> None:
    """Clean every log record as it is made (secret values, Slack request bodies); once."""
    global _base_factory
    if _base_factory is not None:
        return
    base = _base_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        _clean(record)
        return record

    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    """Undo :func:`install_secrets` (tests)."""
    global _secrets, _base_factory
    if _base_factory is not None:
        logging.setLogRecordFactory(_base_factory)
    _secrets, _base_factory = (), None
