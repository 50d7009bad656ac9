# Stub of the compiled extension polyfit/_kernels.pyx (private; see polyfit._fit).
from typing import overload

import numpy as np
from numpy.typing import NDArray

STATUS_OK: int
STATUS_DIVERGED: int
STATUS_CONVERGED: int
BLOCK: int
LANES: int
OPTIMIZERS: dict[str, int]

def state_size(degree: int) -> int: ...

ISA_NAMES: dict[int, str]

def isa_supported(isa: int) -> bool: ...
def best_isa() -> int: ...
def have_openmp() -> bool: ...
def debug_build() -> bool: ...
def max_threads() -> int: ...
@overload
def run_epochs(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    isa: int,
    threads: int,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64],
    state: NDArray[np.float64],
) -> tuple[int, int]: ...
@overload
def run_epochs(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    isa: int,
    threads: int,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64],
    state: NDArray[np.float64],
) -> tuple[int, int]: ...
@overload
def sums(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    coef: NDArray[np.float64],
    out: NDArray[np.float64],
    isa: int,
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def sums(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    coef: NDArray[np.float64],
    out: NDArray[np.float64],
    isa: int,
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def moments(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    degree: int,
    shift: float,
    scale: float,
    out: NDArray[np.float64],
    isa: int,
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def moments(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    degree: int,
    shift: float,
    scale: float,
    out: NDArray[np.float64],
    isa: int,
    threads: int,
    poll_signals: bool,
) -> None: ...
def train_moments(
    stats: NDArray[np.float64],
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64],
    state: NDArray[np.float64],
) -> tuple[int, int]: ...
def moments_loss(stats: NDArray[np.float64], coef: NDArray[np.float64]) -> float: ...
def first_nonfinite(a: NDArray[np.float64] | NDArray[np.float32]) -> int: ...
def evaluate(
    x: NDArray[np.float64], coef: NDArray[np.float64], out: NDArray[np.float64]
) -> None: ...
