"""The sufficient statistics of squared loss, on the numpy side.

For p(u) = sum c_k u^k the loss is  L(c) = c.G c - 2 c.T + sum y^2  and its
gradient is 2 (G c - T), with the power sums S_k = sum u^k (k <= 2d) in the
Hankel matrix G_jk = S_(j+k), T_k = sum u^k y (k <= d).  The compiled kernel
collects them in one pass (layout: S_0..S_2d, T_0..T_d, sum y^2) and trains on
them; this module reads them: the step size, the conditioning, and
the affine window that scale=True trains in.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import Polynomial

from ._errors import PolyfitWarning

# cond(G) beyond this leaves fewer than ~3 significant digits in the gradient
# computed from float64 power sums (eps * cond > 1e-3 of its size).
CONDITION_LIMIT = 1e13


class ConditioningWarning(PolyfitWarning, RuntimeWarning):
    """The power sums of the data lose most of their meaning in float64."""


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


def auto_lr(eigen: np.ndarray) -> float:
    """1 / (2 lambda_max(G)): the step 1/L for the loss's Lipschitz constant L = 2
    lambda_max, with which every epoch of gradient descent lowers the loss."""
    largest = float(eigen[-1])
    if not math.isfinite(largest) or largest <= 0.0:
        raise ValueError(
            f"lr='auto' needs a positive definite G; its largest eigenvalue is {largest}"
        )
    return 0.5 / largest


def check_conditioning(eigen: np.ndarray, degree: int, describe_data: Callable[[], str]) -> None:
    """Warn when float64 power sums cannot carry the gradient for this data.

    eigen: G's eigenvalues; describe_data() says which data (their x range),
    computed only for the warning.
    """
    smallest, largest = float(eigen[0]), float(eigen[-1])
    condition = largest / smallest if smallest > 0.0 else math.inf
    if not condition < CONDITION_LIMIT:
        warnings.warn(
            ConditioningWarning(
                f"the power sums of degree {degree} over {describe_data()} are ill-conditioned "
                f"in float64 (cond(G) = {condition:.2g}): the gradients they give keep few or "
                "no correct digits. Use scale=True, a lower degree, or method='exact'."
            ),
            stacklevel=4,
        )


@dataclass(frozen=True)
class Window:
    """The affine map u = (x - shift) * factor of [lo, hi] onto [-1, 1], as in
    numpy.polynomial's domain and window; the identity when scaling is off."""

    lo: float
    hi: float
    shift: float = 0.0
    factor: float = 1.0

    @classmethod
    def identity(cls) -> Window:
        return cls(-1.0, 1.0)

    @classmethod
    def of(cls, lo: float, hi: float) -> Window:
        half = (hi - lo) / 2.0
        shift = lo / 2.0 + hi / 2.0
        if not half > 0.0:  # one distinct x: only the shift is meaningful
            return cls(shift - 1.0, shift + 1.0, shift, 1.0)
        return cls(lo, hi, shift, 1.0 / half)

    @property
    def scaling(self) -> bool:
        return (self.shift, self.factor) != (0.0, 1.0)

    def map(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.shift) * self.factor

    def polynomial(self, coef_u: np.ndarray) -> Polynomial:
        """p as a function of x, with coefficients in u (numpy's own representation)."""
        if not self.scaling:
            return Polynomial(coef_u.copy())
        return Polynomial(coef_u.copy(), domain=[self.lo, self.hi], window=[-1.0, 1.0])

    def to_x(self, coef_u: np.ndarray) -> np.ndarray:
        """The same polynomial's coefficients in x, lowest power first."""
        if not self.scaling:
            return coef_u.copy()
        converted = self.polynomial(coef_u).convert().coef
        out = np.zeros(coef_u.shape[0])
        out[: converted.shape[0]] = converted  # convert() trims trailing zeros
        return out
