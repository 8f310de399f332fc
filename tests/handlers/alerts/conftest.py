"""Setup shared by the alert tests: a fixed Monday morning, a scripted source, a watched DOI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from core.models import Identifier
from handlers.context import Context
from handlers.options import Options
from storage import watches
from tests.fakes.scripted_source import ScriptedSource

DOI = Identifier(scheme="doi", value="10.1234/abc")
KEY = DOI.key


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as t:
        yield t


@pytest.fixture
def source() -> ScriptedSource:
    return ScriptedSource()


@pytest.fixture
def watched(ctx: Context, source: ScriptedSource) -> Context:
    """C1 and C2 watch one DOI; the source already knows one old mention of it."""
    ctx.sources = [source]
    ctx.options = Options(**{"alert_group_seconds": 0, "alert_max_mentions": 5, "alert_broadcast_jump": 20.0})
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [DOI], title="A paper")
        watches.watch_item(db, "C2", [DOI])
    source.add(KEY, "old", day=1)
    return ctx
