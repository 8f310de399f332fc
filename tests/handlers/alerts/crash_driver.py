"""Run by the crash-injection tests in a child process: one poll of a scripted source and one
delivery into a file-backed fake chat. ATTENTION_TEST_CRASH_AT makes it die mid-way.

    python -m tests.handlers.alerts.crash_driver DB CHAT_JSON MENTIONS
    python -m tests.handlers.alerts.later 11 tests.handlers.alerts.crash_driver ...   # a rerun 11 minutes later
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.models import Identifier
from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import run_poll
from storage import open_store, watches
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource

DOI = Identifier(scheme="doi", value="10.1234/abc")


def main(db: str, chat: str, mentions: int) -> None:
    store = open_store(db)
    source = ScriptedSource()
    ctx = Context(store=store, sources=[source], options=Options(**{"alert_group_seconds": 0, "alert_broadcast_jump": 100.0}))
    with store.transaction() as tx:
        for channel in ("C1", "C2"):
            watches.watch_item(tx, channel, [DOI], title="A paper")
    for n in range(mentions):
        source.add(DOI.key, f"m{n}", day=n + 1)
    poll = run_poll(ctx, source)
    report = deliver_pending(ctx, RecordingNotifier(Path(chat)))
    print(json.dumps({"alerts": poll.alerts, "sent": report.sent, "recovered": report.recovered, "busy": report.busy}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
