"""What pasted text brings along besides what was meant.

Characters that do not show: control codes, bidirectional overrides, zero-width marks. Pasted
text can carry them unseen (a NUL, an ANSI colour escape, U+202E that flips what follows, a
zero-width space from a web page). They are refused in what people type and shown escaped,
never raw, so a reply or a log line cannot be made to look like something else.

Punctuation from the sentence around a word: quotes, wrapping brackets, a final full stop.
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


def without_hidden(text: str) -> str:
    """``text`` with hidden characters taken out: for what machines wrote (a page's meta tag
    with a zero-width space pasted into its CMS), never for what a person is asked to retype."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if not is_hidden(ch))


def shown(text: str) -> str:
    """``text`` with every hidden character replaced by its escaped name: safe to echo or store."""
    if text.isprintable() or not any(is_hidden(ch) for ch in text):
        return text
    return "".join(escape(ch) if is_hidden(ch) else ch for ch in text)


_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_OPENERS = {close: open_ for open_, close in _BRACKETS.items()}
_QUOTES = frozenset("\"'`\u201c\u201d\u2018\u2019\u201e\u201a\u00ab\u00bb\u2039\u203a")
_TRAILING = frozenset(".,;")


def _encloses(value: str) -> bool:
    """True when the first character's bracket is closed by the last one, not before."""
    open_, close, depth = value[0], value[-1], 0
    for i, ch in enumerate(value):
        depth += (ch == open_) - (ch == close)
        if depth == 0 and i < len(value) - 1:
            return False
    return depth == 0


def unwrap(value: str) -> str:
    """``value`` without wrapping quotes or brackets and trailing ``.``, ``,`` or ``;``, as a
    sentence leaves them: ``(doi:10.1/x).`` -> ``doi:10.1/x``. Balanced brackets stay."""
    while True:
        value = value.strip()
        if not value:
            return value
        first, last = value[0], value[-1]
        if first in _QUOTES:
            value = value[1:]
        elif last in _QUOTES or last in _TRAILING:
            value = value[:-1]
        elif len(value) > 1 and _BRACKETS.get(first) == last and _encloses(value):
            value = value[1:-1]
        elif last in _OPENERS and value.count(last) > value.count(_OPENERS[last]):
            value = value[:-1]
        elif first in _BRACKETS and value.count(first) > value.count(_BRACKETS[first]):
            value = value[1:]
        else:
            return value
