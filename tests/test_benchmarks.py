"""The benchmark suite's machinery: selection, agreement checks, reports (no timing asserted)."""

import json

import pytest

from benchmarks import suite
from benchmarks.harness import Comparison, Timing, compare


def _fake_report(results):
    return {
        "date": "2026-11-22",
        "machine": "test machine",
        "threads": 2,
        "versions": {"python": "3"},
        "sgemm_gflops": 100.0,
        "quick": True,
        "results": results,
    }


def test_compare_settles_and_interleaves_and_reports_the_ratio():
    calls = []
    result = compare(
        "x",
        lambda: calls.append("a"),
        lambda: calls.append("b"),
        "anchor",
        repeats=2,
        warmup=1,
        inner=2,
        settle=0,
    )
    # warm-up a b; then blocks of one untimed and two timed calls, alternating who goes first
    assert calls == ["a", "b"] + ["a"] * 3 + ["b"] * 3 + ["b"] * 3 + ["a"] * 3
    assert len(result.ours.times) == len(result.anchor.times) == 2
    assert result.ratio == result.ours.median / result.anchor.median


def test_settled_blocks_collect_garbage_before_the_pause_not_between_warm_and_timed_calls(
    monkeypatch,
):
    from benchmarks import harness

    events = []
    monkeypatch.setattr(harness.gc, "collect", lambda: events.append("gc"))
    monkeypatch.setattr(harness.time, "sleep", lambda s: events.append("sleep"))
    harness.settled_times([lambda: events.append("a")], repeats=2, inner=2, settle=0.1)
    # the untimed call warms threads and caches; nothing may cool them before the timed calls
    assert events == ["gc", "sleep", "a", "a", "a"] * 2


def test_reports_show_targets_flops_and_errors():
    good = Comparison(
        "conv", Timing([2.0, 1.0, 3.0]), Timing([4.0]), "torch", flops=4e9, target=1.0
    )
    wrong = Comparison("rnn", Timing(), None, "", error="wrong result: outputs differ", target=1.5)
    missing = Comparison("scalar", Timing([1.0]), None, "micrograd (not installed)")
    report = _fake_report([good, wrong, missing])
    text = suite.text_table(report)
    assert "0.50" in text and "met" in text and "2.0" in text  # ratio, status, GFLOP/s
    assert "wrong result: outputs differ" in text and "micrograd (not installed)" in text
    markdown = suite.markdown_table(report)
    assert markdown.count("\n|") == 5 and "| conv |" in markdown
    data = json.loads(suite.to_json(report))
    assert data["results"][0]["met"] is True and data["results"][1]["error"].startswith(
        "wrong result"
    )


def test_a_workload_that_disagrees_is_reported_not_timed(monkeypatch):
    def disagrees(**kwargs):
        raise AssertionError("Not equal to tolerance rtol=1e-05\nmore detail")

    monkeypatch.setattr(suite, "WORKLOADS", [suite.Workload("bad", "builtins", "len", 1.0, {}, {})])
    monkeypatch.setattr(suite.Workload, "run", lambda self, quick: disagrees())
    monkeypatch.setattr(suite, "sgemm_gflops", lambda repeats=5: 1.0)
    report = suite.run(quick=True, log=lambda line: None)
    (result,) = report["results"]
    assert (
        result.error == "wrong result: Not equal to tolerance rtol=1e-05" and not result.ours.times
    )


def test_unknown_workloads_are_an_error():
    with pytest.raises(ValueError, match="no workload matches"):
        suite.run(only=["nonexistent"], quick=True, log=lambda line: None)


def test_the_readme_table_is_replaced_between_its_markers():
    text = "intro\n<!-- benchmarks:start -->\nold table\n<!-- benchmarks:end -->\noutro\n"
    new = suite.replace_between_markers(text, "| new |")
    assert new == "intro\n<!-- benchmarks:start -->\n| new |\n<!-- benchmarks:end -->\noutro\n"
    with pytest.raises(ValueError, match="no <!-- benchmarks:start -->"):
        suite.replace_between_markers("no markers", "| t |")


def test_compile_timer_matches_nested_compiles_of_the_same_name(monkeypatch):
    from types import SimpleNamespace

    from benchmarks import compile_timer

    clock = iter([0.0, 1.0, 3.0, 10.0, 20.0, 21.0])
    monkeypatch.setattr(compile_timer.time, "perf_counter", lambda: next(clock))
    timer = compile_timer.CompileTimer()

    def ev(name):
        return SimpleNamespace(
            data={"dispatcher": SimpleNamespace(py_func=SimpleNamespace(__name__=name))}
        )

    timer.on_start(ev("impl"))  # 0
    timer.on_start(ev("impl"))  # 1: an inner compile of another function named impl
    timer.on_end(ev("impl"))  # 3
    timer.on_end(ev("impl"))  # 10
    timer.on_start(ev("kernel"))  # 20
    timer.on_end(ev("kernel"))  # 21
    assert timer.seconds == {"impl": [2.0, 10.0], "kernel": [1.0]}
