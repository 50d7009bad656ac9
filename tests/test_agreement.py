"""polyfit.fit against the numpy reference, the tutorial, and an exact gradient."""

import math
from fractions import Fraction

import numpy as np
import pytest
from conftest import ISA_IDS, RUNNABLE_ISAS, assert_same_fit, stable_lr

import polyfit
import polyfit.reference
from polyfit import _kernels


def test_reference_is_the_tutorial_loop(tutorial_data):
    """reference.fit is the tutorial's own loop, number for number."""
    x, y = tutorial_data
    init = np.random.default_rng(7).standard_normal(4)
    a, b, c, d = (float(v) for v in init)
    learning_rate = 1e-6
    printed = []
    for t in range(2000):  # the tutorial, verbatim but for the print
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = np.square(y_pred - y).sum()
        if t % 100 == 99:
            printed.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    result = polyfit.reference.fit(x, y, 3, lr=1e-6, epochs=2000, init=init)
    np.testing.assert_allclose(result.coef, [a, b, c, d], rtol=1e-13)
    np.testing.assert_allclose(result.losses[99::100], printed, rtol=1e-13)


def test_tutorial_problem_matches_reference(tutorial_data):
    x, y = tutorial_data
    for seed in range(3):
        assert_same_fit(
            polyfit.fit(x, y, lr=1e-6, scale=False, seed=seed),
            polyfit.reference.fit(x, y, seed=seed),
        )


def test_default_start_is_default_rng_standard_normal(tutorial_data):
    x, y = tutorial_data
    init = np.random.default_rng(42).standard_normal(4)
    assert_same_fit(
        polyfit.fit(x, y, seed=42, epochs=5), polyfit.fit(x, y, init=init, epochs=5), rtol=0
    )


@pytest.mark.parametrize("degree", range(9))
@pytest.mark.parametrize("n", [1, 2, 7, 2000, 100_001])
def test_matches_reference_random(degree, n):
    rng = np.random.default_rng(1000 * degree + n)
    x = rng.uniform(-1.5, 1.5, n)
    y = rng.standard_normal(n) + np.cos(2 * x)
    init = rng.standard_normal(degree + 1)
    lr = stable_lr(x, degree)
    epochs = 50 if n == 100_001 else 400
    expected = polyfit.reference.fit(x, y, degree, lr=lr, epochs=epochs, init=init)
    assert_same_fit(
        polyfit.fit(x, y, degree, lr=lr, epochs=epochs, init=init, scale=False), expected
    )


@pytest.mark.parametrize("degree", [0, 3, 8, 11])
def test_float32_data_match_reference_on_the_same_values(degree):
    """float32 data stay float32 in memory, but every sample is widened to
    float64 before any arithmetic, so the fit equals the float64 fit of the same
    (float32-representable) values to the float64 tolerance."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, 3001).astype(np.float32)
    y = (np.sin(3 * x) + 0.1 * rng.standard_normal(3001)).astype(np.float32)
    init = rng.standard_normal(degree + 1)
    lr = stable_lr(x, degree)
    result = polyfit.fit(x, y, degree, lr=lr, epochs=300, init=init, scale=False)
    expected = polyfit.reference.fit(
        x.astype(np.float64), y.astype(np.float64), degree, lr=lr, epochs=300, init=init
    )
    assert_same_fit(result, expected)


def test_float32_against_float64_data_to_float32_precision():
    """Against the unrounded float64 data the difference is the data's own
    rounding: about float32 epsilon (6e-8) relative."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 5000)
    y = np.sin(3 * x)
    lr = stable_lr(x, 3)
    r32 = polyfit.fit(x.astype(np.float32), y.astype(np.float32), 3, lr=lr, epochs=200, seed=0)
    r64 = polyfit.fit(x, y, 3, lr=lr, epochs=200, seed=0)
    np.testing.assert_allclose(r32.coef, r64.coef, rtol=1e-5)
    np.testing.assert_allclose(r32.losses, r64.losses, rtol=1e-5)


def _exact_sums(x, y, coef):
    """sum r^2 and sum r x^k, r = p(x) - y, in exact rational arithmetic."""
    xs = [Fraction(float(v)) for v in x]
    ys = [Fraction(float(v)) for v in y]
    cs = [Fraction(float(v)) for v in coef]
    residuals = [
        sum(c * xi**k for k, c in enumerate(cs)) - yi for xi, yi in zip(xs, ys, strict=True)
    ]
    loss = sum(r * r for r in residuals)
    grads = [sum(r * xi**k for r, xi in zip(residuals, xs, strict=True)) for k in range(len(cs))]
    return [float(loss)] + [float(g) for g in grads]


@pytest.mark.parametrize("degree", [0, 1, 3, 8, 10])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("isa", RUNNABLE_ISAS, ids=ISA_IDS)
def test_kernel_sums_are_the_exact_loss_and_gradient(degree, dtype, isa):
    """The kernel's loss and half-gradient against exact rational arithmetic,
    independently of both implementations, on each instruction set (each has
    its own loads, widening of float32 and FMA contraction); n = 37 exercises
    the padded tail."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1.2, 1.2, 37).astype(dtype)
    y = rng.standard_normal(37).astype(dtype)
    coef = rng.standard_normal(degree + 1)
    out = np.empty(degree + 2)
    _kernels.sums(x, y, coef, out, isa, 1, False)
    exact = _exact_sums(x, y, coef)
    # A sum of n terms is exact to about n * eps * sum(|term|): bound each sum so.
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    residual = np.polynomial.polynomial.polyval(x64, coef) - y64
    terms = np.abs(residual)[:, None] * np.abs(x64)[:, None] ** np.arange(degree + 1)
    bound = 37 * 2.3e-16 * np.concatenate([[np.sum(residual**2)], terms.sum(axis=0)])
    assert np.all(np.abs(out - exact) <= bound), (out - exact) / bound
    np.testing.assert_allclose(out[0], exact[0], rtol=1e-13)


def test_first_epoch_is_one_gradient_step():
    """coef after one epoch is init - lr * 2 * (G init - T), from the normal equations."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, 500)
    y = rng.standard_normal(500)
    init = rng.standard_normal(5)
    powers = np.vander(x, 5, increasing=True)
    gradient = 2.0 * (powers.T @ powers @ init - powers.T @ y)
    lr = 1e-3
    result = polyfit.fit(x, y, 4, lr=lr, epochs=1, init=init, scale=False)
    np.testing.assert_allclose(result.coef, init - lr * gradient, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.losses[0], np.sum((powers @ init - y) ** 2), rtol=1e-12)


def test_finite_differences_of_the_loss():
    """The update direction is the derivative of the reported loss."""
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, 300)
    y = np.exp(x)
    init = rng.standard_normal(4)
    lr = 1e-4
    step = polyfit.fit(x, y, 3, lr=lr, epochs=1, init=init, scale=False)
    gradient = (init - step.coef) / lr
    h = 1e-5
    for k in range(4):
        up, down = init.copy(), init.copy()
        up[k] += h
        down[k] -= h
        loss_up = polyfit.fit(x, y, 3, epochs=0, init=up, scale=False).loss
        loss_down = polyfit.fit(x, y, 3, epochs=0, init=down, scale=False).loss
        assert math.isclose((loss_up - loss_down) / (2 * h), gradient[k], rel_tol=1e-6)


def test_threads_give_bitwise_the_same_result():
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, 200_003)
    y = np.sin(2 * x) + 0.01 * rng.standard_normal(x.size)
    lr = stable_lr(x, 5)
    results = [polyfit.fit(x, y, 5, lr=lr, epochs=30, seed=1, threads=k) for k in (1, 2, 3, 8)]
    for other in results[1:]:
        assert other.coef.tobytes() == results[0].coef.tobytes()
        assert other.losses.tobytes() == results[0].losses.tobytes()
        assert other.loss == results[0].loss


def test_repeated_runs_give_bitwise_the_same_result(tutorial_data):
    x, y = tutorial_data
    first = polyfit.fit(x, y, seed=3)
    for _ in range(3):
        again = polyfit.fit(x, y, seed=3)
        assert again.coef.tobytes() == first.coef.tobytes()
        assert again.losses.tobytes() == first.losses.tobytes()
