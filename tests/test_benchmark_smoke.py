"""The benchmark script runs end to end (quick sizes); its figures are not checked here."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_quick_run_writes_its_report(tmp_path):
    # From the checkout's root, as a developer runs it: its child processes must not
    # import the source tree (which has no compiled module under a wheel install).
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARK.parent.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "reference / fit" in done.stdout and "machine:" in done.stdout
    report = json.loads((tmp_path / "results.json").read_text())
    names = [case["name"] for case in report["results"]]
    assert any(name.startswith("tutorial") for name in names)
    assert any(name.startswith("degree 8") for name in names)
    assert any(name.startswith("large") for name in names)
    for case in report["results"]:
        assert all(seconds > 0 for seconds in case.get("times", {}).values())
        assert all(ratio >= 0 for ratio in case["ratios"].values())


def test_a_failed_case_is_reported_and_the_table_kept(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("polyfit_benchmark", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    benchmark.degree8_case = broken
    status = benchmark.main(["--quick", "--repeat", "1", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1
    assert "degree 8\n  FAILED: RuntimeError: simulated failure" in captured.out
    assert "reference / fit" in captured.out and "peak rise during fit" in captured.out
    assert "FAILED cases: degree 8" in captured.err
    report = json.loads((tmp_path / "results.json").read_text())
    assert [case.get("error") for case in report["results"]].count(
        "RuntimeError: simulated failure"
    ) == 1
