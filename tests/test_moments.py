"""method='moments', Moments, fit_stream, lr='auto', tol and scale=True."""

import math
import subprocess
import sys
import tracemalloc
import warnings
from fractions import Fraction

import numpy as np
import pytest
from conftest import RUNNABLE_ISAS, kernel_u, stable_lr

import polyfit
from polyfit import _kernels


def test_moments_equal_exact_on_the_tutorial(tutorial_data):
    x, y = tutorial_data
    for seed in range(3):
        exact = polyfit.fit(x, y, lr=1e-6, scale=False, seed=seed)
        moments = polyfit.fit(x, y, lr=1e-6, scale=False, seed=seed, method="moments")
        assert moments.method == "moments" and exact.method == "exact"
        np.testing.assert_allclose(moments.coef, exact.coef, rtol=1e-8)
        np.testing.assert_allclose(moments.losses, exact.losses, rtol=1e-8)
        assert moments.loss == pytest.approx(exact.loss, rel=1e-8)


@pytest.mark.parametrize("degree", [0, 1, 5, 8, 9, 12, 16])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_moments_equal_exact_for_degrees_up_to_16(degree, dtype):
    """Including the generic-degree pass (> 8) and float32 data, in [-1, 1]."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, 5003).astype(dtype)
    y = (np.cos(2 * x) + 0.1 * rng.standard_normal(x.size)).astype(dtype)
    init = rng.standard_normal(degree + 1)
    lr = stable_lr(x, degree)
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.ConditioningWarning)  # none in [-1, 1]
        moments = polyfit.fit(
            x, y, degree, lr=lr, epochs=200, init=init, method="moments", scale=False
        )
    exact = polyfit.fit(x, y, degree, lr=lr, epochs=200, init=init, scale=False)
    np.testing.assert_allclose(moments.coef, exact.coef, rtol=1e-8)
    np.testing.assert_allclose(moments.losses, exact.losses, rtol=1e-8)


@pytest.mark.parametrize("degree", [0, 3, 8, 9])
@pytest.mark.parametrize("case", ["run", "tol", "diverge"])
def test_plain_steps_on_moments_equal_the_general_optimiser_loop(degree, case):
    """Plain gradient descent on the statistics has its own compiled loop (degree
    <= 8); SGD with momentum 0 takes the general one and the same arithmetic, so
    the two agree bit for bit -- also where tol stops and where the fit diverges."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, 1001)
    y = np.cos(2 * x) + 0.1 * rng.standard_normal(x.size)
    init = rng.standard_normal(degree + 1)
    lr = {"run": 0.5, "tol": 0.5, "diverge": 40.0}[case] * stable_lr(x, degree)
    tol = 1e-3 if case == "tol" else None
    kwargs = {"lr": lr, "epochs": 5000, "init": init, "method": "moments", "tol": tol}
    if case == "diverge":
        with pytest.raises(polyfit.DivergenceError) as plain:
            polyfit.fit(x, y, degree, **kwargs)
        with pytest.raises(polyfit.DivergenceError) as general:
            polyfit.fit(x, y, degree, optimizer="momentum", momentum=0.0, **kwargs)
        assert plain.value.epoch == general.value.epoch > 0
        np.testing.assert_array_equal(plain.value.coef, general.value.coef)
        return
    plain = polyfit.fit(x, y, degree, **kwargs)
    general = polyfit.fit(x, y, degree, optimizer="momentum", momentum=0.0, **kwargs)
    assert plain.epochs_run == general.epochs_run
    assert plain.converged == general.converged == (case == "tol")
    np.testing.assert_array_equal(plain.losses, general.losses)
    np.testing.assert_array_equal(plain.coef, general.coef)


@pytest.mark.parametrize("degree", [0, 3, 9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("isa", RUNNABLE_ISAS)
def test_power_sums_are_exact_on_every_instruction_set(degree, dtype, isa):
    """The kernel's power sums of u = (x - shift) * scale against exact rational
    sums of the same u (conftest.kernel_u: computed as the kernel does), to n * eps of the
    terms; degree 9 takes the generic-degree pass, n = 37 the padded tail."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-3, 5, 37).astype(dtype)
    y = rng.standard_normal(37).astype(dtype)
    shift, scale = 1.0, 0.25
    out = np.empty(3 * degree + 3)
    _kernels.module(isa).moments(x, y, None, degree, shift, scale, out, 1, False)
    u = kernel_u(isa, x, shift, scale)
    y64 = y.astype(np.float64)
    us = [Fraction(float(v)) for v in u]
    ys = [Fraction(float(v)) for v in y64]
    terms = (
        [[ui**k for ui in us] for k in range(2 * degree + 1)]
        + [[ui**k * yi for ui, yi in zip(us, ys, strict=True)] for k in range(degree + 1)]
        + [[yi * yi for yi in ys]]
    )
    exact = np.array([float(sum(row)) for row in terms])
    bound = 37 * 2.3e-16 * np.array([float(sum(abs(t) for t in row)) for row in terms])
    assert np.all(np.abs(out - exact) <= bound), (out - exact) / bound


def test_moments_loss_cancellation_is_bounded_by_sum_y_squared():
    """Near an exact fit the moments loss is a difference of large terms: its
    absolute error is a few eps * sum(y^2) -- relative accuracy is lost, the
    absolute bound holds."""
    x = np.linspace(-1, 1, 20_001)
    y = 3.0 + 2.0 * x - x**2 + 1e-9 * np.sin(40 * x)  # loss at the optimum ~ 1e-14
    init = [3.0, 2.0, -1.0]
    exact = polyfit.fit(x, y, 2, lr=1e-5, epochs=5, init=init)
    moments = polyfit.fit(x, y, 2, lr=1e-5, epochs=5, init=init, method="moments")
    scale = float(np.sum(y**2))
    assert exact.losses[0] < 1e-13 * scale  # the regime where cancellation matters
    assert np.all(np.abs(moments.losses - exact.losses) <= 50 * 2.2e-16 * scale)
    np.testing.assert_allclose(moments.coef, exact.coef, rtol=1e-12)


def test_moments_threads_are_bitwise_identical():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 300_007)
    y = np.sin(x)
    stats = [polyfit.Moments(6, None).update(x, y, threads=k).stats for k in (1, 2, 4)]
    for other in stats[1:]:
        assert other.tobytes() == stats[0].tobytes()


def _relative_error(actual, desired):
    """Differences relative to the statistic's own scale (odd sums can be ~0)."""
    return np.max(
        np.abs(actual - desired) / np.maximum(np.abs(desired), 1e-3 * np.abs(desired).max())
    )


def test_chunked_merged_and_streamed_equal_one_pass():
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 3, 50_000)
    y = np.exp(-x) + 0.05 * rng.standard_normal(x.size)
    one = polyfit.Moments(3, None).update(x, y)
    cuts = np.sort(rng.choice(np.arange(1, x.size), 7, replace=False))
    parts = list(zip(np.split(x, cuts), np.split(y, cuts), strict=True))
    pieces = [polyfit.Moments(3, None).update(a, b) for a, b in parts]
    chained = polyfit.Moments(3, None)
    for a, b in parts:
        chained.update(a, b)
    merged = sum(pieces)
    assert merged == chained and merged.count == x.size
    assert _relative_error(merged.stats, one.stats) < 1e-12
    # associative and commutative bit for bit: the sums are kept exactly
    a, b, c = pieces[0], pieces[1], pieces[2]
    assert (a + b) + c == a + (b + c) == c.merge(b.merge(a))
    streamed = polyfit.fit_stream(iter(parts), 3, domain=None, lr="auto", epochs=300, seed=0)
    in_memory = polyfit.fit(x, y, 3, lr="auto", epochs=300, seed=0, method="moments", scale=False)
    np.testing.assert_allclose(streamed.coef, in_memory.coef, rtol=1e-9)
    np.testing.assert_allclose(streamed.losses, in_memory.losses, rtol=1e-9)


def test_save_and_load_are_exact(tmp_path):
    x = np.linspace(0, 5, 1234)
    moments = polyfit.Moments(2, domain=(0, 5)).update(x, np.sqrt(x))
    moments.save(tmp_path / "stats.npz")
    loaded = polyfit.Moments.load(tmp_path / "stats.npz")
    assert loaded == moments and loaded.domain == (0.0, 5.0) and loaded.count == 1234
    assert loaded.stats.tobytes() == moments.stats.tobytes()


def test_stream_from_memory_mapped_files_in_constant_memory(tmp_path):
    n, chunk = 2_000_000, 65_536
    rng = np.random.default_rng(3)
    np.save(tmp_path / "x.npy", rng.uniform(-1, 1, n))
    np.save(tmp_path / "y.npy", np.cos(np.load(tmp_path / "x.npy", mmap_mode="r")))
    x = np.load(tmp_path / "x.npy", mmap_mode="r")
    y = np.load(tmp_path / "y.npy", mmap_mode="r")
    chunks = ((x[i : i + chunk], y[i : i + chunk]) for i in range(0, n, chunk))
    tracemalloc.start()
    result = polyfit.fit_stream(chunks, 2, domain=None, lr="auto", epochs=200, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2 * 2**20  # the 32 MB of data are never held: O(chunk) at most
    expected = polyfit.fit(
        np.asarray(x),
        np.asarray(y),
        2,
        lr="auto",
        epochs=200,
        seed=0,
        method="moments",
        scale=False,
    )
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_auto_lr_decreases_the_loss_every_epoch(method):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 2, 4000)
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(x.size)
    result = polyfit.fit(x, y, 5, lr="auto", epochs=500, seed=1, method=method, scale=False)
    gram = np.vander(x, 6, increasing=True)
    assert result.lr == pytest.approx(0.5 / np.linalg.eigvalsh(gram.T @ gram)[-1], rel=1e-10)
    steps = np.diff(result.losses)
    assert np.all(steps <= 1e-12 * result.losses[1:])  # monotone, up to rounding
    assert result.losses[-1] < 0.5 * result.losses[0]


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_tol_stops_when_progress_stalls(method, tutorial_data):
    x, y = tutorial_data
    tol = 1e-7
    result = polyfit.fit(x, y, lr="auto", epochs=1_000_000, tol=tol, seed=0, method=method)
    assert result.converged and result.epochs_run < 1_000_000
    assert result.losses.shape == (result.epochs_run,)
    decrease = -np.diff(result.losses) / result.losses[:-1]
    assert 0 <= decrease[-1] <= tol and np.all(decrease[:-1] > tol)
    unstopped = polyfit.fit(x, y, lr="auto", epochs=result.epochs_run, seed=0, method=method)
    assert not unstopped.converged
    np.testing.assert_array_equal(unstopped.coef, result.coef)


def test_tol_with_callbacks_sees_the_same_stop(tutorial_data):
    x, y = tutorial_data
    plain = polyfit.fit(x, y, lr="auto", epochs=100_000, tol=1e-6, seed=0)
    logged = polyfit.fit(
        x,
        y,
        lr="auto",
        epochs=100_000,
        tol=1e-6,
        seed=0,
        log_every=7,
        callback=lambda t, loss, coef: None,
    )
    assert logged.epochs_run == plain.epochs_run and logged.converged
    np.testing.assert_array_equal(logged.coef, plain.coef)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_scaled_fit_reaches_the_least_squares_optimum(method):
    """x in [0, 40], degree 2: raw powers have cond(G) ~ 1e6 and gradient descent
    stalls; scaled onto [-1, 1] it reaches the optimum's loss within 0.1%."""
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(0, 40, 3000))
    y = 0.5 * x**2 - 3 * x + 7 + 20 * rng.standard_normal(x.size)
    optimum = np.polynomial.Polynomial.fit(x, y, 2)
    best = float(np.sum((optimum(x) - y) ** 2))
    scaled = polyfit.fit(x, y, 2, lr="auto", epochs=3000, seed=0, scale=True, method=method)
    assert scaled.loss <= 1.001 * best
    assert scaled.domain == (x.min(), x.max())
    np.testing.assert_allclose(scaled.coef, optimum.convert().coef, rtol=1e-2)
    np.testing.assert_allclose(
        scaled.predict(x), optimum(x), rtol=1e-3, atol=1e-3 * np.abs(y).max()
    )
    np.testing.assert_allclose(scaled.to_polynomial()(x), scaled.predict(x), rtol=1e-12)
    raw = polyfit.fit(x, y, 2, lr="auto", epochs=3000, seed=0, method=method, scale=False)
    assert raw.loss > 1.01 * best  # the test can fail: without scaling it cannot get there


def test_scale_keeps_the_trajectory_in_the_scaled_variable():
    x = np.linspace(10, 20, 500)
    y = np.log(x)
    init = [0.1, 0.2, 0.3]
    scaled = polyfit.fit(x, y, 2, lr=1e-4, epochs=50, init=init, scale=True)
    u = (x - 15.0) / 5.0
    direct = polyfit.fit(u, y, 2, lr=1e-4, epochs=50, init=init)
    np.testing.assert_allclose(scaled.scaled_coef, direct.coef, rtol=1e-12)
    np.testing.assert_allclose(scaled.losses, direct.losses, rtol=1e-12)


def test_conditioning_warning_names_the_cause():
    x = np.linspace(0, 100, 1000)
    with pytest.warns(
        polyfit.ConditioningWarning, match=r"degree 10 over x in \[0, 100\].*scale=True"
    ):
        polyfit.fit(x, np.sqrt(x), 10, lr=1e-40, epochs=5, seed=0, method="moments", scale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.ConditioningWarning)
        polyfit.fit(x, np.sqrt(x), 10, lr="auto", epochs=5, seed=0, method="moments", scale=True)


def test_overflowing_power_sums_are_refused():
    x = np.array([1e200, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"overflow float64.*scale=True"):
        polyfit.fit(x, [1.0, 2.0, 3.0], 2, method="moments", seed=0, scale=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"method": "fast"}, ValueError, "method"),
        ({"method": 3}, TypeError, "method"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"tol": math.nan}, ValueError, "tol"),
        ({"tol": "small"}, TypeError, "tol"),
        ({"scale": "yes"}, TypeError, "scale"),
        ({"scale": 1}, TypeError, "scale"),
        ({"lr": "fast"}, TypeError, "lr"),
    ],
)
def test_bad_new_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        polyfit.fit([0.0, 1.0], [0.0, 1.0], 1, **kwargs)


def test_moments_bad_input():
    with pytest.raises(ValueError, match="no data"):
        polyfit.Moments(2, None).fit()
    with pytest.raises(ValueError, match="cannot merge"):
        polyfit.Moments(2, None) + polyfit.Moments(3, None)
    with pytest.raises(ValueError, match="domain"):
        polyfit.Moments(2, domain=(1.0, 0.0))
    with pytest.raises(TypeError, match="pairs"):
        polyfit.fit_stream([np.ones(3)], 1, domain=None)
    with pytest.raises(ValueError, match=r"y must be finite; y\[1\]"):
        polyfit.Moments(1, None).update([1.0, 2.0], [0.0, math.nan])


def test_moments_fit_equals_fit_stream_with_the_same_domain():
    """README's "the same in one call": the domain and the epochs make it so."""
    x = np.linspace(0.0, 10.0, 3000)
    y = np.sqrt(x)
    chunks = [(x[i : i + 700], y[i : i + 700]) for i in range(0, x.size, 700)]
    stats = polyfit.Moments(3, domain=(0.0, 10.0))
    for x_chunk, y_chunk in chunks:
        stats.update(x_chunk, y_chunk)
    looped = stats.fit(epochs=2000)
    streamed = polyfit.fit_stream(chunks, 3, domain=(0.0, 10.0), epochs=2000)
    assert streamed.coef.tobytes() == looped.coef.tobytes()
    assert streamed.losses.tobytes() == looped.losses.tobytes()
    assert streamed.optimal_loss == looped.optimal_loss
    in_memory = polyfit.fit(x, y, 3, method="moments", epochs=2000)
    np.testing.assert_allclose(looped.coef, in_memory.coef, rtol=1e-9)


def test_a_domain_is_required_and_must_have_width():
    with pytest.raises(TypeError, match=r"Moments needs domain=\(lo, hi\)"):
        polyfit.Moments(3)
    with pytest.raises(TypeError, match=r"fit_stream needs domain"):
        polyfit.fit_stream([(np.ones(3), np.ones(3))], 1)
    with pytest.raises(ValueError, match="zero width"):
        polyfit.Moments(2, domain=(5.0, 5.0))
    with pytest.raises(ValueError, match="too narrow"):
        polyfit.Moments(2, domain=(0.0, 5e-324))
    with pytest.raises(ValueError, match="finite"):
        polyfit.Moments(2, domain=(0.0, math.inf))
    with pytest.raises(TypeError, match="pair"):
        polyfit.Moments(2, domain="wide")
    with pytest.raises(ValueError, match="degree must be <= 1000"):
        polyfit.Moments(1001, domain=None)
    wide = polyfit.Moments(2, domain=(-1e308, 1e308)).update([1e307, -1e307], [1.0, 2.0])
    assert np.isfinite(wide.stats).all()


def test_data_outside_the_domain_are_refused_and_not_added():
    stats = polyfit.Moments(2, domain=(0.0, 10.0)).update([0.0, 10.0], [1.0, 2.0])
    before = polyfit.Moments.merge(stats, polyfit.Moments(2, domain=(0.0, 10.0)))
    with pytest.raises(ValueError, match=r"x\[2\] = 10.5 is outside the domain \[0, 10\]"):
        stats.update([1.0, 2.0, 10.5, -3.0], [0.0, 0.0, 0.0, 0.0])
    assert stats == before and stats.count == 2 and stats.x_range == (0.0, 10.0)


def test_x_range_is_tracked_and_merged():
    a = polyfit.Moments(1, domain=None).update([3.0, -2.0], [0.0, 1.0])
    b = polyfit.Moments(1, domain=None).update(np.float32([7.5]), np.float32([1.0]))
    assert a.x_range == (-2.0, 3.0) and (a + b).x_range == (-2.0, 7.5) == (b + a).x_range
    assert polyfit.Moments(1, domain=None).x_range is None
    assert sum([a, b]).x_range == (-2.0, 7.5)


def test_moments_defaults_are_those_of_fit():
    x = np.linspace(0.0, 10.0, 3000)
    y = np.cos(x)
    stats = polyfit.Moments(4, domain=(0.0, 10.0)).update(x, y)
    result = stats.fit(epochs=10)
    expected = polyfit.fit(x, y, 4, method="moments", epochs=10)
    assert result.lr == expected.lr  # lr="auto" in both
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)
    assert polyfit.fit(x, y, 4, epochs=0).optimal_loss == pytest.approx(result.optimal_loss)


# ---- Moments.load on crafted files ----


def _statistics_file(path, **fields):
    """A file as Moments.save writes it, with some fields replaced (None: left out)."""
    stats = polyfit.Moments(2, domain=(0.0, 4.0)).update([0.0, 1.0, 4.0], [1.0, 2.0, 3.0])
    arrays = {
        "degree": np.int64(2),
        "domain": np.array([0.0, 4.0]),
        "count": np.int64(3),
        "x_range": np.array([0.0, 4.0]),
        "sums": np.array([str(v) for v in stats._sums]),
    }
    arrays.update(fields)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return stats


def test_a_valid_crafted_file_loads(tmp_path):
    stats = _statistics_file(tmp_path / "ok.npz")
    assert polyfit.Moments.load(tmp_path / "ok.npz") == stats


BAD_FILES = [
    ({"sums": np.array(["1e999999999"] * 9)}, r"field 'sums'\[0\] holds '1e999999999'"),
    ({"sums": np.array(["9" * 700] * 9)}, r"field 'sums'\[0\] holds '9999"),
    ({"sums": np.array(["1/3"] * 9)}, r"beyond what sums of float64 can be"),
    ({"sums": np.array(["1/" + str(2**1076)] * 9)}, r"beyond what sums of float64"),
    ({"sums": np.array([str(2**2200)] * 9)}, r"field 'sums'"),
    ({"sums": np.array(["3", "0", "1"])}, r"field 'sums' has shape \(3,\)"),
    ({"sums": np.arange(9.0)}, r"field 'sums' has dtype float64"),
    ({"sums": np.array(["x" * 2000] * 9)}, r"field 'sums' has dtype <U2000"),
    ({"sums": np.array([{"a": 1}] * 9, dtype=object)}, r"field 'sums' has dtype object"),
    ({"sums": None}, r"missing field 'sums'"),
    ({"x_range": None}, r"missing field 'x_range'"),
    ({"degree": np.int64(10**9)}, r"field 'degree' is 1000000000, outside \[0, 1000\]"),
    ({"degree": np.int64(-1)}, r"field 'degree' is -1"),
    ({"degree": np.float64(2.0)}, r"field 'degree' has dtype float64"),
    ({"degree": np.array([2, 2])}, r"field 'degree' has shape \(2,\)"),
    ({"count": np.int64(4)}, r"'sums' does not match field 'count'"),
    ({"domain": np.array([4.0, 4.0])}, r"field 'domain'.*zero width"),
    ({"domain": np.array([0.0, np.nan])}, r"field 'domain' must be a finite"),
    ({"domain": np.array([1.0, 2.0, 3.0])}, r"field 'domain' has shape \(3,\)"),
    ({"x_range": np.array([0.0, 5.0])}, r"field 'x_range' \(0.0, 5.0\) is outside the domain"),
    ({"x_range": np.array([])}, r"'x_range' must be empty exactly when count is 0"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_FILES)
def test_a_bad_file_raises_value_error_naming_the_field(tmp_path, fields, message):
    _statistics_file(tmp_path / "bad.npz", **fields)
    with pytest.raises(ValueError, match=message):
        polyfit.Moments.load(tmp_path / "bad.npz")


def _npz_with_raw_member(path, name, raw):
    import zipfile

    _statistics_file(path)
    with zipfile.ZipFile(path) as source:
        members = {n: source.read(n) for n in source.namelist()}
    members[name + ".npy"] = raw
    with zipfile.ZipFile(path, "w") as target:
        for member, data in members.items():
            target.writestr(member, data)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x93NUMPY\x01\x00" + (60000).to_bytes(2, "little") + b" " * 60000, "header of 60000"),
        (b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little"), "header of 2147483648 bytes"),
        (b"not numpy at all", "is not a numpy array"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': '<U9'", "truncated"),
        (b"\x93NUMPY\x01\x00\x06\x00((((((", "unreadable .npy header"),
    ],
)
def test_broken_members_raise_value_error(tmp_path, raw, message):
    _npz_with_raw_member(tmp_path / "bad.npz", "sums", raw)
    with pytest.raises(ValueError, match=rf"field 'sums' .*{message}|field 'sums' {message}"):
        polyfit.Moments.load(tmp_path / "bad.npz")


def test_a_huge_declared_shape_is_refused_before_reading(tmp_path):
    header = "{'descr': '<U977', 'fortran_order': False, 'shape': (4000000000,), }"
    raw = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    _npz_with_raw_member(tmp_path / "bad.npz", "sums", raw)
    with pytest.raises(ValueError, match=r"field 'sums' has shape \(4000000000,\)"):
        polyfit.Moments.load(tmp_path / "bad.npz")
    _npz_with_raw_member(tmp_path / "short.npz", "sums", raw.replace(b"4000000000", b"9"))
    with pytest.raises(ValueError, match=r"field 'sums' is truncated"):
        polyfit.Moments.load(tmp_path / "short.npz")


def test_a_corrupt_compressed_member(tmp_path):
    import zipfile

    stats = polyfit.Moments(2, domain=None).update([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
    arrays = {"degree": np.int64(2), "domain": np.array([]), "count": np.int64(3)}
    arrays["x_range"] = np.array([0.0, 2.0])
    arrays["sums"] = np.array([str(v) for v in stats._sums])
    np.savez_compressed(tmp_path / "ok.npz", **arrays)
    assert polyfit.Moments.load(tmp_path / "ok.npz") == stats
    with zipfile.ZipFile(tmp_path / "ok.npz") as archive:
        info = archive.getinfo("sums.npy")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray((tmp_path / "ok.npz").read_bytes())
    for k in range(start + 40, start + info.compress_size - 8):
        data[k] ^= 0x5A
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bad\.npz: (unreadable|field 'sums')"):
        polyfit.Moments.load(tmp_path / "bad.npz")


def test_not_a_statistics_file(tmp_path):
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a statistics file"):
        polyfit.Moments.load(tmp_path / "text.npz")
    with pytest.raises(ValueError, match="not a statistics file"):
        polyfit.Moments.load(tmp_path / "missing.npz")


def test_the_exponent_bomb_loads_in_bounded_time(tmp_path):
    """Fraction('1e999999999') computes 10**999999999 (hours).  In a child, so a
    regression fails at the timeout instead of hanging the suite."""
    _statistics_file(tmp_path / "bomb.npz", sums=np.array(["1e999999999"] * 9))
    code = (
        "import sys, polyfit\n"
        "try:\n"
        "    polyfit.Moments.load(sys.argv[1])\n"
        "except ValueError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "bomb.npz")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "field 'sums'[0] holds '1e999999999', not an exact fraction" in done.stdout
