"""Newly watched items are asked about soon, not at each source's next scheduled poll (which may
be a day away): within ATTENTION_FIRST_POLL_SECONDS under `attention-bot run`.

The first ask of an item by a source records its baseline (what is already out there, without
alerting, as every first poll does), so `lookup` and `status` show it as polled. Each source
keeps its own place in the watches table (watch ids only grow), so a look costs one indexed
query whatever the size of the watchlist, and a watch made by `attention-bot cmd` in another
process is seen as well. An item a source fails on is left to its scheduled poll.
"""

from __future__ import annotations

from datetime import datetime

from core.times import iso
from handlers.context import Context
from handlers.polling.poll import PollReport, run_poll, targets
from sources.base import Source
from storage import polls, watches


class NewlyWatched:
    """Where one source's first asks have got to in the watches table."""

    def __init__(self, after: int) -> None:
        #: The newest watch already looked at; watches after it are new.
        self.after = after

    @staticmethod
    def start(ctx: Context, *, since: datetime) -> int:
        """Where to start at a bot's start: watches made after ``since`` (the last day, so
        items watched while the bot was down) count as new."""
        return watches.last_watch_before(ctx.store.db, iso(since))

    def ask(self, ctx: Context, source: Source) -> PollReport | None:
        """Ask ``source`` about the items watched since the last look that it was never asked
        about; None when there are none."""
        db = ctx.store.db
        self.after, item_ids = watches.watched_after(db, self.after)
        asked = polls.baselined_among(db, source.name, item_ids) if item_ids else set()
        todo = [i for i in item_ids if i not in asked]
        # Items the source cannot be asked about (a URL, for Crossref) make no poll at all.
        if not todo or next(targets(ctx, source, only=todo), None) is None:
            return None
        return run_poll(ctx, source, only=todo)
