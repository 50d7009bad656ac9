"""python -m polyfit, the import guard, the instruction sets and show_config."""

import json
import math
import os
import platform
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import RUNNABLE_ISAS, assert_same_fit

import polyfit
import polyfit.reference
from polyfit import _kernels


def run_python(code_or_args, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_demo_prints_the_tutorial_trace():
    done = run_python(["-m", "polyfit", "--seed", "5"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 21
    x = np.linspace(-math.pi, math.pi, 2000)
    expected = polyfit.reference.fit(x, np.sin(x), seed=5)
    for t, line in zip(range(99, 2000, 100), lines[:-1], strict=True):
        epoch, loss = line.split(" ")
        assert int(epoch) == t
        assert float(loss) == pytest.approx(expected.losses[t], rel=1e-9)
    match = re.fullmatch(r"Result: y = (\S+) \+ (\S+) x \+ (\S+) x\^2 \+ (\S+) x\^3", lines[-1])
    assert match, lines[-1]
    np.testing.assert_allclose([float(v) for v in match.groups()], expected.coef, rtol=1e-9)


def test_demo_options_and_errors():
    done = run_python(
        ["-m", "polyfit", "--seed", "1", "--degree", "1", "--epochs", "250", "--lr", "1e-5"]
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["99", "199"]
    assert re.fullmatch(r"Result: y = \S+ \+ \S+ x", lines[-1])
    diverged = run_python(["-m", "polyfit", "--lr", "1"])
    assert diverged.returncode == 3 and "lr=1" in diverged.stderr and "too large" in diverged.stderr
    bad = run_python(["-m", "polyfit", "--degree", "-2"])
    assert bad.returncode == 2 and "degree" in bad.stderr and "Traceback" not in bad.stderr


def test_import_fails_loudly_without_the_extension():
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'polyfit._kernel_baseline':\n"
        "            raise ImportError('simulated: no compiled extension')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import polyfit\n"
    )
    done = run_python(code)
    assert done.returncode != 0
    assert "ImportError" in done.stderr
    assert "compiled extension" in done.stderr and "pip install" in done.stderr


def test_baseline_instruction_set_agrees_with_the_reference(tutorial_data):
    """The plain fallback path (no AVX2), forced through POLYFIT_ISA."""
    code = (
        "import json, math, numpy as np, polyfit\n"
        "x = np.linspace(-math.pi, math.pi, 2000)\n"
        "r = polyfit.fit(x, np.sin(x), lr=1e-6, scale=False, seed=8)\n"
        "print(json.dumps([polyfit.show_config(mode='dicts')['instruction_set'],"
        " r.coef.tolist(), r.losses.tolist(), r.loss]))\n"
    )
    done = run_python(code, {"POLYFIT_ISA": "baseline"})
    assert done.returncode == 0, done.stderr
    isa, coef, losses, loss = json.loads(done.stdout)
    assert isa == "baseline"
    x, y = tutorial_data
    expected = polyfit.reference.fit(x, y, seed=8)
    result = polyfit.FitResult(
        coef=coef, losses=losses, loss=loss, degree=3, lr=1e-6, epochs=2000, epochs_run=2000
    )
    assert_same_fit(result, expected)


def test_unknown_instruction_set_is_refused():
    done = run_python("import polyfit", {"POLYFIT_ISA": "sse9"})
    assert done.returncode != 0 and "POLYFIT_ISA" in done.stderr


def test_show_config(capsys):
    info = polyfit.show_config(mode="dicts")
    assert info["instruction_set"] in info["instruction_sets_supported"]
    assert "baseline" in info["instruction_sets_supported"]
    assert isinstance(info["openmp"], bool) and info["max_threads"] >= 1
    assert polyfit.show_config() is None
    printed = capsys.readouterr().out
    assert f"instruction_set              {info['instruction_set']}" in printed
    with pytest.raises(ValueError, match="mode"):
        polyfit.show_config(mode="json")


def test_installed_package_layout():
    """py.typed and each kernel module's stub ship beside it; a release build carries
    no build paths (no debug info, no temporary build folders)."""
    import importlib.util
    from pathlib import Path

    package = Path(polyfit.__file__).parent
    assert (package / "py.typed").is_file()
    built = [name for name in _kernels.ISA_NAMES if _kernels.built(name)]
    assert "baseline" in built
    for name in built:
        extension = Path(importlib.util.find_spec(f"polyfit._kernel_{name}").origin)
        assert extension.parent == package and extension.suffix in (".so", ".pyd")
        assert (package / f"_kernel_{name}.pyi").is_file()
        if not polyfit.show_config(mode="dicts")["debug_build"]:
            binary = extension.read_bytes()
            for fragment in (str(package.parent).encode(), b"pip-build-env", b"build/temp"):
                assert fragment not in binary, (name, fragment)


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64") or sys.platform == "win32",
    reason="the AVX modules are built for x86-64 with GCC or Clang",
)
def test_every_x86_instruction_set_is_built_whatever_the_build_machine():
    """The build never looks at its own CPU: AVX2 and AVX-512 modules exist on a
    machine without them, and the tests run those the CPU has."""
    assert [name for name in _kernels.ISA_NAMES if _kernels.built(name)] == [
        "baseline",
        "avx2",
        "avx512",
    ]


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_polyfit_isa_selects_the_module(isa):
    code = (
        "import json, polyfit\n"
        "from polyfit import _kernels\n"
        "info = polyfit.show_config(mode='dicts')\n"
        "module = _kernels.run_epochs.__module__\n"
        "print(json.dumps([info['instruction_set'], info['lanes'], module]))"
    )
    done = run_python(code, {"POLYFIT_ISA": isa})
    assert done.returncode == 0, done.stderr
    name, lanes, module = json.loads(done.stdout)
    assert name == isa and module == f"polyfit._kernel_{isa}"
    assert lanes == (8 if isa == "avx512" else 4)


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert polyfit.__version__ == version("polyfit")
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", polyfit.__version__)
