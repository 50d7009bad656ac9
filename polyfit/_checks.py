"""What polyfit says about a fit, before and after training.

Degenerate data (RankWarning), ill-conditioning (ConditioningWarning), a fit
that ends short of the least-squares optimum (ConvergenceWarning) and
divergence (DivergenceError): each names the problem and the remedy, as
keyword arguments of the function that made the fit (its `Face`), computed for
these data -- the epochs plain gradient descent needs from the same start come
from the eigenvalues of G.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import _stats, _validation
from ._errors import (
    ConditioningWarning,
    ConvergenceWarning,
    DivergenceError,
    PolyfitWarning,
    RankWarning,
)
from ._stats import Optimum

# A fit that ends more than this fraction above optimal_loss (and beyond the
# accuracy of the two numbers) is reported; remedies aim at half of it, so
# that the fit they give is not reported again.
TOLERANCE = 0.01
TARGET = 0.005

# No remedy asks for more epochs than this (about 20 s of method="moments"
# epochs at degree 8); beyond it the advice is a lower degree.
MAX_EPOCHS = 10**9

FIT_KEYS = frozenset({"degree", "lr", "epochs", "method", "tol", "scale", "optimizer"})


@dataclass(frozen=True)
class Face:
    """The function that made a fit: remedies are its own keyword arguments.

    keys: the arguments it takes; rescale: its arguments that train with x's
    range mapped onto [-1, 1] (None if it has none, and then rescale_advice
    says what to do instead).
    """

    keys: frozenset[str] = FIT_KEYS
    rescale: Mapping[str, object] | None = field(default_factory=lambda: {"scale": True})
    rescale_advice: str = ""

    def restrict(self, remedy: Mapping[str, object]) -> dict[str, object]:
        return {key: value for key, value in remedy.items() if key in self.keys}


class Diagnosis:
    """What the checks around one fit know, some of it computed only when asked.

    best: the least-squares optimum whose loss the fit reports (optimal_loss),
    from statistics that resolve it -- those of the training variable when they
    are well conditioned, else those of x's range scaled onto [-1, 1];
    scaled_best: the optimum in that scaled variable, which remedies reason in
    (computed on first use by `scaled_optimum` unless given); scaled: whether
    training runs in such a variable; train_eigen: G's eigenvalues in the
    training variable; train_stats: the statistics training runs on when it does
    not run in the scaled variable (None if not needed); x_range() gives x's
    range (read on first use: only messages need it); shift: the training
    variable's u = (x - shift) * factor, for the largest |u|.
    """

    def __init__(
        self,
        degree: int,
        face: Face,
        best: Optimum,
        scaled: bool,
        train_eigen: np.ndarray,
        x_range: Callable[[], tuple[float, float]],
        train_stats: np.ndarray | None = None,
        scaled_optimum: Callable[[], Optimum] | None = None,
        window: tuple[float, float] = (0.0, 1.0),
        describe: str | None = None,
    ) -> None:
        self.degree = degree
        self.face = face
        self.best = best
        self.scaled = scaled
        self.train_eigen = train_eigen
        self.train_stats = train_stats
        self._x_range = x_range
        self._scaled_optimum = scaled_optimum
        self._window = window  # (shift, factor) of the training variable
        self._describe = describe
        self._found_range: tuple[float, float] | None = None
        self._found_scaled: Optimum | None = None

    # Computed on first use and kept (plain attributes: functools.cached_property
    # takes a lock on Python 3.11, a microsecond that every warning paid).
    @property
    def x_range(self) -> tuple[float, float]:
        if self._found_range is None:
            self._found_range = self._x_range()
        return self._found_range

    @property
    def scaled_best(self) -> Optimum:
        if self._found_scaled is None:
            if self.scaled or self._scaled_optimum is None:
                self._found_scaled = self.best
            else:
                self._found_scaled = self._scaled_optimum()
        return self._found_scaled

    @property
    def max_abs_x(self) -> float:
        """The largest |u| of the training variable."""
        shift, factor = self._window
        lo, hi = self.x_range
        return factor * max(abs(lo - shift), abs(hi - shift))

    @property
    def describe(self) -> str:
        if self._describe is not None:
            return self._describe
        lo, hi = self.x_range
        return f"x in [{lo:g}, {hi:g}]" + (" scaled to [-1, 1]" if self.scaled else "")

    @property
    def can_rescale(self) -> bool:
        return not self.scaled and self.face.rescale is not None


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def stacklevel() -> int:
    """The stack level of the first frame outside polyfit (the user's call)."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def _warn(warning: PolyfitWarning) -> None:
    warnings.warn(warning, stacklevel=stacklevel())


def check_rank(
    diagnosis: Diagnosis,
    count: int,
    distinct: Callable[[], int] | None,
    scale: bool,
    weighted: bool = False,
    where: str = "",
) -> bool:
    """Warn (RankWarning) when there are fewer distinct x than degree + 1.

    Only looked into when the samples are too few or G is singular to working
    precision, so the common case costs nothing: then x's range tells constant
    x, and distinct() counts the distinct x of data in memory; for statistics
    alone (distinct None) the count is known only when x is constant or the
    samples are too few.  Returns whether it warned.

    weighted: the fit has sample weights.  A sample of weight 0 adds nothing
    to G and counts nowhere: distinct() counts the distinct x of nonzero
    weight, `count` is at least the number of samples of nonzero weight, and
    x's range is theirs.  where: prefixed to the problem (for many series,
    the series it is about).
    """
    degree = diagnosis.degree
    if degree == 0 or (count >= degree + 1 and diagnosis.best.rank >= degree + 1):
        return False
    lo, hi = diagnosis.x_range
    if lo == hi:
        found = 1
    elif distinct is None:
        if count >= degree + 1:
            return False  # singular to working precision: the conditioning check says so
        found = count
    else:
        found = distinct()
    if found >= degree + 1:
        return False
    if found == 1:
        samples = "samples of nonzero sample_weight" if weighted else "samples"
        problem = (
            f"x is constant (all {count} {samples} have x = {lo:g}): a polynomial of degree "
            f"{degree} is not determined by its value at one x"
            + (", and scale=True has no range to map onto [-1, 1]" if scale else "")
        )
    else:
        bound = "" if distinct is not None else "at most "
        which = " of nonzero sample_weight" if weighted else ""
        problem = (
            f"{bound}{found} distinct x{which} for degree {degree}: infinitely many "
            f"polynomials of degree {degree} fit these data equally well"
        )
    problem = where + problem + "; the fit returns one of them"
    _warn(RankWarning(problem, diagnosis.face.restrict({"degree": found - 1})))
    return True


def check_conditioning(diagnosis: Diagnosis, method: str, where: str = "") -> None:
    """Warn (ConditioningWarning) when cond(G) in the training variable is beyond
    CONDITION_LIMIT: for method="moments" the power sums cannot carry the
    gradient, for both methods gradient descent cannot get near the optimum.
    The remedy scales x, or lowers the degree where scaling is not enough.
    where: prefixed to the problem."""
    condition = _stats.condition(diagnosis.train_eigen)
    if condition < _stats.CONDITION_LIMIT:
        return
    degree = diagnosis.degree
    if method == "moments":
        problem = (
            f"the power sums of degree {degree} over {diagnosis.describe} are ill-conditioned "
            f"in float64 (cond(G) = {condition:.2g}): the gradients they give keep few or no "
            "correct digits"
        )
    else:
        problem = (
            f"gradient descent of degree {degree} over {diagnosis.describe} is "
            f"ill-conditioned (cond(G) = {condition:.2g}): along G's weakest direction an "
            "epoch removes about 1/cond(G) of the error, so no practical number of epochs "
            "gets near the optimum"
        )
    remedy: dict[str, object] = {}
    if not diagnosis.scaled:
        if diagnosis.face.rescale is not None:
            remedy.update(diagnosis.face.rescale)
        else:
            problem += f"; {diagnosis.face.rescale_advice}"
    if diagnosis.scaled or remedy:
        lower = _stats.best_degree(diagnosis.scaled_best.gram)
        if lower < degree:
            if "degree" in diagnosis.face.keys:
                remedy["degree"] = lower
            else:
                problem += f"; degree {lower} is the highest that is well conditioned here"
    _warn(ConditioningWarning(where + problem, remedy))


def _round_up(epochs: int) -> int:
    """Up to two significant digits: 21372 -> 22000."""
    if epochs < 100:
        return epochs
    unit: int = 10 ** (len(str(epochs)) - 2)
    return -(-epochs // unit) * unit


def check_convergence(
    diagnosis: Diagnosis,
    loss: float,
    settings: _validation.Settings,
    method: str,
    epochs_run: int,
    converged: bool,
    start: np.ndarray,
    where: str = "",
    largest: float | None = None,
) -> None:
    """Warn (ConvergenceWarning) when the fit ended more than 1 % above the
    optimum (and beyond the accuracy of the two losses).

    Not checked when nothing was asked (epochs=0) or a callback stopped the
    fit; a fit stopped by tol is checked like any other (tol measures the
    progress of one epoch, not the distance to the optimum).  The remedy is
    the call that gets there from the same start: the epochs plain gradient
    descent with lr="auto" needs (from G's eigenvalues), with x scaled if it
    was not, method="moments" for the many epochs (one pass over the data),
    and tol=None so that tol does not stop it first.  where: prefixed to the
    problem; largest: the eigenvalue lr="auto" is taken from when it is not
    this G's own (many series with a weight per value share one step).
    """
    best = diagnosis.best
    if settings.epochs == 0 or (epochs_run < settings.epochs and not converged):
        return
    excess = loss - best.loss
    if excess <= TOLERANCE * best.loss + best.slack:  # the floor below is at least the slack
        return
    face = diagnosis.face
    rescale = diagnosis.can_rescale
    if diagnosis.scaled or rescale or diagnosis.train_stats is None:
        model = diagnosis.scaled_best  # training (as the remedy has it) runs scaled
    elif diagnosis.best.stats is diagnosis.train_stats:
        model = best
    else:
        model = _stats.optimum(diagnosis.train_stats, diagnosis.degree)
    # Losses are known to best.slack; and gradient descent is not asked to remove
    # more than all but ~1e-13 of the start's excess (where the optimum is 0, as
    # for y = 0, "within 1 %" would otherwise mean exactly 0).
    # The epochs needed to get within TARGET * best.loss + floor / 2, floor =
    # slack + floor_scale * the start's excess: one compiled call, unless the
    # step is another G's (largest), whose rates decay() sets.
    floor_scale = _stats.SLACK * (diagnosis.degree + 1) * _stats.EPS
    needed: int | None
    if largest is None:
        initial, needed = _stats.descent(
            model, start, TARGET * best.loss, best.slack, floor_scale, MAX_EPOCHS
        )
    else:
        approach = _stats.decay(model, start, largest)
        initial = approach.initial
        needed = approach.epochs_needed(
            TARGET * best.loss + 0.5 * (best.slack + floor_scale * initial), MAX_EPOCHS
        )
    floor = best.slack + floor_scale * initial
    if excess <= TOLERANCE * best.loss + floor:
        return
    if best.loss <= best.slack:  # zero, to the accuracy of the statistics
        above = "above the least-squares optimum, which fits the data exactly"
    elif excess < best.loss:
        above = f"{100.0 * excess / best.loss:.2g}% above the least-squares optimum"
    else:
        above = f"at {loss / best.loss:.3g} times the least-squares optimum"
    problem = where + (
        f"the fit of degree {diagnosis.degree} ended {above} (loss {loss:.6g}, optimal_loss "
        f"{best.loss:.6g}) after {epochs_run} epochs" + (" (stopped by tol)" if converged else "")
    )
    advice = (
        f" ({face.rescale_advice} to train faster)"
        if not rescale and not diagnosis.scaled and face.rescale is None
        else ""
    )
    remedy: dict[str, object] = {}
    if needed is None:  # no plain gradient descent gets there: say so, suggest nothing
        condition = _stats.condition(model.eigenvalues)
        problem += (
            f"; plain gradient descent would need more than {MAX_EPOCHS:.0e} epochs to get "
            f"within {TOLERANCE:.0%} (cond(G) = {condition:.2g}){advice}: fit a lower degree, "
            "or take numpy.polynomial.Polynomial.fit's least squares"
        )
        _warn(ConvergenceWarning(problem, remedy))
        return
    if rescale and face.rescale is not None:
        remedy.update(face.rescale)
    if settings.lr != "auto":
        remedy["lr"] = "auto"
    if settings.optimizer != "gd":
        remedy["optimizer"] = "gd"
    if settings.tol > 0.0:
        remedy["tol"] = None
    epochs = _round_up(needed)
    if epochs > settings.epochs:
        remedy["epochs"] = epochs
        if method == "exact" and "method" in face.keys:
            remedy["method"] = "moments"  # one pass over the data, then cheap epochs
    where = " on scaled x" if rescale or diagnosis.scaled else ""
    problem += (
        f"; plain gradient descent with lr='auto'{where} gets within {TOLERANCE:.0%} "
        f"from the same start in {needed} epochs"
        + (", but this one did not" if not remedy else advice)
    )
    _warn(ConvergenceWarning(problem, face.restrict(remedy)))


def divergence(
    diagnosis: Diagnosis,
    settings: _validation.Settings,
    epoch: int,
    lr: float,
    coef: np.ndarray,
    column: int | None = None,
) -> DivergenceError:
    """The DivergenceError for a non-finite loss or coefficient (the data are
    finite): powers of x beyond float64 (blamed on the degree and x's range),
    or a step too large (lr="auto" takes a stable one).  column: for many
    series, the one that diverged (named in the message; `diagnosis` is its)."""
    where = "" if column is None else f" in series {column} (y[:, {column}])"
    degree = diagnosis.degree
    face = diagnosis.face
    remedy: dict[str, object] = {}
    largest = diagnosis.max_abs_x
    if degree > 0 and largest > 1.0 and 2 * degree * math.log2(largest) >= 1024:
        problem = (
            f"training diverged at epoch {epoch}{where}: x**{2 * degree} overflows float64 for |x| "
            f"up to {largest:g} (degree {degree} over {diagnosis.describe}), whatever the lr"
        )
        if diagnosis.can_rescale and face.rescale is not None:
            remedy.update(face.rescale)
        else:
            highest = max(0, math.floor(1023 / (2 * math.log2(largest))))
            remedy["degree"] = min(highest, degree - 1)
            if diagnosis.face.rescale is None:
                problem += f"; {face.rescale_advice}"
        return DivergenceError(epoch, lr, coef, problem, face.restrict(remedy), column)
    problem = (
        f"training diverged at epoch {epoch}{where}: the loss or a coefficient became non-finite "
        f"with lr={lr:.3g}, a step too large for these data"
    )
    largest_eigen = float(diagnosis.train_eigen[-1])
    if settings.optimizer == "gd" and math.isfinite(largest_eigen) and largest_eigen > 0.0:
        problem += f" (plain gradient descent is stable here for lr < {1.0 / largest_eigen:.3g})"
    if settings.lr != "auto":
        remedy["lr"] = "auto"
    if diagnosis.can_rescale and face.rescale is not None:
        remedy.update(face.rescale)
    return DivergenceError(epoch, lr, coef, problem, face.restrict(remedy), column)
