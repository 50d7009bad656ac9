"""Every accepted form of input gives the answer of contiguous float64 data."""

import numpy as np
import pytest

import polyfit


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
    expected = polyfit.fit(x.astype(np.float64), y.astype(np.float64), 1, lr=1e-3, epochs=30,
                           init=init)
    result = polyfit.fit(x.astype(dtype), y.astype(dtype), 1, lr=1e-3, epochs=30, init=init)
    assert result.coef.tobytes() == expected.coef.tobytes()


def test_float32_is_kept_and_mixed_precision_promotes(problem):
    x, y, init, expected = problem
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    both32 = polyfit.fit(x32, y32, 3, lr=1e-4, epochs=50, init=init)
    widened = polyfit.fit(x32.astype(np.float64), y32.astype(np.float64), 3, lr=1e-4,
                          epochs=50, init=init)
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
    for before, after in zip(copies, (x, y, init)):
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
    result = polyfit.fit(x, [1.0, 1.0, 1.0], 1, epochs=0, init=[1.0, 1.0])
    assert result.losses.shape == (0,)
    assert result.coef.tolist() == [1.0, 1.0]
    assert result.loss == 0.0 + 1.0 + 4.0
