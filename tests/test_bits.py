"""The results' bits follow from the source and the instruction set alone.

The same on every run and for every thread count, and the same for every build
of this source: release or debug (another optimisation level, bounds checks,
UBSan), with or without OpenMP.  The kernel is built with -ffp-contract=off and
says fma where it means one, so the compiler has no rounding left to choose.

CI sets POLYFIT_BITS to a file: the first test run (the release wheel) writes
the digests of a fixed set of runs on every instruction set the machine has;
every later run (lowest numpy, no OpenMP, the debug build) compares its own
against them.  Without POLYFIT_BITS the test checks the same runs twice and
across thread counts.
"""

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
from conftest import RUNNABLE_ISAS

from polyfit import _kernels

HYPER = np.array([0.9, 0.99, 0.9, 0.999, 1e-8])  # momentum, alpha, beta1, beta2, eps


def _digest(*arrays):
    hasher = hashlib.sha256()
    for array in arrays:
        hasher.update(np.ascontiguousarray(array).tobytes())
    return hasher.hexdigest()[:24]


def wave(x):
    """A sine-like curve from + - * / alone: numpy's sin and cos differ in the last
    bits between releases (and SIMD paths), which would change the inputs, not the
    kernel's results.  Its value is 2x - (2x)^3 / 6 in float64."""
    u = 2.0 * np.asarray(x, dtype=np.float64)
    return u - u * u * u / 6.0


def _runs(isa):
    """Digests of the kernel's results on a fixed set of problems, for one
    instruction set: every specialised degree and a generic one, odd lengths
    (padded tails), both dtypes, more than one block, two thread counts, the
    power sums and training on them with every optimiser."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(2024)
    results = {}
    for dtype in (np.float64, np.float32):
        for degree in [*range(14), 20]:
            for n in (1, 7, 4101, 70_001):
                x = rng.uniform(-1.5, 1.5, n).astype(dtype)
                y = (wave(x) + 0.1 * rng.standard_normal(n)).astype(dtype)
                start = 0.1 * rng.standard_normal(degree + 1)
                for threads in (1, 2) if n > 65_536 else (1,):
                    coef, losses = start.copy(), np.empty(12)
                    state = np.zeros(kernel.state_size(degree))
                    done, _ = kernel.run_epochs(
                        x, y, None, coef, losses, 0.1 / (n * (degree + 1)), 0.0, math.nan,
                        0.0, 1.0, threads, False, 0, HYPER, state,
                    )  # fmt: skip
                    key = f"{isa} {np.dtype(dtype).name} degree {degree} n {n} threads {threads}"
                    results[key] = _digest(coef, losses[:done])
                moments = np.empty(3 * degree + 3)
                kernel.moments(x, y, None, degree, 0.25, 0.5, moments, 1, False)
                results[f"{isa} {np.dtype(dtype).name} degree {degree} n {n} moments"] = _digest(
                    moments
                )
    x = rng.uniform(-1, 1, 3000)
    for degree in (2, 5, 10):
        moments = np.empty(3 * degree + 3)
        kernel.moments(x, wave(x), None, degree, 0.0, 1.0, moments, 1, False)
        for name, code in kernel.OPTIMIZERS.items():
            coef, losses = np.zeros(degree + 1), np.empty(300)
            state = np.zeros(kernel.state_size(degree))
            done, _ = kernel.train_moments(
                moments, coef, losses, 0.25 / x.size, 0.0, math.nan, False, code, HYPER, state
            )
            assert done == losses.size  # a step that converges: every epoch ran
            results[f"{isa} train {name} degree {degree}"] = _digest(coef, losses)
    return results


def test_bits_are_the_same_for_every_run_thread_count_and_build():
    digests = {}
    for isa in RUNNABLE_ISAS:
        digests.update(_runs(isa))
    again = {}
    for isa in RUNNABLE_ISAS:
        again.update(_runs(isa))
    assert again == digests
    for key, value in digests.items():
        if key.endswith("threads 2"):
            assert value == digests[key.replace("threads 2", "threads 1")], key

    record = os.environ.get("POLYFIT_BITS")
    if not record:
        return
    path = Path(record)
    if not path.exists():  # the first build of this CI run writes the record
        path.write_text(json.dumps(digests, indent=0, sort_keys=True) + "\n")
        return
    recorded = json.loads(path.read_text())
    common = sorted(set(recorded) & set(digests))
    assert len(common) == len(digests), "the recorded build ran other instruction sets"
    differing = [key for key in common if recorded[key] != digests[key]]
    assert not differing, f"{len(differing)} of {len(common)} results differ: {differing[:10]}"
