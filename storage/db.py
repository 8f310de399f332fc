"""Opening the database (its schema migrations are in storage.migrations).

Threading: each thread gets its own connection (``threading.local``), because sqlite3
connections must not be shared between threads. The scheduler thread, the Slack listener
threads and the shell each write through their own connection; SQLite's WAL mode lets readers
run beside one writer, and ``busy_timeout`` makes a second writer wait instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import migrations

BUSY_TIMEOUT_MS = 10_000



class Store:
    """A database path and one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        #: Every connection opened, with the thread that owns it.
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        migrations.apply(self.db)

    @property
    def db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = Database(conn)
            self._local.db = db
            with self._lock:
                self._close_orphans()
                self._all.append((threading.current_thread(), conn))
        return db

    def _close_orphans(self) -> None:
        # A thread that ended leaves its connection open (``threading.local`` drops the
        # reference, ``_all`` keeps it): every `lookup` runs its sources on new threads, so
        # without this a long-running bot piles up open files. Call with ``_lock`` held.
        kept = []
        for thread, conn in self._all:
            if thread.is_alive():
                kept.append((thread, conn))
            else:
                with suppress(sqlite3.ProgrammingError):
                    conn.close()
        self._all = kept

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Writes that belong together: all of them or none. ``BEGIN IMMEDIATE`` takes the
        write lock up front so two threads never deadlock upgrading a read lock."""
        db = self.db
        conn = db.conn
        if conn.in_transaction:
            yield db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection and those of threads that ended.

        A connection another live thread is using is left open: closing it under that thread
        crashes the interpreter (a `lookup` thread still waiting on a hung source writes its
        outcome when the source finally answers). It closes with its thread or the process.
        """
        me = threading.current_thread()
        with self._lock:
            kept = []
            for thread, conn in self._all:
                if thread is me or not thread.is_alive():
                    with suppress(sqlite3.ProgrammingError):
                        conn.close()
                else:
                    kept.append((thread, conn))
            self._all = kept
        self._local = threading.local()


def open_store(path: str | Path) -> Store:
    """Open (and create or upgrade) the database at ``path``."""
    if str(path) != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return Store(Path(path).expanduser() if str(path) != ":memory:" else path)
