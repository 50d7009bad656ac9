"""polyfit.Moments and polyfit.fit_stream: the statistics of data seen in chunks."""

from __future__ import annotations

import ast
import contextlib
import itertools
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import IO, Any

import numpy as np
from numpy.typing import ArrayLike

from . import _fit, _stats, _validation
from ._checks import Face
from ._result import FitResult
from ._stats import Window

# Moments of a higher degree are refused (and `load` refuses files claiming
# one): their power sums carry no usable information in float64, and the
# bound keeps every file's size, and the time to read it, small.
MAX_DEGREE = 1000


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()  # a domain must be given (None is a choice, not a default)

DOMAIN_ADVICE = (
    "domain=(lo, hi), the range of x over all the data (the statistics are then taken "
    "with it scaled onto [-1, 1], as fit(..., scale=True) trains), or domain=None to "
    "keep x unscaled (only for x already in about [-1, 1])"
)


# The totals are kept exactly, as Python ints in units of 2**-1074 (every float64
# is a whole number of them): a chunk's float64 sums are converted in a few
# numpy operations and added as integers, many series at once, and rounded back
# by int / int (correctly rounded, as Fraction's float()).
UNIT_BITS = 1074
UNIT = 1 << UNIT_BITS


def _units(values: np.ndarray) -> np.ndarray:
    """Finite float64 values as exact integers of 2**-1074 (an object array)."""
    mantissa, exponent = np.frexp(values)
    integers = (mantissa * 2.0**53).astype(np.int64).astype(object)  # exact: 53 bits
    shift = exponent.astype(np.int64) + (UNIT_BITS - 53)  # < 0 only for subnormals,
    up = np.maximum(shift, 0).astype(object)  # whose low bits are then zeros
    down = np.maximum(-shift, 0).astype(object)
    units: np.ndarray = (integers << up) >> down
    return units


def _floats(units: np.ndarray) -> np.ndarray:
    """The totals rounded to float64 (OverflowError beyond its range)."""
    return np.asarray(units / UNIT, dtype=np.float64)


def _as_domain(domain: object, owner: str) -> tuple[float, float] | None:
    if domain is REQUIRED:
        raise TypeError(
            f"{owner} needs {DOMAIN_ADVICE}: a stream's range is not known before its "
            "data, and unscaled x is what makes gradient descent fail on ordinary data"
        )
    if domain is None:
        return None
    try:
        lo, hi = (float(v) for v in np.asarray(domain, dtype=np.float64).reshape(2))
    except (TypeError, ValueError):
        raise TypeError(
            f"domain must be a pair (lo, hi) of numbers or None, got {domain!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"domain must be finite, got {domain!r}")
    if not lo < hi:
        raise ValueError(
            f"domain must have lo < hi, got {domain!r}: a domain of zero width cannot be "
            "mapped onto [-1, 1]"
        )
    half = hi / 2.0 - lo / 2.0
    if not (half > 0.0 and math.isfinite(1.0 / half)):
        raise ValueError(f"domain {domain!r} is too narrow to be mapped onto [-1, 1] in float64")
    return lo, hi


class Moments:
    """The sufficient statistics of squared loss for a polynomial of `degree`.

    For a fit y ~ p(u) of degree d they are the power sums S_k = sum w u^k
    (k <= 2d), T_k = sum w u^k y (k <= d) and sum w y^2 (w the sample weights,
    1 unless `update` is given some), with u the scaled
    u = (x - mid) / half that maps `domain` = [lo, hi] onto [-1, 1] (what
    ``fit(..., scale=True)`` trains in), or u = x with ``domain=None``.  Each
    `update` adds a chunk in one compiled pass; ``a + b`` (or ``a.merge(b)``)
    combines statistics of disjoint data.

    The totals are kept exactly, as fractions of the float64 sums of each chunk,
    so combining is associative and commutative bit for bit: the statistics do
    not depend on the order or grouping in which chunks are combined (a tree
    reduction on a cluster gives what a loop gives).  They are rounded to
    float64 once, for training.

    Parameters
    ----------
    degree : int
        Degree of the polynomial, 0 <= degree <= 1000.
    domain : (float, float) or None
        Required.  (lo, hi) with lo < hi: the range of x over all the data,
        which every chunk must lie in (a chunk with x outside it raises
        ValueError and is not added: the statistics stay as they were).
        ``None``: statistics of x itself, unscaled -- only for x already in
        about [-1, 1]; on other data gradient descent converges slowly or not
        at all, and power sums of high degree lose their digits.  There is no
        default because a stream's range is not known before its data: a
        domain taken from the first chunk would reject the next chunk of a
        time series, and raw x is the failure this package defaults away from.

    Many series: chunks with a 2-D y of shape (n, k) (k series sharing x, as
    `polyfit.fit` takes them) collect every series' statistics, and `fit`
    fits all of them (``stats`` has shape (k, 3 degree + 3)).  The first chunk
    fixes the number of series; every later chunk, and every Moments merged in,
    must have as many.

    Attributes
    ----------
    degree : int
    domain : (float, float) or None
    series : int or None
        The number of series (columns of y) for statistics of a 2-D y; None for
        a 1-D y, or before the first chunk.
    count : int, or numpy.ndarray of shape (series,)
        Samples added (those of weight 0 are dropped: not counted); for many
        series, per series (with one weight per value they differ).
    x_range : (float, float) or None
        The smallest and largest x added, of nonzero weight (in some series;
        None before the first such sample).
    weighted : bool
        Whether a chunk came with weights other than 1: S_0 is then the total
        weight, not `count`.  (``==`` compares the statistics, count and
        x_range, not this flag: weights of 1 are no weights.)

    Raises
    ------
    TypeError
        Without `domain`.
    ValueError
        For a domain of zero width (lo == hi), reversed or not finite.

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(0, 10, 1000)
    >>> stats = polyfit.Moments(2, domain=(0, 10))
    >>> stats = stats.update(x[:600], x[:600] ** 2).update(x[600:], x[600:] ** 2)
    >>> stats.count, stats.x_range
    (1000, (0.0, 10.0))
    >>> result = stats.fit(epochs=500)
    >>> bool(np.allclose(result.coef, [0.0, 0.0, 1.0], atol=1e-6))
    True
    >>> both = polyfit.Moments(2, domain=(0, 10)).update(x, np.column_stack([x, x**2]))
    >>> both.series, both.stats.shape, both.fit(epochs=500).coef.shape
    (2, (2, 9), (3, 2))
    """

    def __init__(self, degree: int, domain: tuple[float, float] | None = REQUIRED) -> None:
        self.degree = _validation.as_int(degree, "degree", 0)
        if self.degree > MAX_DEGREE:
            raise ValueError(f"degree must be <= {MAX_DEGREE} for Moments, got {self.degree}")
        self.domain = _as_domain(domain, "Moments")
        self._window = Window.identity() if self.domain is None else Window.of(*self.domain)
        self.count: Any = 0
        self.x_range: tuple[float, float] | None = None
        self.weighted = False
        self._shape: tuple[int, ...] | None = None  # () one series, (k,) many; None: not yet
        self._totals: np.ndarray = np.zeros(_stats.width(self.degree), dtype=np.int64).astype(
            object
        )

    @property
    def series(self) -> int | None:
        """The number of series of a 2-D y, or None (a 1-D y, or no chunk yet)."""
        return self._shape[0] if self._shape else None

    @property
    def _sums(self) -> list[Any]:
        """The exact totals as Fractions (a list per series for many)."""
        fractions = np.vectorize(lambda units: Fraction(int(units), UNIT), otypes=[object])
        listed: list[Any] = fractions(self._totals).tolist()
        return listed

    def _check_shape(self, shape: tuple[int, ...], what: str) -> None:
        """Every chunk (and Moments merged in) has the first chunk's number of series."""
        if self._shape is not None and shape != self._shape:
            raise ValueError(
                f"{what} has {_describe_series(shape)}, these Moments "
                f"{_describe_series(self._shape)}: every chunk must have as many series "
                "(columns of y)"
            )

    def _set_shape(self, shape: tuple[int, ...]) -> None:
        if self._shape is None:
            self._shape = shape
            width = _stats.width(self.degree)
            self._totals = np.zeros((*shape, width), dtype=np.int64).astype(object)
            self.count = np.zeros(shape, dtype=np.int64) if shape else 0

    def update(
        self,
        x: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        threads: int | None = None,
    ) -> Moments:
        """Add the chunk (x, y) in one compiled pass; returns self.

        x's minimum and maximum are read first (one compiled pass over x): a
        chunk with x outside the domain raises ValueError naming the first such
        sample, and nothing is added.

        Parameters
        ----------
        x, y : array_like, shape (n,) and (n,) or (n, k)
            The chunk, as `polyfit.fit` takes data (n >= 1, finite); a 2-D y
            holds k series sharing x, and every chunk must then have k.
        sample_weight : array_like, shape (n,) or y's (n, k), optional
            Weights >= 0, finite, as in `polyfit.fit`: each sample adds w u^k,
            w u^k y and w y^2.  A sample of weight 0 is dropped: it adds
            nothing, is not counted, and need not lie in the domain (its x and
            y must still be finite; with a weight per value, a sample is
            dropped when its weight is 0 in every series).  A chunk may have
            all weights 0; a fit needs some nonzero weight (in every series).
            Default: every weight 1.
        threads : int, optional
            Threads for the pass; default as `polyfit.fit`'s.

        Returns
        -------
        Moments
            self, with the chunk added.

        Raises
        ------
        ValueError, TypeError
            For bad data or weights (naming `x`, `y` or `sample_weight`), or x
            of nonzero weight outside the domain; nothing is added.

        Examples
        --------
        >>> import numpy as np, polyfit
        >>> stats = polyfit.Moments(1, domain=(0, 2))
        >>> stats = stats.update([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], sample_weight=[1, 0, 2])
        >>> stats.count, float(stats.stats[0])  # samples of nonzero weight; total weight
        (2, 3.0)
        """
        threads = _validation.as_threads(threads)
        x_array, y_array = _validation.samples(x, y, keep_float32=True, series=True)
        shape = y_array.shape[1:]
        self._check_shape(shape, "this chunk")
        weights = _validation.sample_weights(
            sample_weight, x_array.shape[0], allow_all_zero=True, series=self._series_of(shape)
        )
        if weights is not None and weights.largest == 0.0:  # nothing to add
            _fit.require_finite_data(x_array, y_array)
            self._set_shape(shape)
            self.weighted = True
            return self
        data_x, data_y, values, (lo, hi) = _fit.weighted_data(x_array, y_array, weights)
        if self.domain is not None and not (self.domain[0] <= lo and hi <= self.domain[1]):
            outside = (x_array < self.domain[0]) | (x_array > self.domain[1])
            if weights is not None:
                counted = weights.values > 0.0
                outside &= counted if counted.ndim == 1 else np.any(counted, axis=1)
            index = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"x[{index}] = {float(x_array[index])!r} is outside the domain "
                f"[{self.domain[0]:g}, {self.domain[1]:g}] of these Moments (this chunk spans "
                f"[{lo:g}, {hi:g}]); the domain must cover every chunk. The chunk was not added."
            )
        poll = _fit.poll_signals()
        if shape:
            from . import _series  # here: _series builds on _fit, which this module uses

            chunk = _series.SeriesData(data_x, data_y, values, self.degree, threads, poll)
            sums = chunk.statistics(self._window)
        else:
            chunk_threads = _fit.resolve_threads(threads, data_x.shape[0])
            sums = _fit.statistics(
                data_x, data_y, values, self.degree, self._window, chunk_threads, poll
            )
        self._set_shape(shape)
        self._totals = self._totals + _units(sums)
        if values is None:
            self.count += int(data_x.shape[0])
        else:
            self.count += (
                np.count_nonzero(values, axis=0)
                if values.ndim == 2
                else int(np.count_nonzero(values))
            )
            self.weighted = True
        self.x_range = _union(self.x_range, (lo, hi))
        return self

    @staticmethod
    def _series_of(shape: tuple[int, ...]) -> int | None:
        return shape[0] if shape else None

    def merge(self, other: Moments) -> Moments:
        """The statistics of both data sets (a new object)."""
        if not isinstance(other, Moments):
            raise TypeError(f"can only merge Moments, got {type(other).__name__}")
        if (other.degree, other.domain) != (self.degree, self.domain):
            raise ValueError(
                f"cannot merge Moments of degree {other.degree}, domain {other.domain} into "
                f"degree {self.degree}, domain {self.domain}"
            )
        if other._shape is not None:
            self._check_shape(other._shape, "the other Moments")
        merged = Moments(self.degree, self.domain)
        for part in (self, other):
            if part._shape is not None:
                merged._set_shape(part._shape)
        merged._totals = self._totals + other._totals
        merged.count = self.count + other.count
        merged.x_range = _union(self.x_range, other.x_range)
        merged.weighted = self.weighted or other.weighted
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
        return (
            (self.degree, self.domain, self.x_range) == (other.degree, other.domain, other.x_range)
            and np.array_equal(self.count, other.count)
            and self._totals.shape == other._totals.shape
            and bool(np.all(self._totals == other._totals))
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        series = f", series={self.series}" if self.series is not None else ""
        count = self.count.tolist() if isinstance(self.count, np.ndarray) else self.count
        return (
            f"Moments(degree={self.degree}, domain={self.domain}{series}, count={count}, "
            f"x_range={self.x_range}" + (", weighted=True)" if self.weighted else ")")
        )

    @property
    def stats(self) -> np.ndarray:
        """The statistics rounded to float64: S_0..S_2d, T_0..T_d, sum y^2 (for
        many series a row each, shape (series, 3 degree + 3))."""
        try:
            return _floats(self._totals)
        except OverflowError:
            raise ValueError(
                "the statistics' totals overflow float64: the data's powers or y**2 add "
                "up beyond 1.8e308"
            ) from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to a .npz file (exact: each total as a 'numerator/denominator'
        string; for many series a row of them per series, and a count each)."""
        np.savez(
            path,
            degree=np.int64(self.degree),
            domain=np.array(self.domain if self.domain is not None else [], dtype=np.float64),
            count=np.asarray(self.count, dtype=np.int64),
            x_range=np.array(self.x_range if self.x_range is not None else [], dtype=np.float64),
            sums=np.array(self._sums, dtype=str),
            weighted=np.bool_(self.weighted),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Moments:
        """Read what `save` wrote; any other file raises ValueError naming the field.

        Safe on any file: every field's dtype and shape are read from its
        header and checked, and every stored number's length, before anything
        is parsed, so a file loads in time and memory bounded by the largest
        valid file (degree 1000; for many series, totals of at most 1 GiB as
        stored) or is refused.  The totals must be exact binary fractions of
        the size float64 sums can have, the first (the count of samples as a
        sum, or their total weight) must equal `count` (weighted: be positive
        exactly when `count` is), for every series, and `x_range` must lie in
        `domain`.  A file without the field 'weighted' (written before weights
        existed) holds unweighted statistics.
        """
        fields = _read_fields(path)
        degree = fields["degree"]
        domain = fields["domain"]
        x_range = fields["x_range"]
        count = fields["count"]
        sums = fields["sums"]
        weighted = fields["weighted"]
        try:
            loaded = cls(degree, (domain[0], domain[1]) if domain else None)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: field 'domain': {exc}") from None
        many = isinstance(count, list)
        counts, rows = (count, sums) if many else ([count], [sums])
        if (max(counts) == 0) != (x_range is None):
            raise ValueError(f"{path}: field 'x_range' must be empty exactly when count is 0")
        if (
            x_range is not None
            and loaded.domain is not None
            and not (loaded.domain[0] <= x_range[0] and x_range[1] <= loaded.domain[1])
        ):
            raise ValueError(f"{path}: field 'x_range' {x_range} is outside the domain")
        for column, (number, row) in enumerate(zip(counts, rows, strict=True)):
            which = f" for series {column}" if many else ""
            if not weighted and row[0] != number:
                raise ValueError(
                    f"{path}: field 'sums' does not match field 'count'{which}: its first total "
                    f"(the number of samples) is {row[0]}, count is {number}"
                )
            if weighted and (row[0] < 0 or (row[0] == 0) != (number == 0)):
                raise ValueError(
                    f"{path}: field 'sums' does not match field 'count'{which}: its first total "
                    f"(the total weight) is {float(row[0]):g}, which must be > 0 exactly when "
                    f"count ({number}) is"
                )
            if number == 0 and any(row):
                raise ValueError(f"{path}: field 'sums' has non-zero totals for count 0{which}")
        if many or count > 0 or weighted:  # else: as a new Moments, for either kind of y
            loaded._set_shape((len(counts),) if many else ())
            loaded._totals = np.array(
                [[total.numerator * (UNIT // total.denominator) for total in row] for row in rows],
                dtype=object,
            ).reshape(loaded._totals.shape)
            loaded.count = np.array(counts, dtype=np.int64) if many else count
        loaded.x_range = x_range
        loaded.weighted = weighted
        return loaded

    def fit(
        self,
        *,
        lr: float | str = "auto",
        epochs: int = 2000,
        init: ArrayLike | None = None,
        seed: Any = None,
        log_every: int = 100,
        callback: Callable[[int, Any, np.ndarray], Any] | None = None,
        tol: float | None = None,
        optimizer: str = "gd",
        momentum: float = 0.9,
        alpha: float = 0.99,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> FitResult:
        """Gradient descent on these statistics; the arguments, defaults, warnings
        and result of ``polyfit.fit(..., method="moments")``.

        Training runs in the variable of the statistics (the domain's scaled x,
        or x itself with ``domain=None``).  Statistics of many series fit them
        all at once, as `polyfit.fit` does a 2-D y (`init` of shape (degree + 1,)
        or (degree + 1, series); the result's arrays have a column per series).
        `FitResult.optimal_loss` is solved
        in a scaled variable: the domain's, or for ``domain=None`` x's range
        (`x_range`), to which the statistics are mapped first.  The remedies of
        its warnings are arguments of this method; where scaling x would help,
        the message says to collect the statistics with a domain.
        """
        advice = (
            f"collect the statistics with Moments({self.degree}, domain={self.x_range})"
            if self.x_range is not None and self.x_range[0] < self.x_range[1]
            else "collect the statistics with a domain"
        )
        return self._fit_with(
            Face(frozenset({"lr", "epochs", "tol", "optimizer"}), None, advice),
            lr=lr,
            epochs=epochs,
            init=init,
            seed=seed,
            log_every=log_every,
            callback=callback,
            tol=tol,
            optimizer=optimizer,
            momentum=momentum,
            alpha=alpha,
            betas=betas,
            eps=eps,
        )

    def _fit_with(
        self,
        face: Face,
        *,
        lr: float | str = "auto",
        epochs: int = 2000,
        init: ArrayLike | None = None,
        seed: Any = None,
        log_every: int = 100,
        callback: Callable[[int, Any, np.ndarray], Any] | None = None,
        tol: float | None = None,
        optimizer: str = "gd",
        momentum: float = 0.9,
        alpha: float = 0.99,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> FitResult:
        """`fit`, with remedies named as the arguments of `face` (the caller)."""
        if np.max(self.count) == 0 or self.x_range is None:
            if self.weighted:
                raise ValueError(
                    "sample_weight must not be all zero: every sample added to these Moments "
                    "has weight 0, so no sample counts"
                )
            raise ValueError("Moments holds no data: update it with at least one sample")
        if np.min(self.count) == 0:  # many series, one of which got no weight anywhere
            column = int(np.argmin(self.count))
            raise ValueError(
                f"sample_weight must not be all zero in a series: series {column} (y[:, "
                f"{column}]) has weight 0 in every sample added to these Moments"
            )
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
        start = _validation.initial_coef(init, seed, self.degree, series=self.series)
        stats = self.stats
        lo, hi = self.x_range
        if self.domain is not None:
            describe = f"x in the domain [{self.domain[0]:g}, {self.domain[1]:g}] scaled to [-1, 1]"
            scaled_stats = stats
        else:
            describe = f"x in [{lo:g}, {hi:g}] (unscaled)"
            scaled_stats = _stats.rewindow(stats, self.degree, self._window, Window.of(lo, hi))
            if not np.isfinite(scaled_stats).all():  # powers beyond float64: solve as they are
                scaled_stats = stats
        if self.series is not None:
            from . import _series  # here: _series builds on _fit, which this module uses

            return _series.fit_statistics(
                stats,
                settings,
                start,
                self._window,
                face,
                scaled_stats=scaled_stats,
                count=self.count,
                x_range=self.x_range,
                describe=describe,
                weighted=self.weighted,
            )
        return _fit.fit_statistics(
            stats,
            settings,
            start,
            self._window,
            face,
            scaled_stats=scaled_stats,
            count=self.count,
            x_range=self.x_range,
            describe=describe,
            weighted=self.weighted,
        )


def _describe_series(shape: tuple[int, ...]) -> str:
    return f"{shape[0]} series (a 2-D y)" if shape else "one series (a 1-D y)"


def _union(
    a: tuple[float, float] | None, b: tuple[float, float] | None
) -> tuple[float, float] | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


def fit_stream(
    chunks: Iterable[tuple[ArrayLike, ArrayLike] | tuple[ArrayLike, ArrayLike, ArrayLike | None]],
    degree: int = 3,
    *,
    domain: tuple[float, float] | None = REQUIRED,
    threads: int | None = None,
    **fit_options: Any,
) -> FitResult:
    """Fit data that arrive as an iterable of (x, y) chunks, in O(chunk) memory.

    Each chunk is read once into ``Moments(degree, domain)`` (an (x, y, w)
    chunk with its sample weights: ``update(x, y, sample_weight=w)``); training then
    runs on the statistics (``method="moments"``).  `fit_options` are those of
    `Moments.fit` (lr, epochs, init, seed, log_every, callback, tol, optimizer
    and its hyper-parameters), with its defaults (``lr="auto"``, a zero start).

    Parameters
    ----------
    chunks : iterable of (x, y) or (x, y, sample_weight) tuples
        A chunk's sample_weight is as in `polyfit.fit` (None: every weight 1);
        a chunk may have all weights 0, though not every chunk.  y may be 2-D
        (k series sharing x, the same k in every chunk): the fit is then that
        of `polyfit.fit` for a 2-D y.
    degree : int, default 3
    domain : (float, float) or None
        Required, as for `Moments`: (lo, hi) covering x in every chunk (x is
        scaled onto [-1, 1], like ``fit(..., scale=True)``; a chunk outside it
        raises ValueError), or None for unscaled x.
    threads : int, optional
        Threads for each chunk's pass.

    Warns
    -----
    ConvergenceWarning, ConditioningWarning, RankWarning
        As `polyfit.fit`; remedies are arguments of fit_stream (with
        ``domain=None`` that includes ``domain=`` x's range).

    Examples
    --------
    >>> import numpy as np, polyfit
    >>> x = np.linspace(0, 10, 10_000)
    >>> chunks = ((x[i:i + 1000], np.cos(x[i:i + 1000])) for i in range(0, x.size, 1000))
    >>> result = polyfit.fit_stream(chunks, 2, domain=(0, 10), epochs=1000)
    >>> result.method, result.domain
    ('moments', (0.0, 10.0))
    """
    domain = _as_domain(domain, "fit_stream")
    moments = Moments(degree, domain)
    for item in chunks:
        parts: tuple[Any, ...] = ()
        if not (isinstance(item, np.ndarray) and item.ndim != 2):  # rows of a 2-D array
            with contextlib.suppress(TypeError):  # not iterable: no parts
                parts = tuple(itertools.islice(item, 4))
        if len(parts) not in (2, 3):
            raise TypeError(
                "chunks must yield (x, y) pairs or (x, y, sample_weight) triples, got "
                f"{type(item).__name__} {str(item)[:40]}"
            )
        weight = parts[2] if len(parts) == 3 else None
        moments.update(parts[0], parts[1], sample_weight=weight, threads=threads)
    keys = frozenset({"degree", "lr", "epochs", "tol", "optimizer", "domain"})
    x_range = moments.x_range
    rescale = {"domain": x_range} if x_range is not None and x_range[0] < x_range[1] else None
    face = Face(keys, rescale, "pass fit_stream a domain covering x")
    return moments._fit_with(face, **fit_options)


# ---- Moments.load: a .npz read field by field, every header checked first ----

# A total is a sum over at most 2**63 chunks of float64 values (< 2**1024, in
# multiples of 2**-1074): an exact binary fraction n / 2**k, k <= 1074, with
# |n| < 2**(1024 + 63 + 1074).
MAX_NUMERATOR_BITS = 1024 + 63 + 1074
MAX_DENOMINATOR_BITS = 1075
MAX_TOTAL_CHARS = 1 + 651 + 1 + 324  # sign, numerator and denominator digits, '/'
_TOTAL = re.compile(r"(-?[0-9]{1,651})(?:/([0-9]{1,324}))?")
MAX_HEADER = 10_000  # bytes of a .npy header (numpy writes < 200 for these fields)
FIELDS = ("degree", "domain", "count", "x_range", "sums")  # required; "weighted" optional
MAX_SERIES_BYTES = 1 << 30  # the totals of many series, as stored


def _npy_header(member: IO[bytes], where: str) -> tuple[np.dtype[Any], tuple[int, ...]]:
    """The dtype and shape of a .npy stream, checked, without reading its data."""
    magic = member.read(8)
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY":
        raise ValueError(f"{where} is not a numpy array")
    major = magic[6]
    if major not in (1, 2, 3):
        raise ValueError(f"{where} has an unknown .npy format version {major}")
    length_bytes = member.read(2 if major == 1 else 4)
    length = int.from_bytes(length_bytes, "little")
    if len(length_bytes) != (2 if major == 1 else 4) or length > MAX_HEADER:
        raise ValueError(f"{where} has a .npy header of {length} bytes (at most {MAX_HEADER})")
    text = member.read(length)
    if len(text) != length:
        raise ValueError(f"{where} is truncated")
    try:
        header = ast.literal_eval(text.decode("latin1" if major < 3 else "utf8"))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeError):
        raise ValueError(f"{where} has an unreadable .npy header") from None
    if (
        not isinstance(header, dict)
        or not isinstance(header.get("descr"), str)
        or not isinstance(header.get("shape"), tuple)
        or not all(type(n) is int and 0 <= n <= 1 << 32 for n in header["shape"])
        or not isinstance(header.get("fortran_order"), bool)
    ):
        raise ValueError(f"{where} has an invalid .npy header")
    try:
        dtype = np.dtype(header["descr"])
    except (TypeError, ValueError):
        raise ValueError(f"{where} has an unknown dtype {header['descr']!r}") from None
    return dtype, header["shape"]


def _read_array(
    archive: zipfile.ZipFile,
    name: str,
    where: str,
    kinds: str,
    shapes: Callable[[tuple[int, ...]], bool],
    max_itemsize: int,
    max_bytes: int | None = None,
) -> np.ndarray:
    with archive.open(name + ".npy") as member:
        dtype, shape = _npy_header(member, where)
        if dtype.kind not in kinds or dtype.hasobject or dtype.itemsize > max_itemsize:
            raise ValueError(f"{where} has dtype {dtype}, not one this field holds")
        size = math.prod(shape) * dtype.itemsize
        if not shapes(shape) or (max_bytes is not None and size > max_bytes):
            raise ValueError(f"{where} has shape {shape}, not one this field holds")
        data = member.read(size)  # bounded by the checks above
    if len(data) != size:
        raise ValueError(f"{where} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _integer(archive: zipfile.ZipFile, name: str, where: str, upper: int) -> int:
    value = int(_read_array(archive, name, where, "iu", lambda s: s == (), 8)[()])
    if not 0 <= value <= upper:
        raise ValueError(f"{where} is {value}, outside [0, {upper}]")
    return value


def _pair(archive: zipfile.ZipFile, name: str, where: str) -> tuple[float, float] | None:
    values = _read_array(archive, name, where, "f", lambda s: s in ((0,), (2,)), 8)
    if values.size == 0:
        return None
    lo, hi = float(values[0]), float(values[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{where} must be a finite (lo, hi) with lo <= hi, got {(lo, hi)}")
    return lo, hi


def _flag(archive: zipfile.ZipFile, where: str) -> bool:
    return bool(_read_array(archive, "weighted", where, "b", lambda s: s == (), 1)[()])


def _total(text: str, where: str) -> Fraction:
    match = _TOTAL.fullmatch(text)
    if match is None:
        raise ValueError(f"{where} holds {text[:40]!r}, not an exact fraction 'n/d'")
    numerator = int(match.group(1))
    denominator = int(match.group(2)) if match.group(2) is not None else 1
    if (
        denominator < 1
        or denominator & (denominator - 1)
        or denominator.bit_length() > MAX_DENOMINATOR_BITS
        or numerator.bit_length() > MAX_NUMERATOR_BITS
    ):
        raise ValueError(f"{where} holds {text[:40]!r}, beyond what sums of float64 can be")
    return Fraction(numerator, denominator)


def _read_fields(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path}: not a statistics file written by Moments.save ({exc})") from None
    with archive:
        names = set(archive.namelist())
        for name in FIELDS:
            if name + ".npy" not in names:
                raise ValueError(f"{path}: missing field {name!r}")
        try:
            where = f"{path}: field "
            degree = _integer(archive, "degree", where + "'degree'", MAX_DEGREE)
            width = _stats.width(degree)
            texts = _read_array(
                archive,
                "sums",
                where + "'sums'",
                "U",
                lambda s: s == (width,) or (len(s) == 2 and s[0] >= 1 and s[1] == width),
                4 * MAX_TOTAL_CHARS,
                MAX_SERIES_BYTES,
            )
            counts = _read_array(
                archive, "count", where + "'count'", "iu", lambda s: s == texts.shape[:-1], 8
            )
            if not ((counts >= 0) & (counts <= (1 << 63) - 1)).all():
                raise ValueError(
                    f"{where}'count' is {counts.tolist()}, outside [0, {(1 << 63) - 1}]"
                )
            many = texts.ndim == 2
            sums = [
                [
                    _total(str(text), f"{where}'sums'[{f'{row}, ' if many else ''}{k}]")
                    for k, text in enumerate(totals)
                ]
                for row, totals in enumerate(texts.reshape(-1, width))
            ]
            return {
                "degree": degree,
                "count": counts.tolist() if many else int(counts[()]),
                "domain": _pair(archive, "domain", where + "'domain'"),
                "x_range": _pair(archive, "x_range", where + "'x_range'"),
                "sums": sums if many else sums[0],
                "weighted": "weighted.npy" in names and _flag(archive, where + "'weighted'"),
            }
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            RuntimeError,  # an encrypted member
            NotImplementedError,  # a compression zipfile does not know
        ) as exc:
            raise ValueError(f"{path}: unreadable ({exc})") from None
