"""FitResult: what polyfit.fit and polyfit.reference.fit return."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial

from ._stats import Window


class Handed(np.ndarray[Any, np.dtype[np.float64]]):
    """An array a fit made and hands to its FitResult, frozen there without a
    copy (the losses of many series are megabytes); see `handed`."""


def handed(array: np.ndarray) -> np.ndarray:
    """Mark a fresh float64 array that no caller can reach (made by the fit) so
    that FitResult keeps it (read-only) instead of copying it."""
    return array.view(Handed)


def _frozen(values: Any) -> np.ndarray:
    if type(values) is Handed:
        array = values.view(np.ndarray)  # the fit's own array: nobody else holds it
    else:
        array = np.array(values, dtype=np.float64)  # always a copy the caller cannot reach
    array.setflags(write=False)
    return array


def _frozen_loss(value: Any) -> Any:
    """A float, or for many series a read-only array (k,)."""
    if type(value) is float:  # the 1-D fit's own (np.ndim costs a microsecond)
        return value
    if np.ndim(value) == 0:
        return float(value)
    return _frozen(value)


@dataclass(frozen=True, eq=False, repr=False)
class FitResult:
    """A trained polynomial y = c0 + c1 x + ... + cd x^d and its training history.

    For a 2-D y of shape (n, k) (k series sharing x) it holds k polynomials, as
    numpy's ``polynomial.polyfit`` does: `coef` and `scaled_coef` have shape
    (degree + 1, k) (column c is series c's), `losses` (epochs_run, k), `loss`
    and `optimal_loss` (k,), ``predict(x)`` returns x's shape + (k,), and
    `to_polynomial` a list of k Polynomials.  `lr`, `epochs_run`, `converged`
    and `domain` are shared.

    Attributes
    ----------
    coef : numpy.ndarray, shape (degree + 1,) or (degree + 1, k)
        The coefficients, lowest power first (the tutorial's a, b, c, d), read-only.
    losses : numpy.ndarray, shape (epochs_run,) or (epochs_run, k)
        ``losses[t]`` is the sum of squared errors at the start of epoch t, before
        that epoch's update; ``losses[99::100]`` are the numbers the tutorial prints.
    loss : float or numpy.ndarray of shape (k,)
        The sum of squared errors of `coef` itself (one more pass over the data).
    degree : int
    lr : float
        The learning rate used.
    epochs : int
        The epochs asked for.
    epochs_run : int
        The epochs actually run: fewer than `epochs` when `tol` was met
        (`converged`) or the callback returned False.
    converged : bool
        True if training stopped because the loss fell by less than `tol`.
    method : str
        "exact" (a pass over the data every epoch) or "moments" (one pass for
        the sufficient statistics, then epochs on them).
    optimizer : str
        "gd", "momentum", "rmsprop" or "adam".
    domain : tuple of float or None
        With ``scale=True``: the x range [lo, hi] that was mapped onto [-1, 1].
    scaled_coef : numpy.ndarray, shape of `coef`, or None
        With ``scale=True``: the coefficients in the scaled variable
        u = (x - (lo + hi) / 2) / ((hi - lo) / 2), in which training ran (and
        `init` was given); `coef` is the same polynomial in x.
    optimal_loss : float, numpy.ndarray of shape (k,), or None
        The least-squares loss of this degree on these data: the smallest
        `loss` any coefficients can have, what ``numpy.polynomial.Polynomial.fit``
        reaches.  Solved from the power sums in the scaled variable (x's range
        on [-1, 1], where G is well conditioned) by an eigendecomposition of G.
        With ``method="exact"`` and ``scale=True`` (the default) the data are in
        memory in that variable, and it is the loss of that solution computed
        from the data in the final pass: as accurate as numpy's, a relative
        1e-9 or better even near an exact fit.  Otherwise it is
        L* = sum y^2 - T.G^+ T from the statistics, a difference of large
        terms: absolute error a few eps * sum y^2 (at most about
        1e-14 (degree + 1) (sum y^2 + |c*|.|G||c*|), c* the optimum's
        coefficients), a relative 1e-11 or better where L* > 1e-4 sum y^2.
        Directions of G below rounding level (cond(G) beyond ~1e14, which a
        ConditioningWarning reports) are left out.  None from
        `polyfit.reference.fit`.
    """

    coef: np.ndarray
    losses: np.ndarray
    loss: Any  # float; an array (k,) for a 2-D y
    degree: int
    lr: float
    epochs: int
    epochs_run: int
    converged: bool = False
    method: str = "exact"
    optimizer: str = "gd"
    domain: tuple[float, float] | None = None
    scaled_coef: np.ndarray | None = None
    optimal_loss: Any = None  # float or None; an array (k,) for a 2-D y

    def __post_init__(self) -> None:
        object.__setattr__(self, "coef", _frozen(self.coef))
        object.__setattr__(self, "losses", _frozen(self.losses))
        object.__setattr__(self, "loss", _frozen_loss(self.loss))
        if self.scaled_coef is not None:
            object.__setattr__(self, "scaled_coef", _frozen(self.scaled_coef))
        if self.domain is not None:
            object.__setattr__(self, "domain", (float(self.domain[0]), float(self.domain[1])))
        if self.optimal_loss is not None:
            object.__setattr__(self, "optimal_loss", _frozen_loss(self.optimal_loss))

    @classmethod
    def _of_fit(
        cls,
        coef: np.ndarray,
        losses: np.ndarray,
        loss: Any,
        degree: int,
        lr: float,
        epochs: int,
        epochs_run: int,
        converged: bool,
        method: str,
        optimizer: str,
        domain: tuple[float, float] | None,
        scaled_coef: np.ndarray | None,
        optimal_loss: Any,
    ) -> FitResult:
        """What ``FitResult(...)`` makes (the same fields, frozen by __post_init__'s
        rules), filled in one step: a frozen dataclass's __init__ sets its 13 fields
        and __post_init__ four of them again, each through object.__setattr__, a
        microsecond that every fit paid.  The fit's own arrays only (`handed`)."""
        result = object.__new__(cls)
        result.__dict__.update(
            coef=_frozen(coef),
            losses=_frozen(losses),
            loss=_frozen_loss(loss),
            degree=degree,
            lr=lr,
            epochs=epochs,
            epochs_run=epochs_run,
            converged=converged,
            method=method,
            optimizer=optimizer,
            domain=None if domain is None else (float(domain[0]), float(domain[1])),
            scaled_coef=None if scaled_coef is None else _frozen(scaled_coef),
            optimal_loss=None if optimal_loss is None else _frozen_loss(optimal_loss),
        )
        return result

    def _window(self) -> Window:
        return Window.identity() if self.domain is None else Window.of(*self.domain)

    def predict(self, x: Any) -> Any:
        """Evaluate the polynomial at raw x (any shape) with the compiled kernel.

        x is in the data's own units, also after ``scale=True`` (the scaled
        coefficients are then evaluated at the scaled x, which is better
        conditioned than `coef` far from 0).  Returns a float64 array of x's
        shape, or a numpy float for a scalar x; for k series (a 2-D y) an
        array of x's shape + (k,) (shape (k,) for a scalar x), series c's values
        last-axis c, by the same Horner arithmetic as its own fit's predict.
        NaN and infinity in x propagate, as in numpy.polynomial.
        """
        from . import _kernels  # imported here so polyfit.reference stays kernel-free

        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"x must contain real numbers, got dtype {array.dtype}")
        flat = np.require(array, np.float64, ["C_CONTIGUOUS", "ALIGNED"]).reshape(-1)
        if self.coef.ndim == 2:
            return self._predict_series(flat).reshape((*array.shape, self.coef.shape[1]))
        out = np.empty_like(flat)
        if self.scaled_coef is None:
            _kernels.evaluate(flat, self.coef, out)
        else:  # evaluate where training ran: better conditioned than coef in x
            _kernels.evaluate(self._window().map(flat), self.scaled_coef, out)
        return out.reshape(array.shape) if array.ndim else out[0]

    __call__ = predict

    def _predict_series(self, flat: np.ndarray) -> np.ndarray:
        """(m, k) values of the k polynomials at flat raw x, by Horner's rule with
        one multiply and one add per step, as the kernel's `evaluate` (so each
        column has the bits of that series' own fit's predict)."""
        coef = self.coef if self.scaled_coef is None else self.scaled_coef
        u = (flat if self.scaled_coef is None else self._window().map(flat))[:, np.newaxis]
        out = np.empty((flat.shape[0], coef.shape[1]))
        out[...] = coef[-1]
        for row in coef[-2::-1]:
            np.multiply(out, u, out=out)
            np.add(out, row, out=out)
        return out

    def plot(self, x: Any, y: Any) -> Any:
        """A matplotlib Figure: the data and the fitted curve, and the loss per
        epoch on a log scale.  Needs matplotlib (``pip install "polyfit[plot]"``).

        Examples
        --------
        >>> import numpy as np, polyfit
        >>> x = np.linspace(-np.pi, np.pi, 200)
        >>> figure = polyfit.fit(x, np.sin(x)).plot(x, np.sin(x))
        >>> figure.savefig("fit.png")  # doctest: +SKIP
        """
        try:  # optional (extra [plot]); imported as Any, so no stubs are needed
            figures: Any = importlib.import_module("matplotlib.figure")
        except ImportError as exc:
            raise ImportError(
                'FitResult.plot needs matplotlib: pip install "polyfit[plot]"'
            ) from exc
        xs = np.asarray(x, dtype=np.float64).reshape(-1)
        ys = np.asarray(y, dtype=np.float64).reshape(xs.shape[0], -1)  # a column per series
        figure = figures.Figure(figsize=(10, 4), layout="constrained")
        data_axes, loss_axes = figure.subplots(1, 2)
        for column in range(ys.shape[1]):
            data_axes.scatter(
                xs, ys[:, column], s=6, alpha=0.5, color="tab:gray", label="data" * (column == 0)
            )
        grid = np.linspace(xs.min(), xs.max(), 400) if xs.size else xs
        curves = np.asarray(self.predict(grid)).reshape(grid.shape[0], -1)
        for column in range(curves.shape[1]):
            label = f"degree {self.degree} fit" if column == 0 else ""
            data_axes.plot(grid, curves[:, column], color="tab:blue", lw=2, label=label)
        total = float(np.sum(self.loss))
        data_axes.set(xlabel="x", ylabel="y", title=f"loss {total:.6g}")
        data_axes.legend()
        epochs = np.arange(self.losses.shape[0])
        loss_axes.plot(epochs, self.losses, color="tab:red")
        loss_axes.set_yscale("log")
        loss_axes.set(
            xlabel="epoch",
            ylabel="sum of squared errors",
            title=f"{self.method}, {self.optimizer}, lr={self.lr:.3g}",
        )
        return figure

    def to_polynomial(self) -> Any:
        """The same polynomial as a numpy.polynomial.Polynomial, a function of raw x
        (with ``scale=True`` in numpy's own form: the scaled coefficients with
        domain and window); for k series (a 2-D y) a list of k of them."""
        coef = self.coef if self.scaled_coef is None else self.scaled_coef
        if coef.ndim == 2:
            return [self._polynomial(coef[:, column]) for column in range(coef.shape[1])]
        return self._polynomial(coef)

    def _polynomial(self, coef: np.ndarray) -> Polynomial:
        if self.scaled_coef is None:
            return Polynomial(coef.copy())
        return self._window().polynomial(coef)

    def __str__(self) -> str:
        """'y = c0 + c1 x + c2 x^2 + ...', each number as the tutorial's f-string prints it;
        for k series one line each, 'y[:, c] = ...' (the first and last three of many)."""
        if self.coef.ndim == 1:
            return "y = " + _terms(self.coef)
        columns = self.coef.shape[1]
        shown = (
            range(columns) if columns <= 6 else [0, 1, 2, -1, columns - 3, columns - 2, columns - 1]
        )
        lines = ["..." if c < 0 else f"y[:, {c}] = " + _terms(self.coef[:, c]) for c in shown]
        return "\n".join(lines)

    def __repr__(self) -> str:  # numpy abbreviates the arrays of many series
        return (
            f"FitResult(degree={self.degree}, method={self.method!r}, loss={self.loss!r}, "
            f"optimal_loss={self.optimal_loss!r}, "
            f"lr={self.lr!r}, epochs={self.epochs}, epochs_run={self.epochs_run}, "
            f"converged={self.converged}, coef={self.coef!r})"
        )


def _terms(coef: np.ndarray) -> str:
    return " + ".join(
        f"{float(c)}" + ("" if k == 0 else " x" if k == 1 else f" x^{k}")
        for k, c in enumerate(coef)
    )
