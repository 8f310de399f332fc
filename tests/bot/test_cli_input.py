"""What the command line does with what people type: bad ports, options after the command text,
output piped into `head`, misspelt settings, and what `make run` installs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.test_cli import cli_env

ROOT = Path(__file__).resolve().parents[2]

#: Each subcommand with the arguments it requires, so only the port can be wrong.
EVERY_SUBCOMMAND = [
    ["run"], ["serve"], ["cmd", "list"], ["shell"], ["poll", "--once"], ["summary", "--channel", "C1"],
    ["export", "--channel", "C1", "--out", "x.csv"], ["import", "x.csv", "--channel", "C1", "--collection", "m"],
    ["harvest", "https://repo.example.edu/oai", "--channel", "C1", "--collection", "m"],
]


@pytest.mark.parametrize("argv", EVERY_SUBCOMMAND, ids=lambda a: a[0])
@pytest.mark.parametrize("port", ["abc", "0", "65536", "9" * 5000])
def test_a_bad_port_variable_is_one_line_and_exit_2_for_every_subcommand(
    argv: list[str], port: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", port)
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "PORT" in err and "1 to 65535" in err
    assert not Path("attention.db").exists()  # nothing was opened, let alone changed


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1", "9" * 5000])
@pytest.mark.parametrize("argv", [["run", "--http"], ["serve"]], ids=lambda a: a[0])
def test_a_bad_port_option_is_one_line_and_exit_2(argv: list[str], port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--port", port])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--port" in err and "1 to 65535" in err


def test_options_may_follow_the_command_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cmd", "watch 10.1038/x", "--channel", "C42"]) == 0
    assert "Now watching 1 item in C42" in capsys.readouterr().out
    assert main(["cmd", "list", "--channel=C42", "--user", "U1"]) == 0
    assert "10.1038/x" in capsys.readouterr().out
    # The command's own flags stay the command's.
    assert main(["cmd", "--channel", "C42", "forget", "10.1038/x"]) == 0
    assert "--yes" in capsys.readouterr().out


def test_an_option_without_its_value_is_refused_with_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["cmd", "list", "--channel"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--channel needs a value" in err and "attention-bot cmd --help" in err


def test_a_misspelt_setting_is_named_with_the_nearest_real_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATTENTION_SUMARY_DAY", "tue")
    Path(".env").write_text("ATTENTION_FEED=https://blog.example.org/feed\n", encoding="utf-8")
    assert main(["cmd", "help"]) == 0
    err = capsys.readouterr().err
    assert "ATTENTION_SUMARY_DAY is not a setting and is ignored: did you mean ATTENTION_SUMMARY_DAY?" in err
    assert "ATTENTION_FEED is not a setting and is ignored: did you mean ATTENTION_FEEDS?" in err


def test_output_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    commands = tmp_path / "commands.txt"
    commands.write_text("help\n" * 400, encoding="utf-8")  # far more than a pipe holds
    with commands.open() as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "shell"], stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=cli_env(tmp_path), cwd=tmp_path,
        )
        assert proc.stdout and proc.stderr
        first = proc.stdout.readline()  # what `head -1` reads before it closes the pipe
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert first.startswith(b"Commands")
    assert err == ""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_what_the_bot_needs(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    run = subprocess.run(["make", "-n", "run"], cwd=tmp_path, capture_output=True, text=True, check=True)
    test = subprocess.run(["make", "-n", "test"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "pip install --quiet -e .\n" in run.stdout and "[test]" not in run.stdout
    assert "pip install --quiet -e '.[test]'" in test.stdout
