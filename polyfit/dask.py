"""polyfit.dask: fit data held in dask arrays, on one machine or a cluster.

The power sums (see polyfit.Moments) are computed per chunk by the compiled
kernel on the workers, combined in a tree reduction -- one pass over the data,
one ``compute`` -- and the epochs then run on the client, on the statistics.
Needs the ``[dask]`` extra (``pip install "polyfit[dask]"``); importing polyfit
itself never imports dask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._checks import FIT_KEYS, Face
from ._moments import Moments
from ._result import FitResult

__all__ = ["fit"]


def _chunk_moments(
    x: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    degree: int,
    domain: tuple[float, float] | None,
    offset: int,
) -> Moments:
    """Run on a worker: the statistics of one chunk (single-threaded: the
    workers already run chunks side by side), weighted if `sample_weight` is
    given (a chunk may have all weights 0).  y (and the weights) may be 2-D:
    rows of k series.  A NaN, an infinity or a negative weight is named by its
    index in the whole array: offset + its row in the chunk."""
    where = f"(in the chunk that starts at sample {offset})"
    try:
        return Moments(degree, domain).update(x, y, sample_weight=sample_weight, threads=1)
    except ValueError as error:
        for name, values in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            array = np.asarray(values)
            if array.dtype.kind in "fc" and not np.isfinite(array).all():
                index = np.argwhere(~np.isfinite(array))[0]
                raise ValueError(
                    f"{name} must be finite; {name}{_at(index, offset)} is "
                    f"{array[tuple(index)]} {where}"
                ) from None
        weights = np.asarray(sample_weight)
        if sample_weight is not None and weights.dtype.kind in "biuf" and (weights < 0).any():
            index = np.argwhere(weights < 0)[0]
            raise ValueError(
                f"sample_weight must be >= 0; sample_weight{_at(index, offset)} is "
                f"{float(weights[tuple(index)])!r} {where}"
            ) from None
        raise ValueError(f"{error} {where}") from None


def _at(index: np.ndarray, offset: int) -> str:
    """'[i]' or '[i, j]' in the whole array, for an index in a chunk starting at offset."""
    whole = [offset + int(index[0]), *(int(i) for i in index[1:])]
    return "[" + ", ".join(str(i) for i in whole) + "]"


def _merge_all(parts: list[Moments]) -> Moments:
    """Run on a worker: one node of the tree reduction."""
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def fit(
    x: Any,
    y: Any,
    degree: int = 3,
    *,
    method: str = "moments",
    scale: bool = True,
    split_every: int = 8,
    lr: float | str = "auto",
    epochs: int = 2000,
    init: Any = None,
    seed: Any = None,
    log_every: int = 100,
    callback: Callable[[int, Any, np.ndarray], Any] | None = None,
    tol: float | None = None,
    sample_weight: Any = None,
    **optimizer_options: Any,
) -> FitResult:
    """Fit y ~ p(x) for dask arrays x (1-D) and y (1-D, or 2-D: k series sharing
    x) (or anything dask.array.asarray takes).

    Parameters
    ----------
    x : dask.array.Array, shape (n,)
    y : dask.array.Array, shape (n,) or (n, k)
        The samples; y is rechunked to x's chunks along its rows (a 2-D y into
        chunks of whole rows: every series of a row in one chunk), and fits
        as `polyfit.fit` fits a 2-D y.
    sample_weight : dask.array.Array, shape (n,) or y's (n, k), optional
        Weights >= 0, finite, as in `polyfit.fit` (a weight of 2 is the sample
        twice, a weight of 0 drops it, from x's range too); rechunked like y
        and checked on the workers with the statistics (a bad weight is named
        by its index in the whole array).  A chunk may have all weights 0;
        the data may not (nor, with a weight per value, a series).
    degree, lr, epochs, init, seed, log_every, callback, tol, optimizer_options
        As in `polyfit.fit` (optimizer, momentum, alpha, betas, eps), with its
        defaults: ``lr="auto"``, a zero start unless `init` or `seed`.
    method : {"moments"}
        Only "moments": method="exact" would read the distributed data once per
        epoch, and is refused.
    scale : bool, default True
        As in `polyfit.fit`; x's range then takes one more pass (min and max)
        before the statistics.
    split_every : int
        Fan-in of the tree reduction (>= 2).

    Returns
    -------
    FitResult
        Equal to ``polyfit.fit(x, y, method="moments", ...)`` on the same data in
        memory, to the rounding of the per-chunk sums, `optimal_loss` included.

    Warns
    -----
    ConvergenceWarning, ConditioningWarning, RankWarning
        As `polyfit.fit`, with remedies that are arguments of this function.

    Examples
    --------
    >>> import dask, dask.array as da, numpy as np, polyfit.dask
    >>> x = da.linspace(0, 10, 100_000, chunks=25_000)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     result = polyfit.dask.fit(x, 2 * x + 1, 1)
    >>> [round(float(c), 9) for c in result.coef]
    [1.0, 2.0]
    """
    import importlib

    from . import _validation

    # dask is optional (the [dask] extra) and untyped: imported here, as Any
    try:
        dask: Any = importlib.import_module("dask")
        da: Any = importlib.import_module("dask.array")
    except ImportError as exc:
        raise ImportError(
            f'polyfit.dask.fit needs dask ({exc}): pip install "polyfit[dask]"'
        ) from exc

    if not isinstance(method, str) or method != "moments":
        if method == "exact":
            raise ValueError(
                "method='exact' would pass over the distributed data in every epoch; "
                "polyfit.dask.fit uses method='moments': one pass for the power sums, "
                "then the same gradient descent on them"
            )
        _validation.as_choice(method, "method", ("moments",))
    scale = _validation.as_bool(scale, "scale")
    split_every = _validation.as_int(split_every, "split_every", 2)
    x_array = da.asarray(x)
    y_array = da.asarray(y)
    w_array = None if sample_weight is None else da.asarray(sample_weight)
    arrays = [("x", x_array, 1), ("y", y_array, 2)]
    if w_array is not None:
        arrays.append(("sample_weight", w_array, y_array.ndim))
    for name, array, most in arrays:
        if not 1 <= array.ndim <= most:
            wanted = "1-D" if most == 1 else "1-D or 2-D"
            raise ValueError(f"{name} must be {wanted}, got an array of shape {array.shape}")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype}")
    if x_array.shape[0] != y_array.shape[0]:
        raise ValueError(
            f"x and y must have the same length, got {x_array.shape[0]} and {y_array.shape[0]}"
        )
    if x_array.shape[0] == 0:
        raise ValueError("x and y must not be empty")
    rows = x_array.chunks[0]
    y_array = y_array.rechunk(rows if y_array.ndim == 1 else (rows, -1))  # whole rows
    if w_array is not None:
        if w_array.shape != (x_array.shape[0],) and w_array.shape != y_array.shape:
            if y_array.ndim == 1:
                raise ValueError(
                    f"sample_weight must have one weight per sample: x has {x_array.shape[0]} "
                    f"samples, sample_weight {w_array.shape[0]}"
                )
            raise ValueError(
                f"sample_weight must have shape ({x_array.shape[0]},) (one weight per sample) "
                f"or y's shape {y_array.shape} (one per value), got {w_array.shape}"
            )
        w_array = w_array.rechunk(rows if w_array.ndim == 1 else (rows, -1))

    domain = None
    if scale:
        # x's range over the samples that count (a weight of 0 drops its sample)
        if w_array is None:
            lowest, highest = x_array.min(), x_array.max()
        else:  # a sample counts if its weight is nonzero (in some series)
            counts = w_array > 0 if w_array.ndim == 1 else (w_array > 0).any(axis=1)
            lowest = da.where(counts, x_array, np.inf).min()
            highest = da.where(counts, x_array, -np.inf).max()
        lo, hi = (float(v) for v in dask.compute(lowest, highest))
        if w_array is None and not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("x must be finite; its minimum or maximum is not")
        # constant x has no range to scale: its statistics are taken as they are
        # (and the fit warns that the degree is not determined); with weights,
        # a bad x or weight is named by the chunk that holds it
        if np.isfinite(lo) and np.isfinite(hi) and lo < hi:
            domain = (lo, hi)

    offsets = np.concatenate([[0], np.cumsum(x_array.chunks[0])[:-1]])
    x_blocks = x_array.to_delayed().ravel()
    w_blocks = [None] * len(x_blocks) if w_array is None else w_array.to_delayed().ravel()
    level = [
        dask.delayed(_chunk_moments)(xb, yb, wb, degree, domain, int(offset))
        for xb, yb, wb, offset in zip(
            x_blocks, y_array.to_delayed().ravel(), w_blocks, offsets, strict=True
        )
    ]
    while len(level) > 1:  # a tree: every node merges up to split_every results
        level = [
            dask.delayed(_merge_all)(level[i : i + split_every])
            for i in range(0, len(level), split_every)
        ]
    (moments,) = dask.compute(level[0])
    face = Face(FIT_KEYS - {"method"}, {"scale": True})
    fitted: FitResult = moments._fit_with(
        face,
        lr=lr,
        epochs=epochs,
        init=init,
        seed=seed,
        log_every=log_every,
        callback=callback,
        tol=tol,
        **optimizer_options,
    )
    return fitted
