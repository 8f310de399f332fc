"""Who may change things (ATTENTION_ADMINS / ATTENTION_ADMIN_CHANNELS), and the audit log."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.shell import run_shell
from handlers.commands.forget import FORGET
from handlers.context import Context
from handlers.options import Options
from handlers.render import MUTE, actions_for_alert
from handlers.router import COMMANDS, REGISTRY, dispatch
from storage import open_store
from storage.db import Store
from tests import paths
from tests.bot.test_slack_http import (
    CHANNEL,
    USER,
    Running,
    _button_payload,
    serving,
    slack_settings,
)
from tests.fakes.slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)

ADMINS = {"admins": ("U0ADMIN", "U0BOSS"), "admin_channels": ("C0TEAM",)}
DATA = paths.DATA


def row_counts(store: Store) -> dict[str, int]:
    db = store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    return {t: int(db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]) for t in tables}


def audit_rows(store: Store) -> list[tuple[str, str, str, str, str]]:
    return [tuple(r) for r in store.db.execute(  # type: ignore[misc]
        "SELECT user, channel, command, args, outcome FROM audit ORDER BY id").fetchall()]


@pytest.fixture
def guarded(ctx: Context) -> Context:
    ctx.options = Options(**ADMINS)
    return ctx


@pytest.mark.parametrize("text", [
    "watch 10.1038/nature12373", "watch domain repo.example.edu", "watch collection maps from https://x.example/c.csv",
    "unwatch 10.1038/nature12373", "mute 10.1038/nature12373", "settings min-score 3", "settings mode digest",
    "forget 10.1038/nature12373 --yes", "forget domain repo.example.edu",
])
def test_a_non_admin_is_refused_with_who_may_and_nothing_is_written(guarded: Context, text: str) -> None:
    before = row_counts(guarded.store)
    reply = dispatch(guarded, text, channel="C0ELSE", user="U0RANDOM")
    assert not reply.ok and reply.ephemeral
    name = text.split()[0]
    assert reply.text == f"Only U0ADMIN, U0BOSS or anyone in C0TEAM may run `{name}`; nothing was changed."
    # Slack shows the mentions as names: the block is mrkdwn with the refs left intact.
    assert "<@U0ADMIN>" in json.dumps(reply.blocks)
    after = row_counts(guarded.store)
    assert {t: n for t, n in after.items() if t != "audit"} == {t: n for t, n in before.items() if t != "audit"}
    assert audit_rows(guarded.store)[-1][:3] == ("U0RANDOM", "C0ELSE", name)
    assert audit_rows(guarded.store)[-1][4] == "refused"


def test_admins_anywhere_and_anyone_in_an_admin_channel_may_change(guarded: Context) -> None:
    assert dispatch(guarded, "watch 10.1038/nature12373", channel="C0ELSE", user="U0BOSS").ok
    assert dispatch(guarded, "watch 10.1/team", channel="C0TEAM", user="U0RANDOM").ok
    assert "10.1/team" in dispatch(guarded, "list", channel="C0TEAM", user="U0RANDOM").text
    assert [r[4] for r in audit_rows(guarded.store)] == ["ok", "ok"]


def test_with_no_admins_configured_everyone_may_change(ctx: Context) -> None:
    assert dispatch(ctx, "watch 10.1038/nature12373", channel="C1", user="U0ANYONE").ok
    assert dispatch(ctx, "audit", channel="C1", user="U0ANYONE").ok


@pytest.mark.parametrize("text", ["help", "list", "sources", "status", "settings", "settings show", "top",
                                  "summary", "lookup 10.1038/nature12373", "export"])
def test_everyone_may_read_and_reading_is_not_audited(guarded: Context, text: str) -> None:
    reply = dispatch(guarded, text, channel="C0ELSE", user="U0RANDOM")
    assert "may run" not in reply.text
    assert audit_rows(guarded.store) == []


def test_the_router_marks_exactly_the_changing_commands() -> None:
    always = {s.name for s in REGISTRY if s.is_changing(["x"]) and s.is_changing([])}
    assert always == {"watch", "unwatch", "mute", "forget"}
    assert COMMANDS["settings"].is_changing(["mode", "digest"])
    assert not COMMANDS["settings"].is_changing([]) and not COMMANDS["settings"].is_changing(["show"])
    assert COMMANDS["audit"].admins_only


def test_audit_records_outcomes_and_is_shown_only_to_admins(guarded: Context) -> None:
    dispatch(guarded, "watch 10.1038/nature12373", channel="C0ELSE", user="U0RANDOM")  # refused
    dispatch(guarded, "watch 10.1038/nature12373", channel="C0ELSE", user="U0ADMIN")  # ok
    dispatch(guarded, "mute 10.9999/not-watched", channel="C0ELSE", user="U0ADMIN")  # error
    assert audit_rows(guarded.store) == [
        ("U0RANDOM", "C0ELSE", "watch", "10.1038/nature12373", "refused"),
        ("U0ADMIN", "C0ELSE", "watch", "10.1038/nature12373", "ok"),
        ("U0ADMIN", "C0ELSE", "mute", "10.9999/not-watched", "error"),
    ]
    hidden = dispatch(guarded, "audit", channel="C0ELSE", user="U0RANDOM")
    assert not hidden.ok and "may run `audit`" in hidden.text and "U0RANDOM in" not in hidden.text
    shown = dispatch(guarded, "audit 2", channel="C0ELSE", user="U0ADMIN")
    assert shown.ok and shown.ephemeral
    lines = shown.text.splitlines()
    assert lines[0] == "Changing commands, newest first (2, times in UTC):"
    assert len(lines) == 3 and "mute 10.9999/not-watched - error" in lines[1] and "watch" in lines[2]
    assert "<@U0ADMIN> in <#C0ELSE>" in json.dumps(shown.blocks)
    assert not dispatch(guarded, "audit 500", user="U0ADMIN").ok


def test_the_terminal_operator_is_trusted_and_a_named_user_is_not(guarded: Context) -> None:
    out = io.StringIO()
    run_shell(guarded, channel="C0ELSE", stdin=io.StringIO("watch 10.1/from-the-shell\n"), stdout=out)
    assert "Now watching" in out.getvalue()
    out = io.StringIO()
    run_shell(guarded, channel="C0ELSE", user="U0RANDOM", stdin=io.StringIO("watch 10.1/as-a-user\n"), stdout=out)
    assert "may run `watch`" in out.getvalue()
    assert [r[0] + ":" + r[4] for r in audit_rows(guarded.store)] == ["console:ok", "U0RANDOM:refused"]


def test_cli_cmd_as_a_slack_user_obeys_the_rules(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENTION_ADMINS", "U0ADMIN")
    assert main(["cmd", "--user", "U0RANDOM", "--channel", "C1", "watch", "10.1/x"]) == 1
    assert "Only U0ADMIN may run `watch`; nothing was changed." in capsys.readouterr().err
    assert main(["cmd", "--channel", "C1", "watch", "10.1/x"]) == 0


def test_cli_import_is_audited_as_the_console(tmp_path: Path) -> None:
    csv = str(DATA / "collections" / "maps.csv")
    assert main(["import", csv, "--channel", "C1", "--collection", "maps"]) == 0
    store = open_store(tmp_path / "attention.db")
    try:
        ((user, channel, command, args, outcome),) = audit_rows(store)
    finally:
        store.close()
    assert (user, channel, command, outcome) == ("console", "C1", "import", "ok")
    assert "maps.csv" in args and "--collection maps" in args


@pytest.fixture
def slack(fake_slack: FakeSlack, guarded: Context, tmp_path: Path) -> Iterator[Running]:  # noqa: F811
    with serving(slack_settings(fake_slack, tmp_path), guarded) as url:
        yield Running(url, fake_slack, guarded)


def test_slash_command_and_alert_buttons_obey_the_rule(slack: Running) -> None:
    slack.command("watch 10.1038/nature12373")  # USER is no admin, CHANNEL no admin channel
    (refused,) = slack.responses(1)
    assert refused["response_type"] == "ephemeral" and "may run `watch`" in refused["text"]
    assert slack.watched() == 0
    dispatch(slack.ctx, "watch 10.1038/nature12373", channel=CHANNEL, user="U0ADMIN")
    mute = {b["action_id"]: b for b in actions_for_alert("10.1038/nature12373")["elements"]}[MUTE]  # type: ignore[index]
    slack.post(_button_payload(slack, MUTE, mute["value"], "Mute 7 days"))
    assert "may run `mute`" in slack.responses(2)[1]["text"]
    assert [r[0] + ":" + r[2] + ":" + r[4] for r in audit_rows(slack.ctx.store)][-1] == f"{USER}:mute:refused"


def test_the_forget_button_runs_as_the_person_who_pressed_it(slack: Running) -> None:
    dispatch(slack.ctx, "watch 10.1234/forget-me", channel=CHANNEL, user="U0ADMIN")
    preview = dispatch(slack.ctx, "forget 10.1234/forget-me", channel=CHANNEL, user="U0ADMIN")
    (button,) = [e for b in preview.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    # USER (no admin) presses it: refused, the item stays.
    slack.post(_button_payload(slack, FORGET, button["value"], "Forget everywhere"))
    (refused,) = slack.responses(1)
    assert refused["response_type"] == "ephemeral" and "may run `forget`" in refused["text"]
    assert slack.watched() == 1
    # An admin presses it: the item is gone, and only the admin hears about it.
    slack.post(_button_payload(slack, FORGET, button["value"], "Forget everywhere").replace(USER, "U0ADMIN"))
    done = slack.responses(2)[1]
    assert done["response_type"] == "ephemeral" and "Forgot 10.1234/forget-me everywhere" in done["text"]
    assert slack.watched() == 0
    assert [r[0] + ":" + r[3] + ":" + r[4] for r in audit_rows(slack.ctx.store)][-2:] == [
        f"{USER}:1 item (confirmed):refused", "U0ADMIN:1 item (confirmed):ok"]


def test_audit_times_are_kept_in_utc_whatever_the_clock_zone(guarded: Context) -> None:
    from datetime import datetime, timedelta, timezone

    paris = timezone(timedelta(hours=2))
    guarded.now = lambda: datetime(2026, 6, 1, 10, 30, tzinfo=paris)
    dispatch(guarded, "watch 10.1038/nature12373", channel="C0TEAM", user="U0ADMIN")
    (at,) = [r[0] for r in guarded.store.db.execute("SELECT at FROM audit").fetchall()]
    assert at == "2026-06-01T08:30:00+00:00"  # the purge compares these as text
    assert "2026-06-01 08:30" in dispatch(guarded, "audit", user="U0ADMIN").text
