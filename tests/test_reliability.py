"""Interrupts, threads, memory: what a long-running program embedding polyfit relies on."""

import gc
import os
import signal
import subprocess
import sys
import threading
import traceback
import tracemalloc
import warnings

import numpy as np
import pytest

import polyfit

# The child fits on its main thread (where the kernel runs Python's signal
# handlers).  A helper thread prints "inside" as soon as it gets the GIL after
# the fit began: with sys.setswitchinterval(30) the fit's thread never hands the
# GIL over on its own, so that happens when the kernel releases it.  The parent
# then sends SIGINT.  If the KeyboardInterrupt's traceback passes through the
# kernel, the kernel stopped the fit; otherwise the signal landed in Python code
# (some numpy call released the GIL before the kernel) and the child tries again.
INTERRUPTED_FIT = """
import signal, sys, threading, traceback, numpy as np, polyfit
# Python leaves SIGINT ignored if it started so (a background job of a
# non-interactive shell, nohup, some CI runners): restore Ctrl-C's default.
signal.signal(signal.SIGINT, signal.default_int_handler)
n, degree, epochs, threads = (int(v) for v in sys.argv[1:5])
x = np.linspace(-1, 1, n, dtype=np.float32)
y = np.full(n, 0.5, dtype=np.float32)  # contiguous: no copy (which frees the GIL)
init = np.zeros(degree + 1)
options = dict(lr=1e-12, init=init, threads=threads, scale=False, method="exact")
polyfit.fit(x[:1000], y[:1000], degree, epochs=1, **options)  # warm: imports, pools
sys.setswitchinterval(30)
go = threading.Event()

def announce():
    while go.wait():
        go.clear()
        print("inside", flush=True)

threading.Thread(target=announce, daemon=True).start()
for attempt in range(20):
    go.set()
    try:
        polyfit.fit(x, y, degree, epochs=epochs, **options)
        print("finished", flush=True)
        break
    except KeyboardInterrupt as stop:
        files = [frame.filename for frame in traceback.extract_tb(stop.__traceback__)]
        where = "kernel" if any("_kernel" in name for name in files) else "python"
        print("interrupted", where, flush=True)
        if where == "kernel":
            break
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("n", "degree", "epochs", "threads"),
    [
        (2_000_000, 3, 10**7, 1),  # many short epochs in one kernel call
        (2_000_000, 3, 10**7, 2),  # the OpenMP path
        (20_000_000, 40, 1, 1),  # one long epoch (generic-degree pass)
    ],
)
def test_ctrl_c_stops_a_long_fit_from_inside_the_kernel(n, degree, epochs, threads):
    """SIGINT while the kernel runs raises KeyboardInterrupt from the kernel itself:
    with epochs=1 that is inside the only epoch, which polling between epochs
    could not do.  Waits on the child's messages, never on a clock (the timeout
    only bounds a hang)."""
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_FIT, str(n), str(degree), str(epochs), str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reports = []
    try:
        for line in child.stdout:
            reports.append(line.strip())
            if reports[-1] == "inside":
                child.send_signal(signal.SIGINT)
            elif reports[-1] in ("interrupted kernel", "finished"):
                break
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()  # a child that did not stop must not outlive the test
        child.wait()
    assert child.returncode == 0, err
    assert reports[-1] == "interrupted kernel", reports


class _Signalled(Exception):
    pass


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
def test_kernel_releases_the_gil():
    """While a fit runs in the kernel, Python code runs in another thread.

    No clock: the helper thread counts, then signals the process; the handler
    runs inside the kernel's next interrupt poll and raises.  If the kernel held
    the GIL, the helper could not run until the fit had finished, and the fit
    would end normally instead.  The traceback tells where the handler ran; if
    it ran in Python code before the kernel, the fit is tried again.
    """
    x = np.linspace(-1, 1, 100_000)
    y = np.cos(x)
    options = {"lr": 1e-10, "init": np.zeros(4), "threads": 1, "scale": False, "method": "exact"}
    polyfit.fit(x[:100], y[:100], 3, epochs=2, **options)  # warm: no imports left
    go = threading.Event()
    done = threading.Event()
    counted = []

    def helper():
        while go.wait() and not done.is_set():
            go.clear()
            total = 0
            for i in range(1000):  # Python code, which needs the GIL
                total += i
            counted.append(total)
            os.kill(os.getpid(), signal.SIGUSR1)

    def handler(signum, frame):
        raise _Signalled

    previous_handler = signal.signal(signal.SIGUSR1, handler)
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(30)  # the fit's thread keeps the GIL unless it releases it
    places = []
    worker = threading.Thread(target=helper)
    try:
        worker.start()
        for _ in range(20):
            go.set()
            try:
                polyfit.fit(x, y, 3, epochs=100_000, **options)
            except _Signalled as raised:
                files = [frame.filename for frame in traceback.extract_tb(raised.__traceback__)]
                places.append("kernel" if any("_kernel" in f for f in files) else "python")
                if places[-1] == "kernel":
                    break
            else:
                places.append("finished")
                break
    finally:
        sys.setswitchinterval(previous_interval)
        done.set()  # before go: the helper must not signal once the handler is gone
        go.set()
        worker.join()
        signal.signal(signal.SIGUSR1, previous_handler)
    assert places[-1] == "kernel", places
    assert counted and counted[-1] == sum(range(1000))


def test_python_threads_get_the_serial_answers():
    rng = np.random.default_rng(3)
    problems = []
    for k in range(8):
        x = rng.uniform(-1, 1, 20_000 + 1000 * k)
        problems.append((x, np.sin(3 * x) + 0.1 * rng.standard_normal(x.size), k % 5))
    serial = [
        polyfit.fit(x, y, d, lr=1e-6, epochs=200, seed=k) for k, (x, y, d) in enumerate(problems)
    ]
    parallel = [None] * len(problems)

    def run(k):
        x, y, d = problems[k]
        parallel[k] = polyfit.fit(x, y, d, lr=1e-6, epochs=200, seed=k)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(problems))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for expected, result in zip(serial, parallel, strict=True):
        assert result.coef.tobytes() == expected.coef.tobytes()
        assert result.losses.tobytes() == expected.losses.tobytes()


def _rss_bytes():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc (Linux)")
def test_ten_thousand_fits_leave_memory_flat():
    x = np.linspace(-1, 1, 300)
    y = np.sin(x)

    def many(count):
        # 5 epochs end far above the optimum: each fit warns, with its own numbers.
        # Python keeps every warning it shows (pytest records them, the warnings
        # module remembers each distinct message); that memory is not the fits'.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", polyfit.ConvergenceWarning)
            for k in range(count):
                result = polyfit.fit(x, y, k % 6, lr=1e-4, epochs=5, seed=k)
                result.predict(x[:10])

    many(500)  # warm-up: caches, allocator pools
    gc.collect()
    before = _rss_bytes()
    tracemalloc.start()
    snapshot_before = tracemalloc.take_snapshot()
    many(10_000)
    gc.collect()
    snapshot_after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in snapshot_after.compare_to(snapshot_before, "filename"))
    assert grown < 64 * 1024, grown
    assert _rss_bytes() - before < 4 * 2**20
