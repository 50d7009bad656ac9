"""The compiled kernel for this CPU: one module per instruction set, chosen at import.

The same Cython source (_kernel.pxi) is compiled once per instruction set:
_kernel_baseline (every CPU of the architecture), _kernel_avx2 (AVX2 + FMA) and
_kernel_avx512 (AVX-512F/VL), the last two where the compiler can build them.
The baseline module is imported first and asks the CPU; an instruction-set
module is imported only after that check, since its own code (the module's
initialisation included) may use the instructions it was compiled for.

POLYFIT_ISA=baseline|avx2|avx512 forces one.  Each module has the same
functions; this module re-exports those of the chosen one, so callers write
``_kernels.run_epochs(...)``.  ``module(name)`` gives another supported one
(the tests run every instruction set the CPU has).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
from types import ModuleType
from typing import TYPE_CHECKING

from . import _kernel_baseline

# in increasing order of preference
ISA_NAMES = ("baseline", "avx2", "avx512")


def built(name: str) -> bool:
    """True if the module of instruction set `name` was built (the compiler could)."""
    return importlib.util.find_spec(f"polyfit._kernel_{name}") is not None


def supported(name: str) -> bool:
    """True if instruction set `name` was built and this CPU runs it."""
    return name in ISA_NAMES and built(name) and _kernel_baseline.cpu_supports(name)


def module(name: str) -> ModuleType:
    """The kernel compiled for instruction set `name`, which must be supported."""
    if not supported(name):
        raise ValueError(f"instruction set {name!r} is not supported by this build or CPU")
    return importlib.import_module(f"polyfit._kernel_{name}")


def _choose() -> str:
    """POLYFIT_ISA if set, else the best instruction set this build and CPU run."""
    requested = os.environ.get("POLYFIT_ISA", "").strip().lower()
    if not requested:
        return [name for name in ISA_NAMES if supported(name)][-1]
    if requested not in ISA_NAMES:
        raise ImportError(
            f"POLYFIT_ISA={requested!r} is not one of {list(ISA_NAMES)}; unset it to use "
            "the best instruction set of this CPU"
        )
    if not supported(requested):
        warnings.warn(
            f"POLYFIT_ISA={requested!r} is not supported by this build or CPU; using the baseline",
            RuntimeWarning,
            stacklevel=2,
        )
        return "baseline"
    return requested


ISA = _choose()  # fixed at import

if TYPE_CHECKING:  # every module has the baseline's interface (see _kernel_baseline.pyi)
    from ._kernel_baseline import (
        BLOCK as BLOCK,
    )
    from ._kernel_baseline import (
        FUSED_MAX as FUSED_MAX,
    )
    from ._kernel_baseline import (
        LANES as LANES,
    )
    from ._kernel_baseline import (
        OPTIMIZERS as OPTIMIZERS,
    )
    from ._kernel_baseline import (
        SMALL as SMALL,
    )
    from ._kernel_baseline import (
        SPECIALISED_MAX as SPECIALISED_MAX,
    )
    from ._kernel_baseline import (
        STATUS_CONVERGED as STATUS_CONVERGED,
    )
    from ._kernel_baseline import (
        STATUS_DIVERGED as STATUS_DIVERGED,
    )
    from ._kernel_baseline import (
        STATUS_OK as STATUS_OK,
    )
    from ._kernel_baseline import (
        debug_build as debug_build,
    )
    from ._kernel_baseline import (
        decay as decay,
    )
    from ._kernel_baseline import (
        descent as descent,
    )
    from ._kernel_baseline import (
        eigh as eigh,
    )
    from ._kernel_baseline import (
        epochs_needed as epochs_needed,
    )
    from ._kernel_baseline import (
        evaluate as evaluate,
    )
    from ._kernel_baseline import (
        final_pass as final_pass,
    )
    from ._kernel_baseline import (
        first_nonfinite as first_nonfinite,
    )
    from ._kernel_baseline import (
        have_openmp as have_openmp,
    )
    from ._kernel_baseline import (
        max_threads as max_threads,
    )
    from ._kernel_baseline import (
        moments as moments,
    )
    from ._kernel_baseline import (
        moments_loss as moments_loss,
    )
    from ._kernel_baseline import (
        optimum as optimum,
    )
    from ._kernel_baseline import (
        rewindow as rewindow,
    )
    from ._kernel_baseline import (
        run_epochs as run_epochs,
    )
    from ._kernel_baseline import (
        scale_x as scale_x,
    )
    from ._kernel_baseline import (
        series_epochs_run as series_epochs_run,
    )
    from ._kernel_baseline import (
        series_moments as series_moments,
    )
    from ._kernel_baseline import (
        series_sums as series_sums,
    )
    from ._kernel_baseline import (
        series_train_moments as series_train_moments,
    )
    from ._kernel_baseline import (
        state_size as state_size,
    )
    from ._kernel_baseline import (
        sums as sums,
    )
    from ._kernel_baseline import (
        train_moments as train_moments,
    )
    from ._kernel_baseline import (
        x_range as x_range,
    )
else:
    _active = module(ISA)
    for _name in [
        "BLOCK",
        "FUSED_MAX",
        "LANES",
        "OPTIMIZERS",
        "SMALL",
        "SPECIALISED_MAX",
        "STATUS_CONVERGED",
        "STATUS_DIVERGED",
        "STATUS_OK",
        "debug_build",
        "decay",
        "descent",
        "eigh",
        "epochs_needed",
        "evaluate",
        "final_pass",
        "first_nonfinite",
        "have_openmp",
        "max_threads",
        "moments",
        "moments_loss",
        "optimum",
        "rewindow",
        "run_epochs",
        "scale_x",
        "series_epochs_run",
        "series_moments",
        "series_sums",
        "series_train_moments",
        "state_size",
        "sums",
        "train_moments",
        "x_range",
    ]:
        globals()[_name] = getattr(_active, _name)
