"""polyfit.fit: validation and orchestration around the compiled epoch loop."""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels, _stats, _validation
from ._errors import DivergenceError
from ._result import FitResult
from ._stats import Window

METHODS = ("exact", "moments")

# With threads=None, use all cores from this many samples on (below it the
# per-epoch thread synchronisation costs more than the second core gains).
THREADS_MIN_SAMPLES = 1 << 16


def resolve_threads(threads: int | None, n: int) -> int:
    if threads is not None:
        return threads
    return int(_kernels.max_threads()) if n >= THREADS_MIN_SAMPLES else 1


def _diverged(
    x: np.ndarray, y: np.ndarray, epoch: int, lr: float, coef: np.ndarray
) -> DivergenceError:
    """The error for a non-finite loss: bad data (ValueError, raised) or divergence."""
    require_finite_data(x, y)
    return DivergenceError(epoch, lr, coef)


def require_finite_data(x: np.ndarray, y: np.ndarray) -> None:
    """Scan x and y (compiled) and raise the ValueError naming the first NaN or inf."""
    _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    _validation.require_finite(y, "y", _kernels.first_nonfinite(y))


def poll_signals() -> bool:
    """Whether the kernel should run Python's signal handlers (every ~20 ms, so
    Ctrl-C stops even one long epoch): only on the main thread, where they run."""
    return threading.current_thread() is threading.main_thread()


# A chunk of epochs: (coef, losses out, previous loss) -> (completed, status).
Runner = Callable[[np.ndarray, np.ndarray, float], tuple[int, int]]


class Optimizer:
    """The optimiser of a fit as the kernel takes it: code, hyper-parameters, and
    the state (momentum buffer or moments, step count) kept between calls."""

    def __init__(self, settings: _validation.Settings) -> None:
        self.code = int(_kernels.OPTIMIZERS[settings.optimizer])
        self.hyper = np.array(settings.hyper, dtype=np.float64)
        self.state = np.zeros(_kernels.state_size(settings.degree))


# Scaling (scale=True) with method="exact": the kernel computes u = (x - shift) *
# factor per sample, so large data are never copied.  Up to this many samples the
# data sit in cache and the pass is bound by its Horner chain, which those two
# operations lengthen (1.14-1.31x measured on a Zen 4 core); there a float64 copy of
# u (at most 16 MiB) is faster.  Both give the same bits.
SCALE_COPY_SAMPLES = 1 << 21

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
) -> tuple[np.ndarray, int, bool]:
    """Run the epochs in as few compiled calls as the callback (and progress bar) allow.

    epoch_work: sample x coefficient products of one epoch, which sizes the
    calls while a progress bar is wanted.  Returns (losses, epochs run,
    converged); coef is updated in place.
    """
    losses = np.empty(settings.epochs)
    per_call = max(1, PROGRESS_WORK // max(1, epoch_work)) if settings.progress else None
    bar = None
    t = 0
    converged = False
    try:
        while t < settings.epochs:
            end = settings.epochs if per_call is None else min(settings.epochs, t + per_call)
            if settings.callback is not None:  # return to Python where a callback is due
                end = min(end, (t // settings.log_every + 1) * settings.log_every)
            previous = float(losses[t - 1]) if t > 0 else math.nan
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
            if not _validation.continue_after(settings, t - 1, float(losses[t - 1]), coef):
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
    x: np.ndarray, y: np.ndarray, degree: int, window: Window, threads: int, poll: bool
) -> np.ndarray:
    """The power sums of (x, y) in the window's variable, in one compiled pass;
    a non-finite sum is traced to its cause (bad data, or powers beyond float64)."""
    stats = np.empty(_stats.width(degree))
    _kernels.moments(x, y, None, degree, window.shift, window.factor, stats, threads, poll)
    if not np.isfinite(stats).all():
        require_finite_data(x, y)
        raise ValueError(
            f"the power sums of x overflow float64 (x**{2 * degree} for |x| up to "
            f"{float(np.max(np.abs(x))):g}); use scale=True or a lower degree"
        )
    return stats


def fit_statistics(
    stats: np.ndarray,
    settings: _validation.Settings,
    coef: np.ndarray,
    window: Window,
    describe_data: Callable[[], str],
) -> FitResult:
    """Gradient descent on power sums (method='moments'), for fit, Moments and Dask;
    describe_data() names the data in a conditioning warning."""
    degree = settings.degree
    eigen = _stats.eigenvalues(stats, degree)
    _stats.check_conditioning(eigen, degree, describe_data)
    lr = _stats.auto_lr(eigen) if settings.lr == "auto" else float(settings.lr)
    poll = poll_signals()

    rule = Optimizer(settings)

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
        run,
        coef,
        settings,
        lr,
        lambda epoch: DivergenceError(epoch, lr, coef),
        epoch_work=(degree + 1) ** 2,
    )
    return result(
        coef,
        losses,
        _kernels.moments_loss(stats, coef),
        settings,
        lr,
        epochs_run,
        converged,
        "moments",
        window,
    )


def x_range(x: np.ndarray, window: Window) -> str:
    scaled = " scaled to [-1, 1]" if window.scaling else ""
    return f"x in [{float(np.min(x)):g}, {float(np.max(x)):g}]{scaled}"


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
) -> FitResult:
    if not math.isfinite(loss):
        raise DivergenceError(epochs_run, lr, coef)
    return FitResult(
        coef=window.to_x(coef),
        losses=losses,
        loss=loss,
        degree=settings.degree,
        lr=lr,
        epochs=settings.epochs,
        epochs_run=epochs_run,
        converged=converged,
        method=method,
        optimizer=settings.optimizer,
        domain=(window.lo, window.hi) if window.scaling else None,
        scaled_coef=coef if window.scaling else None,
    )


def fit(
    x: ArrayLike,
    y: ArrayLike,
    degree: int = 3,
    *,
    lr: float | str = 1e-6,
    epochs: int = 2000,
    init: ArrayLike | None = None,
    seed: Any = None,
    log_every: int = 100,
    callback: Callable[[int, float, np.ndarray], Any] | None = None,
    threads: int | None = None,
    method: str = "exact",
    tol: float | None = None,
    scale: bool = False,
    optimizer: str = "gd",
    momentum: float = 0.9,
    alpha: float = 0.99,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    progress: bool = False,
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
    lr : float or "auto", default 1e-6
        Learning rate, finite and > 0.  "auto" takes 1 / (2 lambda_max(G)),
        G_jk = sum x^(j+k) (of the scaled x with `scale`), the step with which
        every epoch lowers the loss; `FitResult.lr` reports it.
    epochs : int, default 2000
        Number of epochs, >= 0.
    init : array_like, shape (degree + 1,), optional
        Starting coefficients, lowest power first (in the scaled variable with
        `scale`).  Default: ``numpy.random.default_rng(seed).standard_normal(degree + 1)``.
    seed : None, int or numpy.random.Generator, optional
        Seed of the random start; not used when `init` is given.
    log_every : int, default 100
        The callback runs after epochs t with ``t % log_every == log_every - 1``.
    callback : callable, optional
        ``callback(epoch, loss, coef)`` with the epoch's loss and a copy of the
        coefficients after its update (in the scaled variable with `scale`).
        Returning ``False`` stops training.
    threads : int, optional
        Threads for the passes over the data.  Default: all cores when
        n >= 65536, else 1.  The result is bitwise the same for every count.
    method : {"exact", "moments"}, default "exact"
        "exact" passes over the data every epoch, as the tutorial does.
        "moments" passes once, for the power sums (the sufficient statistics of
        squared loss), then runs the same epochs on them at O(degree^2) each.
    tol : float, optional
        Stop once an epoch lowers the loss by less than ``tol`` times the loss
        before it (``FitResult.converged``).  Default: run all epochs.
    scale : bool, default False
        Train in u = (x - mid) / half, x's range mapped onto [-1, 1] (numpy's
        domain and window); `coef` is converted back to x.
    optimizer : {"gd", "momentum", "rmsprop", "adam"}, default "gd"
        The update rule, as torch.optim's: "gd" is the tutorial's plain step;
        "momentum" is SGD(momentum=`momentum`); "rmsprop" is RMSprop(alpha=`alpha`,
        eps=`eps`); "adam" is Adam(betas=`betas`, eps=`eps`), bias-corrected.
        Compiled into the epoch loop for both methods.
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
        (of the returned coef), ``converged``, ``epochs_run`` and the settings.

    Raises
    ------
    ValueError, TypeError
        For bad input; the message names the argument.
    DivergenceError
        When a loss or a coefficient becomes non-finite (lr too large).

    Warns
    -----
    ConditioningWarning
        With method="moments", when float64 power sums cannot carry the
        gradient for the data's range and degree.

    See Also
    --------
    polyfit.reference.fit : the same algorithm in plain numpy.
    polyfit.Moments : the statistics of data that arrive in chunks.
    numpy.polynomial.Polynomial.fit : the exact least-squares fit.

    Notes
    -----
    Epoch t computes, with the current coefficients c,

    .. math::

        L_t = \sum_i (p(x_i) - y_i)^2, \qquad
        g_k = \sum_i 2 (p(x_i) - y_i) x_i^k, \qquad
        c_k \leftarrow c_k - \mathrm{lr} \, g_k .

    With method="moments", L_t = c.G c - 2 c.T + sum y^2 is a difference of
    large terms when the fit is close (L_t much smaller than sum y^2): its
    absolute error is then about 1e-16 * sum y^2.

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
    x, y = _validation.samples(x, y, keep_float32=True)
    if settings.degree == 0 or scale:  # x's range, or x unused by a constant's loss
        _validation.require_finite(x, "x", _kernels.first_nonfinite(x))
    # Otherwise a NaN or infinity in the data makes the first loss (or a power
    # sum) non-finite; the data are scanned only then, which saves two passes.
    coef = _validation.initial_coef(init, seed, settings.degree)
    nthreads = resolve_threads(threads, x.shape[0])
    poll = poll_signals()
    window = Window.of(float(np.min(x)), float(np.max(x))) if scale else Window.identity()

    if method == "moments":
        stats = statistics(x, y, settings.degree, window, nthreads, poll)
        return fit_statistics(stats, settings, coef, window, lambda: x_range(x, window))

    if settings.lr == "auto":
        stats = statistics(x, y, settings.degree, window, nthreads, poll)
        lr = _stats.auto_lr(_stats.eigenvalues(stats, settings.degree))
    else:
        lr = float(settings.lr)
    data_x, data_y, shift, factor = x, y, window.shift, window.factor
    if window.scaling and x.shape[0] <= SCALE_COPY_SAMPLES:  # float32 y widened (exactly) too
        data_x, data_y, shift, factor = window.map(x), y.astype(np.float64), 0.0, 1.0

    rule = Optimizer(settings)

    def run(coef: np.ndarray, losses: np.ndarray, previous: float) -> tuple[int, int]:
        return _kernels.run_epochs(
            data_x,
            data_y,
            None,
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
        )

    losses, epochs_run, converged = train(
        run,
        coef,
        settings,
        lr,
        lambda epoch: _diverged(x, y, epoch, lr, coef),
        epoch_work=x.shape[0] * (settings.degree + 2),
    )
    final = np.empty(settings.degree + 2)
    _kernels.sums(data_x, data_y, None, coef, shift, factor, final, nthreads, poll)
    if not np.isfinite(final[0]):
        raise _diverged(x, y, epochs_run, lr, coef)
    return result(coef, losses, final[0], settings, lr, epochs_run, converged, "exact", window)
