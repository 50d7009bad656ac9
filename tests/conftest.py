import math
from fractions import Fraction

import numpy as np
import pytest

from polyfit import _kernels

# every instruction set this build and CPU can run (the baseline everywhere)
RUNNABLE_ISAS = [name for name in _kernels.ISA_NAMES if _kernels.supported(name)]


def kernel_u(isa, x, shift, factor):
    """u = (x - shift) * factor as the kernel computes it, derived here without
    it: x factor + offset, offset = -(shift factor), rounded once where the
    instruction set has FMA (exactly, in rationals), twice on the baseline."""
    x = np.asarray(x, dtype=np.float64)
    offset = -(shift * factor)
    if isa == "baseline":
        return x * factor + offset
    f, o = Fraction(factor), Fraction(offset)
    return np.array([float(Fraction(v) * f + o) for v in x.tolist()])


@pytest.fixture
def tutorial_data():
    """The tutorial's problem: y = sin(x) on 2000 points in [-pi, pi]."""
    x = np.linspace(-math.pi, math.pi, 2000)
    return x, np.sin(x)


def stable_lr(x, degree, fraction=0.5):
    """A step below the stability limit 1 / lambda_max(2 G), G_jk = sum x^(j+k)."""
    powers = np.vander(np.asarray(x, dtype=np.float64), degree + 1, increasing=True)
    if not np.all(np.isfinite(powers.T @ powers)):
        return np.nan  # the powers overflow: no stable step exists in float64
    lam = np.linalg.eigvalsh(2.0 * powers.T @ powers).max()
    return fraction / lam


def summation_allowance(x, lr, expected, margin=16.0):
    """The absolute difference in each coefficient that summing the gradient in
    another order may make (the kernel adds in lanes, numpy pairwise).

    An epoch's sum_i r_i x_i^k, added in any order, is off by at most about
    n eps sum_i |r_i x_i^k| <= n eps sqrt(loss) sqrt(sum_i x_i^(2k)) (Cauchy-
    Schwarz); the step scales it by 2 lr, and a stable step does not amplify
    what earlier epochs left, so the epochs add up.  Where residuals cancel
    (r = +1 and -1 beside tiny ones) that bound, not rtol of the tiny result,
    is what any order can promise; elsewhere it is far below rtol.
    """
    x = np.asarray(x, dtype=np.float64)
    degree = expected.coef.shape[0] - 1
    powers = np.vander(x, degree + 1, increasing=True)
    losses = np.append(expected.losses, expected.loss)
    loss = float(np.max(losses)) if losses.size else 0.0
    epochs = max(1, expected.epochs_run)
    per_epoch = 2.0 * lr * x.shape[0] * np.finfo(float).eps * math.sqrt(loss)
    return margin * epochs * per_epoch * np.sqrt(np.sum(powers**2, axis=0))


def assert_same_fit(result, expected, rtol=1e-9, y=None, summation=None):
    """coef and every loss agree to rtol.

    summation: an absolute allowance per coefficient for the order of the
    gradient's sums (see summation_allowance), added to the one below.

    A loss also gets an absolute allowance of 1e-12 sqrt(loss_t loss_0) +
    1e-28 loss_0: rounding puts an error d of about eps |y_i| on each residual,
    so the loss carries an absolute error of about 2 eps sqrt(loss_t loss_0)
    (from 2 r d) plus eps^2 loss_0 (from d^2), whatever its size.  The allowance
    is ~2500 times that, and below rtol unless the loss has fallen beneath 1e-6
    of where it started (an interpolating fit).  loss_0 stands for the scale of
    the residuals' parts; where the start fits exactly, sum(y^2) (pass y) does.
    """
    assert result.epochs_run == expected.epochs_run
    # A coefficient far smaller than the largest (a near-cancellation) carries the
    # rounding of the larger ones: it is held to 1e-12 of the largest, normwise.
    # Below the smallest normal float (2.2e-308) numbers lose relative precision
    # (gradual underflow): there only an absolute difference under it is asked.
    scale = float(np.max(np.abs(expected.coef))) if expected.coef.size else 0.0
    atol = max(np.finfo(float).tiny, 1e-12 * scale)
    if summation is None:
        np.testing.assert_allclose(result.coef, expected.coef, rtol=rtol, atol=atol)
    else:
        limit = rtol * np.abs(expected.coef) + atol + summation
        difference = np.abs(result.coef - expected.coef)
        assert np.all(difference <= limit), (
            f"coef differ beyond tolerance: {result.coef} vs {expected.coef} (limit {limit})"
        )
    start = expected.losses[0] if expected.losses.size else expected.loss
    if y is not None:
        start = max(start, float(np.sum(np.square(np.asarray(y, dtype=np.float64)))))
    start = min(start, 1e300)  # keep the allowance itself finite
    for actual, desired in [(result.losses, expected.losses), (result.loss, expected.loss)]:
        allowance = (
            rtol * np.abs(desired)
            + 1e-12 * np.sqrt(np.abs(desired)) * math.sqrt(start)  # no underflow
            + 1e-28 * start
        )
        excess = np.abs(np.asarray(actual) - desired) - allowance
        assert np.all(excess <= 0), f"losses differ beyond tolerance: {np.max(excess)}"
