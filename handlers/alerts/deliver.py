"""The delivery loop: send outbox rows through a Notifier exactly once.

Each row goes ``pending`` -> ``sending`` (claimed and committed before the chat is called) ->
``sent`` (with the message ts). Several processes may run this loop on one database (cron's
``poll --once`` while ``run`` is up): a claim is an atomic conditional UPDATE, so one of them
gets the row and the others leave it. A row still ``sending`` under a claim older than the
lease was in flight at a crash; it, and any row tried before, is looked for in the chat (the
channel's history and the item's thread) and only posted again if the chat never got it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from core.times import iso
from handlers.alerts import detect, render
from handlers.context import Context
from handlers.notifier import DeliveryError, Notifier
from handlers.render import plural
from storage import channels, outbox, watches
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

#: Attempts before a row is given up as failed.
MAX_ATTEMPTS = 5

#: A ``sending`` row claimed longer ago than this belongs to a process that died. Sending one
#: message takes seconds (minutes at worst, through Slack's retries): well under the lease.
CLAIM_LEASE = timedelta(minutes=10)


class DeliveryReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: int = 0
    #: Rows in flight at a crash that the chat already had: marked sent, not posted again.
    recovered: int = 0
    #: Rows another delivery run (another process) is sending right now: left to it.
    busy: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    channels_gone: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"delivered {self.sent}"
        if self.recovered:
            text += f", {self.recovered} already in the chat"
        if self.digests:
            text += f", {plural(self.digests, 'digest')} built"
        if self.busy:
            text += f", {self.busy} being sent by another run"
        if self.retrying:
            text += f", {self.retrying} to retry"
        if self.failed:
            text += f", {self.failed} gave up"
        if self.channels_gone:
            text += ", channel gone: " + ", ".join(self.channels_gone)
        return text


def _broadcast(ctx: Context, row: OutboxRow) -> bool:
    """A big score jump is also shown in the channel, not only in the item's thread."""
    if row.kind != "alert":
        return False
    jump = float(row.payload.get("score", 0)) - float(row.payload.get("score_before", 0))
    return jump > ctx.options.alert_broadcast_jump


def _channel_gone(ctx: Context, channel: str, exc: DeliveryError) -> None:
    log.warning("channel %s is gone or removed the bot (%s): its watches are now inactive", channel, exc)
    with ctx.store.transaction() as db:
        watches.set_channel_active(db, channel, False, reason=str(exc))
        outbox.fail_channel(db, channel, f"channel gone: {exc}")


def _claim(ctx: Context, row: OutboxRow, *, token: str, lease: timedelta) -> OutboxRow | None:
    now = ctx.now()
    with ctx.store.transaction() as tx:
        return outbox.claim(tx, row.id, token=token, now=iso(now), stale_before=iso(now - lease))


def _send(ctx: Context, notifier: Notifier, row: OutboxRow) -> tuple[str | None, bool]:
    """Deliver one claimed row; returns (ts, recovered). Raises DeliveryError."""
    thread = outbox.thread_ts(ctx.store.db, row.channel, row.item_id) if row.item_id is not None else None
    if row.attempts > 1:
        # Tried before: a crash after posting, or an error after which the chat may still have
        # got it. A follow-up alert lives in its item's thread, which history does not show.
        found = notifier.find_by_key(row.channel, row.key, thread_ts=thread)
        if found:
            return found, True
    text, blocks = render.render(row.kind, row.payload)
    ts = notifier.post(
        row.channel, text=text, blocks=blocks, thread_ts=thread,
        broadcast=bool(thread) and _broadcast(ctx, row), key=row.key,
    )
    return ts, False


def _send_safely(ctx: Context, notifier: Notifier, row: OutboxRow) -> tuple[str | None, bool]:
    try:
        return _send(ctx, notifier, row)
    except DeliveryError:
        raise
    except Exception as exc:  # a notifier bug must not stop the loop nor lose the row
        log.exception("notifier failed on %s", row.key)
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def deliver_pending(
    ctx: Context, notifier: Notifier, *, limit: int = 100, lease: timedelta = CLAIM_LEASE,
    flush: bool = False,
) -> DeliveryReport:
    """Send due outbox rows, oldest first. One channel's trouble never holds up another's.

    An alert waits ATTENTION_ALERT_GROUP_SECONDS for more about its item to join it; ``flush``
    sends those too, for a run that is ending (`poll --once` after asking every source, a
    stream stopping). Safe to run in several threads or processes at once: each row is claimed
    before sending.
    """
    ready_at = None if flush else iso(ctx.now())
    digests = detect.build_digests(ctx)
    token = uuid.uuid4().hex  # this run's claims
    sent = recovered = retrying = failed = busy = 0
    gone: list[str] = []
    skip: set[str] = set()
    held_back: set[tuple[str, int]] = set()
    # Rows of a channel skipped this run do not count towards ``limit``: the next page is read,
    # so a channel with a long backlog that keeps failing cannot hide every other channel's.
    tried = last_id = 0
    while tried < limit:
        page = outbox.due(ctx.store.db, limit=limit, after_id=last_id, ready_at=ready_at)
        if not page:
            break
        for due in page:
            if tried >= limit:
                break
            last_id = due.id
            if due.channel in skip or (due.channel, due.item_id) in held_back:
                continue
            tried += 1
            row = _claim(ctx, due, token=token, lease=lease)
            if row is None:
                current = outbox.get(ctx.store.db, due.key)
                if current is not None and current.status == "sending":
                    busy += 1
                    if due.item_id is not None:
                        # Its later alerts wait for it, so they still land in its thread, in order.
                        held_back.add((due.channel, due.item_id))
                continue
            try:
                ts, was_there = _send_safely(ctx, notifier, row)
            except DeliveryError as exc:
                if exc.channel_gone:
                    _channel_gone(ctx, row.channel, exc)
                    gone.append(row.channel)
                    skip.add(row.channel)
                    failed += 1
                    continue
                final = exc.final or row.attempts >= MAX_ATTEMPTS
                with ctx.store.transaction() as db:
                    outbox.mark_failed(db, row.id, str(exc), final=final, claim=token)
                log.warning("delivery of %s failed (attempt %d%s): %s", row.key, row.attempts,
                            ", giving up" if final else "", exc)
                if final:
                    failed += 1
                else:
                    retrying += 1
                    skip.add(row.channel)  # the chat is struggling: try this channel again next run
                continue
            with ctx.store.transaction() as db:
                thread = outbox.thread_ts(db, row.channel, row.item_id) if row.item_id is not None else None
                if not outbox.mark_sent(db, row.id, ts=ts, thread_ts=thread, claim=token):
                    # Our lease ran out mid-send and another run took the row over: it will find
                    # this message by its key instead of posting again.
                    log.warning("delivery of %s outlasted its claim; another run is settling it", row.key)
                if ts and row.item_id is not None and row.kind == "alert" and thread is None:
                    outbox.set_thread(db, row.channel, row.item_id, ts)
                if not channels.get_settings(db, row.channel).active:
                    # A channel marked gone took a message: the bot is back in it.
                    watches.set_channel_active(db, row.channel, True)
            if was_there:
                recovered += 1
            else:
                sent += 1
    return DeliveryReport(
        sent=sent, recovered=recovered, busy=busy, retrying=retrying, failed=failed, digests=len(digests),
        channels_gone=tuple(gone),
    )
