"""Servers that misbehave on purpose, on 127.0.0.1 port 0: one that drips its answer a byte at
a time, and helpers for bodies that are bombs.

    with DripServer(b"HTTP/1.1 200 OK\\r\\n...", every=0.2) as srv:
        srv.url            # "http://127.0.0.1:PORT"
        srv.wait_abandoned(10)  # True once a client hung up on it
        srv.sent           # bytes sent before that
"""

from __future__ import annotations

import select
import socket
import threading
import zlib


class DripServer:
    """Answers every connection with ``payload``, one byte every ``every`` seconds, after
    reading the request's head; notes how many bytes went out before the client hung up."""

    def __init__(self, payload: bytes, *, every: float) -> None:
        self.payload = payload
        self.every = every
        self.sent = 0
        self.connections = 0
        self._abandoned = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        assert self._sock is not None, "start the server first"
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def wait_abandoned(self, timeout: float) -> bool:
        return self._abandoned.wait(timeout)

    def __enter__(self) -> DripServer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            for byte in self.payload:
                if self._stop.wait(self.every):
                    return
                if _hung_up(conn):
                    self._abandoned.set()
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    self._abandoned.set()
                    return
                self.sent += 1


def _hung_up(conn: socket.socket) -> bool:
    """True when the client closed its end (readable, and nothing more to read)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def gzip_bomb(megabytes: int) -> bytes:
    """About ``megabytes`` MB of zeros, gzip-compressed (about 1 KB per MB), built without ever
    holding the expanded bytes."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    parts = [squeeze.compress(block) for _ in range(megabytes)]
    parts.append(squeeze.flush())
    return b"".join(parts)
