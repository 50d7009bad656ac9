"""A user's script touching every public name, type-checked by `mypy --strict`
(see [tool.mypy] in pyproject.toml) and run as a test."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.polynomial import Polynomial

import polyfit
import polyfit.reference


def log(epoch: int, loss: float, coef: npt.NDArray[np.float64]) -> bool:
    return epoch < 10_000


def test_public_api_types() -> None:
    x: npt.NDArray[np.float64] = np.linspace(-1.0, 1.0, 200)
    y = np.sin(x)
    result: polyfit.FitResult = polyfit.fit(
        x, y, 3, lr=1e-3, epochs=50, init=None, seed=1, log_every=10, callback=log, threads=1
    )
    same: polyfit.FitResult = polyfit.reference.fit(list(x), list(y), 3, lr=1e-3, epochs=50, seed=1)
    coef: npt.NDArray[np.float64] = result.coef
    losses: npt.NDArray[np.float64] = result.losses
    loss: float = result.loss
    settings: tuple[int, float, int, int] = (
        result.degree,
        result.lr,
        result.epochs,
        result.epochs_run,
    )
    values = result.predict(x)
    called = result(x[:3])
    polynomial: Polynomial = result.to_polynomial()
    text: str = str(result)
    info = polyfit.show_config(mode="dicts")
    version: str = polyfit.__version__
    try:
        polyfit.fit(x, y, lr=1e3)
    except polyfit.DivergenceError as error:
        diverged: tuple[int, float, npt.NDArray[np.float64]] = (error.epoch, error.lr, error.coef)
        assert diverged[0] >= 0
    assert coef.shape == (4,) and losses.shape == (50,) and loss >= 0.0
    assert settings == (3, 1e-3, 50, 50) and text.startswith("y = ")
    assert np.allclose(values, polynomial(x)) and len(called) == 3
    assert info is not None and info["lanes"] >= 1 and version
    np.testing.assert_allclose(same.coef, result.coef, rtol=1e-9)
