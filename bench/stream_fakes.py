"""Loopback stream servers for the stream benchmarks, and the events they replay.

Each server runs in a process of its own (so it never shares the interpreter lock with the bot
being measured) and sends prepared events: a Jetstream-like WebSocket server and an
EventStreams-like server-sent events server. ``rate=None`` sends as fast as the bot reads
(the connection's flow control paces it); a rate sends that many a second, each event stamped
with the time it left (Jetstream's ``time_us``, EventStreams' ``meta.dt``). After ``count``
events the server ends the connection; the next ``replays - 1`` connections get the same replay
again, any after them nothing.

The events are shaped like the real streams' and mixed like them: most posts have no link;
some link news sites, some a DOI nobody here watches, a few write a DOI in their text; a small
share name a watched item (``matching_every``), always one of the first watched ones, so
every run matches the same events whatever else is watched.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Items watched in every run, which matching events name.
SHARED_ITEMS = 1000
#: What the measured processes have imported before they start: the bot's stream side and the
#: client libraries the bare readers use.
PRELOAD = ["handlers.streams.run", "sources", "storage", "httpx", "httpx_sse", "websockets.sync.client"]


def measured_processes() -> multiprocessing.context.ForkServerContext:
    """Processes forked from a fresh interpreter that has imported ``PRELOAD`` (a forkserver):
    none counts the memory of this process (which may have built a million-item database) as
    its own, as a plain fork would, and each starts in a tenth of a spawned one's second."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def one_core() -> int | None:
    """The core a measured process is pinned to: the second, when there is one (the servers
    and this process are left the others)."""
    return 1 if (os.cpu_count() or 1) > 1 else None


def pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def watched_doi(n: int) -> str:
    return f"10.5555/bench.{n}"


def jetstream_event(
    n: int, *, matching_every: int, time_us: int, cycle: int = SHARED_ITEMS
) -> dict[str, Any]:
    """Post ``n`` of the replay; matching posts name the first ``cycle`` watched DOIs in turn.
    Its ``rkey`` ends in the time it left the server, which its mention's address then shows."""
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": "2026-12-01T00:00:00.000Z",
        "langs": ["en"],
    }
    kind = n % 20
    if matching_every and n % matching_every == 0:
        doi = watched_doi((n // matching_every) % cycle)
        record["text"] = f"Our new paper {n}: doi.org/{doi}"
        record["facets"] = [
            {
                "index": {"byteStart": 15, "byteEnd": 40},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": f"https://doi.org/{doi}"}
                ],
            }
        ]
    elif kind < 12:
        record["text"] = (
            f"good morning everyone, post number {n} about the weather and coffee #{n % 97}"
        )
    elif kind < 15:
        record["text"] = f"worth reading news{n % 300}.example.com/story/{n}"
        record["facets"] = [
            {
                "index": {"byteStart": 14, "byteEnd": 50},
                "features": [
                    {
                        "$type": "app.bsky.richtext.facet#link",
                        "uri": f"https://news{n % 300}.example.com/story/{n}",
                    }
                ],
            }
        ]
        record["embed"] = {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": f"https://news{n % 300}.example.com/story/{n}",
                "title": "A story",
                "description": "x" * 120,
            },
        }
    elif kind < 17:
        record["text"] = f"a preprint https://doi.org/10.9999/other.{n} is out"
        record["facets"] = [
            {
                "index": {"byteStart": 11, "byteEnd": 40},
                "features": [
                    {
                        "$type": "app.bsky.richtext.facet#link",
                        "uri": f"https://doi.org/10.9999/other.{n}",
                    }
                ],
            }
        ]
    elif kind < 18:
        record["text"] = f"as shown in doi:10.9999/cited.{n} (and arXiv:2101.{n % 10000:05d})"
    else:
        record["text"] = f"look at this https://www.example.org/pages/{n}?utm_source=bsky"
    return {
        "did": f"did:plc:bench{n % 5000}",
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": f"r{n}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": f"k{n}-{time_us}",
            "cid": f"c{n}",
            "record": record,
        },
    }


def links_change_event(n: int, *, matching_every: int, dt: str) -> dict[str, Any]:
    """Link change ``n`` of the replay."""
    links = [{"link": f"/wiki/Topic_{n % 977}", "external": False} for _ in range(3)]
    kind = n % 10
    if matching_every and n % matching_every == 0:
        links.append(
            {
                "link": f"https://doi.org/{watched_doi((n // matching_every) % SHARED_ITEMS)}",
                "external": True,
            }
        )
    elif kind < 3:
        links.append({"link": f"https://news{n % 300}.example.com/story/{n}", "external": True})
    elif kind < 4:
        links.append({"link": f"https://doi.org/10.9999/other.{n}", "external": True})
    return {
        "$schema": "/mediawiki/page/links-change/1.0.0",
        "meta": {
            "domain": ("en", "de", "fr", "ja")[n % 4] + ".wikipedia.org",
            "dt": dt,
            "stream": "mediawiki.page-links-change",
        },
        "page_id": n,
        "page_title": f"Page_{n}",
        "page_namespace": 0,
        "rev_id": n,
        "added_links": links,
        "removed_links": [],
    }


def _paced(count: int, rate: float | None) -> Iterator[int]:
    start = time.monotonic()
    for n in range(count):
        if rate:
            wait = start + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        yield n


def _jetstream(
    port_out: Any, count: int, rate: float | None, matching_every: int, cycle: int, replays: int
) -> None:
    from websockets.sync.server import ServerConnection, serve

    base_us = 1_764_547_200_000_000
    prepared = (
        None
        if rate
        else [
            json.dumps(
                jetstream_event(n, matching_every=matching_every, time_us=base_us + n, cycle=cycle)
            )
            for n in range(count)
        ]
    )

    served = []

    def handle(ws: ServerConnection) -> None:
        served.append(1)
        if len(served) > replays:  # a reconnect after the last replay gets nothing more
            ws.close()
            return
        for n in _paced(count, rate):
            if prepared is not None:
                ws.send(prepared[n])
            else:
                now_us = time.time_ns() // 1000
                ws.send(
                    json.dumps(
                        jetstream_event(
                            n, matching_every=matching_every, time_us=now_us, cycle=cycle
                        )
                    )
                )
        ws.close()

    with serve(handle, "127.0.0.1", 0, compression=None, max_queue=None) as server:
        port_out.put(server.socket.getsockname()[1])
        server.serve_forever()


def _eventstreams(
    port_out: Any, count: int, rate: float | None, matching_every: int, cycle: int, replays: int
) -> None:
    def frame(n: int, dt: str) -> bytes:
        data = json.dumps(links_change_event(n, matching_every=matching_every, dt=dt))
        return f'id: [{{"topic":"t","partition":0,"offset":{n}}}]\ndata: {data}\n\n'.encode()

    prepared = None if rate else [frame(n, "2026-12-01T00:00:00Z") for n in range(count)]
    served = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            served.append(1)
            if len(served) > replays:
                return
            if prepared is not None:
                for start in range(0, count, 500):
                    self.wfile.write(b"".join(prepared[start : start + 500]))
                return
            for n in _paced(count, rate):
                stamp = datetime.now(UTC).isoformat(timespec="microseconds")
                self.wfile.write(frame(n, stamp))
                self.wfile.flush()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(httpd.server_address[1])
    httpd.serve_forever()


class StreamServer:
    """``with StreamServer("jetstream", count=...) as srv: srv.url`` in a process of its own."""

    def __init__(
        self,
        kind: str,
        *,
        count: int,
        rate: float | None = None,
        matching_every: int = 2000,
        cycle: int = SHARED_ITEMS,
        replays: int = 1,
    ) -> None:
        self.kind = kind
        ctx = multiprocessing.get_context("fork")
        self._ports = ctx.Queue()
        target = _jetstream if kind == "jetstream" else _eventstreams
        self._proc = ctx.Process(
            target=target, args=(self._ports, count, rate, matching_every, cycle, replays),
            daemon=True,
        )
        self.port = 0

    @property
    def url(self) -> str:
        if self.kind == "jetstream":
            return f"ws://127.0.0.1:{self.port}/subscribe"
        return f"http://127.0.0.1:{self.port}/v2/stream/mediawiki.page-links-change"

    def __enter__(self) -> StreamServer:
        self._proc.start()
        self.port = int(self._ports.get(timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        self._proc.join(timeout=10)
