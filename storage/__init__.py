"""SQLite storage through sqlite-utils. The only layer that writes SQL."""

from sqlite_utils import Database

from storage.db import Store, open_store

#: The database handle storage functions take (handlers pass it along, never query it).
__all__ = ["Database", "Store", "open_store"]
