"""Test polyfit as a user gets it: build the wheel, install it with the [test]
extra into a fresh virtual environment, and run the whole suite from a folder
outside the checkout, so `import polyfit` cannot pick up the sources.

    python tests/run_wheel.py                      # what README's Quick start runs
    python tests/run_wheel.py --wheel dist/polyfit-*.whl --numpy lowest
    python tests/run_wheel.py -- -k agreement -x   # arguments after -- go to pytest
    python tests/run_wheel.py --source dist/polyfit-*.tar.gz   # a wheel built from the sdist

--numpy lowest installs the lowest numpy the registry has wheels of for this
Python (and this project's floor).  POLYFIT_DIST=folder keeps the built wheel
there; POLYFIT_DEBUG=1 builds a debug wheel and POLYFIT_NO_OPENMP=1 one without
OpenMP (see setup.py), and a check before the tests confirms which was built.
Needs only the standard library, pip and a C compiler.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
NUMPY_FLOOR = (1, 23)  # keep in step with pyproject.toml's dependencies


def run(command: list[str], **kwargs: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def build_wheel(dist: Path, source: Path = CHECKOUT) -> Path:
    before = set(dist.glob("polyfit-*.whl"))
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(dist),
            str(source),
        ]
    )
    built = sorted(
        set(dist.glob("polyfit-*.whl")) - before or dist.glob("polyfit-*.whl"),
        key=lambda path: path.stat().st_mtime,
    )
    return built[-1]


def one_match(pattern: str, what: str) -> Path:
    """The newest-named file the path or glob names."""
    matches = sorted(glob.glob(pattern))
    if not matches:
        raise SystemExit(f"no {what} matches {pattern!r}")
    return Path(matches[-1]).resolve()


def switched_on(variable: str) -> bool:
    """The build switches of setup.py, read the way it reads them."""
    return os.environ.get(variable, "").strip().lower() not in ("", "0", "false", "no")


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def fresh_environment(folder: Path) -> tuple[str, list[str]]:
    """A new virtual environment: its python, and the pip command that installs into it.

    Where the interpreter has no ensurepip (Debian's python3 without python3-venv),
    the environment is made without pip and this interpreter's pip installs into it.
    """
    print(f"+ python -m venv {folder}", flush=True)
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    python = str(folder / bin_dir / "python")
    try:
        venv.create(folder, with_pip=True)
        return python, [python, "-m", "pip"]
    except (subprocess.CalledProcessError, OSError):
        venv.create(folder, with_pip=False, clear=True)
        return python, [sys.executable, "-m", "pip", "--python", python]


def lowest_numpy(pip: list[str], scratch: Path) -> str:
    """The lowest numpy release with a wheel for this interpreter, at or above the floor."""
    asked = subprocess.run(
        [
            *pip,
            "download",
            "numpy==0",
            "--only-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(scratch),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    listed = re.search(r"from versions: ([^)]*)\)", asked.stderr)
    if listed is None:
        raise SystemExit(f"could not list numpy versions:\n{asked.stderr}")
    final = [
        v.strip() for v in listed.group(1).split(",") if re.fullmatch(r"\d+\.\d+\.\d+", v.strip())
    ]
    usable = [v for v in final if version_key(v)[:2] >= NUMPY_FLOOR]
    return min(usable, key=version_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="test this wheel (a path or glob) instead of building one")
    parser.add_argument(
        "--source", help="build the wheel from this sdist (a path or glob), not the checkout"
    )
    parser.add_argument("--numpy", help="numpy version to test against, or 'lowest'")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="polyfit-wheel-test-") as scratch_name:
        scratch = Path(scratch_name)
        if args.wheel:
            wheel = one_match(args.wheel, "wheel")
        else:
            dist = Path(os.environ.get("POLYFIT_DIST", scratch / "dist")).resolve()
            dist.mkdir(parents=True, exist_ok=True)
            wheel = build_wheel(dist, one_match(args.source, "sdist") if args.source else CHECKOUT)

        python, pip = fresh_environment(scratch / "venv")
        requirements = [f"{wheel}[test]"]
        if args.numpy:
            version = lowest_numpy(pip, scratch) if args.numpy == "lowest" else args.numpy
            requirements.append(f"numpy=={version}")
        run([*pip, "install", "--quiet", "--only-binary", "numpy", *requirements])

        # From outside the checkout, polyfit must be the installed one.
        workdir = scratch / "work"
        workdir.mkdir()
        debug = switched_on("POLYFIT_DEBUG")
        no_openmp = switched_on("POLYFIT_NO_OPENMP")
        run(
            [
                python,
                "-c",
                "import polyfit, numpy, sys; "
                f"assert not polyfit.__file__.startswith({str(CHECKOUT)!r}), polyfit.__file__; "
                "config = polyfit.show_config(mode='dicts'); "
                f"assert config['debug_build'] == {debug}, 'debug build: ' + str(config); "
                f"assert not ({no_openmp} and config['openmp']), 'OpenMP: ' + str(config); "
                "print('testing', polyfit.__file__, 'with numpy', numpy.__version__, config)",
            ],
            cwd=workdir,
        )
        tests = subprocess.run(
            [
                python,
                "-m",
                "pytest",
                str(CHECKOUT / "tests"),
                "-p",
                "no:cacheprovider",
                *args.pytest_args,
            ],
            cwd=workdir,
            check=False,
        )
        return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
