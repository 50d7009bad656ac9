"""Checks and conversions shared by polyfit.fit and polyfit.reference.fit.

Everything the compiled kernel relies on is established here, once, with a
message that names the argument: 1-D C-contiguous float32/float64 data of equal
length >= 1, an int degree >= 0, a finite lr > 0, finite starting coefficients.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

# numpy 1.25 moved it to numpy.exceptions; 2.0 removed the old name
_RaggedWarning = getattr(np, "exceptions", np).VisibleDeprecationWarning


class Settings(NamedTuple):
    """A fit's checked settings (immutable; a named tuple: made in every fit,
    where a frozen dataclass's __init__ cost a microsecond)."""

    degree: int
    lr: float | str  # a float, or "auto" where the caller allows it
    epochs: int
    log_every: int
    callback: Callable[[int, Any, np.ndarray], Any] | None  # loss: a float, or (k,) for 2-D y
    tol: float = 0.0  # 0: no early stop
    optimizer: str = "gd"
    # momentum, alpha, beta1, beta2, eps: torch.optim's defaults
    hyper: tuple[float, float, float, float, float] = (0.9, 0.99, 0.9, 0.999, 1e-8)
    progress: bool = False


OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")


# torch.optim's defaults, which the public functions take as their own
# defaults: these very objects are known to be valid.
MOMENTUM, ALPHA, BETAS, EPS = 0.9, 0.99, (0.9, 0.999), 1e-8
_DEFAULT_HYPER = (MOMENTUM, ALPHA, BETAS[0], BETAS[1], EPS)


def optimizer_settings(
    optimizer: object, momentum: object, alpha: object, betas: object, eps: object
) -> tuple[str, tuple[float, float, float, float, float]]:
    """The optimiser's name and (momentum, alpha, beta1, beta2, eps), checked."""
    name = as_choice(optimizer, "optimizer", OPTIMIZERS)
    if momentum is MOMENTUM and alpha is ALPHA and betas is BETAS and eps is EPS:
        return name, _DEFAULT_HYPER  # the defaults, unchanged: nothing to check
    momentum_value = as_fraction(momentum, "momentum", upper_open=False)
    alpha_value = as_fraction(alpha, "alpha", upper_open=False)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    beta1 = as_fraction(betas[0], "betas[0]", upper_open=True)
    beta2 = as_fraction(betas[1], "betas[1]", upper_open=True)
    return name, (momentum_value, alpha_value, beta1, beta2, as_positive_float(eps, "eps"))


def as_fraction(value: object, name: str, upper_open: bool) -> float:
    """A real in [0, 1) (upper_open) or [0, 1]."""
    if type(value) is not float and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
    ):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    result = float(value)
    if not (0.0 <= result < 1.0 if upper_open else 0.0 <= result <= 1.0):
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return result


def as_int(value: object, name: str, minimum: int) -> int:
    """value as an int >= minimum; bool and non-integral numbers are refused."""
    if type(value) is int:  # the common case, without the ABC checks below
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_positive_float(value: object, name: str) -> float:
    """value as a finite float > 0; bool and non-real values are refused."""
    if type(value) is not float and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
    ):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    result = float(value)
    if not math.isfinite(result) or result <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return result


def settings(
    degree: object,
    lr: object,
    epochs: object,
    log_every: object,
    callback: object,
    tol: object = None,
    allow_auto_lr: bool = False,
    optimizer: object = "gd",
    momentum: object = MOMENTUM,
    alpha: object = ALPHA,
    betas: object = BETAS,
    eps: object = EPS,
    progress: object = False,
) -> Settings:
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    auto = allow_auto_lr and isinstance(lr, str) and lr == "auto"
    if isinstance(lr, str) and not auto:
        expected = "a real number or 'auto'" if allow_auto_lr else "a real number"
        raise TypeError(f"lr must be {expected}, got {lr!r}")
    name, hyper = optimizer_settings(optimizer, momentum, alpha, betas, eps)
    return Settings(
        degree=as_int(degree, "degree", 0),
        lr="auto" if auto else as_positive_float(lr, "lr"),
        epochs=as_int(epochs, "epochs", 0),
        log_every=as_int(log_every, "log_every", 1),
        callback=callback,
        tol=as_tol(tol),
        optimizer=name,
        hyper=hyper,
        progress=as_bool(progress, "progress"),
    )


def as_tol(tol: object) -> float:
    """None (no early stop) or a finite real >= 0 (0 also means no early stop)."""
    if tol is None:
        return 0.0
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a real number or None, got {type(tol).__name__} {tol!r}")
    value = float(tol)
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    return value


def as_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def as_bool(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def as_threads(threads: object) -> int | None:
    """None (choose automatically) or an int >= 1."""
    return None if threads is None else as_int(threads, "threads", 1)


def as_samples(values: object, name: str, keep_float32: bool, max_ndim: int = 1) -> np.ndarray:
    """values as a C-contiguous, aligned float64 array (float32 kept if asked),
    1-D (or 2-D where max_ndim is 2: y of many series, their weights or starts).

    Integers and bools become float64 (bools as 0 and 1); float16 and
    longdouble become float64.  Complex, text, dates and objects that are not
    real numbers are refused.  The caller's array is never written to.
    """
    if (
        type(values) is np.ndarray
        and (values.ndim == 1 or values.ndim == max_ndim == 2)
        and (values.dtype == np.float64 or (keep_float32 and values.dtype == np.float32))
        and values.flags.c_contiguous
        and values.flags.aligned
    ):
        return values  # already what the kernel takes: the common case, checked cheaply
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of real numbers, got {type(values).__name__}")
    if isinstance(values, np.ndarray):
        array = values
    else:
        try:
            with warnings.catch_warnings():  # numpy < 1.24 only warns about ragged input
                warnings.simplefilter("error", _RaggedWarning)
                array = np.asarray(values)
        except (TypeError, ValueError, _RaggedWarning) as exc:
            raise ValueError(f"{name} must be a 1-D array of real numbers: {exc}") from None
    kind = array.dtype.kind
    if kind == "O":
        if any(item is None for item in array.flat):
            raise TypeError(f"{name} must contain only real numbers; it contains None")
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must contain only real numbers: {exc}") from None
    elif kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
    elif kind not in "biuf":
        raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype}")
    if array.ndim != 1 and not array.ndim == max_ndim == 2:
        wanted = "1-D" if max_ndim == 1 else "1-D or 2-D"
        raise ValueError(f"{name} must be {wanted}, got an array of shape {array.shape}")
    dtype = np.float32 if keep_float32 and array.dtype == np.float32 else np.float64
    # C-contiguous and aligned (a copy only when not already so: buffers from
    # pickles, network frames or np.frombuffer with an offset can be unaligned)
    return np.require(array, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])


def samples(
    x: object, y: object, keep_float32: bool, series: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """x and y as equal-length, non-empty, contiguous arrays of one dtype: x 1-D,
    y 1-D, or with `series` also 2-D of shape (n, k), k >= 1 (k series sharing x,
    C-contiguous: a row's k values side by side, as the kernel reads them)."""
    x_array = as_samples(x, "x", keep_float32)
    y_array = as_samples(y, "y", keep_float32, max_ndim=2 if series else 1)
    if x_array.shape[0] != y_array.shape[0]:
        rows = " (the rows of y)" if y_array.ndim == 2 else ""
        raise ValueError(
            f"x and y must have the same length{rows}, got {x_array.shape[0]} and "
            f"{y_array.shape[0]}"
        )
    if x_array.shape[0] == 0:
        raise ValueError("x and y must not be empty")
    if y_array.ndim == 2 and y_array.shape[1] == 0:
        raise ValueError(
            f"y must have at least one column (one series), got an array of shape {y_array.shape}"
        )
    if x_array.dtype != y_array.dtype:  # one float32, one float64: train on float64
        x_array = x_array.astype(np.float64)
        y_array = y_array.astype(np.float64)
    return x_array, y_array


@dataclass(frozen=True)
class Weights:
    """Checked sample weights: `values` as the kernel takes them (C-contiguous,
    aligned float64, finite, >= 0; 1-D, one per sample, or 2-D of y's shape, one
    per value) and their smallest and largest value (0 smallest: some samples
    are to be dropped)."""

    values: np.ndarray
    smallest: float
    largest: float

    @property
    def per_value(self) -> bool:
        """One weight per value of a 2-D y (not one per sample)."""
        return self.values.ndim == 2


def sample_weights(
    sample_weight: object,
    count: int,
    allow_all_zero: bool = False,
    series: int | None = None,
) -> Weights | None:
    """sample_weight checked and converted, or None for the unweighted fit.

    The one place where weights are checked and converted, for every entry
    point: `count` finite weights >= 0, not all 0 unless `allow_all_zero` (a
    chunk of a stream may carry none), as a C-contiguous, aligned float64
    array -- the caller's array itself when it already is one, else a copy; it
    is never written to.  With `series` (a 2-D y of `series` columns) the
    weights may also have y's shape (count, series), one set per series, each
    series with some weight.  None when no weights are given or every weight is
    1: the unweighted fit, which weights of 1 give bit for bit anyway, without
    the multiply.
    """
    if sample_weight is None:
        return None
    values = as_samples(
        sample_weight, "sample_weight", keep_float32=False, max_ndim=1 if series is None else 2
    )
    shape = (count,) if values.ndim == 1 else (count, series)
    if values.shape != shape:
        if series is None:
            raise ValueError(
                f"sample_weight must have one weight per sample: x has {count} samples, "
                f"sample_weight {values.shape[0]}"
            )
        raise ValueError(
            f"sample_weight must have shape ({count},) (one weight per sample, shared by every "
            f"series) or y's shape ({count}, {series}) (one per value), got {values.shape}"
        )
    if count == 0:
        return Weights(values, 0.0, 0.0)
    if values.ndim == 2:  # per column: a series of weights all 0 is caught below
        column_largest = values.max(axis=0)
        smallest, largest = float(values.min()), float(column_largest.max())
    else:
        smallest, largest = float(values.min()), float(values.max())  # NaN propagates
    if not (math.isfinite(smallest) and math.isfinite(largest)):
        require_finite(values, "sample_weight", first_nonfinite(values))
    if smallest < 0.0:
        index = int(np.flatnonzero(values < 0.0)[0])
        raise ValueError(
            f"sample_weight must be >= 0; sample_weight{_at(values, index)} is "
            f"{float(values.flat[index])!r}"
        )
    if largest == 0.0 and not allow_all_zero:
        raise ValueError(
            f"sample_weight must not be all zero: every one of the {values.size} weights is 0, "
            "so no sample counts"
        )
    if values.ndim == 2 and not allow_all_zero and float(column_largest.min()) == 0.0:
        column = int(np.flatnonzero(column_largest == 0.0)[0])
        raise ValueError(
            f"sample_weight must not be all zero in a series: sample_weight[:, {column}] is 0 "
            f"for every sample, so series {column} (y[:, {column}]) has no sample that counts"
        )
    if smallest == largest == 1.0:
        return None
    return Weights(values, smallest, largest)


def _at(array: np.ndarray, index: int) -> str:
    """'[i]' or '[i, j]': the flat index of a 1-D or 2-D array as the user indexes it."""
    if array.ndim == 2:
        row, column = divmod(index, array.shape[1])
        return f"[{row}, {column}]"
    return f"[{index}]"


def require_finite(array: np.ndarray, name: str, index: int) -> None:
    """Raise if index (of the first non-finite value, or -1; flat in a 2-D
    array) points at one."""
    if index >= 0:
        raise ValueError(
            f"{name} must be finite; {name}{_at(array, index)} is {array.flat[index]} "
            "(NaN, a missing value, or an infinity)"
        )


def first_nonfinite(array: np.ndarray) -> int:
    """numpy's answer to: where is the first NaN or infinity (-1 if none; flat)."""
    if array.size <= 64 and math.isfinite(sum(array.reshape(-1).tolist())):
        return -1  # a few values (a start): their sum is finite only if each is
    finite = np.isfinite(array)
    if finite.all():
        return -1
    return int(np.flatnonzero(~finite)[0])


def initial_coef(
    init: object,
    seed: object,
    degree: int,
    random_start: bool = False,
    series: int | None = None,
) -> np.ndarray:
    """A fresh float64 array of degree + 1 finite starting coefficients, or for
    `series` (a 2-D y of that many columns) a C-contiguous (degree + 1, series)
    array, one column per series.

    init, when given, is copied (and seed is not used); for series it is one
    start for every series (degree + 1 values) or one per series ((degree + 1,
    series)).  Otherwise, with a seed (or random_start, the tutorial's own
    default) the start is numpy.random.default_rng(seed).standard_normal(degree
    + 1), the same for every series; without either it is zeros, the same in
    every process.
    """
    if init is None:
        if seed is None and not random_start:
            return np.zeros(degree + 1 if series is None else (degree + 1, series))
        try:
            rng = np.random.default_rng(seed)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise TypeError(f"seed must be None, an int or a numpy Generator: {exc}") from None
        return _for_series(rng.standard_normal(degree + 1), series)
    coef = as_samples(init, "init", keep_float32=False, max_ndim=1 if series is None else 2).copy()
    if coef.ndim == 2:
        if coef.shape != (degree + 1, series):
            raise ValueError(
                f"init must have degree + 1 = {degree + 1} coefficients for every series, "
                f"shape ({degree + 1},) or ({degree + 1}, {series}), got shape {coef.shape}"
            )
    elif coef.shape[0] != degree + 1:
        raise ValueError(
            f"init must have degree + 1 = {degree + 1} coefficients, got {coef.shape[0]}"
        )
    require_finite(coef, "init", first_nonfinite(coef))
    return coef if coef.ndim == 2 else _for_series(coef, series)


def _for_series(start: np.ndarray, series: int | None) -> np.ndarray:
    """One start for every series: (degree + 1, series), C-contiguous."""
    if series is None:
        return start
    return np.ascontiguousarray(np.broadcast_to(start[:, np.newaxis], (start.shape[0], series)))


def continue_after(settings: Settings, epoch: int, loss: Any, coef: np.ndarray) -> bool:
    """Call the callback if epoch is a log point; False if it asked to stop.
    loss: a float, or for many series an array (k,) (passed as a copy)."""
    if settings.callback is None or epoch % settings.log_every != settings.log_every - 1:
        return True
    return settings.callback(epoch, loss, coef.copy()) is not False
