"""A poll asks several items at once (up to the source's concurrency), and what it stores and
alerts is the same as one item after another."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.models import Identifier
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import PollReport, run_poll
from sources.crossref import Crossref
from sources.factory import HttpFactory
from storage import counts, open_store, outbox, watches
from tests.fakes.config import sources_config
from tests.fakes.http import Canned, FakeServer, Recorded

ITEMS = 40
SLOTS = 4


def doi(i: int) -> Identifier:
    return Identifier(scheme="doi", value=f"10.5555/poll.{i}")


class CrossrefFake:
    """Crossref's /works/{doi} for ITEMS DOIs, answering after ``latency`` seconds; counts how
    many requests it holds at once. ``cited[i]`` is DOI i's citation count, ``broken`` the DOIs
    answered with an HTML error page."""

    def __init__(self, server: FakeServer, *, latency: float) -> None:
        self.latency = latency
        self.cited = dict.fromkeys(range(ITEMS), 1)
        self.broken: set[int] = set()
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        #: Set once two requests were held at once: the first one waits for it (not a timing bet).
        self.overlapped = threading.Event()
        for i in range(ITEMS):
            server.route_fn("GET", f"/works/{doi(i).value}", self._answer(i))

    def _answer(self, i: int) -> Callable[[Recorded], Canned]:
        def answer(_: Recorded) -> Canned:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                if self.in_flight > 1:
                    self.overlapped.set()
            if self.latency:
                # A concurrent poll sends a second request while this one is held; a serial one
                # cannot, and this wait then runs out (the assert on max_in_flight says so).
                self.overlapped.wait(10)
            time.sleep(self.latency)  # the source's latency, not a wait for the test
            with self._lock:
                self.in_flight -= 1
            if i in self.broken:
                return Canned(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
            body = (
                b'{"status":"ok","message-type":"work","message":{"is-referenced-by-count":%d}}'
                % self.cited[i]
            )
            return Canned(200, body, {"Content-Type": "application/json"})

        return answer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def watched_store(path: Path, *, items: int = ITEMS) -> Context:
    ctx = Context(store=open_store(path), options=Options(alert_group_seconds=0))
    with ctx.store.transaction() as db:
        for i in range(items):
            watches.watch_item(db, "C1", [doi(i)], title=f"Paper {i}")
    return ctx


class OneByOne(Crossref):
    """Crossref asked one work at a time, as a source without lists is (a poll of Crossref
    itself sweeps its DOIs in lists: tests/handlers/polling/test_sweep.py)."""

    lists = frozenset()


def crossref(server: FakeServer, *, slots: int) -> Crossref:
    config = sources_config(
        urls={"crossref": server.url}, rates={"crossref": 1000}, concurrency={"crossref": slots}
    )
    return OneByOne(config, HttpFactory(config))


def test_a_poll_asks_several_items_at_once_up_to_the_concurrency(server: FakeServer, tmp_path: Path) -> None:
    fake = CrossrefFake(server, latency=0.1)
    ctx = watched_store(tmp_path / "a.db")
    seen: list[tuple[int, int]] = []
    report = run_poll(ctx, crossref(server, slots=SLOTS), progress=lambda d, t: seen.append((d, t)))
    assert 1 < fake.max_in_flight <= SLOTS
    assert report.items == report.asked == report.baselines == ITEMS and report.failures == ()
    assert seen == [(n, ITEMS) for n in range(ITEMS + 1)]
    item = watches.get_watched_item(ctx.store.db, "C1", doi(7))
    assert item is not None and counts.latest(ctx.store.db, item.id, "crossref", "citations") == 1
    ctx.store.close()


def poll_twice(server: FakeServer, fake: CrossrefFake, path: Path, *, slots: int) -> tuple[PollReport, list[tuple[str, str, dict[str, object]]]]:
    """A baseline poll of 15 items, citations rise for a third of them, a second poll: its
    report and outbox."""
    fake.cited = dict.fromkeys(range(ITEMS), 1)
    ctx = watched_store(path, items=15)
    source = crossref(server, slots=slots)
    run_poll(ctx, source)
    fake.cited = {i: 5 if i % 3 == 0 else 1 for i in range(ITEMS)}
    report = run_poll(ctx, source)
    rows = [(r.key, r.channel, r.payload) for r in outbox.due(ctx.store.db)]
    ctx.store.close()
    return report, rows


def test_concurrent_polls_store_and_alert_exactly_as_one_at_a_time(server: FakeServer, tmp_path: Path) -> None:
    fake = CrossrefFake(server, latency=0.0)
    serial_report, serial = poll_twice(server, fake, tmp_path / "serial.db", slots=1)
    report, concurrent = poll_twice(server, fake, tmp_path / "concurrent.db", slots=SLOTS)
    assert len(concurrent) == 5  # one alert per item whose citations rose: 0, 3, 6, 9, 12
    assert concurrent[0][2]["counts"] == [{"source": "crossref", "metric": "citations", "before": 1.0, "after": 5.0}]
    assert concurrent == serial  # the same alerts, same order, same content
    assert report.alerts == serial_report.alerts == 5


def test_one_failing_item_does_not_stop_the_others(server: FakeServer, tmp_path: Path) -> None:
    fake = CrossrefFake(server, latency=0.01)
    fake.broken = {3}
    ctx = watched_store(tmp_path / "a.db")
    report = run_poll(ctx, crossref(server, slots=SLOTS))
    assert [f.target for f in report.failures] == [doi(3).key]
    assert report.asked == ITEMS and report.baselines == ITEMS - 1
    for i in (0, 4, ITEMS - 1):
        item = watches.get_watched_item(ctx.store.db, "C1", doi(i))
        assert item is not None and counts.latest(ctx.store.db, item.id, "crossref", "citations") == 1
    ctx.store.close()
