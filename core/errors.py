"""Errors every layer may raise. Kept in core so that nothing needs to import upwards."""


class InputError(ValueError):
    """Something a user typed cannot be used. The message says how to fix it."""
