"""Characters that do not show: control codes, bidirectional overrides, zero-width marks.

Pasted text can carry them unseen (a NUL, an ANSI colour escape, U+202E that flips what follows,
a zero-width space from a web page). They are refused in what people type and shown escaped,
never raw, so a reply or a log line cannot be made to look like something else.
"""

from __future__ import annotations

import unicodedata

#: Line breaks and tabs are whitespace, handled as such where text is split into words.
_WHITESPACE = frozenset("\t\n\r")
#: Control (Cc: NUL, ESC...), format (Cf: U+202A..U+202E, U+2066..U+2069, U+200B..U+200D,
#: U+2060, U+FEFF, the soft hyphen...) and lone surrogates (Cs).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def is_hidden(ch: str) -> bool:
    """True for a character that does not show, or changes how the text around it shows."""
    return ch not in _WHITESPACE and unicodedata.category(ch) in _HIDDEN_CATEGORIES


def escape(ch: str) -> str:
    """A character's visible name: ``\\x00`` for a control code, ``U+202E`` for the rest."""
    code = ord(ch)
    if unicodedata.category(ch) == "Cc" and code <= 0xFF:
        return f"\\x{code:02x}"
    return f"U+{code:04X}"


def hidden_in(text: str) -> list[str]:
    """The distinct hidden characters of ``text``, escaped, in the order they first appear."""
    if text.isprintable():  # C speed; every hidden character is unprintable
        return []
    return list(dict.fromkeys(escape(ch) for ch in text if is_hidden(ch)))


def shown(text: str) -> str:
    """``text`` with every hidden character replaced by its escaped name: safe to echo or store."""
    if text.isprintable() or not any(is_hidden(ch) for ch in text):
        return text
    return "".join(escape(ch) if is_hidden(ch) else ch for ch in text)
