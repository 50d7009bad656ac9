"""Interrupts, threads, memory: what a long-running program embedding polyfit relies on."""

import gc
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest

import polyfit

INTERRUPTED_FIT = """
import signal, sys, time, numpy as np, polyfit
# Python leaves SIGINT ignored if it started so (a background job of a
# non-interactive shell, nohup, some CI runners): restore Ctrl-C's default.
signal.signal(signal.SIGINT, signal.default_int_handler)
n, degree, epochs, threads = (int(v) for v in sys.argv[1:5])
x = np.linspace(-1, 1, n, dtype=np.float32)
y = np.broadcast_to(np.float32(0.5), (n,))
print("ready", flush=True)
try:
    polyfit.fit(x, y, degree, lr=1e-12, epochs=epochs, seed=0, threads=threads)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("n", "degree", "epochs", "threads"),
    [
        (2_000_000, 3, 10**7, 1),  # many short epochs
        (2_000_000, 3, 10**7, 2),  # the OpenMP path
        (20_000_000, 20, 1, 1),  # a single epoch of ~0.5 s (generic-degree pass)
    ],
)
def test_ctrl_c_stops_a_long_fit_within_200_ms(n, degree, epochs, threads):
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_FIT, str(n), str(degree), str(epochs), str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.25)  # well inside the fit
        sent = time.monotonic()  # CLOCK_MONOTONIC: one clock for both processes
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()  # a child that did not stop must not outlive the test
        child.wait()
    assert child.returncode == 0, err
    word, caught = out.split()
    assert word == "interrupted"
    assert float(caught) - sent < 0.2


def test_kernel_releases_the_gil():
    """While a fit runs in one thread, Python code keeps running in another."""
    n = 1_000_000
    x = np.linspace(-1, 1, n)
    y = np.cos(x)
    worker = threading.Thread(
        target=polyfit.fit,
        args=(x, y, 3),
        kwargs={"lr": 1e-10, "epochs": 400, "seed": 0, "threads": 1},
    )
    worker.start()
    time.sleep(0.02)
    counted = 0
    started = time.perf_counter()
    while time.perf_counter() - started < 0.2:
        counted += 1
    still_fitting = worker.is_alive()
    worker.join()
    assert still_fitting, "the fit finished too soon to tell"
    assert counted > 10_000  # with the GIL held by the fit, this loop would not run


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
