"""SQLite storage through sqlite-utils. The only layer that writes SQL."""

from storage.db import Store, open_store

__all__ = ["Store", "open_store"]
