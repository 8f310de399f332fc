"""The benchmarks at smoke size, so they don't rot: each runs, in the result shape the README
and bench/results.json promise, with its goal decided from what it measured."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as runner

KEYS = {"name", "params", "figures", "baseline", "ratio", "spread", "load", "noisy", "goal", "goal_met"}
PRESENT = [name for name, module, _ in runner.BENCHMARKS if importlib.util.find_spec(module) is not None]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    runner.main(["--smoke", "--out", str(out)])
    return json.loads(out.read_text())


def _result(report: dict[str, Any], name: str) -> dict[str, Any]:
    by_name = {r["name"]: r for r in report["results"]}
    assert name in by_name, f"{name} did not run: {sorted(by_name)}"
    return by_name[name]


def test_the_report_names_the_machine(smoke_run: dict[str, Any]) -> None:
    assert smoke_run["when"]
    assert {"cpu", "cores", "python", "platform"} <= set(smoke_run["machine"])
    assert [r["name"] for r in smoke_run["results"]] == PRESENT


@pytest.mark.parametrize("name", PRESENT)
def test_every_benchmark_reports_in_one_shape(smoke_run: dict[str, Any], name: str) -> None:
    res = _result(smoke_run, name)
    assert set(res) == KEYS
    # Judged unless the neighbours' load moved by more than a core meanwhile.
    assert res["goal_met"] is None if res["noisy"] else isinstance(res["goal_met"], bool)
    assert res["goal"] and "error" not in res["figures"], res["figures"]
    assert res["params"] and res["figures"] and res["baseline"] and res["ratio"]
    assert res["params"]["repeats"] >= 1 and res["params"]["size"] == "smoke"
    assert {"start", "end"} <= set(res["load"]) and "load_average" in res["load"]["start"]


def test_domain_poll_asks_once_however_many_pages(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "domain_poll")
    requests = {f["requests"] for key, f in res["figures"].items() if key.startswith("pages_")}
    assert requests == {1} and res["goal_met"] is True
    assert res["baseline"]["pages_10"]["requests"] == 10  # page by page: one each


def test_command_latency_acks_every_request(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "command_latency")
    assert res["figures"]["errors"] == 0 and res["baseline"]["errors"] == 0
    assert res["figures"]["requests"] == res["params"]["requests"]
    assert res["figures"]["poll_asks_during_requests"] > 0  # the poll really ran meanwhile
    assert res["figures"]["all_answered_through_response_url"] is True
    burst = res["figures"]["burst_with_slow_commands"]
    assert burst["errors"] == 0 and burst["requests"] == res["params"]["burst"] and burst["all_answered"] is True
    assert burst["slow_commands_acked"] == burst["slow_commands_in_flight"] == 5  # the slow ones really ran
    if not res["noisy"]:
        assert res["goal_met"] is (res["ratio"]["p99"] <= 2 and res["ratio"]["burst_p99"] <= 1.5)


def test_storage_scale_stores_everything_once(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "storage_scale")
    figures = res["figures"]
    assert figures["mentions_stored"] == res["params"]["mentions"]
    assert figures["count_rows_stored"] == res["params"]["count_rows"]
    assert figures["reingested_batch_rows_added"] == 0
    assert figures["weekly_summary_new_mentions"] > 0 and figures["top_ok"] is True
    # Each figure against the best SQLite did with the same rows, in the same run.
    assert res["baseline"]["mentions_per_second"] > 0 and res["baseline"]["weekly_summary_aggregate_ms"] > 0
    if res["ratio"]["ingest_of_limit"] < 0.7 and not res["noisy"]:
        assert res["goal_met"] is False


def test_the_table_shows_each_result_and_whether_it_met_its_goal(smoke_run: dict[str, Any]) -> None:
    text = runner.table(smoke_run["results"])
    for res in smoke_run["results"]:
        line = next(line for line in text.splitlines() if line.startswith(res["name"] + " "))
        assert line.endswith(runner.verdict(res))


def test_a_smoke_run_writes_no_results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "OUT", tmp_path / "results.json")
    assert runner.main(["--smoke", "bulk_watch"]) == 0
    assert not (tmp_path / "results.json").exists()


def test_an_unknown_benchmark_is_refused_with_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        runner.main(["no_such_bench"])
    assert "storage_scale" in capsys.readouterr().err


def test_citation_sweep_asks_in_lists_within_the_goal(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "citation_sweep")
    for n in res["params"]["dois"]:
        swept = res["figures"][f"dois_{n}"]
        assert swept["crossref_and_datacite_requests"] <= n // 500 + 10 == swept["allowed"]
        # Never fewer than the registries' paging lets a sweep send.
        assert swept["crossref_and_datacite_requests"] >= res["baseline"][f"dois_{n}"]["paging_floor"] > 0
        assert swept["check"]["first_doi_counted"] is True
    one_by_one = res["baseline"]["dois_100"]["one_by_one"]
    assert one_by_one["crossref"]["requests"] == one_by_one["datacite"]["requests"] == 100  # one per DOI
    assert res["goal_met"] is True


def test_stream_match_matches_the_same_events_whatever_is_watched(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "stream_match")
    for stream in ("jetstream", "wikimedia_stream"):
        ours = res["figures"][stream]
        assert ours["matched"] == ours["with_fewer_ids"]["matched"] > 0
        assert ours["new_mentions"] == ours["matched"]  # each match stored once
        assert res["baseline"][stream]["events_per_second"] > 0  # the bare reader read them too
    # The bare set holds the keys the bot's index holds: one per watched identifier.
    assert res["baseline"]["set_keys"] == res["params"]["ids"]
    if not res["noisy"]:
        ratio = res["ratio"]
        assert res["goal_met"] is (
            ratio["to_bare_reader"] >= 0.3 and ratio["flat_in_items"] >= 0.8 and ratio["memory_to_set"] <= 2
        )


def test_stream_latency_sees_every_alert(smoke_run: dict[str, Any]) -> None:
    res = _result(smoke_run, "stream_latency")
    ours, alone = res["figures"], res["baseline"]
    # The same matches in both runs, each alerted once.
    assert ours["alerts_seen"] == ours["alerts_expected"] == alone["alerts_seen"] == alone["alerts_expected"] > 0
    if not res["noisy"]:
        assert res["goal_met"] is (res["ratio"]["p99"] <= 2.0)
