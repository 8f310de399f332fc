"""`attention-bot import` and `attention-bot harvest` from the shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage import open_store, watches
from tests import paths
from tests.fakes.http import FakeServer

DATA = paths.DATA


def test_import_prints_the_summary_and_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = str(DATA / "collections" / "maps.csv")
    assert main(["import", csv, "--channel", "C1", "--collection", "maps"]) == 0
    out = capsys.readouterr().out
    assert "Collection maps: imported 4 items (4 new); 1 row refused: row 5:" in out
    assert main(["import", csv, "--channel", "C1", "--collection", "maps"]) == 0
    assert "imported 4 items (0 new)" in capsys.readouterr().out
    store = open_store(tmp_path / "attention.db")
    assert watches.count_watches(store.db, "C1") == 4
    store.close()


def test_import_of_a_missing_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "nope.csv", "--channel", "C1", "--collection", "maps"]) == 1
    assert "There is no file nope.csv" in capsys.readouterr().err


def test_harvest_with_a_set(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeServer() as srv:
        srv.route("GET", "/oai", body=(DATA / "oaipmh" / "page2.xml").read_bytes(), content_type="text/xml")
        monkeypatch.setenv("ATTENTION_ALLOW_HOSTS", "127.0.0.1")
        code = main(["harvest", f"{srv.url}/oai", "--channel", "C1", "--collection", "notes", "--set", "s1"])
        assert srv.requests[0].query["set"] == ["s1"]
    out = capsys.readouterr().out
    assert code == 1  # every record refused or deleted: nothing imported
    assert "imported 0 items (0 new); 1 deleted record skipped; 1 row refused" in out


def test_harvest_of_a_private_address_without_allow_hosts_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["harvest", "http://127.0.0.1:9/oai", "--channel", "C1", "--collection", "x"]) == 1
    assert "ATTENTION_ALLOW_HOSTS" in capsys.readouterr().err


def test_the_progress_counter_rewrites_one_line() -> None:
    import io

    from bot.importcmd import counter

    out = io.StringIO()
    show = counter(out)
    show(500, 12_408)
    show(12_408, 12_408)
    show(3, None)
    assert out.getvalue() == "\r500 / 12,408 rows\r12,408 / 12,408 rows\r3 rows"
