from __future__ import annotations

from core.text import hidden_in, is_hidden, shown


def test_control_format_and_bidi_characters_are_hidden_but_whitespace_is_not() -> None:
    assert all(is_hidden(ch) for ch in "\x00\x1b\x7f\x85\u200b\u202e\u2066\ufeff\u00ad")
    assert not any(is_hidden(ch) for ch in " \t\n\razé中/")


def test_shown_names_each_hidden_character_and_keeps_the_rest() -> None:
    assert shown("a\x00b\u202ec") == "a\\x00bU+202Ec"
    assert shown("plain 10.1/x") == "plain 10.1/x"
    assert hidden_in("\x1b[31m\x1b[0m\u2067") == ["\\x1b", "U+2067"]
