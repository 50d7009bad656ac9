"""polyfit.fit for a 2-D y: k series sharing x, fitted in one call (issue 15).

Every stage is one compiled call for all the series: the power sums
(`series_moments`), the epochs (`series_train_moments` on the statistics, or
`series_epochs_run` on the data) and the final sums (`series_sums`).  The checks
around the fit are numpy expressions over the k columns -- the optimum of every
series from one eigendecomposition of G where the series share it -- so no
Python loop runs per series on the common path.  A message about one series (a
warning naming the worst, a divergence) is made by the 1-D checks for that
series alone, so it reads and advises as that series' own fit would.

The rules for all series together (the compiled loops' own):

- divergence: the first epoch at which any series' loss or update is not
  finite stops every series there; DivergenceError names that series
  (`column`) and holds every series' last finite coefficients;
- tol: training stops at the first epoch at which every series lowered its
  loss by a relative amount in [0, tol] (a series that met tol earlier keeps
  training until all meet it in the same epoch);
- callback(epoch, loss (k,), coef (degree + 1, k)) at the 1-D fit's log
  points; returning False stops every series.

What the compiled 2-D loops do not cover runs series by series with the 1-D
kernels under the same rules (`ColumnRunner`): optimizers other than plain
gradient descent (both methods), and method="moments" beyond degree 8.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _checks, _fit, _kernels, _stats, _validation
from ._checks import Diagnosis, Face
from ._errors import DivergenceError
from ._result import FitResult, handed
from ._stats import Optimum, Window

# series_train_moments keeps a series' coefficients in vector registers up to
# this degree (the kernel's MOMENTS_SPECIALISED_MAX) and refuses higher ones.
SERIES_MOMENTS_MAX_DEGREE = 8

Runner = _fit.Runner


def _name(column: int) -> str:
    return f"series {column} (y[:, {column}])"


# ---------------------------------------------------------------- the optimum


@dataclass(frozen=True)
class SeriesOptimum:
    """The least-squares optimum of every series' statistics (see `Optimum`).

    eigenvalues (ascending) and vectors are G's: shape (r,) and (r, r) when
    every series has the same G (`shared`: no weights, or one per sample), else
    (k, r) and (k, r, r).  coef (r, k), loss, slack and rank (k,) are per series.
    """

    eigenvalues: np.ndarray
    vectors: np.ndarray
    coef: np.ndarray
    loss: np.ndarray
    slack: np.ndarray
    rank: np.ndarray
    stats: np.ndarray  # (k, 3 degree + 3)
    degree: int
    shared: bool
    columns: dict[int, Optimum] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def largest(self) -> np.ndarray:
        """lambda_max(G) of every series, (k,) (or (1,) when shared)."""
        return np.atleast_2d(self.eigenvalues)[:, -1]

    @property
    def conditions(self) -> np.ndarray:
        """cond(G) of every series (or one number when shared), inf when singular."""
        eigen = np.atleast_2d(self.eigenvalues)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = eigen[:, -1] / eigen[:, 0]
        bad = ~(np.isfinite(eigen[:, -1]) & (eigen[:, 0] > 0.0))
        return np.where(bad, math.inf, ratio)

    def column(self, column: int) -> Optimum:
        """Series `column`'s optimum, as its own 1-D fit computes it (for messages)."""
        if column not in self.columns:
            self.columns[column] = _stats.optimum(self.stats[column], self.degree)
        return self.columns[column]


def series_optimum(stats: np.ndarray, degree: int) -> SeriesOptimum:
    """The optimum of k series' statistics (k, 3 degree + 3) in a few numpy calls.

    Where every series has the same G (the same power sums, as without weights
    or with one weight per sample) G is decomposed once, as a 1-D fit does it
    (so ``lr="auto"`` has the 1-D fit's bits); else all k G at once (numpy's
    batched eigh).  Each series' optimum then follows as the 1-D one does
    (`_stats.optimum`): the least-norm minimiser over the eigenvalues above
    rounding level, its loss sum y^2 - sum (v.T)^2 / lambda and the scale of
    that loss's rounding -- the same formulas, rounded in another order (a
    few eps of sum y^2 apart).
    """
    size = degree + 1
    powers = stats[:, : 2 * degree + 1]
    shared = bool((powers == powers[:1]).all())
    cross = stats[:, 2 * degree + 1 : 3 * degree + 2]  # (k, r)
    total = stats[:, -1]
    first: Optimum | None = None
    if shared:  # one G: its eigensystem once, every series' T against it in one product
        first = _stats.optimum(stats[0], degree)
        eigenvalues, vectors = first.eigenvalues, first.eigenvectors
        lam = eigenvalues[np.newaxis, :]
        projections = cross @ vectors  # (k, r): v_i . T of every series
        keep = lam > _stats.RESOLVED * size * _stats.EPS * lam[:, -1:]
        scaled = np.divide(projections, lam, out=np.zeros(projections.shape), where=keep)
        coef = vectors @ scaled.T  # (r, k)
        magnitude = np.abs(coef)
        gram = _stats.split(stats[0], degree)[0]
        quadratic = np.sum(magnitude * (np.abs(gram) @ magnitude), axis=0)
    else:  # a G per series: numpy's batched eigh and products
        gram = stats[:, _stats._hankel_index(degree)]  # (k, r, r)
        eigenvalues, vectors = np.linalg.eigh(gram)
        lam = eigenvalues
        projections = (cross[:, np.newaxis, :] @ vectors)[:, 0, :]
        keep = lam > _stats.RESOLVED * size * _stats.EPS * lam[:, -1:]
        scaled = np.divide(projections, lam, out=np.zeros(projections.shape), where=keep)
        coef = np.ascontiguousarray((vectors @ scaled[:, :, np.newaxis])[:, :, 0].T)
        magnitude = np.abs(coef)
        quadratic = np.sum(
            magnitude.T * (np.abs(gram) @ magnitude.T[:, :, np.newaxis])[:, :, 0], axis=1
        )
    explained = np.sum(projections * scaled, axis=1)
    loss = np.maximum(0.0, total - explained)
    scale = total + quadratic + 2.0 * np.sum(magnitude * np.abs(cross.T), axis=0)
    slack = _stats.SLACK * size * _stats.EPS * scale
    rank = np.broadcast_to(keep.sum(axis=1), total.shape)
    columns: dict[int, Optimum] = {} if first is None else {0: first}
    return SeriesOptimum(
        eigenvalues, vectors, coef, loss, slack, rank, stats, degree, shared, columns
    )


def auto_lr(train: SeriesOptimum) -> float:
    """1 / (2 lambda_max) for the largest lambda_max of all series: the step with
    which every epoch lowers every series' loss (the 1-D fit's step when the
    series share G)."""
    if train.shared:
        return _stats.auto_lr(train.eigenvalues)
    return _stats.auto_lr(np.array([float(np.max(train.largest))]))


# ---------------------------------------------------------------- the checks


class SeriesDiagnosis:
    """What the checks around a fit of many series know (see `Diagnosis`):
    best, train and scaled_best are `SeriesOptimum`s; `column(c)` is series
    c's own `Diagnosis`, for the messages about it.  train None: the training
    variable's power sums overflow float64 (its eigenvalues are taken as inf).
    optimal: every series' optimal_loss where computed from the data."""

    def __init__(
        self,
        degree: int,
        face: Face,
        best: SeriesOptimum,
        scaled: bool,
        train: SeriesOptimum | None,
        x_range: Callable[[], tuple[float, float]],
        train_stats: np.ndarray | None = None,
        scaled_optimum: Callable[[], SeriesOptimum] | None = None,
        window: tuple[float, float] = (0.0, 1.0),
        describe: str | None = None,
        column_range: Callable[[int], tuple[float, float]] | None = None,
    ) -> None:
        self.degree = degree
        self.face = face
        self.best = best
        self.scaled = scaled
        self.train = train
        self.train_stats = train_stats
        self._x_range = x_range
        self._scaled_optimum = scaled_optimum
        self.window = window
        self.describe = describe
        self._column_range = column_range
        self.optimal = best.loss

    @property
    def series(self) -> int:
        return int(self.best.stats.shape[0])

    @property
    def shared(self) -> bool:
        return self.best.shared

    @functools.cached_property
    def scaled_best(self) -> SeriesOptimum:
        if self.scaled or self._scaled_optimum is None:
            return self.best
        return self._scaled_optimum()

    @property
    def can_rescale(self) -> bool:
        return not self.scaled and self.face.rescale is not None

    def lr(self, settings: _validation.Settings) -> float:
        if settings.lr != "auto":
            return float(settings.lr)
        if self.train is None:  # as _stats.auto_lr for a G beyond float64
            raise ValueError("lr='auto' needs a positive definite G; its largest eigenvalue is inf")
        return auto_lr(self.train)

    def column(self, column: int) -> Diagnosis:
        """Series `column`'s diagnosis, as its own 1-D fit would make it (with
        this fit's optimal_loss for it)."""
        best = self.best.column(column)
        if float(self.optimal[column]) != best.loss:
            best = dataclasses.replace(best, loss=float(self.optimal[column]))
        train_eigen = (
            np.full(self.degree + 1, math.inf)
            if self.train is None
            else self.train.column(column).eigenvalues
        )
        x_range, describe = self._x_range, self.describe
        if self._column_range is not None and not self.shared:
            # the series' own samples (constant x, the largest |u|), in the shared window
            x_range = functools.partial(self._column_range, column)
            if describe is None:
                lo, hi = self._x_range()
                describe = f"x in [{lo:g}, {hi:g}]" + (" scaled to [-1, 1]" if self.scaled else "")
        return Diagnosis(
            self.degree,
            self.face,
            best,
            self.scaled,
            train_eigen,
            x_range,
            None if self.train_stats is None else self.train_stats[column],
            lambda: self.scaled_best.column(column),
            self.window,
            describe,
        )


def check_rank(
    diagnosis: SeriesDiagnosis,
    counts: Callable[[], Any],
    distinct: Callable[[int], int] | None,
    scale: bool,
    weighted: bool,
) -> bool:
    """RankWarning (see `_checks.check_rank`) once for the fit: for series that
    share G it is theirs; with a weight per value, the series with the fewest
    distinct x (of nonzero weight) is named, and its remedy (the degree it
    determines) suits every series.  counts(): the samples (of nonzero weight)
    an int, or per series; distinct(c): series c's distinct x, counted up to
    degree + 1 (None: not known, statistics alone).  Returns whether it warned."""
    degree = diagnosis.degree
    if degree == 0:
        return False
    if diagnosis.shared:
        count = counts()
        return _checks.check_rank(
            diagnosis.column(0),
            int(np.max(count)),
            None if distinct is None else functools.partial(distinct, 0),
            scale,
            weighted,
        )
    suspects = np.flatnonzero(diagnosis.best.rank < degree + 1)
    if suspects.size == 0:
        return False  # a series with fewer samples than degree + 1 is rank-deficient too
    per_series = np.broadcast_to(np.asarray(counts()), (diagnosis.series,))
    found: dict[int, int] = {}
    for column in suspects.tolist():  # the rank-deficient series only: data that warn
        lo, hi = diagnosis.column(column).x_range
        if lo == hi:
            found[column] = 1
        elif distinct is not None:
            found[column] = distinct(column)
        elif per_series[column] < degree + 1:
            found[column] = int(per_series[column])
    short = {column: number for column, number in found.items() if number < degree + 1}
    if not short:
        return False
    worst = min(short, key=lambda column: (short[column], column))
    where = (
        f"{len(short)} of {diagnosis.series} series do not determine degree {degree}; the "
        f"worst, {_name(worst)}: "
        if len(short) > 1
        else f"{_name(worst)}: "
    )
    return _checks.check_rank(
        diagnosis.column(worst),
        int(per_series[worst]),
        None if distinct is None else functools.partial(distinct, worst),
        scale,
        weighted,
        where,
    )


def check_conditioning(diagnosis: SeriesDiagnosis, method: str) -> None:
    """ConditioningWarning once for the fit (see `_checks.check_conditioning`):
    for series that share G it is theirs; else the worst-conditioned series is
    named."""
    if diagnosis.train is None or diagnosis.shared:
        _checks.check_conditioning(diagnosis.column(0), method)
        return
    conditions = diagnosis.train.conditions
    worst = int(np.argmax(conditions))
    if conditions[worst] < _stats.CONDITION_LIMIT:
        return
    count = int(np.count_nonzero(conditions >= _stats.CONDITION_LIMIT))
    where = (
        f"{count} of {diagnosis.series} series are ill-conditioned; the worst, {_name(worst)}: "
        if count > 1
        else f"{_name(worst)}: "
    )
    _checks.check_conditioning(diagnosis.column(worst), method, where)


def epochs_needed(
    energy: np.ndarray, log_rates: np.ndarray, excess: np.ndarray, cap: int
) -> np.ndarray:
    """`Decay.epochs_needed` for many series at once: energy (m, r), log_rates
    (m, r) or (r,), excess (m,); inf where more than cap are needed.  A
    bisection over all of them together (the excess falls monotonically)."""

    def excess_after(epochs: np.ndarray) -> np.ndarray:
        """The excess after epochs >= 1 (a direction with log_rate -inf is gone;
        rows already settled may pass 0 and get NaN, which is not read)."""
        with np.errstate(invalid="ignore"):
            factors = np.exp((2.0 * epochs.astype(np.float64))[:, np.newaxis] * log_rates)
        found: np.ndarray = np.einsum("ij,ij->i", energy, factors)
        return found

    count = energy.shape[0]
    low = np.zeros(count, dtype=np.int64)
    high = np.full(count, cap, dtype=np.int64)
    done = energy.sum(axis=1) <= excess  # after no epoch
    beyond = excess_after(high) > excess
    high[done] = 0
    while True:
        open_ = (high - low > 1) & ~done & ~beyond
        if not open_.any():
            break
        middle = low + (high - low) // 2
        enough = excess_after(middle) <= excess
        high = np.where(open_ & enough, middle, high)
        low = np.where(open_ & ~enough, middle, low)
    return np.where(beyond, math.inf, high.astype(np.float64))


def check_convergence(
    diagnosis: SeriesDiagnosis,
    loss: np.ndarray,
    settings: _validation.Settings,
    method: str,
    epochs_run: int,
    converged: bool,
    start: np.ndarray,
) -> None:
    """ConvergenceWarning once for the fit (see `_checks.check_convergence`).

    Screened over all series in numpy: which end more than 1 % above their
    optimum (beyond the accuracy of the two losses), and of those, how many
    epochs of plain gradient descent with lr="auto" each needs from its start.
    The warning names the series that needs the most, with its own 1-D
    message, so its remedy (those epochs) gets every series within 1 %.
    Nothing but two vector comparisons when every series is there.
    """
    if settings.epochs == 0 or (epochs_run < settings.epochs and not converged):
        return
    best = diagnosis.optimal
    slack = diagnosis.best.slack
    excess = loss - best
    suspects = np.flatnonzero(excess > _checks.TOLERANCE * best + slack)
    if suspects.size == 0:
        return
    if diagnosis.scaled or diagnosis.can_rescale or diagnosis.train_stats is None:
        model = diagnosis.scaled_best
    elif diagnosis.best.stats is diagnosis.train_stats or diagnosis.train is None:
        model = diagnosis.best
    else:
        model = diagnosis.train
    largest = float(np.max(model.largest))  # lr="auto" of all the series
    eigen = np.atleast_2d(model.eigenvalues)
    resolved = eigen > _stats.RESOLVED * eigen.shape[1] * _stats.EPS * eigen[:, -1:]
    with np.errstate(divide="ignore"):  # the top direction: log 0
        log_rates = np.where(resolved, np.log(np.maximum(0.0, 1.0 - eigen / largest)), 0.0)
    offset = start[:, suspects] - model.coef[:, suspects]  # (r, m)
    if model.shared:
        parts = (model.vectors.T @ offset).T  # (m, r)
        energy = np.where(resolved, eigen * parts**2, 0.0)
    else:
        vectors = model.vectors[suspects]  # (m, r, r)
        parts = (offset.T[:, np.newaxis, :] @ vectors)[:, 0, :]
        energy = np.where(resolved[suspects], eigen[suspects] * parts**2, 0.0)
        log_rates = log_rates[suspects]
    initial = energy.sum(axis=1)
    floor = slack[suspects] + _stats.SLACK * (diagnosis.degree + 1) * _stats.EPS * initial
    beyond = excess[suspects] > _checks.TOLERANCE * best[suspects] + floor
    if not beyond.any():
        return
    suspects, energy, floor = suspects[beyond], energy[beyond], floor[beyond]
    if not model.shared:
        log_rates = log_rates[beyond]
    needed = epochs_needed(
        energy, log_rates, _checks.TARGET * best[suspects] + 0.5 * floor, _checks.MAX_EPOCHS
    )
    worst = int(suspects[int(np.argmax(needed))])
    where = (
        f"{suspects.size} of {diagnosis.series} series end more than "
        f"{_checks.TOLERANCE:.0%} above their optimum; the one that needs the most epochs, "
        f"{_name(worst)}: "
    )
    _checks.check_convergence(
        diagnosis.column(worst),
        float(loss[worst]),
        settings,
        method,
        epochs_run,
        converged,
        np.ascontiguousarray(start[:, worst]),
        where,
        None if diagnosis.shared else largest,
    )


# ---------------------------------------------------------------- the epochs


class ColumnRunner:
    """A Runner for many series made of 1-D kernel calls, one series at a time,
    under the rules of the compiled 2-D loops (see the module's docstring).

    Each call runs every series through the chunk of epochs without tol; a
    series that diverges stops at that epoch, so the first epoch at which any
    diverged, and the first at which every series met tol, are read off the
    losses, and the series that ran past that epoch run the chunk again up to
    it (from the same coefficients and optimizer state: the same bits).
    step(c, coef, losses, state) runs series c's epochs in place.
    """

    def __init__(
        self,
        step: Callable[[int, np.ndarray, np.ndarray, np.ndarray], tuple[int, int]],
        series: int,
        degree: int,
        tol: float,
    ) -> None:
        self.step = step
        self.states = np.zeros((series, int(_kernels.state_size(degree))))
        self.tol = tol
        self.diverged_column: int | None = None

    def __call__(self, coef: np.ndarray, losses: np.ndarray, previous: Any) -> tuple[int, int]:
        epochs, series = losses.shape
        start = np.ascontiguousarray(coef.T)  # a row per series
        states = self.states.copy()
        rows = start.copy()
        column_losses = np.empty((series, epochs))
        done = np.empty(series, dtype=np.int64)
        statuses = np.empty(series, dtype=np.int64)
        for column in range(series):
            done[column], statuses[column] = self.step(
                column, rows[column], column_losses[column], self.states[column]
            )
        stop, status = epochs, int(_kernels.STATUS_OK)
        diverged = np.flatnonzero(statuses == _kernels.STATUS_DIVERGED)
        if diverged.size:
            first = int(diverged[np.argmin(done[diverged])])  # the lowest column at that epoch
            stop, status = int(done[first]), int(_kernels.STATUS_DIVERGED)
            self.diverged_column = first
        if self.tol > 0.0 and stop > 0:
            ran = column_losses[:, :stop].T
            before = np.vstack([np.asarray(previous)[np.newaxis, :], ran[:-1]])
            with np.errstate(invalid="ignore"):
                drop = before - ran
                met = np.isfinite(before) & (drop >= 0.0) & (drop <= self.tol * np.abs(before))
            every = np.flatnonzero(met.all(axis=1))
            if every.size:
                stop, status = int(every[0]) + 1, int(_kernels.STATUS_CONVERGED)
                self.diverged_column = None
        for column in np.flatnonzero(done > stop).tolist():  # ran past the stop: again, to it
            rows[column] = start[column]
            self.states[column] = states[column]
            self.step(column, rows[column], column_losses[column, :stop], self.states[column])
        losses[:stop] = column_losses[:, :stop].T
        coef[...] = rows.T
        return stop, status


# With threads=None, training on the statistics uses every core from this many
# series on (a slab of 64 series is a thread's unit of work; with tol, the chunks
# of 64 epochs they run between two decisions cost ~4 us of synchronisation each;
# without, the epochs go in far fewer, longer pieces).
SERIES_THREADS_MIN = 256


def statistics_runner(
    stats: np.ndarray, settings: _validation.Settings, lr: float, poll: bool, threads: int
) -> Runner | ColumnRunner:
    """Epochs on every series' statistics: series_train_moments (plain gradient
    descent up to degree 8, slabs of 64 series on `threads` threads, the same
    bits for any count), else train_moments series by series."""
    series, degree = stats.shape[0], settings.degree
    if settings.optimizer == "gd" and degree <= SERIES_MOMENTS_MAX_DEGREE:

        def run(coef: np.ndarray, losses: np.ndarray, previous: Any) -> tuple[int, int]:
            found: tuple[int, int] = _kernels.series_train_moments(
                stats, coef, losses, lr, settings.tol, previous, poll, threads
            )
            return found

        return run
    rule = _fit.Optimizer.of(settings)

    def step(
        column: int, coef: np.ndarray, losses: np.ndarray, state: np.ndarray
    ) -> tuple[int, int]:
        found: tuple[int, int] = _kernels.train_moments(
            stats[column], coef, losses, lr, 0.0, math.nan, poll, rule.code, rule.hyper, state
        )
        return found

    return ColumnRunner(step, series, degree, settings.tol)


def statistics_loss(stats: np.ndarray, coef: np.ndarray, lr: float) -> np.ndarray:
    """Every series' loss of coef on its statistics, the bits of moments_loss:
    one more epoch of series_train_moments on a copy (its loss is the one an
    epoch computes), or moments_loss series by series beyond degree 8 (and
    where that epoch found a series' loss not finite, to say which).  NaN where
    not finite."""
    degree = coef.shape[0] - 1
    if degree <= SERIES_MOMENTS_MAX_DEGREE:
        row = np.full((1, coef.shape[1]), math.nan)
        _kernels.series_train_moments(
            stats, coef.copy(), row, lr, 0.0, np.full(coef.shape[1], math.nan), False
        )
        loss: np.ndarray = row[0]
        if not np.isnan(loss).all():
            return loss
        # a series' loss is not finite, and the epoch wrote none: each one's own
    loss = np.array(
        [_kernels.moments_loss(stats[c], coef[:, c].copy()) for c in range(coef.shape[1])]
    )
    finite: np.ndarray = np.where(np.isfinite(loss), loss, math.nan)
    return finite


def diverged_on_statistics(stats: np.ndarray, coef: np.ndarray, lr: float) -> int:
    """The lowest series whose plain step from coef is not finite: one epoch of
    train_moments per series (only when a fit has diverged)."""
    unused = np.zeros(5)  # the hyper-parameters, which plain gradient descent has none of
    for column in range(coef.shape[1]):
        status = _kernels.train_moments(
            stats[column],
            coef[:, column].copy(),
            np.empty(1),
            lr,
            0.0,
            math.nan,
            False,
            0,
            unused,
            np.zeros(int(_kernels.state_size(coef.shape[0] - 1))),
        )[1]
        if status == _kernels.STATUS_DIVERGED:
            return column
    return _first_bad(coef)


def _first_bad(values: np.ndarray) -> int:
    """The first column holding a non-finite value (0 if none)."""
    bad = np.flatnonzero(~np.isfinite(values).all(axis=0))
    return int(bad[0]) if bad.size else 0


def train_statistics(
    stats: np.ndarray,
    settings: _validation.Settings,
    coef: np.ndarray,
    lr: float,
    on_divergence: Callable[[int, int], DivergenceError],
    threads: int | None = None,
) -> tuple[np.ndarray, int, bool, np.ndarray]:
    """Gradient descent on every series' statistics (method='moments'):
    (losses, epochs run, converged, every series' loss of the final coef);
    coef (degree + 1, k) is updated in place.  threads: the caller's (None: all
    cores from SERIES_THREADS_MIN series on)."""
    poll = _fit.poll_signals()
    if threads is None:
        threads = int(_kernels.max_threads()) if stats.shape[0] >= SERIES_THREADS_MIN else 1
    run = statistics_runner(stats, settings, lr, poll, threads)

    def diverged(epoch: int) -> DivergenceError:
        column = run.diverged_column if isinstance(run, ColumnRunner) else None
        if column is None:
            column = diverged_on_statistics(stats, coef, lr)
        return on_divergence(epoch, column)

    series = stats.shape[0]
    losses, epochs_run, converged = _fit.train(
        run,
        coef,
        settings,
        lr,
        diverged,
        epoch_work=series * (settings.degree + 1) ** 2,
        series=series,
    )
    loss = statistics_loss(stats, coef, lr)
    if not np.isfinite(loss).all():
        raise on_divergence(epochs_run, _first_bad(loss[np.newaxis, :]))
    return losses, epochs_run, converged, loss


# ---------------------------------------------------------------- data in memory


class SeriesData:
    """x (n,), y (n, k) and their weights as the kernel takes them: one per
    sample (`weights`) or one per value (`weights2d`), or None.  threads: the
    caller's (None: chosen by the size of each pass)."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray | None,
        degree: int,
        threads: int | None,
        poll: bool,
    ) -> None:
        self.x, self.y, self.degree, self.poll = x, y, degree, poll
        self.requested_threads = threads
        self.threads = _fit.resolve_threads(threads, x.shape[0] * y.shape[1])
        self.column_threads = _fit.resolve_threads(threads, x.shape[0])  # one series' pass
        self.weights = weights if weights is not None and weights.ndim == 1 else None
        self.weights2d = weights if weights is not None and weights.ndim == 2 else None
        self.all_weights = weights

    @property
    def series(self) -> int:
        return int(self.y.shape[1])

    def moments(self, window: Window) -> np.ndarray:
        """The power sums of every series in the window's variable, (k, 3 degree + 3)."""
        stats = np.empty((self.series, _stats.width(self.degree)))
        _kernels.series_moments(
            self.x,
            self.y,
            self.weights,
            self.weights2d,
            self.degree,
            window.shift,
            window.factor,
            stats,
            self.threads,
            self.poll,
        )
        return stats

    def statistics(self, window: Window) -> np.ndarray:
        """`moments`, or the ValueError that names why a sum is not finite."""
        return _fit.checked_statistics(
            self.x, self.y, self.all_weights, self.moments(window), self.degree, window
        )

    def raw_statistics(self, window: Window) -> np.ndarray | None:
        """The power sums of the training variable, or None if they overflow
        float64 while the data are finite."""
        stats = self.moments(window)
        if np.isfinite(stats).all():
            return stats
        self.require_finite()
        return None

    def require_finite(self) -> None:
        _fit.require_finite_data(self.x, self.y)

    def sums(self, coef: np.ndarray, window: Window) -> np.ndarray:
        """(degree + 2, k): every series' sum w r^2 and sums w r u^j at coef."""
        out = np.empty((coef.shape[0] + 1, self.series))
        _kernels.series_sums(
            self.x,
            self.y,
            self.weights,
            self.weights2d,
            coef,
            window.shift,
            window.factor,
            out,
            self.threads,
            self.poll,
        )
        return out

    def counts(self) -> Any:
        """The samples that count: n, or per series with a weight per value."""
        if self.weights2d is None:
            return int(self.x.shape[0])
        return np.count_nonzero(self.weights2d, axis=0)

    def kept(self, column: int) -> np.ndarray:
        """Series `column`'s x of nonzero weight."""
        if self.weights2d is not None:
            return self.x[self.weights2d[:, column] > 0.0]
        if self.weights is not None:
            return self.x[self.weights > 0.0]
        return self.x

    def column_range(self, column: int) -> tuple[float, float]:
        kept = self.kept(column)
        return float(np.min(kept)), float(np.max(kept))

    def distinct(self, column: int) -> int:
        return _fit.distinct_at_least(self.kept(column), self.degree + 1)

    def diverged_column(self, coef: np.ndarray, lr: float, window: Window) -> int:
        """The lowest series whose loss or plain step at coef is not finite,
        from one pass (the sums series_epochs_run's epoch takes)."""
        sums = self.sums(coef, window)
        with np.errstate(all="ignore"):
            following = coef - (2.0 * lr) * sums[1:]
        bad = ~np.isfinite(sums[0]) | ~np.isfinite(following).all(axis=0)
        found = np.flatnonzero(bad)
        return int(found[0]) if found.size else _first_bad(coef)


def exact_runner(
    data: SeriesData,
    settings: _validation.Settings,
    lr: float,
    window: Window,
) -> Runner | ColumnRunner:
    """Epochs on the data: series_epochs_run (plain gradient descent: one pass
    over the rows per epoch for every series), else run_epochs series by
    series (on a column-major copy of y, and of weights per value)."""
    if settings.optimizer == "gd":

        def run(coef: np.ndarray, losses: np.ndarray, previous: Any) -> tuple[int, int]:
            found: tuple[int, int] = _kernels.series_epochs_run(
                data.x,
                data.y,
                data.weights,
                data.weights2d,
                coef,
                losses,
                lr,
                settings.tol,
                previous,
                window.shift,
                window.factor,
                data.threads,
                data.poll,
            )
            return found

        return run
    rule = _fit.Optimizer.of(settings)
    columns = np.ascontiguousarray(data.y.T)
    weights = None if data.weights2d is None else np.ascontiguousarray(data.weights2d.T)

    def step(
        column: int, coef: np.ndarray, losses: np.ndarray, state: np.ndarray
    ) -> tuple[int, int]:
        found: tuple[int, int] = _kernels.run_epochs(
            data.x,
            columns[column],
            data.weights if weights is None else weights[column],
            coef,
            losses,
            lr,
            0.0,  # no tol here: ColumnRunner applies it to all series together
            math.nan,
            window.shift,
            window.factor,
            data.column_threads,
            data.poll,
            rule.code,
            rule.hyper,
            state,
        )
        return found

    return ColumnRunner(step, data.series, settings.degree, settings.tol)


FIT_FACE = _fit.FIT_FACE


def fit(
    x: np.ndarray,
    y: np.ndarray,
    checked_weights: _validation.Weights | None,
    settings: _validation.Settings,
    method: str,
    scale: bool,
    threads: int | None,
    start: np.ndarray,
) -> FitResult:
    """polyfit.fit for y of shape (n, k), checked and converted (C-contiguous, x's
    dtype); start (degree + 1, k).  The same stages as the 1-D fit, each one
    compiled call for every series."""
    degree = settings.degree
    series = y.shape[1]
    window = Window.identity()
    x_range: tuple[float, float] | None = None
    values: np.ndarray | None = None
    if checked_weights is not None and checked_weights.smallest == 0.0:
        x, y, values, x_range = _fit.weighted_data(x, y, checked_weights)
    elif checked_weights is not None:
        values = checked_weights.values
    if scale:
        x_range = _fit.data_range(x) if x_range is None else x_range
        window = Window.of(*x_range)
    data = SeriesData(x, y, values, degree, threads, _fit.poll_signals())

    def diagnosis_range() -> tuple[float, float]:
        return x_range if x_range is not None else _fit.data_range(x)

    def scaled_optimum() -> SeriesOptimum:
        return series_optimum(data.statistics(Window.of(*diagnosis_range())), degree)

    def diagnose(stats: np.ndarray | None) -> SeriesDiagnosis:
        """As the 1-D fit's: the checks before training on the training statistics
        (None: they overflow float64, and the optimum comes from the scaled
        variable)."""
        train: SeriesOptimum | None = None
        if stats is None:
            best = scaled_optimum()
        else:
            best = train = series_optimum(stats, degree)
            if not scale and float(np.max(train.conditions)) > _fit.TRUST_RAW_CONDITION:
                best = scaled_optimum()
        found = best
        diagnosis = SeriesDiagnosis(
            degree,
            FIT_FACE,
            best,
            scale,
            train,
            diagnosis_range,
            None if scale else stats,
            scaled_optimum if best is train else (lambda: found),
            (window.shift, window.factor),
            column_range=data.column_range,
        )
        if not check_rank(diagnosis, data.counts, data.distinct, scale, values is not None):
            check_conditioning(diagnosis, method)
        return diagnosis

    stats: np.ndarray | None = None
    diagnosis: SeriesDiagnosis | None = None
    if scale or method == "moments" or settings.lr == "auto":
        stats = data.statistics(window)
        diagnosis = diagnose(stats)
    lr = diagnosis.lr(settings) if diagnosis is not None else float(settings.lr)
    coef = start.copy()

    def diverged(epoch: int, column: int | None) -> DivergenceError:
        data.require_finite()  # NaN or inf in the data: a ValueError naming it
        found = diagnosis if diagnosis is not None else diagnose(data.raw_statistics(window))
        if column is None:
            column = data.diverged_column(coef, lr, window)
        return _checks.divergence(found.column(column), settings, epoch, lr, coef, column)

    if method == "moments" and stats is not None:
        losses, epochs_run, converged, loss = train_statistics(
            stats, settings, coef, lr, diverged, data.requested_threads
        )
    else:
        run = exact_runner(data, settings, lr, window)

        def on_divergence(epoch: int) -> DivergenceError:
            column = run.diverged_column if isinstance(run, ColumnRunner) else None
            return diverged(epoch, column)

        losses, epochs_run, converged = _fit.train(
            run,
            coef,
            settings,
            lr,
            on_divergence,
            epoch_work=x.shape[0] * series * (degree + 2),
            series=series,
        )
        loss = data.sums(coef, window)[0].copy()
        if not np.isfinite(loss).all():
            raise diverged(epochs_run, _first_bad(loss[np.newaxis, :]))
        if diagnosis is None:
            diagnosis = diagnose(data.raw_statistics(window))
        elif scale:  # the optimum's own loss on the data (see the 1-D fit)
            optimal = data.sums(diagnosis.best.coef, window)[0]
            diagnosis.optimal = np.where(np.isfinite(optimal), optimal, diagnosis.best.loss)
    assert diagnosis is not None  # made before training, or after the final pass
    check_convergence(diagnosis, loss, settings, method, epochs_run, converged, start)
    return result(
        coef, losses, loss, settings, lr, epochs_run, converged, method, window, diagnosis
    )


# ---------------------------------------------------------------- statistics alone


def fit_statistics(
    stats: np.ndarray,
    settings: _validation.Settings,
    start: np.ndarray,
    window: Window,
    face: Face,
    *,
    scaled_stats: np.ndarray,
    count: Any,
    x_range: tuple[float, float],
    describe: str,
    weighted: bool = False,
) -> FitResult:
    """`_fit.fit_statistics` for many series: stats and scaled_stats (k, 3
    degree + 3), start (degree + 1, k), count the samples of nonzero weight (an
    int, or per series)."""
    degree = settings.degree
    best = series_optimum(scaled_stats, degree)
    trained = best if stats is scaled_stats else series_optimum(stats, degree)
    diagnosis = SeriesDiagnosis(
        degree,
        face,
        best,
        window.scaling,
        trained,
        lambda: x_range,
        None if window.scaling else stats,
        window=(window.shift, window.factor),
        describe=describe,
    )
    if not check_rank(diagnosis, lambda: count, None, False, weighted):
        check_conditioning(diagnosis, "moments")
    lr = diagnosis.lr(settings)
    coef = start.copy()

    def diverged(epoch: int, column: int) -> DivergenceError:
        return _checks.divergence(diagnosis.column(column), settings, epoch, lr, coef, column)

    losses, epochs_run, converged, loss = train_statistics(stats, settings, coef, lr, diverged)
    check_convergence(diagnosis, loss, settings, "moments", epochs_run, converged, start)
    return result(
        coef, losses, loss, settings, lr, epochs_run, converged, "moments", window, diagnosis
    )


def result(
    coef: np.ndarray,
    losses: np.ndarray,
    loss: np.ndarray,
    settings: _validation.Settings,
    lr: float,
    epochs_run: int,
    converged: bool,
    method: str,
    window: Window,
    diagnosis: SeriesDiagnosis,
) -> FitResult:
    """The FitResult of many series; the fit's own arrays are handed over, not
    copied (losses of many series are megabytes)."""
    if 2 * losses.shape[0] < settings.epochs:  # stopped early: free the rest of the buffer
        losses = losses.copy()
    return FitResult._of_fit(
        coef=handed(window.to_x(coef)),
        losses=handed(losses),
        loss=handed(loss),
        degree=settings.degree,
        lr=lr,
        epochs=settings.epochs,
        epochs_run=epochs_run,
        converged=converged,
        method=method,
        optimizer=settings.optimizer,
        domain=(window.lo, window.hi) if window.scaling else None,
        scaled_coef=handed(coef) if window.scaling else None,
        optimal_loss=handed(np.array(diagnosis.optimal, dtype=np.float64)),
    )
