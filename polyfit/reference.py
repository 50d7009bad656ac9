"""The tutorial's numpy algorithm, generalised to any degree: the oracle.

This is the loop of the PyTorch tutorial "Warm-up: numpy" written with the same
array expressions, one Python iteration per epoch.  The tests compare
polyfit.fit against it, and the benchmarks measure against it.  It never uses
the compiled kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _validation
from ._errors import DivergenceError
from ._result import FitResult


def _forward(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """c0 + c1 * x + c2 * x**2 + ..., added left to right as the tutorial does."""
    y_pred = np.full_like(x, coef[0])
    for k in range(1, coef.shape[0]):
        y_pred = y_pred + coef[k] * x**k
    return y_pred


def fit(
    x: ArrayLike,
    y: ArrayLike,
    degree: int = 3,
    *,
    sample_weight: ArrayLike | None = None,
    lr: float = 1e-6,
    epochs: int = 2000,
    init: ArrayLike | None = None,
    seed: Any = None,
    log_every: int = 100,
    callback: Callable[[int, float, np.ndarray], Any] | None = None,
    threads: int | None = None,
) -> FitResult:
    """Fit like polyfit.fit, with numpy array expressions (slow, plain, exact).

    The tutorial's algorithm with the tutorial's own defaults: lr=1e-6, x as
    it is (no scaling), and a random start
    ``numpy.random.default_rng(seed).standard_normal(degree + 1)`` (unseeded
    without `seed`) unless `init` is given.  The checks are polyfit.fit's; data
    are always used as float64 and `threads` is checked but has no effect.  The
    result's `optimal_loss` is None: the reference trains, it does not solve.

    With `sample_weight` (checked as polyfit.fit checks it) the tutorial's
    expressions take the weights w: the loss is ``(w * np.square(y_pred -
    y)).sum()`` and the gradient of the prediction ``2.0 * w * (y_pred - y)``.
    Samples of weight 0 are dropped first, as polyfit.fit drops them; weights
    that are all 1 run the unweighted expressions.

    Examples
    --------
    >>> import numpy as np, polyfit.reference
    >>> x = np.linspace(-np.pi, np.pi, 1000)
    >>> doubled = np.full(x.size, 2.0)  # a weight of 2: each sample twice
    >>> twice = polyfit.reference.fit(x, np.sin(x), 3, sample_weight=doubled, epochs=200, seed=0)
    >>> copies = polyfit.reference.fit(np.repeat(x, 2), np.repeat(np.sin(x), 2), 3, epochs=200,
    ...                                seed=0)
    >>> bool(np.allclose(twice.coef, copies.coef, rtol=1e-12, atol=0))
    True
    """
    settings = _validation.settings(degree, lr, epochs, log_every, callback)
    _validation.as_threads(threads)
    x, y = _validation.samples(x, y, keep_float32=False)
    weights = _validation.sample_weights(sample_weight, x.shape[0])
    w = None if weights is None else weights.values
    _validation.require_finite(x, "x", _validation.first_nonfinite(x))
    _validation.require_finite(y, "y", _validation.first_nonfinite(y))
    if w is not None and weights is not None and weights.smallest == 0.0:
        kept = w > 0.0  # a weight of 0 drops its sample (0 * an overflowed square is NaN)
        x, y, w = x[kept], y[kept], w[kept]
    coef = _validation.initial_coef(init, seed, settings.degree, random_start=True)
    lr = float(settings.lr)  # a number here: the reference has no lr="auto"
    powers = range(settings.degree + 1)
    losses = np.empty(settings.epochs)
    epochs_run = settings.epochs

    with np.errstate(all="ignore"):  # overflow is reported as DivergenceError
        for t in range(settings.epochs):
            # Forward pass: compute predicted y
            y_pred = _forward(coef, x)
            squares = np.square(y_pred - y)
            loss = squares.sum() if w is None else (w * squares).sum()
            if not np.isfinite(loss):
                raise DivergenceError(t, lr, coef)
            losses[t] = loss
            # Backprop to compute the gradients of the coefficients
            grad_y_pred = 2.0 * (y_pred - y) if w is None else 2.0 * w * (y_pred - y)
            grad = np.array([(grad_y_pred * x**k).sum() for k in powers])
            # Update weights
            updated = coef - lr * grad
            if not np.isfinite(updated).all():
                raise DivergenceError(t, lr, coef)
            coef = updated
            if not _validation.continue_after(settings, t, float(loss), coef):
                epochs_run = t + 1
                break
        residual_squares = np.square(_forward(coef, x) - y)
        final_loss = (residual_squares if w is None else w * residual_squares).sum()

    return FitResult(
        coef=coef,
        losses=losses[:epochs_run],
        loss=final_loss,
        degree=settings.degree,
        lr=lr,
        epochs=settings.epochs,
        epochs_run=epochs_run,
    )
