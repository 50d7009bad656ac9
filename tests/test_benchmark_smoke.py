"""The benchmark script runs end to end (quick sizes); its figures are not checked here."""

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_quick_run_writes_its_report(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
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
