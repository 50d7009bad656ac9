"""polyfit.fit: validation and orchestration around the compiled epoch loop."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _checks, _kernels, _stats, _validation
from ._checks import Diagnosis, Face
from ._errors import DivergenceError
from ._result import FitResult, handed
from ._stats import Optimum, Window

METHODS = ("exact", "moments")

# With threads=None, use all cores from this many samples on (below it the
# per-epoch thread synchronisation costs more than the second core gains).
THREADS_MIN_SAMPLES = 1 << 16


def resolve_threads(threads: int | None, n: int) -> int:
    if threads is not None:
        return threads
    return int(_kernels.max_threads()) if n >= THREADS_MIN_SAMPLES else 1


def require_finite_data(x: np.ndarray, y: np.ndarray) -> None:
    """Scan x and y (compiled; y 1-D, or 2-D and C-contiguous) and raise the
    ValueError naming the first NaN or inf."""
    _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    _validation.require_finite(y, "y", _kernels.first_nonfinite(y.reshape(-1)))


def poll_signals() -> bool:
    """Whether the kernel should run Python's signal handlers (every ~20 ms, so
    Ctrl-C stops even one long epoch): only on the main thread, where they run."""
    return threading.current_thread() is threading.main_thread()


# A chunk of epochs: (coef, losses out, previous loss) -> (completed, status); for
# many series the previous loss is an array (one per series).
Runner = Callable[[np.ndarray, np.ndarray, Any], tuple[int, int]]


class Optimizer:
    """The optimiser of a fit as the kernel takes it: code, hyper-parameters, and
    the state (momentum buffer or moments, step count) kept between calls."""

    hyper: np.ndarray | None
    state: np.ndarray | None

    @classmethod
    def of(cls, settings: _validation.Settings) -> Optimizer:
        """A fresh one, or for plain gradient descent (no state, no
        hyper-parameters: the kernel is given None for both) a shared one."""
        if settings.optimizer == "gd":
            return _PLAIN_DESCENT
        return cls(settings)

    def __init__(self, settings: _validation.Settings) -> None:
        self.code = int(_kernels.OPTIMIZERS[settings.optimizer])
        self.hyper = self.state = None
        if settings.optimizer != "gd":
            self.hyper = np.array(settings.hyper, dtype=np.float64)
            self.state = np.zeros(_kernels.state_size(settings.degree))


_PLAIN_DESCENT = Optimizer(_validation.Settings(0, 1.0, 0, 1, None))


# Scaling (scale=True) with method="exact": the kernel computes u = (x - shift) *
# factor per sample (one fma: Window.map), so large data are never copied.  A
# float64 copy of u (and of y) pays only where the data stay in L2 and the epochs
# are many: float32 epochs there are compute-bound and the map costs them 6-10 %,
# while the copy costs one pass and, when its allocation is fresh memory, page
# faults (up to 0.45 ms for 2^16 samples).  Zen 5, degree 3, scaled/unscaled fit
# time, copy vs in the kernel, default threads: float32, 2^11-2^16 samples, 200
# epochs 0.95-1.05 vs 1.02-1.10 (once 1.26 vs 1.07: fresh pages), 2000 epochs
# 1.00-1.04 vs 1.08-1.11; 20 epochs 1.08-1.17 vs 0.99-1.09; 2^18 samples 1.13-1.17
# vs 1.07-1.10 even at 2000 epochs (a float64 copy is twice the bytes of float32
# data: beyond L2); float64 within a few % either way.  Both give the same bits.
SCALE_COPY_SAMPLES = 1 << 16
SCALE_COPY_EPOCHS = 500

# Raw x's statistics give the optimum when cond(G) is below this (relative error
# about cond * eps in its loss: 1e-8); above it, a second pass in the scaled
# variable does.
TRUST_RAW_CONDITION = 1e8

# The statistics the remedies reason on (x's range scaled onto [-1, 1]) are
# mapped from trusted raw ones, without a pass, while the map magnifies their
# rounding at most this much (_stats.rewindow: a range about the same centre
# as the training variable's, such as the tutorial's [-pi, pi]).  Measured
# against the pass: sums within 3e-16 n, G's eigenvalues within a relative
# 1e-11 (degree 8, cond 3e5; 2e-15 at degree 3) -- far more than the epoch
# count of a remedy needs.  Below REMAP_SAMPLES samples the pass costs no
# more than the map (about 1.3 us either way at 2,000 samples).
REMAP_GROWTH = 16.0
REMAP_SAMPLES = 1 << 14

# An unscaled fit reads x's range in its pass of power sums (or final pass)
# up to this many samples, which saves the checks a call; beyond it only when
# a message needs it, in a pass of its own: reading it from the blocks of a
# pass costs about 0.2 ns a sample (10^7 float64 samples, one thread: 3.8 ->
# 5.6 ms), about what its own pass costs.  Except in the final pass up to
# degree _kernels.FUSED_MAX, where it is free at any size: one job loads
# each sample once for the loss, the power sums and the range (10^7 samples:
# 3.9 ms, against 3.8 for the loss alone).
RANGE_IN_PASS = 1 << 16

# With progress=True, one kernel call does about this many sample x coefficient
# products (~20-50 ms), so the bar moves; a fit done within the first call
# shows no bar at all, which keeps short fits at full speed.
PROGRESS_WORK = 1 << 25


def train(
    run: Runner,
    coef: np.ndarray,
    settings: _validation.Settings,
    lr: float,
    on_divergence: Callable[[int], DivergenceError],
    epoch_work: int = 1,
    series: int | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Run the epochs in as few compiled calls as the callback (and progress bar) allow.

    epoch_work: sample x coefficient products of one epoch, which sizes the
    calls while a progress bar is wanted.  series: the number of series of a
    2-D y (losses (epochs, series), a previous loss per series, the callback
    given each epoch's losses as an array), or None.  Returns (losses, epochs
    run, converged); coef is updated in place.
    """
    losses = np.empty(settings.epochs if series is None else (settings.epochs, series))
    if settings.callback is None and not settings.progress and settings.epochs > 0:
        # the usual call: every epoch in one compiled call, nothing due between them
        start = math.nan if series is None else np.full(series, math.nan)
        completed, status = run(coef, losses, start)
        if status == _kernels.STATUS_DIVERGED:
            raise on_divergence(completed)
        return losses[:completed], completed, status == _kernels.STATUS_CONVERGED
    per_call = max(1, PROGRESS_WORK // max(1, epoch_work)) if settings.progress else None
    bar = None
    t = 0
    converged = False
    try:
        while t < settings.epochs:
            end = settings.epochs if per_call is None else min(settings.epochs, t + per_call)
            if settings.callback is not None:  # return to Python where a callback is due
                end = min(end, (t // settings.log_every + 1) * settings.log_every)
            previous: Any
            if series is None:
                previous = float(losses[t - 1]) if t > 0 else math.nan
            else:  # a row of losses (contiguous), or none known
                previous = losses[t - 1] if t > 0 else np.full(series, math.nan)
            completed, status = run(coef, losses[t:end], previous)
            if status == _kernels.STATUS_DIVERGED:
                raise on_divergence(t + completed)
            t += completed
            converged = status == _kernels.STATUS_CONVERGED
            if per_call is not None:
                if bar is None and t < settings.epochs and not converged:
                    bar = _progress_bar(settings.epochs, t)
                elif bar is not None:
                    bar.update(completed)
            logged = float(losses[t - 1]) if series is None else losses[t - 1].copy()
            if not _validation.continue_after(settings, t - 1, logged, coef):
                break
            if converged:
                break
    finally:
        if bar is not None:
            bar.close()
    return losses[:t], t, converged


def _progress_bar(total: int, done: int) -> Any:
    try:  # optional (extra [progress]); imported as Any, so no stubs are needed
        bars: Any = importlib.import_module("tqdm.auto")
    except ImportError as exc:
        raise ImportError('progress=True needs tqdm: pip install "polyfit[progress]"') from exc
    return bars.tqdm(total=total, initial=done, unit="epoch", desc="polyfit", mininterval=0.2)


def statistics(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    degree: int,
    window: Window,
    threads: int,
    poll: bool,
    x_range: np.ndarray | None = None,
) -> np.ndarray:
    """The power sums of (x, y) in the window's variable, weighted by `weights`
    (None: all 1), in one compiled pass; a non-finite sum is traced to its
    cause: bad data, weights beyond float64, powers of x beyond float64 (the
    degree and x's range), or squares of y beyond it.  x_range, if given,
    receives x's minimum and maximum (valid when the sums are finite)."""
    stats = np.empty(_stats.width(degree))
    if _kernels.moments(
        x, y, weights, degree, window.shift, window.factor, stats, threads, poll, x_range
    ):
        return stats  # every sum finite
    return checked_statistics(x, y, weights, stats, degree, window)


def checked_statistics(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    stats: np.ndarray,
    degree: int,
    window: Window,
) -> np.ndarray:
    """stats, or the ValueError that names why a sum is not finite.  For many
    series stats is (k, 3 degree + 3), y (n, k) and weights (n,) or (n, k)."""
    if not np.isfinite(stats).all():
        require_finite_data(x, y)
        powers_finite = bool(np.isfinite(stats[..., : 2 * degree + 1]).all())
        # scaled, |u| <= 1 and sum w u^k <= sum w: only the weights can overflow
        if (
            weights is not None
            and not powers_finite
            and (window.scaling or not np.isfinite(stats[..., 0]).all())
        ):
            with np.errstate(over="ignore"):
                total = float(np.max(np.sum(weights, axis=0)))
            raise ValueError(
                f"the weighted power sums overflow float64 (sample_weight adds up to "
                f"{total:g}): divide sample_weight by a constant first (the fit does not change)"
            )
        if powers_finite:
            weighted = " (weighted)" if weights is not None else ""
            divide = "y (or sample_weight)" if weights is not None else "y"
            raise ValueError(
                f"the sums{weighted} of y**2 or x**k * y (k <= {degree}) overflow float64 "
                f"(|y| up to {float(np.max(np.abs(y))):g}): divide {divide} by a constant first"
            )
        scaled = " (scaled)" if window.scaling else ""
        raise ValueError(
            f"the power sums of x{scaled} overflow float64 (x**{2 * degree} for |x| up to "
            f"{float(np.max(np.abs(window.map(x)))):g}): the degree is too high for the "
            "range of x; use scale=True (for Moments: a domain) or a lower degree"
        )
    return stats


def data_range(x: np.ndarray) -> tuple[float, float]:
    """x's minimum and maximum in one compiled pass (a ValueError naming the first
    NaN or inf)."""
    lo, hi = _kernels.x_range(x)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    return lo, hi


def weighted_data(
    x: np.ndarray, y: np.ndarray, weights: _validation.Weights | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[float, float]]:
    """(x, y, weights for the kernel, x's range) with samples of weight 0 dropped.

    A sample of weight 0 counts nowhere: not in the sums, and not in x's range
    (the domain scale=True maps onto [-1, 1]).  The kernel adds it in place as
    exact zeros where it lies within the range of the others (the data are not
    copied); where some lie outside it (their powers, unbounded, could reach
    infinity, and 0 * inf is NaN) the samples of nonzero weight are copied out.
    The range is read in one compiled pass, and once more over the samples of
    nonzero weight if some weight is 0 (a ValueError names a NaN or inf in x,
    and in y where samples are dropped: data must be finite whatever their
    weight).  For many series (y and weights of shape (n, k)) a sample is a
    row of y: it counts if its weight is nonzero in some series.
    """
    lo, hi = data_range(x)
    if weights is None or weights.smallest > 0.0:
        return x, y, None if weights is None else weights.values, (lo, hi)
    kept: np.ndarray = weights.values > 0.0
    if kept.ndim == 2:
        kept = np.any(kept, axis=1)
    kept_lo = float(np.min(x, where=kept, initial=math.inf))
    kept_hi = float(np.max(x, where=kept, initial=-math.inf))
    if (kept_lo, kept_hi) == (lo, hi):
        return x, y, weights.values, (lo, hi)
    _validation.require_finite(y, "y", _kernels.first_nonfinite(y.reshape(-1)))  # dropped y too
    return x[kept], y[kept], weights.values[kept], (kept_lo, kept_hi)


def describe_range(lo: float, hi: float, window: Window) -> str:
    scaled = " scaled to [-1, 1]" if window.scaling else ""
    return f"x in [{lo:g}, {hi:g}]{scaled}"


def eigenvalues_or_inf(gram: np.ndarray) -> np.ndarray:
    """G's eigenvalues, or infinities where G is not finite (powers overflow)."""
    if not np.isfinite(gram).all():
        return np.full(gram.shape[0], math.inf)
    return np.linalg.eigvalsh(gram)


def train_statistics(
    stats: np.ndarray,
    settings: _validation.Settings,
    coef: np.ndarray,
    lr: float,
    on_divergence: Callable[[int], DivergenceError],
) -> tuple[np.ndarray, int, bool, float]:
    """Gradient descent on power sums (method='moments'): (losses, epochs run,
    converged, loss of the final coef); coef is updated in place."""
    poll = poll_signals()
    rule = Optimizer.of(settings)

    def run(coef: np.ndarray, losses: np.ndarray, previous: float) -> tuple[int, int]:
        return _kernels.train_moments(
            stats,
            coef,
            losses,
            lr,
            settings.tol,
            previous,
            poll,
            rule.code,
            rule.hyper,
            rule.state,
        )

    losses, epochs_run, converged = train(
        run, coef, settings, lr, on_divergence, epoch_work=(settings.degree + 1) ** 2
    )
    return losses, epochs_run, converged, _kernels.moments_loss(stats, coef)


def fit_statistics(
    stats: np.ndarray,
    settings: _validation.Settings,
    start: np.ndarray,
    window: Window,
    face: Face,
    *,
    scaled_stats: np.ndarray,
    count: int,
    x_range: tuple[float, float],
    describe: str,
    weighted: bool = False,
) -> FitResult:
    """Gradient descent on statistics alone (Moments.fit, fit_stream, dask), with
    the checks around it.  stats: what training runs on, in the window's
    variable; scaled_stats: the same data's statistics in a variable with x's
    range on [-1, 1] (stats themselves when the window is such a variable),
    for the optimum; count: the samples of nonzero weight; weighted: whether
    the statistics are weighted (for the messages)."""
    degree = settings.degree
    scaled = window.scaling
    best = _stats.optimum(scaled_stats, degree)
    trained = best if stats is scaled_stats else _stats.optimum(stats, degree)
    train_eigen = trained.eigenvalues
    diagnosis = Diagnosis(
        degree,
        face,
        best,
        scaled,
        train_eigen,
        lambda: x_range,
        None if scaled else stats,
        window=(window.shift, window.factor),
        describe=describe,
    )
    if not _checks.check_rank(diagnosis, count, None, scale=False, weighted=weighted):
        _checks.check_conditioning(diagnosis, "moments")
    lr = _stats.auto_lr(train_eigen) if settings.lr == "auto" else float(settings.lr)
    coef = start.copy()
    losses, epochs_run, converged, loss = train_statistics(
        stats,
        settings,
        coef,
        lr,
        lambda epoch: _checks.divergence(diagnosis, settings, epoch, lr, coef),
    )
    if not math.isfinite(loss):
        raise _checks.divergence(diagnosis, settings, epochs_run, lr, coef)
    _checks.check_convergence(diagnosis, loss, settings, "moments", epochs_run, converged, start)
    return result(coef, losses, loss, settings, lr, epochs_run, converged, "moments", window, best)


def result(
    coef: np.ndarray,
    losses: np.ndarray,
    loss: float,
    settings: _validation.Settings,
    lr: float,
    epochs_run: int,
    converged: bool,
    method: str,
    window: Window,
    best: _stats.Optimum,
) -> FitResult:
    # coef (the training array), its conversion to x and losses (a view of the
    # fit's own array) are the fit's: handed over without a copy
    if 2 * losses.shape[0] < settings.epochs:  # stopped early: free the rest of the buffer
        losses = losses.copy()
    return FitResult._of_fit(
        coef=handed(window.to_x(coef)),
        losses=handed(losses),
        loss=loss,
        degree=settings.degree,
        lr=lr,
        epochs=settings.epochs,
        epochs_run=epochs_run,
        converged=converged,
        method=method,
        optimizer=settings.optimizer,
        domain=(window.lo, window.hi) if window.scaling else None,
        scaled_coef=handed(coef) if window.scaling else None,
        optimal_loss=best.loss,
    )


FIT_FACE = Face()


def fit(
    x: ArrayLike,
    y: ArrayLike,
    degree: int = 3,
    *,
    sample_weight: ArrayLike | None = None,
    lr: float | str = "auto",
    epochs: int = 2000,
    init: ArrayLike | None = None,
    seed: Any = None,
    log_every: int = 100,
    callback: Callable[[int, Any, np.ndarray], Any] | None = None,
    threads: int | None = None,
    method: str = "exact",
    tol: float | None = None,
    scale: bool = True,
    optimizer: str = "gd",
    momentum: float = _validation.MOMENTUM,
    alpha: float = _validation.ALPHA,
    betas: tuple[float, float] = _validation.BETAS,
    eps: float = _validation.EPS,
    progress: bool = False,
) -> FitResult:
    r"""Fit y ~ c0 + c1 x + ... + cd x^d by full-batch gradient descent.

    The algorithm of the PyTorch tutorial "Warm-up: numpy", generalised to any
    degree, with the whole epoch loop compiled.  The defaults work on data of
    any range (a stable step, x scaled onto [-1, 1], a fixed start); the
    tutorial's own run is ``fit(x, y, 3, lr=1e-6, scale=False, seed=...)``.

    Parameters
    ----------
    x : array_like, shape (n,)
    y : array_like, shape (n,) or (n, k)
        The samples, n >= 1, finite.  Any real dtype; float32 data stay float32
        in memory (each sample is widened to float64 before any arithmetic),
        everything else is used as float64.  Never modified.  A 2-D y holds k
        series sharing x (a column each, as numpy's ``polynomial.polyfit``
        takes them): k polynomials are fitted in one call, see "Many series"
        below; it is read in place when C-contiguous (row-major).
    degree : int, default 3
        Degree d >= 0 of the polynomial.
    sample_weight : array_like, shape (n,) or y's (n, k), optional
        Weights w_i >= 0, finite, not all 0 (scikit-learn's meaning): the loss
        is sum w_i (p(x_i) - y_i)^2, so a weight of 2 counts a sample twice and
        a weight of 0 drops it: from the loss, the gradient, `optimal_loss`,
        the distinct x that determine the polynomial and x's range (the domain
        ``scale=True`` maps onto [-1, 1]); its x and y must still be finite.
        Any real dtype, used as float64; never modified.  Default: every
        weight 1 (weights that are all 1 give the unweighted fit, bit for bit).
        For a 2-D y: one weight per sample shared by every series, or one per
        value (a set per series, each not all 0).
    lr : float or "auto", default "auto"
        Learning rate, finite and > 0.  "auto" takes 1 / (2 lambda_max(G)),
        G_jk = sum w u^(j+k) of the training variable u (x, or the scaled x), the
        step with which every epoch lowers the loss; `FitResult.lr` reports it.
        For a 2-D y one step serves every series: with weights per value, the
        smallest of the series' own (the largest lambda_max).
    epochs : int, default 2000
        Number of epochs, >= 0.
    init : array_like, shape (degree + 1,) or (degree + 1, k), optional
        Starting coefficients, lowest power first (in the scaled variable with
        `scale`); for a 2-D y one start for every series, or a column each.
        Default: zeros, or with `seed` the tutorial's random start.
    seed : None, int or numpy.random.Generator, optional
        With `seed` (and no `init`) the start is
        ``numpy.random.default_rng(seed).standard_normal(degree + 1)``, the
        tutorial's random start (for a 2-D y, the same for every series: each
        series then starts as its own fit with that seed).  Without either the
        start is zeros, so the same call gives the same bits in every process.
    log_every : int, default 100
        The callback runs after epochs t with ``t % log_every == log_every - 1``.
    callback : callable, optional
        ``callback(epoch, loss, coef)`` with the epoch's loss and a copy of the
        coefficients after its update (in the scaled variable with `scale`);
        for a 2-D y copies of every series' losses, shape (k,), and
        coefficients, (degree + 1, k).  Returning ``False`` stops training
        (every series).
    threads : int, optional
        Threads for the passes over the data.  Default: all cores when
        n >= 65536, else 1.  The result is bitwise the same for every count.
    method : {"exact", "moments"}, default "exact"
        "exact" passes over the data every epoch, as the tutorial does.
        "moments" passes once, for the power sums (the sufficient statistics of
        squared loss), then runs the same epochs on them at O(degree^2) each.
    tol : float, optional
        Stop once an epoch lowers the loss by less than ``tol`` times the loss
        before it (``FitResult.converged``); for a 2-D y, once an epoch does
        so for every series (a series that met tol before keeps training
        until then).  Default: run all epochs.  A fit
        stopped by `tol` is still compared with `FitResult.optimal_loss`: on an
        ill-conditioned problem the loss falls slowly long before the optimum,
        so a small step is no proof of being there.
    scale : bool, default True
        Train in u = (x - mid) / half, x's range mapped onto [-1, 1] (numpy's
        domain and window); `coef` is converted back to x.  ``scale=False``
        trains in x itself, as the tutorial does.
    optimizer : {"gd", "momentum", "rmsprop", "adam"}, default "gd"
        The update rule, as torch.optim's: "gd" is the tutorial's plain step;
        "momentum" is SGD(momentum=`momentum`); "rmsprop" is RMSprop(alpha=`alpha`,
        eps=`eps`); "adam" is Adam(betas=`betas`, eps=`eps`), bias-corrected.
        Compiled into the epoch loop for both methods.  For a 2-D y the
        compiled loops over all series are plain gradient descent; the other
        rules run series by series (each its own 1-D fit, under the 2-D
        fit's stopping rules), no faster than a loop of 1-D fits.
    momentum, alpha, betas, eps
        The optimiser's hyper-parameters; torch.optim's defaults.
    progress : bool, default False
        Show a tqdm bar over the epochs (``pip install "polyfit[progress]"``),
        updated between compiled chunks of ~20-50 ms; a fit that ends within
        its first chunk shows none.

    Returns
    -------
    FitResult
        ``coef`` (lowest power first), ``losses`` (one per epoch run), ``loss``
        (of the returned coef), ``optimal_loss`` (the least-squares loss of this
        degree), ``converged``, ``epochs_run`` and the settings.  For a 2-D y:
        ``coef`` and ``scaled_coef`` (degree + 1, k), ``losses`` (epochs_run,
        k), ``loss`` and ``optimal_loss`` (k,).

    Raises
    ------
    ValueError, TypeError
        For bad input; the message names the argument.
    DivergenceError
        When a loss or a coefficient becomes non-finite: a step too large (its
        `remedy` is ``lr="auto"``, and ``scale=True`` if x was not scaled), or
        powers of x beyond float64 (blamed on the degree and x's range).  For a
        2-D y: the first epoch at which any series' loss or update is not
        finite stops every series; the error names that series (`column`).

    Warns
    -----
    ConvergenceWarning
        When the fit ends more than 1 % above `FitResult.optimal_loss`; its
        `remedy` holds the arguments that get within 1 % here (the epochs plain
        gradient descent needs from the same start, ``method="moments"`` for
        many epochs, ``scale=True``, ``lr="auto"``, ``tol=None``).  Not issued
        with ``epochs=0`` or when the callback stopped the fit.
    ConditioningWarning
        When cond(G) in the training variable is 1e13 or more: float64 power
        sums cannot carry the gradient (method="moments"), and gradient descent
        cannot get near the optimum (both methods).  The remedy is
        ``scale=True``, or a lower degree.
    RankWarning
        When there are fewer distinct x (of nonzero weight) than degree + 1
        (for example constant x): the least-squares polynomial is not unique.

        For a 2-D y each warning is issued once for the fit: where the series
        share G (no weights per value) the rank and conditioning checks are
        the 1-D fit's own; otherwise, and always for ConvergenceWarning, it
        names the worst series and carries that series' own message and
        remedy -- for convergence the series that needs the most epochs, so
        the remedy gets every series within 1 %.

    See Also
    --------
    polyfit.reference.fit : the same algorithm in plain numpy.
    polyfit.Moments : the statistics of data that arrive in chunks.
    numpy.polynomial.Polynomial.fit : the exact least-squares fit.

    Notes
    -----
    Epoch t computes, with the current coefficients c (and w_i = 1 without
    `sample_weight`),

    .. math::

        L_t = \sum_i w_i (p(x_i) - y_i)^2, \qquad
        g_k = \sum_i 2 w_i (p(x_i) - y_i) x_i^k, \qquad
        c_k \leftarrow c_k - \mathrm{lr} \, g_k .

    The power sums are weighted alike (S_k = sum w u^k, T_k = sum w u^k y,
    sum w y^2), so ``lr="auto"``, `optimal_loss` and the warnings are those of
    the weighted problem: integer weights give the fit of the data with each
    sample repeated that many times.

    With method="moments", L_t = c.G c - 2 c.T + sum y^2 is a difference of
    large terms when the fit is close (L_t much smaller than sum y^2): its
    absolute error is then about 1e-16 * sum y^2.

    Many series (a 2-D y): every stage is one compiled call for all k series
    -- the power sums, the epochs (on the statistics, or on the data with a
    pass over x per epoch that serves every series), the final sums -- and the
    checks are numpy expressions over the k columns.  With method="moments"
    each series' coefficients, losses and loss are those of its own 1-D fit
    (with the same lr) bit for bit; with method="exact" they agree to about
    1e-12 (its pass adds each series' terms in another order).  One window
    (scale=True) serves every series: x's range over the samples that count
    in some series.  method="moments" beyond degree 8 runs series by series.

    Every fit takes the power sums in the scaled variable in one compiled pass
    (the same pass gives lr="auto" and method="moments" their statistics, so
    the default fit makes no extra pass; with ``scale=False`` it is one more)
    and solves the least-squares problem from them for `FitResult.optimal_loss`.

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(0, 10, 3000)
    >>> y = 1 + 2 * x - 0.3 * x**2 + 0.02 * x**3 + np.sin(5 * x)
    >>> result = polyfit.fit(x, y, 3)
    >>> bool(result.loss <= 1.01 * result.optimal_loss)
    True
    >>> tutorial = np.linspace(-np.pi, np.pi, 2000)
    >>> traced = polyfit.fit(tutorial, np.sin(tutorial), 3, lr=1e-6, scale=False, seed=0)
    >>> traced.losses.shape
    (2000,)
    >>> weighted = polyfit.fit(x, y, 3, sample_weight=np.where(x < 5, 1.0, 3.0))
    >>> bool(weighted.loss <= 1.01 * weighted.optimal_loss)
    True
    >>> many = polyfit.fit(x, np.column_stack([y, 2 * y, y - x]), 3, method="moments")
    >>> many.coef.shape, many.losses.shape, many.predict([0.5, 1.5]).shape
    ((4, 3), (2000, 3), (2, 3))
    """
    settings = _validation.settings(
        degree,
        lr,
        epochs,
        log_every,
        callback,
        tol,
        allow_auto_lr=True,
        optimizer=optimizer,
        momentum=momentum,
        alpha=alpha,
        betas=betas,
        eps=eps,
        progress=progress,
    )
    method = _validation.as_choice(method, "method", METHODS)
    scale = _validation.as_bool(scale, "scale")
    threads = _validation.as_threads(threads)
    x, y = _validation.samples(x, y, keep_float32=True, series=True)
    if y.ndim == 2:  # k series sharing x, one compiled call per stage for all of them
        from . import _series  # here: _series builds on this module

        series = y.shape[1]
        return _series.fit(
            x,
            y,
            _validation.sample_weights(sample_weight, x.shape[0], series=series),
            settings,
            method,
            scale,
            threads,
            _validation.initial_coef(init, seed, settings.degree, series=series),
        )
    checked_weights = _validation.sample_weights(sample_weight, x.shape[0])
    start = _validation.initial_coef(init, seed, settings.degree)
    nthreads = resolve_threads(threads, x.shape[0])
    poll = poll_signals()
    degree = settings.degree

    # The power sums in the training variable (x, or x scaled onto [-1, 1]) give
    # lr="auto", method="moments" and the optimum: one compiled pass, before
    # training where training needs them, else with the first epoch (scaled x:
    # the final pass then measures the optimum's loss on the data) or the final
    # loss.  Raw x whose G is ill-conditioned takes its optimum from a second
    # pass in the scaled variable instead, as remedies do (computed only when a
    # message needs them).  The range of x is read for scale=True (which finds
    # NaN and inf in x), else only when a message or a check needs it.
    # Weights of 0 drop their samples: from the range too, which is then read here.
    window = Window.identity()
    x_range: tuple[float, float] | None = None
    weights: np.ndarray | None = None
    if checked_weights is not None and checked_weights.smallest == 0.0:
        x, y, weights, x_range = weighted_data(x, y, checked_weights)
    elif checked_weights is not None:
        weights = checked_weights.values
    if scale:
        x_range = data_range(x) if x_range is None else x_range
        window = Window.of(*x_range)

    def diagnosis_range() -> tuple[float, float]:
        return x_range if x_range is not None else data_range(x)

    def scaled_optimum(trusted: np.ndarray | None = None) -> Optimum:
        """The optimum in x's range scaled onto [-1, 1]: mapped from the training
        variable's statistics (trusted: well conditioned) where the map keeps
        their accuracy, which saves a pass over the data; else by that pass."""
        scaled = Window.of(*diagnosis_range())
        if trusted is not None and _stats.rewindow_growth(degree, window, scaled) <= REMAP_GROWTH:
            mapped = _stats.rewindow(trusted, degree, window, scaled)
            if _validation.first_nonfinite(mapped) < 0:
                return _stats.optimum(mapped, degree)
        return _stats.optimum(statistics(x, y, weights, degree, scaled, nthreads, poll), degree)

    def diagnose(stats: np.ndarray | None) -> Diagnosis:
        """The checks before training (rank, conditioning) on the training
        statistics; None: raw x's power sums overflow float64, and the optimum
        and the checks come from the scaled variable."""
        best: Optimum
        scaled_best: Callable[[], Optimum] = scaled_optimum
        if stats is None:
            best = scaled_optimum()
            train_eigen = np.full(degree + 1, math.inf)
        else:
            best = _stats.optimum(stats, degree)
            train_eigen = best.eigenvalues
            if not scale and _stats.condition(train_eigen) > TRUST_RAW_CONDITION:
                best = scaled_optimum()
            elif not scale and x.shape[0] >= REMAP_SAMPLES:  # remedies reason on scaled x
                scaled_best = functools.partial(scaled_optimum, stats)
        if best.stats is not stats:  # already the scaled variable's
            scaled_best = functools.partial(lambda found: found, best)
        diagnosis = Diagnosis(
            degree,
            FIT_FACE,
            best,
            scale,
            train_eigen,
            diagnosis_range,
            None if scale else stats,
            scaled_best,
            (window.shift, window.factor),
        )
        if not _checks.check_rank(
            diagnosis,
            x.shape[0],
            lambda: distinct_at_least(x if weights is None else x[weights > 0.0], degree + 1),
            scale,
            weighted=weights is not None,
        ):
            _checks.check_conditioning(diagnosis, method)
        return diagnosis

    def raw_statistics(sums: np.ndarray | None = None) -> np.ndarray | None:
        """The power sums of the training variable (computed unless given), or
        None if they overflow float64 while the data are finite."""
        if sums is None:
            sums = np.empty(_stats.width(degree))
            if _kernels.moments(
                x, y, weights, degree, window.shift, window.factor, sums, nthreads, poll
            ):
                return sums
        if np.isfinite(sums).all():
            return sums
        require_finite_data(x, y)
        return None

    stats: np.ndarray | None = None
    diagnosis: Diagnosis | None = None
    # scale=True with a given lr: the first epoch's pass takes the power sums too
    # (one job reads each sample for both), which saves a pass before training
    first_stats = (
        np.empty(_stats.width(degree))
        if scale
        and method == "exact"
        and settings.lr != "auto"
        and settings.epochs > 0
        and degree <= _kernels.FUSED_MAX
        else None
    )
    if first_stats is None and (scale or method == "moments" or settings.lr == "auto"):
        # unscaled, the same call reads x's range, which the checks may want
        found = np.empty(2) if x_range is None and x.shape[0] <= RANGE_IN_PASS else None
        stats = statistics(x, y, weights, degree, window, nthreads, poll, found)
        if found is not None:  # finite sums: finite x
            x_range = (float(found[0]), float(found[1]))
        diagnosis = diagnose(stats)
    auto = settings.lr == "auto"
    lr = _stats.auto_lr(diagnosis.train_eigen) if diagnosis and auto else float(settings.lr)
    coef = start.copy()

    def diverged(epoch: int) -> DivergenceError:
        require_finite_data(x, y)  # NaN or inf in the data: a ValueError naming it
        found = diagnosis if diagnosis is not None else diagnose(raw_statistics())
        return _checks.divergence(found, settings, epoch, lr, coef)

    if method == "moments" and stats is not None:
        losses, epochs_run, converged, loss = train_statistics(stats, settings, coef, lr, diverged)
    else:
        data_x, data_y, shift, factor = x, y, window.shift, window.factor
        small = x.shape[0] <= SCALE_COPY_SAMPLES and settings.epochs >= SCALE_COPY_EPOCHS
        if window.scaling and small:  # a copy of u; float32 y widened (exactly) too
            data_x, data_y = window.map(x), np.asarray(y, dtype=np.float64)
            shift, factor = 0.0, 1.0
        rule = Optimizer.of(settings)
        pending = first_stats  # for the first call's first epoch

        def run(coef: np.ndarray, losses: np.ndarray, previous: float) -> tuple[int, int]:
            nonlocal pending
            stats_out, pending = pending, None
            return _kernels.run_epochs(
                data_x,
                data_y,
                weights,
                coef,
                losses,
                lr,
                settings.tol,
                previous,
                shift,
                factor,
                nthreads,
                poll,
                rule.code,
                rule.hyper,
                rule.state,
                stats_out,
            )

        losses, epochs_run, converged = train(
            run, coef, settings, lr, diverged, epoch_work=x.shape[0] * (degree + 2)
        )
        if first_stats is not None:  # taken by the first epoch (epochs > 0)
            diagnosis = diagnose(raw_statistics(first_stats))
        # One pass for the final loss and, where the fit needs them, the power sums
        # (no statistics yet) or the optimum's own loss on the data (scaled x: the
        # optimum lives in the training variable) -- exact, where the statistics
        # give a difference of large terms, a few eps * sum y^2 off.
        stats_out = np.empty(_stats.width(degree)) if diagnosis is None else None
        # and x's range, where the checks have not had it: free in the job that
        # reads each sample once for the loss and the power sums, else read
        # only up to RANGE_IN_PASS samples
        found = (
            np.empty(2)
            if stats_out is not None
            and x_range is None
            and (degree <= _kernels.FUSED_MAX or x.shape[0] <= RANGE_IN_PASS)
            else None
        )
        loss, best_loss = _kernels.final_pass(
            data_x,
            data_y,
            weights,
            shift,
            factor,
            coef,
            diagnosis.best.coef if diagnosis is not None and scale else None,
            stats_out,
            nthreads,
            poll,
            found,
        )
        if not math.isfinite(loss):
            raise diverged(epochs_run)
        if found is not None and math.isfinite(found[0]) and math.isfinite(found[1]):
            x_range = (float(found[0]), float(found[1]))
        if stats_out is not None:
            diagnosis = diagnose(raw_statistics(stats_out))
        if diagnosis is not None and scale and math.isfinite(best_loss):
            diagnosis.best = dataclasses.replace(diagnosis.best, loss=best_loss)
    if not math.isfinite(loss):
        raise diverged(epochs_run)
    assert diagnosis is not None  # made before training, or from the final pass
    _checks.check_convergence(diagnosis, loss, settings, method, epochs_run, converged, start)
    return result(
        coef, losses, loss, settings, lr, epochs_run, converged, method, window, diagnosis.best
    )


def distinct_at_least(x: np.ndarray, wanted: int) -> int:
    """How many distinct values x has, counted up to `wanted`: growing prefixes
    are counted until one has that many, so data with enough distinct values
    (the usual case) cost O(wanted log wanted), and only degenerate data a sort."""
    size = 16 * wanted
    while True:
        found = int(np.unique(x[:size]).size)
        if found >= wanted or size >= x.shape[0]:
            return found
        size *= 16
