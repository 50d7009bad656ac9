"""The kernel's passes over many series (a 2-D y of shape (n, k) sharing x).

The power sums of each column are those of its own 1-D pass, bit for bit, and
so is plain gradient descent on them for all columns at once; the exact
method's pass (columns in the vector lanes) matches numpy's sums; nothing
depends on the thread count.
"""

import math

import numpy as np
import pytest
from conftest import RUNNABLE_ISAS

from polyfit import _kernels

HYPER = np.array([0.9, 0.99, 0.9, 0.999, 1e-8])


def _problem(rng, n, k, dtype):
    x = rng.uniform(-1.0, 1.0, n).astype(dtype)
    y = np.sin(np.outer(x, np.arange(1, k + 1))) + 0.1 * rng.standard_normal((n, k))
    return x, y.astype(dtype)


def _weights(rng, mode, n, k):
    one = rng.uniform(0.0, 2.0, n) if mode == "per sample" else None
    two = rng.uniform(0.0, 2.0, (n, k)) if mode == "per value" else None
    return one, two


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("degree", [0, 3, 8, 10])
@pytest.mark.parametrize("mode", ["none", "per sample", "per value"])
def test_power_sums_of_each_column_are_its_own_bit_for_bit(isa, dtype, degree, mode):
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(degree)
    for n, k in ((1, 1), (7, 3), (9001, 9)):  # tails, blocks, a partial group of columns
        x, y = _problem(rng, n, k, dtype)
        one, two = _weights(rng, mode, n, k)
        both = np.empty((k, 3 * degree + 3))
        kernel.series_moments(x, y, one, two, degree, 0.1, 0.9, both, 2, False)
        for c in range(k):
            weights = one if two is None else np.ascontiguousarray(two[:, c])
            alone = np.empty(3 * degree + 3)
            kernel.moments(x, np.ascontiguousarray(y[:, c]), weights, degree, 0.1, 0.9, alone, 1,
                           False)  # fmt: skip
            assert alone.tobytes() == both[c].tobytes(), (n, k, c)


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("degree", [0, 1, 4, 8])
def test_gradient_descent_on_many_statistics_is_each_columns_own(isa, degree):
    """All columns in one loop (columns in vector lanes, a partial group) give
    every column the coefficients and losses of train_moments on its own."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(5)
    x, y = _problem(rng, 500, 11, np.float64)
    stats = np.empty((11, 3 * degree + 3))
    kernel.series_moments(x, y, None, None, degree, 0.0, 1.0, stats, 1, False)
    start = 0.1 * rng.standard_normal((degree + 1, 11))
    lr = 0.1 / (500 * (degree + 1))
    coef, losses = start.copy(), np.empty((400, 11))
    unknown = np.full(11, np.nan)  # no loss before the first epoch
    done, _ = kernel.series_train_moments(stats, coef, losses, lr, 0.0, unknown, False)
    assert done == 400
    for c in range(11):
        alone, alone_losses = start[:, c].copy(), np.empty(400)
        kernel.train_moments(stats[c].copy(), alone, alone_losses, lr, 0.0, math.nan, False, 0,
                             HYPER, np.zeros(2 * degree + 3))  # fmt: skip
        assert alone.tobytes() == coef[:, c].tobytes()
        assert alone_losses.tobytes() == losses[:, c].tobytes()


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("degree", [0, 2, 3, 5, 8])
@pytest.mark.parametrize("shared", [True, False])
def test_blocks_of_groups_of_many_statistics_are_each_columns_own(isa, degree, shared):
    """Groups of columns trained side by side (blocks of 4, 2 and 1 groups),
    over several slabs, a partial last group, power sums the same for every
    column or not: every column's coefficients and losses are those of
    train_moments on its own, on one thread or two."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(8)
    k, n, epochs = 150, 200, 130  # 2 chunks and a few epochs
    stats = np.empty((k, 3 * degree + 3))
    if shared:
        x, y = _problem(rng, n, k, np.float64)
        kernel.series_moments(x, y, None, None, degree, 0.0, 1.0, stats, 1, False)
    else:  # each column its own x: its own power sums
        for c in range(k):
            x, y = _problem(rng, n, 1, np.float64)
            kernel.series_moments(x, y, None, None, degree, 0.0, 1.0, stats[c : c + 1], 1, False)
    start = 0.1 * rng.standard_normal((degree + 1, k))
    lr = 0.1 / (n * (degree + 1))
    unknown = np.full(k, np.nan)
    for threads in (1, 2):
        coef, losses = start.copy(), np.empty((epochs, k))
        done, _ = kernel.series_train_moments(stats, coef, losses, lr, 0.0, unknown, False,
                                              threads)  # fmt: skip
        assert done == epochs
        for c in range(k):
            alone, alone_losses = start[:, c].copy(), np.empty(epochs)
            kernel.train_moments(stats[c].copy(), alone, alone_losses, lr, 0.0, math.nan, False,
                                 0, HYPER, np.zeros(2 * degree + 3))  # fmt: skip
            assert alone.tobytes() == coef[:, c].tobytes(), (threads, c)
            assert alone_losses.tobytes() == losses[:, c].tobytes(), (threads, c)


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("degree", [0, 3, 8, 11])
@pytest.mark.parametrize("mode", ["none", "per sample", "per value"])
def test_exact_sums_of_many_series_are_numpys(isa, dtype, degree, mode):
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(10 + degree)
    n, k = 5003, 13
    x, y = _problem(rng, n, k, dtype)
    one, two = _weights(rng, mode, n, k)
    coef = 0.1 * rng.standard_normal((degree + 1, k))
    sums = np.empty((degree + 2, k))
    kernel.series_sums(x, y, one, two, coef, 0.1, 0.9, sums, 1, False)
    u = (x.astype(np.float64) - 0.1) * 0.9
    powers = np.vander(u, degree + 1, increasing=True)
    residuals = powers @ coef - y.astype(np.float64)
    w = np.ones((n, k)) if mode == "none" else (one[:, None] if two is None else two)
    terms = [w * residuals * residuals] + [
        w * residuals * powers[:, [j]] for j in range(degree + 1)
    ]
    expected = np.array([t.sum(axis=0) for t in terms])
    size = np.array([np.abs(t).sum(axis=0) for t in terms])
    # each column's sum runs sequentially over a block's rows (4096), then over
    # blocks: the error of such a sum is at most rows * eps * sum(|terms|)
    assert np.all(np.abs(sums - expected) <= 4096 * 2.3e-16 * size + 1e-300)
    threaded = np.empty_like(sums)
    kernel.series_sums(x, y, one, two, coef, 0.1, 0.9, threaded, 2, False)
    assert threaded.tobytes() == sums.tobytes()


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_exact_epochs_of_many_series(isa):
    """Each epoch is the step c - 2 lr h of the pass's sums, for every column; the
    same bits on 1 and 2 threads; agreement with each column's 1-D fit to 1e-12."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(3)
    n, k, degree = 70_001, 10, 3
    x, y = _problem(rng, n, k, np.float64)
    lr = 0.2 / (n * (degree + 1))
    results = []
    for threads in (1, 2):
        coef, losses = np.zeros((degree + 1, k)), np.empty((30, k))
        unknown = np.full(k, np.nan)
        done, _ = kernel.series_epochs_run(
            x, y, None, None, coef, losses, lr, 0.0, unknown, 0.0, 1.0, threads, False
        )
        assert done == 30
        results.append((coef, losses))
    assert results[0][0].tobytes() == results[1][0].tobytes()
    assert results[0][1].tobytes() == results[1][1].tobytes()
    coef, losses = results[0]
    for c in range(k):
        alone, alone_losses = np.zeros(degree + 1), np.empty(30)
        kernel.run_epochs(x, np.ascontiguousarray(y[:, c]), None, alone, alone_losses, lr, 0.0,
                          math.nan, 0.0, 1.0, 1, False, 0, HYPER, np.zeros(9))  # fmt: skip
        np.testing.assert_allclose(coef[:, c], alone, rtol=1e-12)
        np.testing.assert_allclose(losses[:, c], alone_losses, rtol=1e-12)


@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_many_series_stop_together(isa):
    """One column that diverges stops every column at that epoch, with the last
    finite coefficients; tol stops once every column met it."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(4)
    x, y = _problem(rng, 300, 3, np.float64)
    y[:, 1] *= 1e200  # its loss overflows at once
    stats = np.empty((3, 12))
    kernel.series_moments(x, y, None, None, 3, 0.0, 1.0, stats, 1, False)
    coef, losses = np.zeros((4, 3)), np.empty((50, 3))
    done, status = kernel.series_train_moments(stats, coef, losses, 1e-3, 0.0, np.full(3, np.nan),
                                               False)  # fmt: skip
    assert status == kernel.STATUS_DIVERGED and done == 0 and not coef.any()
    coef, losses = np.zeros((4, 3)), np.empty((50, 3))
    done, status = kernel.series_epochs_run(x, y, None, None, coef, losses, 1e-3, 0.0,
                                            np.full(3, np.nan), 0.0, 1.0, 1, False)  # fmt: skip
    assert status == kernel.STATUS_DIVERGED and done == 0 and not coef.any()
    x, y = _problem(rng, 300, 3, np.float64)
    kernel.series_moments(x, y, None, None, 3, 0.0, 1.0, stats, 1, False)
    coef, losses = np.zeros((4, 3)), np.empty((100_000, 3))
    done, status = kernel.series_train_moments(stats, coef, losses, 1e-3, 1e-9, np.full(3, np.nan),
                                               False)  # fmt: skip
    assert status == kernel.STATUS_CONVERGED and 0 < done < 100_000
    relative = (losses[done - 2] - losses[done - 1]) / losses[done - 2]
    assert np.all((relative >= 0) & (relative <= 1e-9))
    previous = (losses[done - 3] - losses[done - 2]) / losses[done - 3]
    assert np.any((previous < 0) | (previous > 1e-9))  # not all met it an epoch earlier
