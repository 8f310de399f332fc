"""Polling and deciding who hears about what: baseline, alerts, grouping, settings and mute."""

from __future__ import annotations

import time_machine

from core.models import Identifier
from handlers.alerts.deliver import deliver_pending
from handlers.context import Context
from handlers.polling.poll import run_poll
from handlers.router import dispatch
from sources.errors import SourceUnavailable
from storage import outbox, polls, watches
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.scripted_source import ScriptedSource
from tests.handlers.alerts.conftest import KEY

DOI2 = Identifier(scheme="doi", value="10.1234/other")


def pending_keys(ctx: Context) -> list[str]:
    return [r.key for r in outbox.due(ctx.store.db)]


def test_first_poll_records_a_baseline_and_does_not_alert(watched: Context, source: ScriptedSource, clock: object) -> None:
    report = run_poll(watched, source)
    assert report.items == 1 and report.new_mentions == 1 and report.baselines == 1
    assert report.alerts == 0 and pending_keys(watched) == []
    assert polls.has_baseline(watched.store.db, 1, "scripted")


def test_first_poll_alerts_when_configured(watched: Context, source: ScriptedSource, clock: object) -> None:
    watched.options = watched.options.model_copy(update={"alert_on_first_poll": True})
    report = run_poll(watched, source)
    assert report.alerts == 2
    assert pending_keys(watched) == [f"alert:C1:1:{report.poll_id}", f"alert:C2:1:{report.poll_id}"]


def test_new_mentions_alert_once_per_item_and_channel_newest_first_capped(
    watched: Context, source: ScriptedSource, clock: time_machine.Coordinates
) -> None:
    run_poll(watched, source)
    for day in range(2, 9):  # seven new stories
        source.add(KEY, f"s{day}", day=day)
    report = run_poll(watched, source)
    assert report.new_mentions == 7 and report.alerts == 2
    row = outbox.get(watched.store.db, f"alert:C1:1:{report.poll_id}")
    assert row is not None and row.status == "pending"
    p = row.payload
    assert [m["title"] for m in p["mentions"]] == ["Story s8", "Story s7", "Story s6", "Story s5", "Story s4"]
    assert p["more"] == 2 and p["new_count"] == 7
    assert (p["score_before"], p["score"]) == (8.0, 64.0)  # news weighs 8
    # Nothing new: silence.
    assert run_poll(watched, source).alerts == 0


def test_count_rise_alerts_with_before_and_after(watched: Context, source: ScriptedSource, clock: time_machine.Coordinates) -> None:
    source.set_count(KEY, "citations", 12)
    run_poll(watched, source)
    clock.shift(3600)
    run_poll(watched, source)  # unchanged
    assert pending_keys(watched) == []
    source.set_count(KEY, "citations", 15)
    clock.shift(3600)
    run_poll(watched, source)
    notifier = RecordingNotifier()
    deliver_pending(watched, notifier)
    assert [p.channel for p in notifier.posts] == ["C1", "C2"]
    assert "citations 12 -> 15" in notifier.posts[0].text
    assert '"A paper" gained attention on Scripted' in notifier.posts[0].text


def test_a_sources_own_score_is_not_mistaken_for_the_attention_score(
    watched: Context, clock: time_machine.Coordinates
) -> None:
    altmetric = ScriptedSource("altmetric", label="Altmetric")
    watched.sources = [altmetric]
    altmetric.set_count(KEY, "score", 10)
    run_poll(watched, altmetric)
    altmetric.set_count(KEY, "score", 25.5)
    altmetric.set_count(KEY, "posts", 9)
    clock.shift(3600)
    run_poll(watched, altmetric)
    notifier = RecordingNotifier()
    deliver_pending(watched, notifier)
    text = notifier.posts[0].text
    assert '"A paper" gained attention on Altmetric: Altmetric score 10 -> 25.5' in text
    # The bot's own score counts mentions: a count that rose leaves it where it was.
    assert "attention score 0 (unchanged) - 10.1234/abc" in text
    assert "gained attention on Altmetric: Altmetric score 10 -&gt; 25.5" in str(notifier.posts[0].blocks)


def test_failing_identifier_does_not_stop_the_others(watched: Context, source: ScriptedSource, clock: object) -> None:
    with watched.store.transaction() as db:
        watches.watch_item(db, "C1", [DOI2])
    source.errors[DOI2.key] = SourceUnavailable("is unavailable (HTTP 503)", source="scripted")
    report = run_poll(watched, source)
    assert report.items == 2 and report.new_mentions == 1
    assert [(f.target, f.error) for f in report.failures] == [(DOI2.key, "is unavailable (HTTP 503)")]
    assert "1 failed (is unavailable (HTTP 503))" in report.summary()


def test_progress_counts_items(watched: Context, source: ScriptedSource, clock: object) -> None:
    seen: list[tuple[int, int]] = []
    run_poll(watched, source, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 1), (1, 1)]


def test_min_score_and_source_filters_per_channel(watched: Context, source: ScriptedSource, clock: object) -> None:
    run_poll(watched, source)
    assert dispatch(watched, "settings min-score 5", channel="C1").ok
    source.add(KEY, "toot", kind="social", day=3)  # +0.5
    r1 = run_poll(watched, source)
    assert pending_keys(watched) == [f"alert:C2:1:{r1.poll_id}"]
    source.add(KEY, "paper", kind="news", day=4)  # +8
    r2 = run_poll(watched, source)
    assert f"alert:C1:1:{r2.poll_id}" in pending_keys(watched)

    refused = dispatch(watched, "settings sources hackernws", channel="C2")
    assert not refused.ok and "`hackernws` is not a source or a kind of mention" in refused.text
    assert "from the sources scripted or the kinds news, blog" in refused.text
    assert dispatch(watched, "settings sources scripted", channel="C2").ok
    other = ScriptedSource("blogs")
    watched.sources = [source, other]
    other.add(KEY, "b1", kind="blog")
    run_poll(watched, other)  # baseline for (item, blogs)
    other.add(KEY, "b2", kind="blog")
    r3 = run_poll(watched, other)
    keys = pending_keys(watched)
    assert f"alert:C1:1:{r3.poll_id}" in keys and f"alert:C2:1:{r3.poll_id}" not in keys


def test_a_channel_can_choose_kinds_of_mention_like_only_news(
    watched: Context, clock: time_machine.Coordinates
) -> None:
    feeds = ScriptedSource("feeds", label="Blog and news feeds")
    watched.sources = [feeds]
    feeds.add(KEY, "old-post", kind="blog")
    run_poll(watched, feeds)
    reply = dispatch(watched, "settings sources news,wikipedia", channel="C1")
    assert reply.ok and "sources that alert: news, wikipedia" in reply.text
    feeds.add(KEY, "a-blog-post", kind="blog", day=2, title="A blog post")
    run_poll(watched, feeds)
    feeds.add(KEY, "a-news-story", kind="news", day=3, title="A news story")
    feeds.add(KEY, "another-post", kind="blog", day=3, title="Another blog post")
    clock.shift(3600)
    run_poll(watched, feeds)
    notifier = RecordingNotifier()
    deliver_pending(watched, notifier)
    [c1] = notifier.in_channel("C1")  # the blog-only poll said nothing to C1
    assert "1 new mention" in c1.text and "A news story" in c1.text and "blog post" not in c1.text
    assert "attention score 23 (+8)" in c1.text  # its score counts every kind; the gain shown is the news
    c2 = notifier.in_channel("C2")  # every kind, as before
    assert [p.text.count("blog post") for p in c2] == [1, 1] and "2 new mentions" in c2[1].text


def test_mute_silences_one_item_until_unmuted(watched: Context, source: ScriptedSource, clock: time_machine.Coordinates) -> None:
    run_poll(watched, source)
    reply = dispatch(watched, "mute 10.1234/abc 3", channel="C1")
    assert reply.ok and "for 3 days (until 2026-03-05)" in reply.text
    source.add(KEY, "n1", day=2)
    r1 = run_poll(watched, source)
    assert pending_keys(watched) == [f"alert:C2:1:{r1.poll_id}"]
    clock.shift(4 * 86400)  # the mute ran out
    source.add(KEY, "n2", day=6)
    r2 = run_poll(watched, source)
    assert f"alert:C1:1:{r2.poll_id}" in pending_keys(watched)
    assert dispatch(watched, "mute 10.1234/abc", channel="C1").ok
    assert "Unmuted" in dispatch(watched, "mute 10.1234/abc 0", channel="C1").text
    bad = dispatch(watched, "mute 10.9999/nope", channel="C1")
    assert not bad.ok and "not watched in this channel" in bad.text


def test_digest_mode_holds_alerts_and_sends_one_message_the_next_day(
    watched: Context, source: ScriptedSource, clock: time_machine.Coordinates
) -> None:
    with watched.store.transaction() as db:
        watches.watch_item(db, "C1", [DOI2], title="Second paper")
    source.add(DOI2.key, "x0")
    run_poll(watched, source)
    assert dispatch(watched, "settings mode digest", channel="C1").ok
    source.add(KEY, "d1", day=2)
    source.add(DOI2.key, "d2", day=2)
    run_poll(watched, source)
    notifier = RecordingNotifier()
    deliver_pending(watched, notifier)
    assert [p.channel for p in notifier.posts] == ["C2"]  # C1 waits for its digest
    assert "1 held for daily digests" not in dispatch(watched, "status").text
    assert "2 held for daily digests" in dispatch(watched, "status").text
    clock.shift(86400)
    report = deliver_pending(watched, notifier)
    assert report.digests == 1
    digest = notifier.in_channel("C1")
    assert len(digest) == 1 and digest[0].key == "digest:C1:2026-03-02"
    assert "Daily digest for 2026-03-02: 2 alerts" in digest[0].text
    assert "A paper" in digest[0].text and "Second paper" in digest[0].text
    assert deliver_pending(watched, notifier).digests == 0


def test_inactive_channel_does_not_alert(watched: Context, source: ScriptedSource, clock: object) -> None:
    run_poll(watched, source)
    with watched.store.transaction() as db:
        watches.set_channel_active(db, "C2", False, reason="channel_not_found")
    source.add(KEY, "n1", day=2)
    r = run_poll(watched, source)
    assert pending_keys(watched) == [f"alert:C1:1:{r.poll_id}"]


def test_a_resting_source_is_not_asked_about_every_item(watched: Context, source: ScriptedSource, clock: object) -> None:
    with watched.store.transaction() as db:
        for n in range(4):
            watches.watch_item(db, "C1", [Identifier(scheme="doi", value=f"10.1234/x{n}")])
    for key in [KEY, *(f"doi:10.1234/x{n}" for n in range(4))]:
        source.errors[key] = SourceUnavailable("is unavailable (HTTP 503)", source="scripted")
    # One at a time: with two in flight, which failure is the third depends on the threads.
    source.concurrency = 1  # type: ignore[misc]
    first = run_poll(watched, source)
    assert len(first.failures) == 4  # three failures in a row, then "resting" for the rest
    source.asked.clear()
    second = run_poll(watched, source)
    assert source.asked == []
    assert [f.target for f in second.failures] == ["scripted"]
    assert "resting after" in second.failures[0].error
