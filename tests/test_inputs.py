"""Every accepted form of input gives the answer of contiguous float64 data."""

import numpy as np
import pytest

import polyfit
import polyfit.reference


@pytest.fixture
def problem():
    rng = np.random.default_rng(21)
    x = rng.uniform(-1, 1, 1001)
    y = np.sin(2 * x)
    init = rng.standard_normal(4)
    expected = polyfit.fit(x, y, 3, lr=1e-4, epochs=50, init=init)
    return x, y, init, expected


def _check(x, y, init, expected):
    result = polyfit.fit(x, y, 3, lr=1e-4, epochs=50, init=init)
    assert result.coef.tobytes() == expected.coef.tobytes()
    assert result.losses.tobytes() == expected.losses.tobytes()


def test_strided_views(problem):
    x, y, init, expected = problem
    wide_x = np.zeros(2 * x.size)
    wide_y = np.zeros(2 * y.size)
    wide_x[::2], wide_y[::2] = x, y
    _check(wide_x[::2], wide_y[::2], init, expected)


def test_reversed_views(problem):
    x, y, init, expected = problem
    _check(x[::-1].copy()[::-1], y[::-1].copy()[::-1], init, expected)


def test_read_only_arrays_are_used_without_a_copy(problem):
    x, y, init, expected = problem
    x_ro, y_ro = x.copy(), y.copy()
    x_ro.setflags(write=False)
    y_ro.setflags(write=False)
    _check(x_ro, y_ro, init, expected)
    assert not x_ro.flags.writeable and not y_ro.flags.writeable


def test_memmap_opened_read_only(problem, tmp_path):
    x, y, init, expected = problem
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    x_map = np.load(tmp_path / "x.npy", mmap_mode="r")
    y_map = np.load(tmp_path / "y.npy", mmap_mode="r")
    _check(x_map, y_map, init, expected)


def test_broadcast_view():
    x = np.linspace(-1, 1, 64)
    y = np.broadcast_to(np.float64(0.5), (64,))  # read-only, stride 0
    expected = polyfit.fit(x, np.full(64, 0.5), 2, lr=1e-3, epochs=20, init=[1.0, 1.0, 1.0])
    result = polyfit.fit(x, y, 2, lr=1e-3, epochs=20, init=[1.0, 1.0, 1.0])
    assert result.coef.tobytes() == expected.coef.tobytes()


def test_lists_and_tuples(problem):
    x, y, init, expected = problem
    _check(list(x), tuple(y), init, expected)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_integer_data(dtype):
    x = np.arange(-5, 6) if np.issubdtype(dtype, np.signedinteger) else np.arange(11)
    y = 2 * x + 1
    init = [0.5, 0.5]
    expected = polyfit.fit(
        x.astype(np.float64), y.astype(np.float64), 1, lr=1e-3, epochs=30, init=init
    )
    result = polyfit.fit(x.astype(dtype), y.astype(dtype), 1, lr=1e-3, epochs=30, init=init)
    assert result.coef.tobytes() == expected.coef.tobytes()


def test_float32_is_kept_and_mixed_precision_promotes(problem):
    x, y, init, _ = problem
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    both32 = polyfit.fit(x32, y32, 3, lr=1e-4, epochs=50, init=init)
    widened = polyfit.fit(
        x32.astype(np.float64), y32.astype(np.float64), 3, lr=1e-4, epochs=50, init=init
    )
    np.testing.assert_allclose(both32.coef, widened.coef, rtol=1e-12)
    mixed = polyfit.fit(x32, y, 3, lr=1e-4, epochs=50, init=init)
    reference = polyfit.fit(x32.astype(np.float64), y, 3, lr=1e-4, epochs=50, init=init)
    assert mixed.coef.tobytes() == reference.coef.tobytes()


def test_caller_arrays_are_not_modified(problem):
    x, y, init, _ = problem
    init = np.array(init)
    copies = [a.copy() for a in (x, y, init)]
    flags = [(a.flags.writeable, a.flags.c_contiguous) for a in (x, y, init)]
    result = polyfit.fit(x, y, 3, lr=1e-4, epochs=50, init=init)
    for before, after in zip(copies, (x, y, init), strict=True):
        assert before.tobytes() == after.tobytes()
    assert flags == [(a.flags.writeable, a.flags.c_contiguous) for a in (x, y, init)]
    assert not np.shares_memory(result.coef, init)


def test_tiny_problems():
    one = polyfit.fit([2.0], [3.0], 0, lr=0.1, epochs=100, init=[0.0])
    assert abs(one.coef[0] - 3.0) < 1e-9
    two = polyfit.fit([0.0, 1.0], [1.0, 3.0], 1, lr=0.1, epochs=2000, init=[0.0, 0.0])
    np.testing.assert_allclose(two.coef, [1.0, 2.0], rtol=1e-9)


def test_zero_epochs_returns_the_start_and_its_loss():
    x = np.array([0.0, 1.0, 2.0])
    result = polyfit.fit(x, [1.0, 1.0, 1.0], 1, epochs=0, init=[1.0, 1.0], scale=False)
    assert result.losses.shape == (0,)
    assert result.coef.tolist() == [1.0, 1.0]
    assert result.loss == 0.0 + 1.0 + 4.0


def _same_as_float64(x, y, degree=2, **kwargs):
    """fit(x, y) equals, bitwise, the fit of the same values as contiguous float64."""
    init = np.linspace(0.1, 0.3, degree + 1)
    result = polyfit.fit(x, y, degree, lr=1e-3, epochs=25, init=init, **kwargs)
    expected = polyfit.fit(
        np.array(x, dtype=np.float64),
        np.array(y, dtype=np.float64),
        degree,
        lr=1e-3,
        epochs=25,
        init=init,
        **kwargs,
    )
    assert result.coef.tobytes() == expected.coef.tobytes()
    assert result.losses.tobytes() == expected.losses.tobytes()


@pytest.mark.parametrize(
    "dtype",
    [np.float16, np.longdouble, np.int8, np.uint16, np.uint32, np.int64, ">f8", ">i4", "<f8"],
)
def test_every_real_dtype_and_byte_order(dtype):
    x = np.arange(12).astype(dtype)
    y = (np.arange(12) % 5).astype(dtype)
    _same_as_float64(x / 1 if np.dtype(dtype).kind == "f" else x, y)


def test_big_endian_float32_stays_exact():
    x = np.linspace(-1, 1, 40).astype(">f4")
    y = np.cos(np.linspace(-1, 1, 40)).astype(">f4")
    _same_as_float64(x, y)


def test_bool_is_zero_and_one():
    """Booleans are accepted as 0 and 1, as numpy arithmetic treats them."""
    x = np.array([True, False, True, True])
    _same_as_float64(x, [1.0, 0.0, 2.0, 1.0], degree=1)


def test_fortran_ordered_and_negative_strides():
    grid = np.asfortranarray(np.arange(60, dtype=np.float64).reshape(6, 10) / 60)
    _same_as_float64(grid[:, 3], grid[:, 4])  # contiguous column of a Fortran array
    _same_as_float64(grid[2, :], grid[3, :])  # strided row
    _same_as_float64(grid[2, ::-1], grid[3, ::-2].repeat(2))  # negative strides


def test_frombuffer_is_read_only_and_accepted():
    values = np.linspace(-1, 1, 30)
    x = np.frombuffer(values.tobytes(), dtype=np.float64)
    assert not x.flags.writeable
    _same_as_float64(x, values**2)


def test_zero_d_and_column_inputs_are_refused():
    with pytest.raises(ValueError, match=r"x must be 1-D, got an array of shape \(\)"):
        polyfit.fit(np.float64(3.0), np.float64(1.0))
    with pytest.raises(ValueError, match=r"x must be 1-D.*\(5, 1\)"):
        polyfit.fit(np.ones((5, 1)), np.ones(5))


def test_pandas_series():
    import pandas as pd  # in the [test] extra

    x = np.linspace(-1, 1, 20)
    _same_as_float64(pd.Series(x), pd.Series(x**2))
    _same_as_float64(pd.Series(np.arange(20), dtype="Int64"), pd.Series(x, dtype="Float64"))
    with pytest.raises((ValueError, TypeError), match=r"y must .*y\[3\]"):
        polyfit.fit(x, pd.Series([*x[:3], None, *x[4:]], dtype="Float64"))


def test_degree_far_above_the_data():
    """Degree 30 on 5 points: underdetermined, but a well-defined descent."""
    x = np.linspace(-0.9, 0.9, 5)
    result = polyfit.fit(x, x**2, 30, lr=1e-2, epochs=200, seed=0, scale=False)
    expected = polyfit.reference.fit(x, x**2, 30, lr=1e-2, epochs=200, seed=0)
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-9)
    assert result.losses[-1] < result.losses[0]


def test_numpy_scalars_as_settings():
    x = np.linspace(-1, 1, 10)
    result = polyfit.fit(
        x,
        x,
        np.int64(1),
        lr=np.float32(0.01),
        epochs=np.uint8(5),
        log_every=np.int16(2),
        threads=np.int32(1),
        seed=np.int64(3),
    )
    assert result.degree == 1 and result.epochs == 5 and isinstance(result.degree, int)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unaligned_buffers_are_read_like_aligned_ones(dtype):
    """Arrays from pickles, network frames (dask) or np.frombuffer at an odd offset
    may be unaligned; the kernel only ever sees aligned copies of those."""
    x = np.linspace(-1, 1, 1001).astype(dtype)
    y = np.cos(x).astype(dtype)
    x_odd = np.frombuffer(b"\0" + x.tobytes(), dtype=dtype, offset=1)
    y_odd = np.frombuffer(b"\0" + y.tobytes(), dtype=dtype, offset=1)
    assert not x_odd.flags.aligned and not y_odd.flags.aligned
    for method in ("exact", "moments"):
        expected = polyfit.fit(x, y, 3, lr=1e-4, epochs=30, seed=0, method=method)
        result = polyfit.fit(x_odd, y_odd, 3, lr=1e-4, epochs=30, seed=0, method=method)
        assert result.coef.tobytes() == expected.coef.tobytes()
    assert polyfit.Moments(2, None).update(x_odd, y_odd) == polyfit.Moments(2, None).update(x, y)
    np.testing.assert_array_equal(expected.predict(x_odd), expected.predict(x))
