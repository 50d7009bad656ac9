"""polyfit.dask on a real distributed.LocalCluster: two worker processes, loopback only."""

import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np
import pytest
from distributed import Client, LocalCluster

import polyfit
import polyfit.dask


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 200_003)
    return x, np.sin(3 * x) + 0.1 * rng.standard_normal(x.size)


def test_dask_fit_equals_the_in_memory_fit(client, data):
    x, y = data
    dx, dy = da.from_array(x, chunks=17_000), da.from_array(y, chunks=30_000)  # unaligned
    result = polyfit.dask.fit(dx, dy, 5, lr="auto", epochs=400, seed=0)
    expected = polyfit.fit(x, y, 5, lr="auto", epochs=400, seed=0, method="moments")
    assert result.method == "moments"
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)
    np.testing.assert_allclose(result.losses, expected.losses, rtol=1e-9)
    np.testing.assert_allclose(result.loss, expected.loss, rtol=1e-9)


def test_dask_fit_survives_a_worker_that_dies(data, tmp_path):
    """A worker process dies during the statistics' compute, holding finished chunks'
    Moments; the scheduler reruns the task that was running there and recomputes the lost
    results on the other worker and on the one its nanny starts (dask's own recovery:
    polyfit.dask adds none).  The totals are exact sums, so the fit equals, bit for bit,
    the same fit without a death.

    The death is an event, not a timing: the task that makes a block of y (y is read only
    by that compute, not by scale's min/max) kills its own process the first time it runs
    on a worker holding a chunk's Moments; a marker file made with O_EXCL says "first" and
    names the dead worker.  Every wait has a bound, so a lost task fails, never hangs.
    """
    x, y = data
    marker = tmp_path / "killed"

    def die_once_holding_moments(block):
        worker = distributed.get_worker()
        tasks = list(worker.state.tasks.values())  # copied in one step: the loop adds tasks
        held = sum(task.state == "memory" and task.type is polyfit.Moments for task in tasks)
        if held:
            try:
                descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:  # a worker already died: compute the block
                return block
            os.write(descriptor, f"{worker.address} {held}".encode())
            os.close(descriptor)
            os._exit(1)  # abrupt: no goodbye to the scheduler, the worker's results are lost
        return block

    dx = da.from_array(x, chunks=10_000)  # 21 chunks, merged 4 at a time: 6 + 2 + 1 nodes
    dy = da.from_array(y, chunks=10_000)
    dying_dy = dy.map_blocks(die_once_holding_moments, dtype=dy.dtype)
    options = {"lr": "auto", "epochs": 6000, "seed": 0, "scale": True}
    # A live worker may be dialling the dead one for a result when it dies; it retries the
    # refused connection until this timeout (30 s by default, dask/distributed#6790) and
    # then asks the scheduler again: a shorter one only shortens that detour.
    with dask.config.set({"distributed.comm.timeouts.connect": "10s"}):  # the nannies copy it
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    fitting = ThreadPoolExecutor(max_workers=1)  # the fit runs there, so its wait has a bound
    try:
        # The default client, as in the fixture: not dask.config.set(scheduler=client), which
        # the nanny would pass to the replacement worker's process, and fail to pickle.
        with cluster, Client(cluster) as client:
            client.wait_for_workers(2, timeout=60)
            healthy = fitting.submit(polyfit.dask.fit, dx, dy, 5, split_every=4, **options)
            healthy_result = healthy.result(timeout=120)
            before = set(client.scheduler_info()["workers"])
            dying = fitting.submit(polyfit.dask.fit, dx, dying_dy, 5, split_every=4, **options)
            result = dying.result(timeout=120)
            client.wait_for_workers(2, timeout=60)  # the nanny has started a new worker
            after = set(client.scheduler_info()["workers"])
    finally:
        fitting.shutdown(wait=False, cancel_futures=True)

    assert marker.exists(), "no worker died: the test did not exercise a failure"
    dead, held = marker.read_text().split()
    assert int(held) >= 1  # it took finished results with it: they were computed again
    assert dead in before and dead not in after and len(after) == 2
    assert result.coef.tobytes() == healthy_result.coef.tobytes()
    assert result.losses.tobytes() == healthy_result.losses.tobytes()
    # in memory each power sum is one float64 sum over all of x, here one per chunk (added
    # exactly): they differ by rounding, hence 1e-9 as in the other tests here
    expected = polyfit.fit(x, y, 5, method="moments", **options)
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)
    np.testing.assert_allclose(result.losses, expected.losses, rtol=1e-9)
    np.testing.assert_allclose(result.loss, expected.loss, rtol=1e-9)


def test_dask_statistics_do_not_depend_on_the_tree(client, data):
    x, y = data
    dx, dy = da.from_array(x, chunks=9_000), da.from_array(y, chunks=9_000)
    wide = polyfit.dask.fit(dx, dy, 3, lr="auto", epochs=50, seed=1, split_every=32)
    narrow = polyfit.dask.fit(dx, dy, 3, lr="auto", epochs=50, seed=1, split_every=2)
    assert wide.coef.tobytes() == narrow.coef.tobytes()


def test_dask_scaled_fit(client):
    x = np.linspace(0, 40, 30_000)
    y = 0.5 * x**2 - 3 * x + 7
    result = polyfit.dask.fit(
        da.from_array(x, chunks=4000),
        da.from_array(y, chunks=4000),
        2,
        lr="auto",
        epochs=3000,
        seed=0,
        scale=True,
    )
    expected = polyfit.fit(x, y, 2, lr="auto", epochs=3000, seed=0, scale=True, method="moments")
    assert result.domain == (0.0, 40.0)
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)


def test_dask_refuses_exact_and_bad_input(client, data):
    x, y = data
    dx = da.from_array(x, chunks=50_000)
    with pytest.raises(ValueError, match="method='moments'"):
        polyfit.dask.fit(dx, dx, method="exact")
    with pytest.raises(ValueError, match="same length"):
        polyfit.dask.fit(dx, dx[:-1])
    with pytest.raises(ValueError, match="1-D"):
        polyfit.dask.fit(dx.reshape(-1, 1), dx.reshape(-1, 1))
    bad = y.copy()
    bad[123_456] = np.nan
    with pytest.raises(ValueError, match=r"y must be finite; y\[123456\].*starts at sample 100000"):
        polyfit.dask.fit(dx, da.from_array(bad, chunks=50_000), lr="auto")


def test_dask_example_runs(client):
    example = Path(__file__).resolve().parent.parent / "examples" / "dask_fit.py"
    done = subprocess.run(
        [
            sys.executable,
            str(example),
            "--samples",
            "2000000",
            "--scheduler",
            client.scheduler.address,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Result: y = " in done.stdout


def test_importing_polyfit_does_not_import_dask():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, polyfit; print('dask' in sys.modules, 'distributed' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]


def test_dask_warns_with_its_own_arguments_as_remedy(client):
    x = np.linspace(0.0, 10.0, 40_000)
    y = np.exp(0.2 * x) + np.sin(2.0 * x)
    dx, dy = da.from_array(x, chunks=10_000), da.from_array(y, chunks=10_000)
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        result = polyfit.dask.fit(dx, dy, 7)
    remedy = caught[0].message.remedy
    assert set(remedy) == {"epochs"}  # no method: dask.fit is always "moments"
    expected = polyfit.fit(x, y, 7, method="moments", epochs=0)
    assert result.optimal_loss == pytest.approx(expected.optimal_loss, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        remedied = polyfit.dask.fit(dx, dy, 7, **remedy)
    best = np.polynomial.Polynomial.fit(x, y, 7)
    assert remedied.loss <= 1.01 * float(np.sum((best(x) - y) ** 2))


# ---- sample_weight (issue 15) ----


@pytest.fixture(scope="module")
def weighted():
    """Integer weights 0..3 (the extreme x weighted) and the repeated samples."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 10.0, 100_003)
    y = np.cos(x) + 0.1 * rng.standard_normal(x.size)
    w = rng.integers(0, 4, x.size).astype(np.float64)
    w[[x.argmin(), x.argmax()]] = 1.0
    counts = w.astype(np.int64)
    return x, y, w, np.repeat(x, counts), np.repeat(y, counts)


def test_dask_weighted_fit_equals_the_fit_of_repeated_samples(client, weighted):
    x, y, w, x_repeated, y_repeated = weighted
    result = polyfit.dask.fit(
        da.from_array(x, chunks=13_000),
        da.from_array(y, chunks=13_000),
        4,
        sample_weight=da.from_array(w, chunks=40_000),  # rechunked like x
        epochs=3000,
    )
    narrow = polyfit.dask.fit(
        da.from_array(x, chunks=13_000),
        da.from_array(y, chunks=13_000),
        4,
        sample_weight=da.from_array(w, chunks=13_000),
        epochs=3000,
        split_every=2,
    )
    assert narrow.coef.tobytes() == result.coef.tobytes()  # the tree does not matter
    repeated = polyfit.fit(x_repeated, y_repeated, 4, method="moments", epochs=3000)
    in_memory = polyfit.fit(x, y, 4, sample_weight=w, method="moments", epochs=3000)
    for expected in (repeated, in_memory):
        assert result.domain == expected.domain
        np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-10)
        np.testing.assert_allclose(result.losses, expected.losses, rtol=1e-10)
        assert result.optimal_loss == pytest.approx(expected.optimal_loss, rel=1e-10)
        assert result.lr == pytest.approx(expected.lr, rel=1e-10)


def test_dask_weights_of_zero_drop_samples_from_the_domain_too(client, weighted):
    x, y, w, _, _ = weighted
    all_x = np.concatenate([x, [-1e6, 1e6]])
    all_y = np.concatenate([y, [1e12, -1e12]])
    all_w = np.concatenate([w, [0.0, 0.0]])
    result = polyfit.dask.fit(
        da.from_array(all_x, chunks=20_000),
        da.from_array(all_y, chunks=20_000),
        3,
        sample_weight=all_w,  # a numpy array is taken too
    )
    expected = polyfit.fit(x, y, 3, sample_weight=w, method="moments")
    assert result.domain == expected.domain == (float(x.min()), float(x.max()))
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-10)


def test_dask_refuses_bad_weights_naming_sample_weight(client, weighted):
    x, y, w, _, _ = weighted
    dx, dy = da.from_array(x, chunks=20_000), da.from_array(y, chunks=20_000)
    negative = w.copy()
    negative[45_678] = -2.0
    with pytest.raises(
        ValueError,
        match=r"sample_weight must be >= 0; sample_weight\[45678\] is -2.0 \(in the "
        r"chunk that starts at sample 40000\)",
    ):
        polyfit.dask.fit(dx, dy, sample_weight=da.from_array(negative, chunks=7_000))
    missing = w.copy()
    missing[99_999] = np.nan
    with pytest.raises(ValueError, match=r"sample_weight must be finite; sample_weight\[99999\]"):
        polyfit.dask.fit(dx, dy, sample_weight=missing)
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        polyfit.dask.fit(dx, dy, sample_weight=np.zeros(x.size))
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per sample: x has "
                       r"100003 samples, sample_weight 100002"):  # fmt: skip
        polyfit.dask.fit(dx, dy, sample_weight=w[:-1])
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D, got an array of shape"):
        polyfit.dask.fit(dx, dy, sample_weight=w.reshape(-1, 1))
    with pytest.raises(TypeError, match="sample_weight must contain real numbers, got dtype"):
        polyfit.dask.fit(dx, dy, sample_weight=w.astype(complex))


@pytest.mark.filterwarnings("ignore::polyfit.ConvergenceWarning")  # x**2: exact, slow to reach
def test_dask_fit_of_many_series_on_the_cluster(client, data):
    """A 2-D y (k series sharing x) through worker processes: each chunk's Moments of
    three series travels back pickled and merges exactly; the fit equals the in-memory
    2-D fit to the rounding of the chunks' sums."""
    x, y = data
    ys = np.column_stack([y, 2.0 * y + x, x**2])
    weights = np.random.default_rng(1).uniform(0.5, 1.5, ys.shape)
    result = polyfit.dask.fit(
        da.from_array(x, chunks=50_000),
        da.from_array(ys, chunks=(30_000, 2)),
        4,
        epochs=300,
        sample_weight=da.from_array(weights, chunks=(70_000, 3)),
    )
    expected = polyfit.fit(x, ys, 4, method="moments", epochs=300, sample_weight=weights)
    assert result.coef.shape == (5, 3)
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.losses, expected.losses, rtol=1e-9)
