"""Numbers people type after a command: read with their allowed range, or refused with a
message naming it. Never a crash: ``top`` followed by thousands of digits is a range error too."""

from __future__ import annotations

import math
import re

from core.errors import InputError
from core.text import shown

#: More digits than any allowed number has: refused before Python is asked to read them.
MAX_DIGITS = 12
_DAYS = re.compile(r"([0-9]{1,12})\s*(d|days?|w|weeks?)?", re.IGNORECASE)


def typed(text: str) -> str:
    """What the user typed, short enough to quote back (``99999…`` for 5,000 nines)."""
    text = shown(text)
    return text if len(text) <= 24 else text[:20] + f"… ({len(text):,} characters)"


def _range(low: float, high: float) -> str:
    return f"from {low:,g} to {high:,g}"


def whole_number(text: str, *, low: int, high: int, what: str, example: str) -> int:
    """``text`` as a whole number in ``[low, high]``, or InputError naming the range."""
    value = text.strip()
    readable = value.isascii() and value.isdecimal() and len(value) <= MAX_DIGITS
    if readable and low <= int(value) <= high:
        return int(value)
    raise InputError(
        f"`{typed(text)}` is not {what}: give a whole number {_range(low, high)}, e.g. `{example}`."
    )


def number(text: str, *, low: float, high: float, what: str, example: str) -> float:
    """``text`` as a number (decimals allowed) in ``[low, high]``, or InputError naming it."""
    value = text.strip()
    try:
        got = float(value) if len(value) <= 32 else math.nan
    except ValueError:
        got = math.nan
    if low <= got <= high:  # NaN and infinities fail this
        return got
    raise InputError(
        f"`{typed(text)}` is not {what}: give a number {_range(low, high)}, e.g. `{example}`."
    )


def days(text: str, *, low: int, high: int, example: str) -> int:
    """A number of days: ``7``, ``7d``, ``7 days`` or ``2w``, in ``[low, high]`` days."""
    match = _DAYS.fullmatch(text.strip())
    if match:
        n = int(match[1]) * (7 if (match[2] or "d").lower().startswith("w") else 1)
        if low <= n <= high:
            return n
    raise InputError(
        f"`{typed(text)}` is not a number of days: give {_range(low, high)} days "
        f"(`14`, `14d` or `2w`), e.g. `{example}`."
    )
