"""polyfit.fit: validation and orchestration around the compiled epoch loop."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels, _validation
from ._errors import DivergenceError
from ._result import FitResult

# With threads=None, use all cores from this many samples on (below it the
# per-epoch thread synchronisation costs more than the second core gains).
THREADS_MIN_SAMPLES = 1 << 16

_ISA_CODES = {name: code for code, name in _kernels.ISA_NAMES.items()}


def _choose_isa() -> int:
    """The instruction set: POLYFIT_ISA if set (e.g. 'baseline'), else the best."""
    requested = os.environ.get("POLYFIT_ISA", "").strip().lower()
    if not requested:
        return int(_kernels.best_isa())
    if requested not in _ISA_CODES:
        raise ImportError(
            f"POLYFIT_ISA={requested!r} is not one of {sorted(_ISA_CODES)}; unset it to "
            "use the best instruction set of this CPU"
        )
    if not _kernels.isa_supported(_ISA_CODES[requested]):
        warnings.warn(
            f"POLYFIT_ISA={requested!r} is not supported by this build or CPU; using the baseline",
            RuntimeWarning,
            stacklevel=2,
        )
        return _ISA_CODES["baseline"]
    return _ISA_CODES[requested]


ISA = _choose_isa()  # fixed at import; read-only afterwards


def resolve_threads(threads: int | None, n: int) -> int:
    if threads is not None:
        return threads
    return int(_kernels.max_threads()) if n >= THREADS_MIN_SAMPLES else 1


def _diverged(
    x: np.ndarray, y: np.ndarray, epoch: int, lr: float, coef: np.ndarray
) -> DivergenceError:
    """The error for a non-finite loss: bad data (ValueError, raised) or divergence."""
    _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    _validation.require_finite(y, "y", _kernels.first_nonfinite(y))
    return DivergenceError(epoch, lr, coef)


def fit(
    x: ArrayLike,
    y: ArrayLike,
    degree: int = 3,
    *,
    lr: float = 1e-6,
    epochs: int = 2000,
    init: ArrayLike | None = None,
    seed: Any = None,
    log_every: int = 100,
    callback: Callable[[int, float, np.ndarray], Any] | None = None,
    threads: int | None = None,
) -> FitResult:
    r"""Fit y ~ c0 + c1 x + ... + cd x^d by full-batch gradient descent.

    The algorithm of the PyTorch tutorial "Warm-up: numpy", generalised to any
    degree, with the whole epoch loop compiled.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The samples, n >= 1, finite.  Any real dtype; float32 data stay float32
        in memory (each sample is widened to float64 before any arithmetic),
        everything else is used as float64.  Never modified.
    degree : int, default 3
        Degree d >= 0 of the polynomial.
    lr : float, default 1e-6
        Learning rate, finite and > 0.
    epochs : int, default 2000
        Number of full passes over the data, >= 0.
    init : array_like, shape (degree + 1,), optional
        Starting coefficients, lowest power first.  Default:
        ``numpy.random.default_rng(seed).standard_normal(degree + 1)``.
    seed : None, int or numpy.random.Generator, optional
        Seed of the random start; not used when `init` is given.
    log_every : int, default 100
        The callback runs after epochs t with ``t % log_every == log_every - 1``.
    callback : callable, optional
        ``callback(epoch, loss, coef)`` with the epoch's loss and a copy of the
        coefficients after its update.  Returning ``False`` stops training.
    threads : int, optional
        Threads for the pass over the data.  Default: all cores when n >= 65536,
        else 1.  The result is bitwise the same for every thread count.

    Returns
    -------
    FitResult
        ``coef`` (lowest power first), ``losses`` (one per epoch run), ``loss``
        (of the returned coef), and the settings.

    Raises
    ------
    ValueError, TypeError
        For bad input; the message names the argument.
    DivergenceError
        When a loss or a coefficient becomes non-finite (lr too large).

    See Also
    --------
    polyfit.reference.fit : the same algorithm in plain numpy.
    numpy.polynomial.Polynomial.fit : the exact least-squares fit.

    Notes
    -----
    Epoch t computes, with the current coefficients c,

    .. math::

        L_t = \sum_i (p(x_i) - y_i)^2, \qquad
        g_k = \sum_i 2 (p(x_i) - y_i) x_i^k, \qquad
        c_k \leftarrow c_k - \mathrm{lr} \, g_k .

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(-np.pi, np.pi, 2000)
    >>> result = polyfit.fit(x, np.sin(x), degree=3, seed=0)
    >>> result.losses.shape
    (2000,)
    >>> bool(result.loss < 20)
    True
    """
    settings = _validation.settings(degree, lr, epochs, log_every, callback)
    threads = _validation.as_threads(threads)
    x, y = _validation.samples(x, y, keep_float32=True)
    if settings.degree == 0:  # x never enters a constant's loss, so check it now
        _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    # Otherwise a NaN or infinity in the data makes the first loss non-finite;
    # the data are scanned only then (_diverged), which saves two passes.
    coef = _validation.initial_coef(init, seed, settings.degree)
    n = x.shape[0]
    nthreads = resolve_threads(threads, n)
    losses = np.empty(settings.epochs)
    # The kernel runs Python's signal handlers every ~20 ms, so Ctrl-C stops even
    # a single long epoch; handlers run only on the main thread.
    poll = threading.current_thread() is threading.main_thread()

    t = 0
    while t < settings.epochs:
        end = settings.epochs
        if settings.callback is not None:  # return to Python where a callback is due
            end = min(end, (t // settings.log_every + 1) * settings.log_every)
        completed, status = _kernels.run_epochs(
            x, y, coef, settings.lr, losses[t:end], ISA, nthreads, poll
        )
        if status == _kernels.STATUS_DIVERGED:
            raise _diverged(x, y, t + completed, settings.lr, coef)
        t = end
        if not _validation.continue_after(settings, t - 1, float(losses[t - 1]), coef):
            break

    final = np.empty(settings.degree + 2)
    _kernels.sums(x, y, coef, final, ISA, nthreads, poll)
    if not np.isfinite(final[0]):
        raise _diverged(x, y, t, settings.lr, coef)
    return FitResult(
        coef=coef,
        losses=losses[:t],
        loss=final[0],
        degree=settings.degree,
        lr=settings.lr,
        epochs=settings.epochs,
        epochs_run=t,
    )
