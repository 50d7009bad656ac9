"""Exceptions raised by polyfit."""

from __future__ import annotations

import numpy as np


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
