"""Keep API keys out of the log: httpx logs every request URL, and some sources take their key
in the query string (Altmetric ``key=``, OpenAlex ``api_key=``)."""

from __future__ import annotations

import logging
import re

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
