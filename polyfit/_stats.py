"""The sufficient statistics of squared loss, on the numpy side.

For p(u) = sum c_k u^k the loss is  L(c) = c.G c - 2 c.T + sum y^2  and its
gradient is 2 (G c - T), with the power sums S_k = sum u^k (k <= 2d) in the
Hankel matrix G_jk = S_(j+k), T_k = sum u^k y (k <= d).  The compiled kernel
collects them in one pass (layout: S_0..S_2d, T_0..T_d, sum y^2) and trains on
them; this module reads them: the step size, the conditioning, the
least-squares optimum and how many epochs gradient descent needs to reach it,
and the affine window that scale=True trains in.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import NamedTuple

import numpy as np
from numpy.polynomial import Polynomial

from ._errors import ConditioningWarning

__all__ = ["ConditioningWarning"]  # defined in _errors; kept importable from here

EPS = float(np.finfo(np.float64).eps)

# cond(G) beyond this leaves fewer than ~3 significant digits in the gradient
# computed from float64 power sums (eps * cond > 1e-3 of its size), and makes
# gradient descent remove less than 1e-13 of the error per epoch along G's
# weakest direction.
CONDITION_LIMIT = 1e13

# Eigenvalues of G below RESOLVED * (degree + 1) * eps * lambda_max are rounding
# noise of the float64 sums and of the eigensolver: directions the data do not
# resolve in float64 (exactly zero ones when there are fewer distinct x than
# degree + 1).  The optimum ignores them (least-squares with a cutoff, as
# numpy.linalg.lstsq's rcond does).
RESOLVED = 16.0

# The absolute accuracy of a loss computed from the statistics, as a multiple
# of eps * (degree + 1) * (sum y^2 + |c|.|G||c| + 2 |c|.|T|): the rounding of
# the sums (blocked, so each carries a few eps of its terms) and of the formula.
SLACK = 64.0


_KERNELS = f"{__package__}._kernels"


def _kernel() -> ModuleType:
    """polyfit._kernels, imported on first use (polyfit.reference stays
    kernel-free); a dictionary look-up after that, where an import statement in
    the function costs a microsecond, which a small fit pays several times."""
    kernels = sys.modules.get(_KERNELS)
    if kernels is not None:
        return kernels
    from . import _kernels

    return _kernels


def width(degree: int) -> int:
    return 3 * degree + 3


@functools.lru_cache(maxsize=64)
def _hankel_index(degree: int) -> np.ndarray:
    """index[j, k] = j + k: G = power_sums[index]."""
    index = np.add.outer(np.arange(degree + 1), np.arange(degree + 1))
    index.setflags(write=False)
    return index


def split(stats: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(G, T, sum y^2) from the kernel's layout."""
    gram = stats[_hankel_index(degree)]  # only S_0..S_2d are indexed
    cross = stats[2 * degree + 1 : 3 * degree + 2]
    return gram, cross, float(stats[-1])


def eigenvalues(stats: np.ndarray, degree: int) -> np.ndarray:
    """The eigenvalues of G, ascending."""
    return np.linalg.eigvalsh(split(stats, degree)[0])


def condition(eigen: np.ndarray) -> float:
    """cond(G) from its eigenvalues (inf when G is singular or not finite)."""
    smallest, largest = float(eigen[0]), float(eigen[-1])
    if not (math.isfinite(largest) and smallest > 0.0):
        return math.inf
    return largest / smallest


def auto_lr(eigen: np.ndarray) -> float:
    """1 / (2 lambda_max(G)): the step 1/L for the loss's Lipschitz constant L = 2
    lambda_max, with which every epoch of gradient descent lowers the loss."""
    largest = float(eigen[-1])
    if not math.isfinite(largest) or largest <= 0.0:
        raise ValueError(
            f"lr='auto' needs a positive definite G; its largest eigenvalue is {largest}"
        )
    return 0.5 / largest


def best_degree(gram: np.ndarray, limit: float = CONDITION_LIMIT) -> int:
    """The highest degree whose G (a leading block of this one) has cond < limit."""
    for degree in range(gram.shape[0] - 1, 0, -1):
        block = gram[: degree + 1, : degree + 1]
        if condition(np.linalg.eigvalsh(block)) < limit:
            return degree
    return 0


# Optimum and Decay are made several times around every fit: plain slotted
# dataclasses (a frozen one's __init__ costs five times as much); nothing
# changes them after they are made.
@dataclass(slots=True)
class Optimum:
    """The least-squares optimum of the quadratic the statistics define.

    `coef` minimises L(c) = c.G c - 2 c.T + sum y^2 over the directions the
    float64 statistics resolve (the least-norm minimiser where G is singular);
    `loss` is L there, clamped at 0.  Solved through the eigendecomposition of
    G (compiled Jacobi rotations up to 17 rows, LAPACK beyond), which is well
    conditioned when the statistics are taken in the scaled variable (x's range
    on [-1, 1]).  `slack` is the absolute accuracy of a loss computed from these
    statistics (this one, or a moments fit's).
    """

    eigenvalues: np.ndarray  # of G, ascending
    eigenvectors: np.ndarray  # columns, in the same order
    coef: np.ndarray
    loss: float
    slack: float
    rank: int  # eigenvalues above rounding level
    stats: np.ndarray = field(compare=False, repr=False)  # where it comes from
    degree: int = field(default=0, compare=False, repr=False)

    @property
    def gram(self) -> np.ndarray:
        """G."""
        return split(self.stats, self.degree)[0]

    @property
    def resolved(self) -> np.ndarray:
        """Which eigenvalues are above rounding level."""
        resolved: np.ndarray = self.eigenvalues > _rounding_level(self)
        return resolved


def _rounding_level(best: Optimum) -> float:
    """G's eigenvalues at or below this are rounding noise (see RESOLVED)."""
    size: int = best.eigenvalues.shape[0]
    return RESOLVED * size * EPS * float(best.eigenvalues[-1])


def optimum(stats: np.ndarray, degree: int) -> Optimum:
    """The optimum of the statistics (see `Optimum`)."""
    kernels = _kernel()
    size = degree + 1
    resolved = RESOLVED * size * EPS
    if size <= kernels.SMALL:
        lam, vec, coef = np.empty(size), np.empty((size, size)), np.empty(size)
        loss, scale, rank = kernels.optimum(stats, degree, resolved, lam, vec.reshape(-1), coef)
        return Optimum(lam, vec, coef, loss, SLACK * size * EPS * scale, rank, stats, degree)
    gram, cross, total = split(stats, degree)
    lam, vec = np.linalg.eigh(gram)
    keep = lam > resolved * lam[-1]
    projections = vec[:, keep].T @ cross
    coef = vec[:, keep] @ (projections / lam[keep])
    loss = max(0.0, total - float(np.sum(projections**2 / lam[keep])))
    scale = (
        total
        + float(np.abs(coef) @ np.abs(gram) @ np.abs(coef))
        + 2.0 * float(np.abs(coef) @ np.abs(cross))
    )
    return Optimum(lam, vec, coef, loss, SLACK * size * EPS * scale, int(keep.sum()), stats, degree)


@dataclass(slots=True)
class Decay:
    """How plain gradient descent with lr = 1 / (2 lambda_max) closes on an
    optimum from a start: the loss above the optimum is sum energy_i (the
    excess at the start: `initial`) and each epoch multiplies energy_i by
    exp(2 log_rate_i), for G's eigenvectors above rounding level."""

    energy: np.ndarray
    log_rates: np.ndarray
    initial: float

    def excess_after(self, epochs: np.ndarray) -> np.ndarray:
        """The loss above the optimum after each of `epochs` (>= 0) epochs."""
        counts = np.asarray(epochs, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # 0 * -inf: epoch 0 of the top direction
            factors = np.nan_to_num(
                np.exp(2.0 * np.multiply.outer(self.log_rates, counts)), nan=1.0
            )
        excess: np.ndarray = self.energy @ factors
        return excess

    def epochs_needed(self, excess: float, cap: int) -> int | None:
        """The fewest epochs that take the loss to within `excess` of the optimum,
        or None if more than `cap` are needed (a compiled bisection: the excess
        falls monotonically)."""
        needed = int(_kernel().epochs_needed(self.energy, self.log_rates, excess, cap))
        return None if needed < 0 else needed


def decay(best: Optimum, start: np.ndarray, largest: float | None = None) -> Decay:
    """Gradient descent's approach to `best` from `start` (see Decay).

    largest: the eigenvalue lr="auto" is taken from, when it is larger than
    this G's own (many series with a weight per value share the step of the
    series with the largest); each direction then closes at 1 - lambda_i /
    largest an epoch."""
    size = best.eigenvalues.shape[0]
    energy, log_rates = np.empty(size), np.empty(size)
    limit = _rounding_level(best)
    initial = _kernel().decay(
        best.eigenvalues, best.eigenvectors.reshape(-1), best.coef, start, limit, energy, log_rates
    )
    if largest is not None and largest > float(best.eigenvalues[-1]):
        resolved = best.eigenvalues > limit
        log_rates = np.where(resolved, np.log(1.0 - best.eigenvalues / largest), 0.0)
    return Decay(energy, log_rates, float(initial))


def descent(
    best: Optimum, start: np.ndarray, target: float, slack: float, floor_scale: float, cap: int
) -> tuple[float, int | None]:
    """decay(best, start) and its epochs_needed(target + (slack + floor_scale *
    initial) / 2, cap) in one compiled call: (initial, epochs or None)."""
    initial, needed = _kernel().descent(
        best.eigenvalues,
        best.eigenvectors,
        best.coef,
        start,
        _rounding_level(best),
        target,
        slack,
        floor_scale,
        cap,
    )
    return float(initial), None if needed < 0 else int(needed)


def excess_after(best: Optimum, start: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """The loss above the optimum after each of `epochs` (>= 0) epochs of plain
    gradient descent with lr = 1 / (2 lambda_max) from `start`."""
    return decay(best, start).excess_after(epochs)


def epochs_needed(best: Optimum, start: np.ndarray, excess: float, cap: int) -> int | None:
    """The fewest epochs of plain gradient descent with lr = 1 / (2 lambda_max)
    that take the loss from `start` to within `excess` of the optimum, or None
    if more than `cap` are needed."""
    return decay(best, start).epochs_needed(excess, cap)


class Window(NamedTuple):
    """The affine map u = (x - shift) * factor of [lo, hi] onto [-1, 1], as in
    numpy.polynomial's domain and window; the identity when scaling is off.
    Computed as fma(x, factor, -(shift * factor)) (see map).
    Immutable (a named tuple: made in every scaled fit, where a frozen
    dataclass's __init__ cost half a microsecond)."""

    lo: float
    hi: float
    shift: float = 0.0
    factor: float = 1.0

    @classmethod
    def identity(cls) -> Window:
        return _IDENTITY  # immutable: one instance serves every unscaled fit

    @classmethod
    def of(cls, lo: float, hi: float) -> Window:
        half = hi / 2.0 - lo / 2.0  # halves first: no overflow for any finite lo, hi
        shift = lo / 2.0 + hi / 2.0
        factor = 1.0 / half if half > 0.0 else math.inf
        if not math.isfinite(factor):  # one distinct x: only the shift is meaningful
            return cls(shift - 1.0, shift + 1.0, shift, 1.0)
        return cls(lo, hi, shift, factor)

    @property
    def scaling(self) -> bool:
        return (self.shift, self.factor) != (0.0, 1.0)

    def map(self, x: np.ndarray) -> np.ndarray:
        """u of x as the kernel's passes compute it (x factor - shift factor, with
        one rounding where the instruction set has FMA): a scaled copy trains
        and predicts on the same bits as the passes that scale each sample."""
        flat = np.asarray(x)
        if flat.dtype != np.float32:
            flat = flat.astype(np.float64, copy=False)
        flat = np.ascontiguousarray(flat).reshape(-1)
        out = np.empty(flat.shape[0])
        _kernel().scale_x(flat, self.shift, self.factor, out)
        return out.reshape(np.shape(x))

    def polynomial(self, coef_u: np.ndarray) -> Polynomial:
        """p as a function of x, with coefficients in u (numpy's own representation)."""
        if not self.scaling:
            return Polynomial(coef_u.copy())
        return Polynomial(coef_u.copy(), domain=[self.lo, self.hi], window=[-1.0, 1.0])

    def to_x(self, coef_u: np.ndarray) -> np.ndarray:
        """The same polynomial's coefficients in x, lowest power first (for a
        (degree + 1, k) array, each column's: the same arithmetic per column)."""
        if not self.scaling:
            return coef_u.copy()
        # Horner's rule in polynomials: p = (...(c_d u + c_(d-1)) u + ...) + c_0 with
        # u = a x + b (what numpy.polynomial's convert() does, without its overhead,
        # which every scaled fit pays)
        a, b = self.factor, -self.shift * self.factor
        if coef_u.ndim == 1:  # the same arithmetic on Python floats: 3x faster at this size
            terms = [0.0] * coef_u.shape[0]
            for c in reversed(coef_u.tolist()):
                terms = [b * terms[0] + c] + [
                    a * terms[k - 1] + b * terms[k] for k in range(1, len(terms))
                ]
            return np.array(terms)
        out = np.zeros(coef_u.shape)  # (degree + 1, k): k series at once
        for c in coef_u[::-1]:
            out[1:] = a * out[:-1] + b * out[1:]
            out[0] = b * out[0] + c
        return out

    def gram_in_x(self, gram_u: np.ndarray) -> np.ndarray:
        """G of the powers of x from G of the powers of u, B' G_u B with
        x^k = sum_j C(k, j) (u / factor)^j shift^(k - j) = sum_j u^j B[j, k].
        Rounded (and inf where the powers overflow): for conditioning estimates."""
        size = gram_u.shape[0]
        with np.errstate(all="ignore"):
            binomials = np.zeros(size)  # row k of Pascal's triangle, in float64
            inverse = np.float64(1.0) / np.float64(self.factor)
            shift = np.float64(self.shift)
            basis = np.zeros((size, size))
            for k in range(size):
                binomials[1 : k + 1] = binomials[1 : k + 1] + binomials[:k]
                binomials[0] = 1.0
                for j in range(k + 1):
                    basis[j, k] = binomials[j] * inverse**j * shift ** (k - j)
            gram: np.ndarray = basis.T @ gram_u @ basis
        return gram


_IDENTITY = Window(-1.0, 1.0)


def rewindow(stats: np.ndarray, degree: int, old: Window, new: Window) -> np.ndarray:
    """The statistics of the same data in another window's variable.

    With u' = a u + b (a = factor' / factor, b = (shift - shift') factor'),
    S'_m = sum_j C(m, j) a^j b^(m - j) S_j, and T' likewise (compiled).  In
    float64 the map magnifies the rounding the sums of `old` carry: where
    |u'| <= 1 on the data, the error of S'_m is at most (m + 1) (1 + 2 |b|)^m
    times that of a pass taking S'_m itself (|a u| <= 1 + |b|), so with b near
    0 (a range about the same centre) it is as good as that pass, and for
    large |b| (timestamps) worthless; inf where the powers overflow.  Used to
    solve for the optimum of statistics taken in raw x in the
    better-conditioned variable of x's range.  stats: (3 degree + 3,), or (k,
    3 degree + 3) for many series.
    """
    a = new.factor / old.factor
    b = (old.shift - new.shift) * new.factor
    rows = np.ascontiguousarray(stats, dtype=np.float64).reshape(-1, stats.shape[-1])
    out = np.empty_like(rows)
    _kernel().rewindow(rows, degree, a, b, out)
    return out.reshape(stats.shape)


def rewindow_growth(degree: int, old: Window, new: Window) -> float:
    """How much rewindow may magnify the rounding of the statistics: (1 + 2
    |b|)^(2 degree) (see rewindow)."""
    exponent = 2 * degree * math.log1p(2.0 * abs((old.shift - new.shift) * new.factor))
    return math.exp(exponent) if exponent < 700.0 else math.inf  # inf for NaN too
