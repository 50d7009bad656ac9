"""polyfit: polynomial fitting by full-batch gradient descent, compiled.

>>> import numpy as np, polyfit
>>> x = np.linspace(-np.pi, np.pi, 2000)
>>> result = polyfit.fit(x, np.sin(x), degree=3)
>>> print(result)  # doctest: +SKIP
y = -1.3...e-17 + 0.8567... x + 1.6...e-18 x^2 + -0.0933... x^3
"""

try:
    from . import _kernels  # noqa: F401  (imported here to fail early and clearly)
except ImportError as exc:  # no pure-Python fallback for fit: say how to build
    raise ImportError(
        "polyfit's compiled kernel (polyfit._kernel_baseline) is missing or broken "
        f"({exc}). Install polyfit with pip so it is compiled, e.g. "
        "'pip install .' or 'pip install -e .' in the checkout (needs a C compiler); "
        "in a source checkout, 'python setup.py build_ext --inplace' builds it in place."
    ) from exc

from ._config import show_config
from ._errors import (
    ConditioningWarning,
    ConvergenceWarning,
    DivergenceError,
    PolyfitWarning,
    RankWarning,
)
from ._fit import fit
from ._moments import Moments, fit_stream
from ._result import FitResult

__all__ = [
    "ConditioningWarning",
    "ConvergenceWarning",
    "DivergenceError",
    "FitResult",
    "Moments",
    "PolyfitWarning",
    "RankWarning",
    "__version__",
    "fit",
    "fit_stream",
    "show_config",
]

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("polyfit")
except PackageNotFoundError:  # an in-place build that was never installed
    __version__ = "0+unknown"
