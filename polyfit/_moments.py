"""polyfit.Moments and polyfit.fit_stream: the statistics of data seen in chunks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _fit, _stats, _validation
from ._result import FitResult
from ._stats import Window


class Moments:
    """The sufficient statistics of squared loss for a polynomial of `degree`.

    For a fit y ~ p(u) of degree d they are the power sums S_k = sum u^k
    (k <= 2d), T_k = sum u^k y (k <= d) and sum y^2, with u = x, or with
    `domain` the scaled u = (x - mid) / half that maps [lo, hi] onto [-1, 1]
    (``fit(..., scale=True)`` for data that arrive in chunks: the range must be
    known before the first one).  Each `update` adds a chunk in one compiled
    pass; ``a + b`` (or ``a.merge(b)``) combines statistics of disjoint data.

    The totals are kept exactly, as fractions of the float64 sums of each chunk,
    so combining is associative and commutative bit for bit: the statistics do
    not depend on the order or grouping in which chunks are combined (a tree
    reduction on a cluster gives what a loop gives).  They are rounded to
    float64 once, for training.

    Parameters
    ----------
    degree : int
        Degree of the polynomial, >= 0.
    domain : (float, float), optional
        With a domain, statistics are taken in the scaled variable (see above)
        and `fit` returns coefficients in x, like ``fit(..., scale=True)``.

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(-1, 1, 1000)
    >>> stats = polyfit.Moments(2).update(x[:600], x[:600] ** 2).update(x[600:], x[600:] ** 2)
    >>> stats.count
    1000
    >>> result = stats.fit(lr="auto", epochs=500, seed=0)
    """

    def __init__(self, degree: int, domain: tuple[float, float] | None = None) -> None:
        self.degree = _validation.as_int(degree, "degree", 0)
        if domain is None:
            self.domain: tuple[float, float] | None = None
            self._window = Window.identity()
        else:
            lo, hi = (float(v) for v in np.asarray(domain, dtype=np.float64).reshape(2))
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
                raise ValueError(f"domain must be finite (lo, hi) with lo <= hi, got {domain!r}")
            self.domain = (lo, hi)
            self._window = Window.of(lo, hi)
        self.count = 0
        self._sums = [Fraction(0)] * _stats.width(self.degree)

    def update(self, x: ArrayLike, y: ArrayLike, *, threads: int | None = None) -> Moments:
        """Add the chunk (x, y) in one compiled pass; returns self."""
        threads = _validation.as_threads(threads)
        x_array, y_array = _validation.samples(x, y, keep_float32=True)
        chunk = _fit.statistics(
            x_array,
            y_array,
            self.degree,
            self._window,
            _fit.resolve_threads(threads, x_array.shape[0]),
            _fit.poll_signals(),
        )
        self._sums = [
            total + Fraction(float(v)) for total, v in zip(self._sums, chunk, strict=True)
        ]
        self.count += int(x_array.shape[0])
        return self

    def merge(self, other: Moments) -> Moments:
        """The statistics of both data sets (a new object)."""
        if not isinstance(other, Moments):
            raise TypeError(f"can only merge Moments, got {type(other).__name__}")
        if (other.degree, other.domain) != (self.degree, self.domain):
            raise ValueError(
                f"cannot merge Moments of degree {other.degree}, domain {other.domain} into "
                f"degree {self.degree}, domain {self.domain}"
            )
        merged = Moments(self.degree, self.domain)
        merged._sums = [a + b for a, b in zip(self._sums, other._sums, strict=True)]
        merged.count = self.count + other.count
        return merged

    def __add__(self, other: Moments) -> Moments:
        return self.merge(other)

    def __radd__(self, other: object) -> Moments:  # sum(list_of_moments) starts from 0
        if isinstance(other, int) and other == 0:
            return self.merge(Moments(self.degree, self.domain))
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Moments):
            return NotImplemented
        return (self.degree, self.domain, self.count, self._sums) == (
            other.degree,
            other.domain,
            other.count,
            other._sums,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Moments(degree={self.degree}, domain={self.domain}, count={self.count})"

    @property
    def stats(self) -> np.ndarray:
        """The statistics rounded to float64: S_0..S_2d, T_0..T_d, sum y^2."""
        return np.array([float(v) for v in self._sums])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to a .npz file (exact: each total as a 'numerator/denominator' string)."""
        np.savez(
            path,
            degree=np.int64(self.degree),
            domain=np.array(self.domain if self.domain is not None else [], dtype=np.float64),
            count=np.int64(self.count),
            sums=np.array([str(v) for v in self._sums]),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Moments:
        """Read what `save` wrote."""
        with np.load(path, allow_pickle=False) as data:
            domain = data["domain"]
            loaded = cls(int(data["degree"]), tuple(domain) if domain.size else None)
            sums = [Fraction(str(v)) for v in data["sums"]]
            count = int(data["count"])
        if len(sums) != _stats.width(loaded.degree):
            raise ValueError(f"{path}: {len(sums)} sums for degree {loaded.degree}")
        loaded._sums, loaded.count = sums, count
        return loaded

    def fit(
        self,
        *,
        lr: float | str = 1e-6,
        epochs: int = 2000,
        init: ArrayLike | None = None,
        seed: Any = None,
        log_every: int = 100,
        callback: Callable[[int, float, np.ndarray], Any] | None = None,
        tol: float | None = None,
        optimizer: str = "gd",
        momentum: float = 0.9,
        alpha: float = 0.99,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> FitResult:
        """Gradient descent on these statistics; the arguments and result of
        ``polyfit.fit(..., method="moments")``."""
        if self.count == 0:
            raise ValueError("Moments holds no data: update it with at least one sample")
        settings = _validation.settings(
            self.degree,
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
        )
        coef = _validation.initial_coef(init, seed, self.degree)
        where = (
            f"x in the domain [{self.domain[0]:g}, {self.domain[1]:g}] (scaled to [-1, 1])"
            if self.domain is not None
            else f"the {self.count} samples seen (unscaled x)"
        )
        return _fit.fit_statistics(self.stats, settings, coef, self._window, lambda: where)


def fit_stream(
    chunks: Iterable[tuple[ArrayLike, ArrayLike]],
    degree: int = 3,
    *,
    domain: tuple[float, float] | None = None,
    threads: int | None = None,
    **fit_options: Any,
) -> FitResult:
    """Fit data that arrive as an iterable of (x, y) chunks, in O(chunk) memory.

    Each chunk is read once into `Moments`; training then runs on the
    statistics (``method="moments"``).  `fit_options` are those of
    `Moments.fit` (lr, epochs, init, seed, log_every, callback, tol, optimizer
    and its hyper-parameters); `domain`
    scales x as ``scale=True`` does.

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(-1, 1, 10_000)
    >>> chunks = ((x[i:i + 1000], np.cos(x[i:i + 1000])) for i in range(0, x.size, 1000))
    >>> result = polyfit.fit_stream(chunks, degree=2, lr="auto", epochs=1000, seed=0)
    >>> result.method
    'moments'
    """
    moments = Moments(degree, domain)
    for item in chunks:
        try:
            x, y = item
        except (TypeError, ValueError):
            raise TypeError("chunks must yield (x, y) pairs") from None
        moments.update(x, y, threads=threads)
    return moments.fit(**fit_options)
