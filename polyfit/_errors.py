"""Exceptions and warnings raised by polyfit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def format_arguments(arguments: Mapping[str, object]) -> str:
    """fit() keyword arguments as Python code: 'lr="auto", scale=True'."""
    return ", ".join(f"{name}={value!r}" for name, value in arguments.items())


class PolyfitWarning(UserWarning):
    """Base of polyfit's warnings: what is wrong, and what would fix it.

    Attributes
    ----------
    problem : str
        What is wrong, without the remedy.
    remedy : dict
        Keyword arguments of `polyfit.fit` that fix it (empty if none do); the
        message ends with them as Python code, and the command line shows them
        as its flags.
    """

    def __init__(self, problem: str, remedy: Mapping[str, object] | None = None) -> None:
        self.problem = problem
        self.remedy = dict(remedy or {})
        suffix = f"; try {format_arguments(self.remedy)}" if self.remedy else ""
        super().__init__(problem + suffix)

    def __reduce__(self) -> tuple[type[PolyfitWarning], tuple[str, dict[str, object]]]:
        return (type(self), (self.problem, self.remedy))


class DivergenceError(FloatingPointError):
    """Gradient descent overflowed: a loss or a coefficient became non-finite.

    Attributes
    ----------
    epoch : int
        The 0-based epoch whose loss or update was not finite.
    lr : float
        The learning rate that was used.
    coef : numpy.ndarray
        The last finite coefficients, lowest power first (those the failing
        epoch started from).
    """

    def __init__(self, epoch: int, lr: float, coef: np.ndarray) -> None:
        self.epoch = int(epoch)
        self.lr = float(lr)
        self.coef = np.array(coef, dtype=np.float64)
        super().__init__(
            f"training diverged at epoch {self.epoch}: the loss or a coefficient "
            f"became non-finite with lr={self.lr:g}; try a smaller lr "
            f"(e.g. lr={self.lr / 10:g})"
        )

    def __reduce__(self) -> tuple[type[DivergenceError], tuple[int, float, np.ndarray]]:
        # keep the attributes through pickling (multiprocessing, dask)
        return (type(self), (self.epoch, self.lr, self.coef))
