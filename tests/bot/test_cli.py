"""The terminal journeys of the README: `cmd`, `shell` and `run` in console mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings, env_name

DEAD = "http://127.0.0.1:9"  # the discard port: nothing in these tests may leave the machine


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env["ATTENTION_DB"] = str(tmp_path / "attention.db")
    env["ATTENTION_DISABLED_SOURCES"] = "wikipedia,hackernews,crossref,datacite,europepmc,altmetric,feeds,mastodon,openalex,bluesky,reddit"
    for name in Settings.model_fields:
        if name.endswith("_url") and name != "slack_api_url":
            env[env_name(name)] = DEAD
    env["SLACK_API_URL"] = DEAD + "/api/"
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(tmp_path, **env),
        cwd=tmp_path,
        timeout=60,
    )


def test_cmd_watches_lists_and_refuses_with_exit_codes(tmp_path: Path) -> None:
    ok = run_cli(tmp_path, "cmd", "watch https://doi.org/10.1038/NATURE12373")
    assert ok.returncode == 0, ok.stderr
    assert "Now watching 1 item in console: 10.1038/nature12373" in ok.stdout
    listed = run_cli(tmp_path, "cmd", "--channel", "C042", "watch 10.1038/nature12373")
    assert listed.returncode == 0
    shown = run_cli(tmp_path, "cmd", "list")
    assert "10.1038/nature12373" in shown.stdout
    bad = run_cli(tmp_path, "cmd", "watch 10.1234")
    assert bad.returncode == 1
    assert "`10.1234` is not a DOI: a DOI looks like 10.1234/abc" in bad.stderr
    assert (tmp_path / "attention.db").exists()


def test_shell_reads_commands_until_end_of_input(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "shell", "--channel", "C9", stdin="watch 10.1/abc\n\nlist\n/attention help\n")
    assert done.returncode == 0, done.stderr
    assert "Now watching 1 item in C9: 10.1/abc" in done.stdout
    assert "Watched in C9:" in done.stdout
    assert "Commands (type `help <command>` for details)" in done.stdout


def test_run_without_tokens_is_console_mode_and_stops_at_end_of_input(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "run", stdin="watch 10.1/abc\nlist\n")
    assert done.returncode == 0, done.stderr
    banner = done.stdout
    assert "console mode (no Slack tokens set)" in banner
    assert str(tmp_path / "attention.db") in banner
    assert "SLACK_APP_TOKEN" in banner and "help" in banner
    assert "Watched in console:" in banner
    assert banner.rstrip().endswith("attention-bot stopped.")


def test_invalid_settings_fail_at_start_with_one_line_each(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "cmd", "list",
        ATTENTION_HTTP_TIMEOUT="soon", ATTENTION_SUMMARY_TZ="Mars/Olympus", ATTENTION_SUMMARY_TIME="25:00",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("  ATTENTION_")]
    assert [line.split(":")[0].strip() for line in lines] == [
        "ATTENTION_HTTP_TIMEOUT", "ATTENTION_SUMMARY_TIME", "ATTENTION_SUMMARY_TZ",
    ]
    assert "IANA time zone" in done.stderr


def test_a_misspelt_source_name_stops_the_bot_instead_of_doing_nothing(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path, "cmd", "list", ATTENTION_POLL_INTERVALS="wikipdia=60", ATTENTION_SOURCE_RATES="crossref=20",
    )
    assert done.returncode == 2
    assert "ATTENTION_POLL_INTERVALS: there is no source called wikipdia" in done.stderr
    assert "wikipedia" in done.stderr.split("wikipdia", 1)[1]  # the real names are listed
    assert "SOURCE_RATES" not in done.stderr  # a right name is no problem


def test_help_without_a_command(tmp_path: Path) -> None:
    done = run_cli(tmp_path)
    assert done.returncode == 0
    for sub in ("run", "cmd", "shell"):
        assert sub in done.stdout


def test_cmd_passes_the_commands_own_flags_through_unquoted(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "cmd", "watch", "10.1038/nature12373").returncode == 0
    preview = run_cli(tmp_path, "cmd", "forget", "10.1038/nature12373")
    assert preview.returncode == 0 and "--yes" in preview.stdout
    done = run_cli(tmp_path, "cmd", "forget", "10.1038/nature12373", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Forgot 10.1038/nature12373" in done.stdout
    assert "Nothing is watched" in run_cli(tmp_path, "cmd", "list").stdout
    empty = run_cli(tmp_path, "cmd")
    assert empty.returncode == 1 and "Give a command" in empty.stderr


def test_cmd_refuses_a_wrong_orcid_with_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = run_cli(tmp_path, "cmd", "watch orcid 0000-0002-1825-0098")
    assert bad.returncode == 1
    assert "its last character is not the check digit" in bad.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "attention.db")
    assert db.execute("SELECT count(*) FROM collections").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM watches").fetchone()[0] == 0


def test_a_long_command_shows_its_progress_on_one_line() -> None:
    import io

    from bot.cli import line_in_place

    stream, shown = io.StringIO(), []  # type: ignore[var-annotated]
    show = line_in_place(stream, shown)
    show("prefix:10.5555: Crossref 1,000 / 2,300 works")
    show("prefix:10.5555: DataCite 1 works")
    assert stream.getvalue() == ("\rprefix:10.5555: Crossref 1,000 / 2,300 works"
                                 "\rprefix:10.5555: DataCite 1 works" + " " * 12)
    assert shown == ["prefix:10.5555: DataCite 1 works"]
