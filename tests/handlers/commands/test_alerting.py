"""`settings`, `mute` and `status` as a user types them."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from core.models import Identifier
from handlers.context import Context
from handlers.options import Options
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from storage import channels, outbox, watches
from tests.fakes.scripted_source import ScriptedSource


def test_settings_show_and_change(ctx: Context) -> None:
    ctx.sources = [ScriptedSource("wikipedia"), ScriptedSource("feeds")]
    shown = dispatch(ctx, "settings", channel="C1").text
    assert "minimum score rise: 0 (every new mention alerts)" in shown
    assert "sources that alert: all" in shown and "mode: realtime" in shown
    assert "minimum score rise: 5" in dispatch(ctx, "settings min-score 5", channel="C1").text
    assert "sources that alert: wikipedia, feeds" in dispatch(ctx, "settings sources Wikipedia,feeds", channel="C1").text
    assert "mode: digest (one message a day)" in dispatch(ctx, "settings mode digest", channel="C1").text
    s = channels.get_settings(ctx.store.db, "C1")
    assert (s.min_score_rise, s.sources, s.mode) == (5.0, ("wikipedia", "feeds"), "digest")
    assert channels.get_settings(ctx.store.db, "C2").sources is None  # per channel
    assert "sources that alert: all" in dispatch(ctx, "settings sources all", channel="C1").text


def test_settings_refuse_bad_values_with_how_to_fix(ctx: Context) -> None:
    ctx.sources = [ScriptedSource("wikipedia")]
    bad = dispatch(ctx, "settings min-score lots", channel="C1")
    assert not bad.ok and "give a number from 0 to 10,000, e.g. `settings min-score 5`" in bad.text
    bad = dispatch(ctx, "settings sources twitter", channel="C1")
    assert not bad.ok and "`twitter` is not a source" in bad.text and "from the sources wikipedia or the kinds news" in bad.text
    bad = dispatch(ctx, "settings mode weekly", channel="C1")
    assert not bad.ok and "`settings mode realtime` or `settings mode digest`" in bad.text
    assert not dispatch(ctx, "settings colour blue", channel="C1").ok


def test_only_admins_change_settings_when_admins_are_set(ctx: Context) -> None:
    ctx.options = Options(**{"admins": ("U1",)})
    refused = dispatch(ctx, "settings min-score 3", channel="C1", user="U2")
    assert not refused.ok and "Only U1 may run `settings`" in refused.text
    assert dispatch(ctx, "settings", channel="C1", user="U2").ok  # anyone may look
    assert dispatch(ctx, "settings min-score 3", channel="C1", user="U1").ok


def test_mute_refuses_bad_days(ctx: Context) -> None:
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
    bad = dispatch(ctx, "mute 10.1/x forever", channel="C1")
    assert not bad.ok and "is not a number of days" in bad.text


def test_status_shows_poll_health_and_backlog(ctx: Context) -> None:
    source, off = ScriptedSource("news"), ScriptedSource("blogs")
    off.config = off.config.model_copy(update={"disabled": ("blogs",)})
    ctx.sources = [source, off]
    with ctx.store.transaction() as db:
        watches.watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
        outbox.enqueue(db, key="k1", channel="C1", kind="alert", payload={})
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        run_poll(ctx, source)
        clock.shift(600)
        text = dispatch(ctx, "status").text
    # The same line as `sources` gives: one format for times and counts.
    assert "News: last poll 2026-03-02 09:00 UTC (1 item, 0 new)" in text
    assert "Blogs: switched off (remove it from ATTENTION_DISABLED_SOURCES)" in text
    sources = dispatch(ctx, "sources").text
    assert text.splitlines()[1].strip() in sources
    assert "Outbox: 1 waiting to be sent" in text
