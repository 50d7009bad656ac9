"""polyfit.fit against the numpy reference, the tutorial, and an exact gradient."""

import math
from fractions import Fraction

import numpy as np
import pytest
from conftest import RUNNABLE_ISAS, assert_same_fit, kernel_u, stable_lr

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
@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
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
    _kernels.module(isa).sums(x, y, None, coef, 0.0, 1.0, out, 1, False)
    exact = _exact_sums(x, y, coef)
    # A sum of n terms is exact to about n * eps * sum(|term|): bound each sum so.
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    residual = np.polynomial.polynomial.polyval(x64, coef) - y64
    terms = np.abs(residual)[:, None] * np.abs(x64)[:, None] ** np.arange(degree + 1)
    bound = 37 * 2.3e-16 * np.concatenate([[np.sum(residual**2)], terms.sum(axis=0)])
    assert np.all(np.abs(out - exact) <= bound), (out - exact) / bound
    np.testing.assert_allclose(out[0], exact[0], rtol=1e-13)


HYPER = np.array([0.9, 0.99, 0.9, 0.999, 1e-8])


def _epochs(kernel, x, y, weights, coef, shift, factor, lr, threads=1, epochs=25):
    coef = coef.copy()
    losses = np.empty(epochs)
    done, _ = kernel.run_epochs(
        x, y, weights, coef, losses, lr, 0.0, math.nan, shift, factor, threads, False, 0,
        HYPER, np.zeros(kernel.state_size(coef.size - 1)),
    )  # fmt: skip
    assert done == epochs
    return coef, losses


@pytest.mark.parametrize("degree", [0, 2, 3, 8, 12, 15])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_scaling_in_the_kernel_is_the_scaled_copy_bit_for_bit(degree, dtype, isa):
    """u = (x - shift) * factor computed per sample inside the pass gives exactly
    what the pass gives on a float64 copy of u (conftest.kernel_u: the same
    rounding), for the epochs and the final sums, and scale_x makes that copy;
    n = 9003 has more than one block and a padded tail."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(degree)
    x = rng.uniform(1.7e9, 1.7e9 + 3e7, 9003).astype(dtype)
    y = rng.standard_normal(9003).astype(dtype)
    lo, hi = float(x.min()), float(x.max())
    shift, factor = lo / 2 + hi / 2, 2.0 / (hi - lo)
    u = kernel_u(isa, x, shift, factor)
    made = np.empty(x.size)
    kernel.scale_x(x, shift, factor, made)
    assert made.tobytes() == u.tobytes()
    # as accurate as x itself: within an ulp of x (and of u) of the exact map
    exact = np.array(
        [float((Fraction(v) - Fraction(shift)) * Fraction(factor)) for v in x.tolist()]
    )
    ulps = np.spacing(np.abs(x.astype(np.float64))) * factor + np.spacing(np.abs(exact))
    assert np.all(np.abs(u - exact) <= ulps)
    coef = 0.1 * rng.standard_normal(degree + 1)
    lr = 0.2 / (9003 * (degree + 1))
    inside = _epochs(kernel, x, y.astype(np.float64) if dtype == np.float64 else y, None, coef,
                     shift, factor, lr)  # fmt: skip
    copied = _epochs(kernel, u, y.astype(np.float64), None, coef, 0.0, 1.0, lr)
    assert inside[0].tobytes() == copied[0].tobytes()
    assert inside[1].tobytes() == copied[1].tobytes()
    sums_inside, sums_copied = np.empty(degree + 2), np.empty(degree + 2)
    kernel.sums(x, y, None, coef, shift, factor, sums_inside, 1, False)
    kernel.sums(u, y.astype(np.float64), None, coef, 0.0, 1.0, sums_copied, 1, False)
    assert sums_inside.tobytes() == sums_copied.tobytes()


@pytest.mark.parametrize("degree", [0, 1, 3, 8, 12, 20])
@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_unit_weights_change_no_bit(degree, isa):
    """The weighted copies of both passes with weights of 1 are the unweighted ones,
    scaled or not, on 1 and 2 threads."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, 70_003)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(x.size)
    ones = np.ones(x.size)
    coef = 0.1 * rng.standard_normal(degree + 1)
    lr = 0.1 / (x.size * (degree + 1))
    for shift, factor in ((0.0, 1.0), (0.25, 0.75)):
        for threads in (1, 2):
            plain = _epochs(kernel, x, y, None, coef, shift, factor, lr, threads, 5)
            weighted = _epochs(kernel, x, y, ones, coef, shift, factor, lr, threads, 5)
            assert plain[0].tobytes() == weighted[0].tobytes()
            assert plain[1].tobytes() == weighted[1].tobytes()
        stats_plain, stats_weighted = np.empty((2, 3 * degree + 3))
        kernel.moments(x, y, None, degree, shift, factor, stats_plain, 1, False)
        kernel.moments(x, y, ones, degree, shift, factor, stats_weighted, 1, False)
        assert stats_plain.tobytes() == stats_weighted.tobytes()


@pytest.mark.parametrize("degree", [0, 3, 8, 10])
@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_weighted_sums_are_exact(degree, isa):
    """Weighted loss, gradient and power sums against exact rational arithmetic;
    weights include 0 and non-integers; n = 37 has a padded tail."""
    kernel = _kernels.module(isa)
    rng = np.random.default_rng(40 + degree)
    x = rng.uniform(-1.2, 1.2, 37)
    y = rng.standard_normal(37)
    w = rng.uniform(0, 3, 37)
    w[::5] = 0.0
    coef = rng.standard_normal(degree + 1)
    out = np.empty(degree + 2)
    kernel.sums(x, y, w, coef, 0.0, 1.0, out, 1, False)
    xs, ys, ws = ([Fraction(float(v)) for v in a] for a in (x, y, w))
    cs = [Fraction(float(v)) for v in coef]
    residuals = [
        sum(c * xi**k for k, c in enumerate(cs)) - yi for xi, yi in zip(xs, ys, strict=True)
    ]
    exact = [sum(wi * r * r for wi, r in zip(ws, residuals, strict=True))] + [
        sum(wi * r * xi**k for wi, r, xi in zip(ws, residuals, xs, strict=True))
        for k in range(degree + 1)
    ]
    terms = np.abs(w * (np.polynomial.polynomial.polyval(x, coef) - y))
    bound = 37 * 2.3e-16 * np.concatenate(
        [[np.sum(terms * np.abs(np.polynomial.polynomial.polyval(x, coef) - y))],
         (terms[:, None] * np.abs(x)[:, None] ** np.arange(degree + 1)).sum(axis=0)]
    )  # fmt: skip
    assert np.all(np.abs(out - [float(v) for v in exact]) <= bound)
    stats = np.empty(3 * degree + 3)
    kernel.moments(x, y, w, degree, 0.0, 1.0, stats, 1, False)
    exact_stats = (
        [sum(wi * xi**k for wi, xi in zip(ws, xs, strict=True)) for k in range(2 * degree + 1)]
        + [
            sum(wi * xi**k * yi for wi, xi, yi in zip(ws, xs, ys, strict=True))
            for k in range(degree + 1)
        ]
        + [sum(wi * yi * yi for wi, yi in zip(ws, ys, strict=True))]
    )
    magnitude = np.concatenate(
        [[np.sum(w * np.abs(x) ** k) for k in range(2 * degree + 1)],
         [np.sum(w * np.abs(x) ** k * np.abs(y)) for k in range(degree + 1)],
         [np.sum(w * y * y)]]
    )  # fmt: skip
    assert np.all(np.abs(stats - [float(v) for v in exact_stats]) <= 37 * 2.3e-16 * magnitude)


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


def test_scaled_fit_gives_the_same_bits_with_or_without_its_copy(monkeypatch):
    """Small data trained for many epochs are scaled into a float64 copy, other
    data inside the kernel (polyfit._fit.SCALE_COPY_SAMPLES, SCALE_COPY_EPOCHS):
    the results are the same either way."""
    from polyfit import _fit, _stats

    maps = []
    window_map = _stats.Window.map
    monkeypatch.setattr(
        _stats.Window, "map", lambda self, x: maps.append(x.size) or window_map(self, x)
    )
    rng = np.random.default_rng(8)
    x = rng.uniform(0.0, 1000.0, 10_001).astype(np.float32)
    y = (1e-6 * x.astype(np.float64) ** 2 + rng.standard_normal(x.size)).astype(np.float32)
    options = {"lr": 1e-5, "epochs": _fit.SCALE_COPY_EPOCHS, "scale": True, "init": np.zeros(3)}
    copied = polyfit.fit(x, y, 2, **options)
    assert maps == [x.size]  # the copy was made
    monkeypatch.setattr(_fit, "SCALE_COPY_SAMPLES", 0)
    inside = polyfit.fit(x, y, 2, **options)
    assert maps == [x.size]  # and not again
    assert inside.coef.tobytes() == copied.coef.tobytes()
    assert inside.losses.tobytes() == copied.losses.tobytes()
    assert inside.loss == copied.loss


def test_scaling_large_data_allocates_no_copy():
    """scale=True on 3 million float32 samples: a float64 copy of x would be 24 MB;
    the fit allocates less than 1 MB."""
    import tracemalloc

    from polyfit import _fit

    n = _fit.SCALE_COPY_SAMPLES + 1_000_000
    x = np.linspace(1.7e9, 1.7e9 + 3e7, n, dtype=np.float32)
    y = np.ones(n, dtype=np.float32)
    polyfit.fit(x[:100], y[:100], 2, lr=1e-3, epochs=1, scale=True, init=np.zeros(3))
    tracemalloc.start()
    try:
        result = polyfit.fit(x, y, 2, lr=1e-9, epochs=2, scale=True, init=np.zeros(3))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.domain is not None and np.isfinite(result.loss)
    assert peak < 1 << 20, peak
