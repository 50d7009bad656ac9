"""Every example runs (small sizes where the script takes them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(command, cwd):
    env = dict(os.environ, MPLBACKEND="Agg")
    # the console script lives beside the interpreter (a venv's bin/)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("tutorial.py", [], "Result: y = "),
        ("plot.py", ["fit.png"], " x^5"),
        ("sklearn_pipeline.py", [], "best degree: 2"),
        ("stream_npy.py", ["--samples", "300000", "--chunk", "70000"], "Result: y = "),
    ],
)
def test_python_examples(tmp_path, script, args, expect):
    done = run([sys.executable, str(EXAMPLES / script), *args], tmp_path)
    assert done.returncode == 0, done.stderr
    assert expect in done.stdout
    if script == "plot.py":
        assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"


def test_command_line_example(tmp_path):
    done = run(["bash", str(EXAMPLES / "csv_command_line.sh")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Result: y = " in done.stdout and "fit.json" in done.stdout
