"""polyfit.show_config: what the running build uses."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _fit, _kernels


def show_config(mode: str = "stdout") -> dict[str, Any] | None:
    """Report the instruction set, threading and layout of the running build.

    Parameters
    ----------
    mode : {"stdout", "dicts"}
        Print the report (default) or return it as a dict.

    Examples
    --------
    >>> import polyfit
    >>> sorted(polyfit.show_config(mode="dicts"))[:3]
    ['block_samples', 'instruction_set', 'instruction_sets_supported']
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f"mode must be 'stdout' or 'dicts', got {mode!r}")
    info: dict[str, Any] = {
        "instruction_set": _kernels.ISA,
        "instruction_sets_supported": [
            name for name in _kernels.ISA_NAMES if _kernels.supported(name)
        ],
        "instruction_sets_built": [name for name in _kernels.ISA_NAMES if _kernels.built(name)],
        "openmp": _kernels.have_openmp(),
        "max_threads": _kernels.max_threads(),
        "threads_min_samples": _fit.THREADS_MIN_SAMPLES,
        "debug_build": _kernels.debug_build(),
        "block_samples": _kernels.BLOCK,
        "lanes": _kernels.LANES,
        "degrees_in_registers": _kernels.SPECIALISED_MAX,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    if mode == "dicts":
        return info
    for key, value in info.items():
        print(f"{key:28s} {value}")
    return None
