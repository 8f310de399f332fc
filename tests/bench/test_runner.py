"""What the runner gives every benchmark alike: repeats, medians and spread, the load at start
and end, a noisy run left unjudged, sizes and subsets."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bench import __main__ as runner
from bench import common
from bench.common import Benchmark, Measured, Params, Trial, Verdict, result, run_benchmark


class ScriptedLoad:
    """A load meter saying the given loads in turn."""

    def __init__(self, *others: float) -> None:
        self._others = iter(others)

    def now(self) -> dict[str, Any]:
        return {"load_average": 1.0, "others": next(self._others)}


def _counting_bench(rates: list[float]) -> tuple[Benchmark, list[str]]:
    """A benchmark whose repeats measure ``rates`` against a limit of 100; what it was asked."""
    calls: list[str] = []
    measured = iter(rates)

    @contextmanager
    def prepare(p: Params) -> Iterator[str]:
        calls.append("prepare")
        yield "shared"
        calls.append("cleanup")

    def trial(p: Params, state: str) -> Trial:
        calls.append(f"trial {state}")
        rate = next(measured)
        return Trial(figures={"rate": rate, "kind": "ok", "nested": {"n": 7}}, baseline={"rate": 100},
                     ratio={"of_limit": rate / 100})

    def judge(p: Params, m: Measured) -> Verdict:
        return Verdict(f"rate >= 0.5 of the limit at {p['n']}", m.ratio["of_limit"] >= 0.5)

    sizes = {"full": {"n": 10}, "quick": {"n": 5}, "smoke": {"n": 1, "repeats": 2}}
    return Benchmark("counting", sizes, trial, judge, prepare=prepare), calls


def test_the_repeats_share_one_preparation_and_give_medians_and_spread() -> None:
    bench, calls = _counting_bench([40.0, 90.0, 60.0])
    res = run_benchmark(bench, "full", meter=ScriptedLoad(0.5, 0.7))
    assert calls == ["prepare", "trial shared", "trial shared", "trial shared", "cleanup"]
    assert res["params"] == {"n": 10, "size": "full", "repeats": 3}
    assert res["figures"] == {"rate": 60.0, "kind": "ok", "nested": {"n": 7}}
    assert res["ratio"] == {"of_limit": 0.6}
    assert res["spread"]["figures"] == {"rate": [40.0, 90.0]}  # what did not vary is left out
    assert res["spread"]["baseline"] == {}
    assert res["goal_met"] is True and res["noisy"] is False
    assert res["load"]["start"]["others"] == 0.5 and res["load"]["changed_by"] == 0.2


def test_a_run_whose_load_moved_by_more_than_a_core_is_noisy_not_failed() -> None:
    bench, _ = _counting_bench([10.0, 10.0, 10.0])  # would miss its goal
    res = run_benchmark(bench, "full", meter=ScriptedLoad(0.2, 1.5))
    assert res["noisy"] is True and res["goal_met"] is None
    assert runner.verdict(res) == "noisy"
    line = runner.table([res]).splitlines()[-1]
    assert line.startswith("counting") and line.endswith("noisy") and "0.2 -> 1.5" in line


def test_a_steady_load_is_judged_even_when_high() -> None:
    bench, _ = _counting_bench([10.0, 10.0, 10.0])
    res = run_benchmark(bench, "full", meter=ScriptedLoad(1.9, 1.4))
    assert res["noisy"] is False and res["goal_met"] is False
    assert runner.table([res]).splitlines()[-1].endswith("MISSED")


def test_a_size_and_the_command_line_choose_the_repeats() -> None:
    bench, calls = _counting_bench([50.0] * 5)
    assert run_benchmark(bench, "smoke", meter=ScriptedLoad(0, 0))["params"]["repeats"] == 2
    assert run_benchmark(bench, "quick", repeats=1, meter=ScriptedLoad(0, 0))["params"]["repeats"] == 1
    assert calls.count("trial shared") == 3


@pytest.mark.parametrize(("name", "module", "attr"), runner.BENCHMARKS)
def test_every_benchmark_has_each_size_and_three_repeats_at_full_and_quick(
    name: str, module: str, attr: str
) -> None:
    bench = getattr(importlib.import_module(module), attr)
    assert bench.name == name
    assert set(bench.sizes) == set(common.SIZES)
    assert common.repeats_of(bench, "full") >= 3 and common.repeats_of(bench, "quick") >= 3


def test_bad_repeats_and_two_sizes_are_refused_with_how_to(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--repeats", "0", "bulk_watch"], ["--quick", "--smoke"]):
        with pytest.raises(SystemExit):
            runner.main(argv)
    err = capsys.readouterr().err
    assert "--repeats 3" in err and "not allowed with argument" in err


def test_a_subset_runs_only_the_benchmarks_named(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[tuple[str, str]] = []

    def fake_run(bench: Benchmark, size: str, **_: Any) -> dict[str, Any]:
        ran.append((bench.name, size))
        return result(bench.name, params={"size": size}, figures={"x": 1}, baseline={"x": 1}, ratio=1.0,
                      goal="-", goal_met=True)

    bench, _ = _counting_bench([])
    monkeypatch.setattr(runner, "run_benchmark", fake_run)
    monkeypatch.setattr(
        runner, "load", lambda module, attr: Benchmark(module, bench.sizes, bench.trial, bench.judge)
    )
    assert runner.main(["--quick", "bulk_watch", "--only", "memory"]) == 0
    assert ran == [("bench.memory", "quick"), ("bench.extras", "quick")]  # in the registry's order
