"""The kernel's small parts: the range pass, the pass of several jobs, and the
dense algebra on G (eigensystem, optimum, decay, epochs needed), against numpy."""

import math

import numpy as np
import pytest
from conftest import RUNNABLE_ISAS

from polyfit import _kernels


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("n", [1, 3, 4, 5, 31, 32, 33, 97, 4099])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_x_range_is_numpys_min_and_max_and_finds_nan_and_inf(isa, n, dtype):
    """Wherever the extreme or the NaN is: x_range reads the two halves of x side
    by side, then the samples after them."""
    kernel = _kernels.module(isa)
    x = np.random.default_rng(n).uniform(-3.0, 5.0, n).astype(dtype)
    assert kernel.x_range(x) == (float(x.min()), float(x.max()))
    for where in sorted({0, n // 4, n // 2, n // 2 + 1, 3 * n // 4, n - 2, n - 1} & set(range(n))):
        for value in (-10.0, 10.0):
            moved = x.copy()
            moved[where] = value
            assert kernel.x_range(moved) == (float(moved.min()), float(moved.max())), where
        for bad in (math.nan, math.inf, -math.inf):
            spoiled = x.copy()
            spoiled[where] = bad
            assert all(math.isnan(v) for v in kernel.x_range(spoiled)), (where, bad)


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("n", [1, 5, 4096, 4099, 70_001])
@pytest.mark.parametrize("threads", [1, 2])
def test_passes_read_x_range_as_x_range_does(isa, n, threads):
    """The moments pass and the final pass give x's range from the blocks they
    read (any thread count), as x_range does; the sums are those of a pass that
    does not read it.  The moments pass says NaN for a NaN or infinity in any
    block; the final pass's range is then not to be trusted, and its power
    sums say so (they are not finite)."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(n)
    x = rng.uniform(-3.0, 5.0, n)
    y = np.sin(x)
    coef = rng.standard_normal(4)
    plain, with_range, found = np.empty(12), np.empty(12), np.empty(2)
    kernel.moments(x, y, None, 3, 0.5, 0.25, plain, threads, False)
    kernel.moments(x, y, None, 3, 0.5, 0.25, with_range, threads, False, found)
    assert with_range.tobytes() == plain.tobytes()
    assert tuple(found) == kernel.x_range(x)
    stats, found = np.empty(12), np.empty(2)
    kernel.final_pass(x, y, None, 0.5, 0.25, coef, None, stats, threads, False, found)
    assert stats.tobytes() == plain.tobytes()
    assert tuple(found) == kernel.x_range(x)
    for bad in (math.nan, -math.inf):
        spoiled = x.copy()
        spoiled[n - 1] = bad  # the last block
        kernel.moments(spoiled, y, None, 3, 0.0, 1.0, np.empty(12), threads, False, found)
        assert all(math.isnan(v) for v in found)
        kernel.final_pass(spoiled, y, None, 0.0, 1.0, coef, None, stats, threads, False, found)
        assert not np.isfinite(stats).all()


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("degree", [0, 3, 8, 9, 13, 20])
@pytest.mark.parametrize("n", [5, 70_001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("shift", "factor"), [(0.0, 1.0), (0.5, 0.25)])
def test_final_pass_is_the_separate_passes_bit_for_bit(
    isa, degree, n, dtype, weighted, shift, factor
):
    """Each part of the final pass has the bits of the pass that computes it
    alone -- the losses of sums(), the power sums of moments() -- whether one
    job reads each sample for all of them (degrees up to FUSED_MAX, with the
    other coefficients or the power sums) or a job each does."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(degree)
    x = rng.uniform(-3.0, 5.0, n).astype(dtype)
    y = np.cos(x)
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    coef, other = rng.standard_normal((2, degree + 1))
    sums, other_sums, power_sums = (
        np.empty(degree + 2),
        np.empty(degree + 2),
        np.empty(3 * degree + 3),
    )
    kernel.sums(x, y, weights, coef, shift, factor, sums, 2, False)
    kernel.sums(x, y, weights, other, shift, factor, other_sums, 2, False)
    kernel.moments(x, y, weights, degree, shift, factor, power_sums, 2, False)
    for threads in (1, 2):
        for wanted in (None, other):
            for together in (None, np.empty(3 * degree + 3)):
                found = np.empty(2)
                losses = kernel.final_pass(
                    x, y, weights, shift, factor, coef, wanted, together, threads, False, found
                )
                assert losses[0] == sums[0]
                if wanted is None:
                    assert math.isnan(losses[1])
                else:
                    assert losses[1] == other_sums[0]
                if together is not None:
                    assert together.tobytes() == power_sums.tobytes()
                assert tuple(found) == kernel.x_range(x)


def _hankel_stats(rng, degree):
    """Power sums of raw x over a random range and offset: G from well to badly conditioned."""
    x = rng.uniform(-1.0, 1.0, 300) * 10 ** rng.uniform(-1.0, 1.5) + rng.uniform(-3.0, 3.0)
    stats = np.empty(3 * degree + 3)
    _kernels.moments(x, np.cos(x), None, degree, 0.0, 1.0, stats, 1, False)
    gram = stats[np.add.outer(np.arange(degree + 1), np.arange(degree + 1))]
    return stats, gram


def test_eigh_agrees_with_lapack():
    rng = np.random.default_rng(0)
    for _ in range(200):
        degree = int(rng.integers(0, _kernels.SMALL))
        stats, gram = _hankel_stats(rng, degree)
        eigenvalues, vectors = np.empty(degree + 1), np.empty((degree + 1, degree + 1))
        _kernels.eigh(stats, degree, eigenvalues, vectors.reshape(-1))
        reference = np.linalg.eigvalsh(gram)
        scale = reference[-1] * (degree + 1)
        assert np.all(np.diff(eigenvalues) >= 0)
        assert np.max(np.abs(eigenvalues - reference)) <= 1e-14 * scale
        assert np.max(np.abs(vectors.T @ vectors - np.eye(degree + 1))) <= 1e-13
        assert np.max(np.abs(gram @ vectors - vectors * eigenvalues)) <= 1e-13 * scale
    with pytest.raises(ValueError, match="degree"):
        _kernels.eigh(np.zeros(60), 17, np.empty(18), np.empty(18 * 18))


def test_optimum_is_the_least_squares_solution():
    """On well-conditioned statistics the optimum is numpy's solve of G c = T and
    its loss sum y^2 - c.T; a singular G gives the least-norm minimiser."""
    rng = np.random.default_rng(1)
    for degree in (0, 1, 3, 6):
        x = rng.uniform(-1.0, 1.0, 500)
        y = np.sin(3 * x) + 0.1 * rng.standard_normal(500)
        stats = np.empty(3 * degree + 3)
        _kernels.moments(x, y, None, degree, 0.0, 1.0, stats, 1, False)
        gram = stats[np.add.outer(np.arange(degree + 1), np.arange(degree + 1))]
        cross = stats[2 * degree + 1 : 3 * degree + 2]
        coef, eigenvalues, vectors = (
            np.empty(degree + 1),
            np.empty(degree + 1),
            np.empty((degree + 1) ** 2),
        )
        loss, size, rank = _kernels.optimum(stats, degree, 1e-12, eigenvalues, vectors, coef)
        expected = np.linalg.solve(gram, cross)
        np.testing.assert_allclose(coef, expected, rtol=1e-10, atol=1e-12)
        assert loss == pytest.approx(stats[-1] - expected @ cross, rel=1e-9)
        assert rank == degree + 1 and size >= stats[-1]
    x = np.repeat([0.0, 1.0], 50)  # two distinct x for degree 3: rank 2
    stats = np.empty(12)
    _kernels.moments(x, 2 * x + 1, None, 3, 0.0, 1.0, stats, 1, False)
    coef = np.empty(4)
    loss, _, rank = _kernels.optimum(stats, 3, 1e-12, np.empty(4), np.empty(16), coef)
    powers = np.vander(x, 4, increasing=True)
    np.testing.assert_allclose(coef, np.linalg.lstsq(powers, 2 * x + 1, rcond=None)[0], atol=1e-12)
    assert rank == 2 and loss == pytest.approx(0.0, abs=1e-10)


def test_decay_and_epochs_needed_follow_gradient_descent():
    """The predicted excess after t epochs of plain gradient descent with
    lr = 1 / (2 lambda_max) is the excess of running them, and epochs_needed is
    the first t of a scan."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1.0, 1.0, 400)
    y = np.exp(x)
    degree = 3
    stats = np.empty(3 * degree + 3)
    _kernels.moments(x, y, None, degree, 0.0, 1.0, stats, 1, False)
    coef, eigenvalues, vectors = np.empty(4), np.empty(4), np.empty(16)
    best_loss, _, _ = _kernels.optimum(stats, degree, 1e-12, eigenvalues, vectors, coef)
    start = np.zeros(4)
    energy, log_rates = np.empty(4), np.empty(4)
    initial = _kernels.decay(eigenvalues, vectors, coef, start, 0.0, energy, log_rates)
    lr = 0.5 / eigenvalues[-1]
    hyper, state = np.array([0.9, 0.99, 0.9, 0.999, 1e-8]), np.zeros(11)
    trained, losses = start.copy(), np.empty(3000)
    _kernels.train_moments(stats, trained, losses, lr, 0.0, math.nan, False, 0, hyper, state)
    assert initial == pytest.approx(losses[0] - best_loss, rel=1e-9)
    predicted = [float(energy @ np.exp(2 * t * log_rates)) for t in (10, 100, 1000)]
    for t, excess in zip((10, 100, 1000), predicted, strict=True):
        assert losses[t] - best_loss == pytest.approx(excess, rel=1e-6)
    target = 1e-4 * initial
    needed = _kernels.epochs_needed(energy, log_rates, target, 10**6)
    scan = [float(energy @ np.exp(2 * t * log_rates)) for t in range(needed - 1, needed + 1)]
    assert scan[0] > target >= scan[1]
    assert _kernels.epochs_needed(energy, log_rates, 1e-300, 100) == -1
    assert _kernels.epochs_needed(energy, log_rates, 2 * initial, 100) == 0


def _excess_at(energy, log_rates, epochs):
    """The kernel's excess_at in Python floats (the same libm exp, the same order)."""
    total = 0.0
    for part, rate in zip(energy.tolist(), log_rates.tolist(), strict=True):
        if epochs == 0:
            total += part
        elif math.isfinite(rate):
            total += part * math.exp(2.0 * epochs * rate)
    return total


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_epochs_needed_is_the_first_epoch_of_a_scan(isa):
    """Whatever bracket the bisection starts from, its answer is the fewest
    epochs that reach the excess (or -1 past the cap): checked at the answer
    and one epoch before, on random spectra with zero energies and directions
    removed in one epoch."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(7)
    cap = 10**7
    for _ in range(400):
        n = int(rng.integers(1, 9))
        energy = rng.uniform(0.0, 1.0, n) * 10.0 ** rng.uniform(-3.0, 3.0, n)
        log_rates = np.log1p(-(10.0 ** rng.uniform(-6.0, -0.01, n)))
        log_rates[rng.uniform(size=n) < 0.2] = -math.inf
        dropped = rng.uniform(size=n) < 0.15
        energy[dropped], log_rates[dropped] = 0.0, 0.0  # decay's unresolved directions
        excess = max(float(energy.sum()), 1e-300) * 10.0 ** rng.uniform(-13.0, 0.2)
        needed = kernel.epochs_needed(energy, log_rates, excess, cap)
        if needed == -1:
            assert _excess_at(energy, log_rates, cap) > excess
        else:
            assert 0 <= needed <= cap
            assert _excess_at(energy, log_rates, needed) <= excess
            if needed > 0:
                assert _excess_at(energy, log_rates, needed - 1) > excess


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_descent_is_decay_then_epochs_needed(isa):
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.0, 1.0, 300)
    for degree in (1, 3, 6):
        size = degree + 1
        stats = np.empty(3 * degree + 3)
        kernel.moments(x, np.cos(3.0 * x), None, degree, 0.0, 1.0, stats, 1, False)
        coef, eigenvalues, vectors = np.empty(size), np.empty(size), np.empty(size * size)
        loss, _, _ = kernel.optimum(stats, degree, 1e-13, eigenvalues, vectors, coef)
        start = rng.standard_normal(size)
        limit = 1e-13 * eigenvalues[-1]
        energy, log_rates = np.empty(size), np.empty(size)
        initial = kernel.decay(eigenvalues, vectors, coef, start, limit, energy, log_rates)
        slack, scale = 1e-12, 1e-13
        target = 0.005 * loss + 0.5 * (slack + scale * initial)
        expected = kernel.epochs_needed(energy, log_rates, target, 10**9)
        found = kernel.descent(
            eigenvalues, vectors.reshape(size, size), coef, start, limit, 0.005 * loss, slack,
            scale, 10**9,
        )  # fmt: skip
        assert found == (initial, expected)
        assert expected > 0


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("degree", [0, 3, 8])
@pytest.mark.parametrize("n", [5, 70_001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_first_epoch_takes_the_power_sums_without_changing_a_bit(isa, degree, n, dtype, weighted):
    """run_epochs(..., moments_out) reads the power sums in the first epoch's pass:
    those of moments(), and the epochs of a call without them, bit for bit."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(degree + n)
    x = rng.uniform(-3.0, 5.0, n).astype(dtype)
    y = np.cos(x)
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    start = 0.01 * rng.standard_normal(degree + 1)
    expected = np.empty(3 * degree + 3)
    kernel.moments(x, y, weights, degree, 1.0, 0.25, expected, 2, False)
    runs = []
    for moments_out in (None, np.empty(3 * degree + 3)):
        for threads in (1, 2):
            coef, losses = start.copy(), np.empty(5)
            args = (1e-5, 0.0, math.nan, 1.0, 0.25, threads, False, 0, None, None, moments_out)
            done = kernel.run_epochs(x, y, weights, coef, losses, *args)
            runs.append((done, coef.tobytes(), losses.tobytes()))
            if moments_out is not None:
                assert moments_out.tobytes() == expected.tobytes()
    assert all(run == runs[0] for run in runs)
    with pytest.raises(ValueError, match="moments_out"):
        kernel.run_epochs(x, y, weights, start.copy(), np.empty(0), *args)


def _placed(values, offset):
    """A copy of values starting offset bytes past a 64-byte line."""
    buffer = np.empty(values.size + 128 // values.itemsize, values.dtype)
    start = ((-buffer.ctypes.data) % 64 + offset) // values.itemsize
    copy = buffer[start : start + values.size]
    copy[:] = values
    assert copy.ctypes.data % 64 == offset
    return copy


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("degree", [0, 1, 3, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_where_the_data_start_in_memory_changes_no_bit(isa, degree, dtype):
    """A pass beyond the caches (ALIGNED_FROM samples on) may load its vectors as
    aligned cache lines shifted into place (AVX-512, float64, degrees 1-3):
    copies of the same data starting anywhere in a line give the same bits, and
    the loss is that of the final pass with the power sums, which loads each
    vector as it lies."""
    kernel = _kernels.module(isa)
    n = kernel.ALIGNED_FROM + 37
    rng = np.random.default_rng(degree)
    x = rng.uniform(-3.0, 5.0, n).astype(dtype)
    y = np.cos(x)
    weights = rng.uniform(0.5, 2.0, n)
    coef = rng.standard_normal(degree + 1)
    for threads in (1, 2):
        for w in (None, weights):
            for shift, factor in ((0.0, 1.0), (0.5, 0.25)):
                found = set()
                for offset in range(0, 64, x.itemsize):
                    xs, ys, sums = _placed(x, offset), _placed(y, offset), np.empty(degree + 2)
                    kernel.sums(xs, ys, w, coef, shift, factor, sums, threads, False)
                    found.add(sums.tobytes())
                assert len(found) == 1
                loss, _ = kernel.final_pass(
                    x, y, w, shift, factor, coef, None, np.empty(3 * degree + 3), threads, False
                )
                assert np.frombuffer(found.pop())[0] == loss
