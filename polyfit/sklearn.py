"""polyfit.sklearn: a scikit-learn regressor around polyfit.fit.

Needs the ``[sklearn]`` extra (``pip install "polyfit[sklearn]"``); importing
polyfit itself never imports scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # the [sklearn] extra
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:
    raise ImportError(
        f'polyfit.sklearn needs scikit-learn >= 1.6 ({exc}): pip install "polyfit[sklearn]"'
    ) from exc

from ._fit import fit
from ._result import FitResult

__all__ = ["PolynomialRegressor"]


class PolynomialRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Polynomial regression of one feature by full-batch gradient descent.

    A scikit-learn estimator around `polyfit.fit`: it works in ``Pipeline``,
    ``GridSearchCV`` and ``cross_val_score``.  X has one feature: shape (n, 1),
    or (n,).

    Parameters
    ----------
    degree, lr, epochs, method, optimizer, tol, scale, threads
        As in `polyfit.fit`, with its defaults (``lr="auto"``, ``scale=True``),
        which work on data of any range.  `fit` warns as `polyfit.fit` does
        (ConvergenceWarning with the remedy as these parameters).
    random_state : None or int
        Seed of the random start (`polyfit.fit`'s `seed`); None: a zero start.

    Attributes
    ----------
    coef_ : ndarray of shape (degree + 1,)
        The coefficients, lowest power first.
    result_ : polyfit.FitResult
        Everything the fit returned (losses, lr used, convergence...).
    n_features_in_ : int
        Always 1.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> import numpy as np
    >>> from polyfit.sklearn import PolynomialRegressor
    >>> X = np.linspace(0, 10, 200).reshape(-1, 1)
    >>> model = PolynomialRegressor(degree=2)
    >>> model.fit(X, 1 + X[:, 0] ** 2).score(X, 1 + X[:, 0] ** 2) > 0.999
    True
    """

    def __init__(
        self,
        degree: int = 3,
        lr: float | str = "auto",
        epochs: int = 2000,
        method: str = "exact",
        optimizer: str = "gd",
        tol: float | None = None,
        scale: bool = True,
        threads: int | None = None,
        random_state: int | None = None,
    ) -> None:
        self.degree = degree
        self.lr = lr
        self.epochs = epochs
        self.method = method
        self.optimizer = optimizer
        self.tol = tol
        self.scale = scale
        self.threads = threads
        self.random_state = random_state

    @staticmethod
    def _as_column(X: Any) -> Any:
        """1-D X (array or list) as the single column (n, 1); anything else as given."""
        if isinstance(X, (list, tuple)) or getattr(X, "ndim", None) == 1:
            return np.asarray(X).reshape(-1, 1)
        return X

    @staticmethod
    def _feature(X: np.ndarray) -> np.ndarray:
        if X.shape[1] != 1:
            raise ValueError(
                "PolynomialRegressor takes one feature: X must have shape (n, 1) or (n,), "
                f"got {X.shape}"
            )
        return X[:, 0]

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PolynomialRegressor:
        """Fit the polynomial to the single feature of X.

        Parameters
        ----------
        X : array_like of shape (n, 1) or (n,)
        y : array_like of shape (n,)
        sample_weight : array_like of shape (n,) or a number, optional
            scikit-learn's meaning, as `polyfit.fit`'s: the loss is
            sum w_i (p(x_i) - y_i)^2, a weight of 2 is the sample twice, a
            weight of 0 drops it; weights >= 0, finite, not all 0.  None: every
            weight 1.

        Returns
        -------
        PolynomialRegressor
            self, fitted.
        """
        X, y = validate_data(self, self._as_column(X), y, dtype=np.float64, y_numeric=True)
        if sample_weight is not None:  # scikit-learn's conversion; polyfit.fit checks values
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        result: FitResult = fit(
            self._feature(X),
            y,
            self.degree,
            sample_weight=sample_weight,
            lr=self.lr,
            epochs=self.epochs,
            seed=self.random_state,
            threads=self.threads,
            method=self.method,
            tol=self.tol,
            scale=self.scale,
            optimizer=self.optimizer,
        )
        self.result_ = result
        self.coef_ = result.coef
        self.n_iter_ = result.epochs_run
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The polynomial at X's feature."""
        check_is_fitted(self)
        X = validate_data(self, self._as_column(X), reset=False, dtype=np.float64)
        predicted: np.ndarray = self.result_.predict(self._feature(X))
        return predicted
