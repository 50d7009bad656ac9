"""Exceptions and warnings raised by polyfit.

Each warning (and DivergenceError) carries what is wrong (`problem`) and what
would fix it (`remedy`, keyword arguments of the function that made the fit),
so the command line can show the same advice as its own flags.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def format_arguments(arguments: Mapping[str, object]) -> str:
    """fit() keyword arguments as Python code: 'lr="auto", scale=True'."""
    return ", ".join(f"{name}={value!r}" for name, value in arguments.items())


def _with_remedy(problem: str, remedy: Mapping[str, object]) -> str:
    return problem + (f"; try {format_arguments(remedy)}" if remedy else "")


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
        super().__init__(_with_remedy(problem, self.remedy))

    def __reduce__(self) -> tuple[type[PolyfitWarning], tuple[str, dict[str, object]]]:
        return (type(self), (self.problem, self.remedy))


class ConditioningWarning(PolyfitWarning, RuntimeWarning):
    """G = sum of the powers of x is too ill-conditioned for a fit in float64.

    With method="moments" the power sums lose the digits the gradient needs;
    with either method gradient descent cannot get near the optimum in any
    practical number of epochs.  The remedy scales x (``scale=True``) or lowers
    the degree; it is never ``method="exact"``, which has the second problem.
    """


class ConvergenceWarning(PolyfitWarning):
    """A fit ended more than 1 % above the least-squares optimum
    (`FitResult.optimal_loss`).

    `remedy` holds the arguments with which the same call gets within 1 %:
    the epochs plain gradient descent needs from the same start, computed from
    the eigenvalues of G, and ``scale=True``, ``lr="auto"``,
    ``method="moments"`` (one pass over the data, then cheap epochs) or
    ``tol=None`` where they are needed.
    """


class RankWarning(PolyfitWarning):
    """The data do not determine a polynomial of this degree.

    Fewer distinct x than degree + 1 (for example, constant x): infinitely
    many polynomials fit the data equally well, as with numpy's RankWarning.
    The fit still returns one of them; `remedy` names the degree the data do
    determine.
    """


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
        epoch started from): shape (degree + 1,), or (degree + 1, k) for a 2-D y
        (every series stops at that epoch).
    problem : str
        What went wrong: a step too large for the data, or powers of x beyond
        float64 for the degree and the range of x.
    remedy : dict
        Keyword arguments of `polyfit.fit` that avoid it (``lr="auto"``,
        ``scale=True``); the message ends with them as Python code.
    column : int or None
        For a 2-D y: the series (column of y) whose loss or update was not
        finite first (the lowest such column); None for a 1-D y.
    """

    def __init__(
        self,
        epoch: int,
        lr: float,
        coef: np.ndarray,
        problem: str | None = None,
        remedy: Mapping[str, object] | None = None,
        column: int | None = None,
    ) -> None:
        self.epoch = int(epoch)
        self.lr = float(lr)
        self.coef = np.array(coef, dtype=np.float64)
        self.problem = (
            problem
            if problem is not None
            else f"training diverged at epoch {self.epoch}: the loss or a coefficient "
            f"became non-finite with lr={self.lr:g}, a step too large for these data"
        )
        self.remedy = dict(remedy) if remedy is not None else {"lr": "auto", "scale": True}
        self.column = None if column is None else int(column)
        super().__init__(_with_remedy(self.problem, self.remedy))

    def __reduce__(
        self,
    ) -> tuple[
        type[DivergenceError], tuple[int, float, np.ndarray, str, dict[str, object], int | None]
    ]:
        # keep the attributes through pickling (multiprocessing, dask)
        return (
            type(self),
            (self.epoch, self.lr, self.coef, self.problem, self.remedy, self.column),
        )
