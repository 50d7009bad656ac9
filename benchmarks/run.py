"""polyfit's benchmark: every case timed side by side in one process.

    python benchmarks/run.py                # the full run (a few minutes)
    python benchmarks/run.py --quick        # a smoke run with small sizes (CI)

Prints a table of medians and ratios, and writes results.json and results.png
(the chart needs matplotlib) into --out.  The cases are interleaved: each repeat
times every case once, so a noisy neighbour slows all of them alike and the
ratios stay honest; ratios of cases within a few % of each other (scale=True,
progress=True, sample_weight against plain fits) are medians of each repeat's
ratio.  A case shorter than 20 ms is timed as a batch of calls
that lasts about 20 ms (as timeit does), and reported per call.  torch and
numba loops run where those are installed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

import polyfit
import polyfit.reference


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = polyfit.show_config(mode="dicts")
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, polyfit {polyfit.__version__} "
        f"({info['instruction_set']}, OpenMP {'on' if info['openmp'] else 'off'})"
    )


# ------------------------------------------------------------ other loops


def numba_loop() -> Callable[..., None] | None:
    """The tutorial's loop (degree 3) compiled by numba with fastmath, if installed."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(fastmath=True)
    def loop(x, y, coef, lr, epochs, losses):  # pragma: no cover - compiled
        for t in range(epochs):
            loss = g0 = g1 = g2 = g3 = 0.0
            for i in range(x.shape[0]):
                xi = x[i]
                r = coef[0] + xi * (coef[1] + xi * (coef[2] + xi * coef[3])) - y[i]
                loss += r * r
                g0 += r
                g1 += r * xi
                g2 += r * xi * xi
                g3 += r * xi * xi * xi
            losses[t] = loss
            coef[0] -= lr * 2.0 * g0
            coef[1] -= lr * 2.0 * g1
            coef[2] -= lr * 2.0 * g2
            coef[3] -= lr * 2.0 * g3

    def run(x, y, init, lr, epochs):
        loop(x, y, np.array(init), lr, epochs, np.empty(epochs))

    run(np.zeros(8), np.zeros(8), np.zeros(4), 1e-6, 2)  # compile outside the timing
    return run


def torch_loop() -> Callable[..., None] | None:
    """The same loop with torch tensors on the CPU, if torch is installed."""
    try:
        import torch
    except ImportError:
        return None

    def run(x, y, init, lr, epochs):
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        a, b, c, d = (torch.tensor(v, dtype=torch.float64) for v in init)
        for _ in range(epochs):
            y_pred = a + b * xt + c * xt**2 + d * xt**3
            (y_pred - yt).pow(2).sum()
            grad_y_pred = 2.0 * (y_pred - yt)
            a = a - lr * grad_y_pred.sum()
            b = b - lr * (grad_y_pred * xt).sum()
            c = c - lr * (grad_y_pred * xt**2).sum()
            d = d - lr * (grad_y_pred * xt**3).sum()

    return run


# ---------------------------------------------------------------- timing


# A case shorter than this is timed in batches of calls that last about as
# long (timeit's approach): one call of 100 us cannot be timed alone to better
# than the clock's and the scheduler's jitter.
BATCH_SECONDS = 0.02


class Times(dict[str, float]):
    """Median seconds per call of each case, and each repeat's in .runs."""

    runs: dict[str, list[float]]


def paired(times: Times, a: str, b: str) -> float:
    """The median over repeats of a's time / b's in the same repeat: for two cases
    within a few % of each other, steadier than a ratio of medians when the
    machine's speed drifts between repeats."""
    return statistics.median(t / u for t, u in zip(times.runs[a], times.runs[b], strict=True))


def timed_side_by_side(cases: dict[str, Callable[[], object]], repeat: int) -> Times:
    """Median seconds per call of each case; every repeat runs all cases in turn.

    The first call of each case is a warm-up (imports, thread pools, page
    faults); then the calls that fit in BATCH_SECONDS make its batch, the
    calls of one timing (as timeit's autorange).  Sized by the warm-up alone,
    whose one-off costs were 10-30 times a call's for the many-series fit (a
    first parallel region, fresh pages), that case's batch was 1 or 2 calls,
    not ~20, and waking the other core after a single-threaded case weighed
    ten times as much as intended.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    batch: dict[str, int] = {}
    for name, call in cases.items():
        call()
        calls, start = 0, time.perf_counter()
        while calls == 0 or time.perf_counter() - start < BATCH_SECONDS:
            call()
            calls += 1
        batch[name] = calls
    for _ in range(repeat):
        for name, call in cases.items():
            start = time.perf_counter()
            for _ in range(batch[name]):
                call()
            times[name].append((time.perf_counter() - start) / batch[name])
    medians = Times({name: statistics.median(values) for name, values in times.items()})
    medians.runs = times
    return medians


def stable_lr(x: np.ndarray, degree: int) -> float:
    powers = np.vander(x, degree + 1, increasing=True)
    return 0.5 / float(np.linalg.eigvalsh(2.0 * powers.T @ powers).max())


# The tutorial's settings (fit's defaults are lr="auto", scale=True since 0.1's #13).
TUTORIAL = {"lr": 1e-6, "scale": False}


def tutorial_case(repeat: int) -> dict[str, object]:
    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    init = np.random.default_rng(0).standard_normal(4)
    cases: dict[str, Callable[[], object]] = {
        "reference.fit (numpy)": lambda: polyfit.reference.fit(x, y, init=init),
        "polyfit.fit": lambda: polyfit.fit(x, y, init=init, **TUTORIAL),
    }
    others = {"numba fastmath loop": numba_loop(), "torch loop (CPU)": torch_loop()}
    for name, loop in others.items():
        if loop is not None:
            cases[name] = lambda loop=loop: loop(x, y, init, 1e-6, 2000)
    cases["polyfit.fit, method='moments'"] = lambda: polyfit.fit(
        x, y, init=init, method="moments", **TUTORIAL
    )
    cases["polyfit.fit, progress=True"] = lambda: polyfit.fit(
        x, y, init=init, progress=True, **TUTORIAL
    )
    # the same step on x scaled to [-1, 1] (inside the kernel, or a copy this small)
    cases["polyfit.fit, scale=True"] = lambda: polyfit.fit(
        x, y, init=init, lr=1e-6 * math.pi**2, scale=True
    )
    times = timed_side_by_side(cases, repeat)
    ratios = {
        "reference / fit": times["reference.fit (numpy)"] / times["polyfit.fit"],
        "reference / fit moments": times["reference.fit (numpy)"]
        / times["polyfit.fit, method='moments'"],
    }
    ratios["progress=True / plain"] = paired(times, "polyfit.fit, progress=True", "polyfit.fit")
    ratios["scale=True / plain"] = paired(times, "polyfit.fit, scale=True", "polyfit.fit")
    if "numba fastmath loop" in times:
        ratios["fit / numba fastmath"] = times["polyfit.fit"] / times["numba fastmath loop"]
    if "torch loop (CPU)" in times:
        ratios["torch / fit"] = times["torch loop (CPU)"] / times["polyfit.fit"]
    return {"name": "tutorial: n=2000, degree 3, 2000 epochs", "times": times, "ratios": ratios}


def degree8_case(repeat: int, n: int = 2000, epochs: int = 2000) -> dict[str, object]:
    """Degree 8 against the reference, and degrees 3, 8, 12 against the floor set by
    the fused pass's multiplies: 2 degree + 1 per sample (Horner, the square, the
    powers), so time(d) / time(3) over (2d + 1) / 7 is 1 at the floor."""
    x = np.linspace(-1.0, 1.0, n)
    y = np.sin(math.pi * x)
    cases: dict[str, Callable[[], object]] = {}
    for degree in (3, 8, 12):
        init = np.random.default_rng(1).standard_normal(degree + 1)
        options = {"lr": stable_lr(x, degree), "epochs": epochs, "init": init, "scale": False}
        if degree == 8:
            cases["reference.fit (numpy)"] = lambda options=options: polyfit.reference.fit(
                x, y, 8, lr=options["lr"], epochs=epochs, init=options["init"]
            )
        cases[f"polyfit.fit, degree {degree}"] = lambda d=degree, o=options: polyfit.fit(
            x, y, d, **o
        )
    times = timed_side_by_side(cases, repeat)
    ratios = {"reference / fit": times["reference.fit (numpy)"] / times["polyfit.fit, degree 8"]}
    for degree in (8, 12):
        ratios[f"degree {degree} / 3 over (2d+1)/7"] = (
            times[f"polyfit.fit, degree {degree}"]
            / times["polyfit.fit, degree 3"]
            / ((2 * degree + 1) / 7)
        )
    return {"name": f"degree 8: n={n}, {epochs} epochs (and 3, 12)", "times": times,
            "ratios": ratios}  # fmt: skip


def large_case(n: int, epochs: int, repeat: int) -> dict[str, object]:
    rng = np.random.default_rng(2)
    x = rng.uniform(-1.0, 1.0, n)
    y = np.sin(3.0 * x) + 0.1 * rng.standard_normal(n)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    init = rng.standard_normal(4)
    lr = 0.5 / (2.0 * n * 4)

    def fit(data_x, data_y, threads, epochs=epochs, scale=False):
        return lambda: polyfit.fit(
            data_x, data_y, 3, lr=lr, epochs=epochs, init=init, threads=threads, scale=scale
        )

    times = timed_side_by_side(
        {
            "numpy: x.sum() + y.sum()": lambda: (x.sum(), y.sum()),
            "fit float64, threads=1": fit(x, y, 1),
            "fit float64, threads=2": fit(x, y, 2),
            "fit float32, threads=1": fit(x32, y32, 1),
            "fit float32, threads=2": fit(x32, y32, 2),
            "fit float64, threads=1, 0 epochs": fit(x, y, 1, 0),
            "fit float64, threads=2, 0 epochs": fit(x, y, 2, 0),
            "fit float64, threads=1, scale=True": fit(x, y, 1, scale=True),
            "fit float32, threads=1, scale=True": fit(x32, y32, 1, scale=True),
            "fit moments, 2000 epochs, threads=2": lambda: polyfit.fit(
                x, y, 3, lr=lr, epochs=2000, init=init, threads=2, method="moments", scale=False
            ),
        },
        repeat,
    )
    read = times["numpy: x.sum() + y.sum()"]
    # An epoch is what one more epoch adds to a fit; the 0-epoch fit is the
    # checks and the final loss pass that every fit does once.
    epoch = {
        t: (times[f"fit float64, threads={t}"] - times[f"fit float64, threads={t}, 0 epochs"])
        / epochs
        for t in (1, 2)
    }
    return {
        "name": f"large: n={n:,}, degree 3, {epochs} epochs",
        "times": times,
        "ratios": {
            "epoch (threads=1) / numpy read": epoch[1] / read,
            "epoch (threads=2) / numpy read": epoch[2] / read,
            "fit threads=1 / threads=2": times["fit float64, threads=1"]
            / times["fit float64, threads=2"],
            "fit float64 / float32 (threads=1)": times["fit float64, threads=1"]
            / times["fit float32, threads=1"],
            "fit float64 / float32 (threads=2)": times["fit float64, threads=2"]
            / times["fit float32, threads=2"],
            "moments fit (2000 epochs) / numpy read": times["fit moments, 2000 epochs, threads=2"]
            / read,
            "scale=True / plain (float64, threads=1)": paired(
                times, "fit float64, threads=1, scale=True", "fit float64, threads=1"
            ),
            "scale=True / plain (float32, threads=1)": paired(
                times, "fit float32, threads=1, scale=True", "fit float32, threads=1"
            ),
        },
    }


def series_case(repeat: int, n: int = 1000, k: int = 1000) -> dict[str, object]:
    """k series of n samples sharing x, degree 3: one fit(x, Y) against a Python
    loop of k single fits, for both methods (their defaults otherwise)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 10.0, n)
    y = np.sin(np.outer(x, rng.uniform(0.1, 0.3, k))) + 0.01 * rng.standard_normal((n, k))
    columns = [np.ascontiguousarray(y[:, c]) for c in range(k)]

    def loop(method: str, epochs: int) -> Callable[[], object]:
        return lambda: [polyfit.fit(x, v, 3, method=method, epochs=epochs) for v in columns]

    times = timed_side_by_side(
        {
            "fit(x, Y), moments, 2000 epochs": lambda: polyfit.fit(
                x, y, 3, method="moments", epochs=2000
            ),
            f"{k} fits in a loop, moments": loop("moments", 2000),
            "fit(x, Y), exact, 200 epochs": lambda: polyfit.fit(x, y, 3, epochs=200),
            f"{k} fits in a loop, exact": loop("exact", 200),
        },
        repeat,
    )
    return {
        "name": f"many series: {k} of n={n}, degree 3, one call against a loop",
        "times": times,
        "ratios": {
            "loop / one call, moments": times[f"{k} fits in a loop, moments"]
            / times["fit(x, Y), moments, 2000 epochs"],
            "loop / one call, exact": times[f"{k} fits in a loop, exact"]
            / times["fit(x, Y), exact, 200 epochs"],
        },
    }


def weights_case(repeat: int, large: int) -> dict[str, object]:
    """A weighted fit against the same fit unweighted: the tutorial's size (in
    cache) and a large one (memory-bound: 24 bytes a sample instead of 16)."""
    rng = np.random.default_rng(6)
    cases: dict[str, Callable[[], object]] = {}
    for n, epochs in ((2000, 2000), (large, 20)):
        x = rng.uniform(-1.0, 1.0, n)
        y = np.sin(3.0 * x) + 0.1 * rng.standard_normal(n)
        w = rng.uniform(0.5, 1.5, n)
        options = {"lr": 0.5 / (2.0 * n * 4), "epochs": epochs, "init": np.zeros(4), "threads": 1}
        cases[f"n={n:,}, unweighted"] = lambda x=x, y=y, o=options: polyfit.fit(x, y, 3, **o)
        cases[f"n={n:,}, sample_weight"] = lambda x=x, y=y, w=w, o=options: polyfit.fit(
            x, y, 3, sample_weight=w, **o
        )
    times = timed_side_by_side(cases, repeat)
    return {
        "name": "sample_weight: degree 3, scale=True, one thread",
        "times": times,
        "ratios": {
            f"weighted / unweighted, n={n:,}": paired(
                times, f"n={n:,}, sample_weight", f"n={n:,}, unweighted"
            )
            for n in (2000, large)
        },
    }


def python_threads_case(repeat: int, fits: int = 8) -> dict[str, object]:
    """Eight fits from eight Python threads against the same fits one after another."""
    rng = np.random.default_rng(4)
    problems = [rng.uniform(-1.0, 1.0, 50_000) for _ in range(fits)]

    def one(x: np.ndarray) -> None:
        polyfit.fit(x, np.sin(3.0 * x), 3, lr=1e-6, epochs=200, seed=0, threads=1, scale=False)

    def serial() -> None:
        for x in problems:
            one(x)

    def threaded() -> None:
        workers = [threading.Thread(target=one, args=(x,)) for x in problems]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    times = timed_side_by_side(
        {"8 fits, one after another": serial, "8 fits in 8 Python threads": threaded}, repeat
    )
    return {
        "name": f"{fits} fits of n=50,000, 200 epochs: Python threads (GIL released)",
        "times": times,
        "ratios": {
            "serial / threaded": times["8 fits, one after another"]
            / times["8 fits in 8 Python threads"]
        },
    }


PEAK_PROBE = """
import sys, numpy as np, polyfit

def status(field):  # kB figures from /proc/self/status (Linux)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))

n = int(sys.argv[1])
x = np.random.default_rng(0).uniform(-1, 1, n)
y = np.sin(x)
polyfit.fit(x[:1000], y[:1000], 3, epochs=1, seed=0)   # warm up imports and the kernel
for scale in (False, True):
    with open("/proc/self/clear_refs", "w") as f:        # reset the peak (VmHWM) to now
        f.write("5")
    before = status("VmRSS:")
    polyfit.fit(x, y, 3, lr=1e-9, epochs=20, seed=0, scale=scale)
    print(before, status("VmHWM:"))
"""


def peak_memory_case(n: int) -> dict[str, object] | None:
    """The peak resident memory a fit adds on top of its data, in a fresh process."""
    if not sys.platform.startswith("linux"):
        return None  # needs /proc/self/clear_refs to reset the peak
    # Run from a neutral folder: with `python -c` the current folder comes first on
    # sys.path, and in the checkout that is the source tree, without the compiled module.
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", PEAK_PROBE, str(n)],
            capture_output=True,
            text=True,
            cwd=folder,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the probe process failed: {done.stderr.strip().splitlines()[-1:]}")
    before, peak, scaled_before, scaled_peak = (int(v) for v in done.stdout.split())
    data = 2 * n * 8
    return {
        "name": f"peak memory: fit on n={n:,} float64 samples",
        "bytes": {
            "x and y": data,
            "peak rise during fit": peak - before,
            "peak rise, scale=True": scaled_peak - scaled_before,
        },
        "ratios": {
            "peak rise / input": (peak - before) / data,
            "peak rise / input, scale=True": (scaled_peak - scaled_before) / data,
        },
    }


READ_PROBE = """
import sys, numpy as np
from polyfit import _table

def status(field):  # kB figures from /proc/self/status (Linux)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))

reader, path = sys.argv[1:3]
with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to now
    f.write("5")
before = status("VmRSS:")
if reader == "loadtxt":
    table = np.loadtxt(path, delimiter=",", skiprows=1)
else:
    table = _table.read_xy(path)
print(before, status("VmHWM:"))
"""


def csv_read_case(n: int, repeat: int) -> dict[str, object]:
    """`polyfit fit`'s reader against numpy.loadtxt on a two-column CSV file with a
    header: time (17 and 6 significant digits), and the peak memory each adds."""
    from polyfit import _table

    rng = np.random.default_rng(0)
    table = np.column_stack([rng.uniform(0, 100, n), rng.standard_normal(n)])
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for digits in (17, 6):
            paths[digits] = os.path.join(folder, f"data{digits}.csv")
            np.savetxt(
                paths[digits], table, fmt=f"%.{digits}g", delimiter=",", header="x,y", comments=""
            )
        cases: dict[str, Callable[[], object]] = {}
        for digits, path in paths.items():
            cases[f"numpy.loadtxt, {digits} digits"] = lambda path=path: np.loadtxt(
                path, delimiter=",", skiprows=1
            )
            cases[f"polyfit fit's reader, {digits} digits"] = lambda path=path: _table.read_xy(path)
        times = timed_side_by_side(cases, repeat)
        peaks = {}
        if sys.platform.startswith("linux"):
            for reader in ("loadtxt", "polyfit"):
                done = subprocess.run(
                    [sys.executable, "-c", READ_PROBE, reader, paths[17]],
                    capture_output=True,
                    text=True,
                    cwd=folder,
                    check=True,
                )
                before, peak = (int(v) for v in done.stdout.split())
                peaks[f"peak rise, {reader}"] = peak - before
    ratios = {
        f"reader / loadtxt, {digits} digits": times[f"polyfit fit's reader, {digits} digits"]
        / times[f"numpy.loadtxt, {digits} digits"]
        for digits in paths
    }
    if peaks:
        ratios["reader peak rise / (x and y)"] = peaks["peak rise, polyfit"] / (16 * n)
    return {
        "name": f"reading a CSV file: {n:,} rows, 2 columns",
        "times": times,
        "bytes": {"x and y": 16 * n, **peaks},
        "ratios": ratios,
    }


# ---------------------------------------------------------------- output


def table(results: list[dict[str, object]]) -> str:
    lines = []
    for case in results:
        lines.append(f"\n{case['name']}")
        if "error" in case:
            lines.append(f"  FAILED: {case['error']}")
            continue
        for name, seconds in case.get("times", {}).items():  # type: ignore[union-attr]
            lines.append(f"  {name:38s} {seconds * 1e3:12.3f} ms")
        for name, value in case.get("bytes", {}).items():  # type: ignore[union-attr]
            lines.append(f"  {name:38s} {value / 2**20:12.1f} MiB")
        for name, ratio in case["ratios"].items():  # type: ignore[union-attr]
            lines.append(f"  {name:38s} {ratio:12.2f} x")
    return "\n".join(lines)


def chart(results: list[dict[str, object]], path: Path) -> bool:
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [case for case in results if case.get("times")]
    fig, axes = plt.subplots(len(timed), 1, figsize=(9, 2.2 + 1.4 * len(timed) * 2))
    for ax, case in zip(np.atleast_1d(axes), timed, strict=True):
        names = list(case["times"])  # type: ignore[arg-type]
        values = [v * 1e3 for v in case["times"].values()]  # type: ignore[union-attr]
        ax.barh(names, values, color="tab:blue")
        ax.set_xscale("log")
        ax.set_xlabel("median time (ms, log scale)")
        ax.set_title(str(case["name"]), fontsize=10)
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:.3g}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    # Every case runs fixed epoch counts on purpose: polyfit's advice (a
    # ConvergenceWarning's remedy) is not what is measured here.
    warnings.simplefilter("ignore", polyfit.PolyfitWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke)")
    parser.add_argument("--repeat", type=int, default=None, help="repeats of the fast cases")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results",
        help="folder for results.json and results.png",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 15)
    large_n, large_repeat = (200_000, 2) if args.quick else (10_000_000, 7)

    cases: list[tuple[str, Callable[[], dict[str, object] | None]]] = [
        ("tutorial", lambda: tutorial_case(repeat)),
        ("degree 8", lambda: degree8_case(max(1, repeat // 3), epochs=100 if args.quick else 2000)),
        ("large", lambda: large_case(large_n, 20, large_repeat)),
        ("Python threads", lambda: python_threads_case(max(1, repeat // 3))),
        ("many series", lambda: series_case(max(1, repeat // 5), k=50 if args.quick else 1000)),
        ("sample_weight", lambda: weights_case(repeat, large_n)),
        ("peak memory", lambda: peak_memory_case(large_n)),
        ("CSV read", lambda: csv_read_case(20_000 if args.quick else 1_000_000, large_repeat)),
    ]
    results: list[dict[str, object]] = []
    for name, run_case in cases:
        try:  # one failed case is reported as such; the others still run and print
            case = run_case()
        except Exception as error:  # any failure of a case is reported, not raised
            case = {"name": name, "error": f"{type(error).__name__}: {error}", "ratios": {}}
        if case is not None:
            results.append(case)
    failed = [case["name"] for case in results if "error" in case]
    text = f"machine: {machine()}\ncommand: python {' '.join(sys.argv)}\n" + table(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "command": sys.argv, "quick": args.quick, "results": results}
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    if chart(results, args.out / "results.png"):
        print(f"\nwrote {args.out / 'results.json'} and {args.out / 'results.png'}")
    else:
        print(f"\nwrote {args.out / 'results.json'} (no chart: matplotlib is not installed)")
    if failed:
        print(f"\nFAILED cases: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
