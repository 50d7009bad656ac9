# Stub of polyfit's compiled kernel (private; see polyfit._kernels and polyfit._fit).
# _kernel_baseline, _kernel_avx2 and _kernel_avx512 share this interface.
from typing import overload

import numpy as np
from numpy.typing import NDArray

STATUS_OK: int
STATUS_DIVERGED: int
STATUS_CONVERGED: int
BLOCK: int
LANES: int
SPECIALISED_MAX: int
SMALL: int
FUSED_MAX: int
ALIGNED_FROM: int
ISA: str
OPTIMIZERS: dict[str, int]

def state_size(degree: int) -> int: ...
def cpu_supports(isa: str) -> bool: ...
def have_openmp() -> bool: ...
def debug_build() -> bool: ...
def max_threads() -> int: ...
@overload
def run_epochs(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    shift: float,
    factor: float,
    threads: int,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64] | None,
    state: NDArray[np.float64] | None,
    moments_out: NDArray[np.float64] | None = None,
) -> tuple[int, int]: ...
@overload
def run_epochs(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    shift: float,
    factor: float,
    threads: int,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64] | None,
    state: NDArray[np.float64] | None,
    moments_out: NDArray[np.float64] | None = None,
) -> tuple[int, int]: ...
@overload
def sums(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def sums(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def moments(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    degree: int,
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
    x_range: NDArray[np.float64] | None = None,
) -> bool: ...
@overload
def moments(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    degree: int,
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
    x_range: NDArray[np.float64] | None = None,
) -> bool: ...
def train_moments(
    stats: NDArray[np.float64],
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_loss: float,
    poll_signals: bool,
    optimizer: int,
    hyper: NDArray[np.float64] | None,
    state: NDArray[np.float64] | None,
) -> tuple[int, int]: ...
def moments_loss(stats: NDArray[np.float64], coef: NDArray[np.float64]) -> float: ...
def first_nonfinite(a: NDArray[np.float64] | NDArray[np.float32]) -> int: ...
def scale_x(
    x: NDArray[np.float64] | NDArray[np.float32],
    shift: float,
    factor: float,
    out: NDArray[np.float64],
) -> None: ...
def evaluate(
    x: NDArray[np.float64], coef: NDArray[np.float64], out: NDArray[np.float64]
) -> None: ...
@overload
def final_pass(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    shift: float,
    factor: float,
    coef: NDArray[np.float64],
    other_coef: NDArray[np.float64] | None,
    moments_out: NDArray[np.float64] | None,
    threads: int,
    poll_signals: bool,
    x_range: NDArray[np.float64] | None = None,
) -> tuple[float, float]: ...
@overload
def final_pass(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    shift: float,
    factor: float,
    coef: NDArray[np.float64],
    other_coef: NDArray[np.float64] | None,
    moments_out: NDArray[np.float64] | None,
    threads: int,
    poll_signals: bool,
    x_range: NDArray[np.float64] | None = None,
) -> tuple[float, float]: ...
def x_range(x: NDArray[np.float64] | NDArray[np.float32]) -> tuple[float, float]: ...
def eigh(
    stats: NDArray[np.float64],
    degree: int,
    eigenvalues: NDArray[np.float64],
    vectors: NDArray[np.float64],
) -> None: ...
def epochs_needed(
    energy: NDArray[np.float64], log_rates: NDArray[np.float64], excess: float, cap: int
) -> int: ...
def rewindow(
    stats: NDArray[np.float64], degree: int, a: float, b: float, out: NDArray[np.float64]
) -> None: ...
def optimum(
    stats: NDArray[np.float64],
    degree: int,
    resolved: float,
    eigenvalues: NDArray[np.float64],
    vectors: NDArray[np.float64],
    coef: NDArray[np.float64],
) -> tuple[float, float, int]: ...
def decay(
    eigenvalues: NDArray[np.float64],
    vectors: NDArray[np.float64],
    coef: NDArray[np.float64],
    start: NDArray[np.float64],
    limit: float,
    energy: NDArray[np.float64],
    log_rates: NDArray[np.float64],
) -> float: ...
def descent(
    eigenvalues: NDArray[np.float64],
    vectors: NDArray[np.float64],
    coef: NDArray[np.float64],
    start: NDArray[np.float64],
    limit: float,
    target: float,
    slack: float,
    floor_scale: float,
    cap: int,
) -> tuple[float, int]: ...
@overload
def series_epochs_run(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_losses: NDArray[np.float64],
    shift: float,
    factor: float,
    threads: int,
    poll_signals: bool,
) -> tuple[int, int]: ...
@overload
def series_epochs_run(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_losses: NDArray[np.float64],
    shift: float,
    factor: float,
    threads: int,
    poll_signals: bool,
) -> tuple[int, int]: ...
@overload
def series_sums(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def series_sums(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    coef: NDArray[np.float64],
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def series_moments(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    degree: int,
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
@overload
def series_moments(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    weights: NDArray[np.float64] | None,
    weights2d: NDArray[np.float64] | None,
    degree: int,
    shift: float,
    factor: float,
    out: NDArray[np.float64],
    threads: int,
    poll_signals: bool,
) -> None: ...
def series_train_moments(
    stats: NDArray[np.float64],
    coef: NDArray[np.float64],
    losses: NDArray[np.float64],
    lr: float,
    tol: float,
    previous_losses: NDArray[np.float64],
    poll_signals: bool,
    threads: int = 1,
) -> tuple[int, int]: ...
