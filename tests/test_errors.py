"""Bad input raises ValueError or TypeError naming the argument; divergence raises
DivergenceError; nothing crashes or returns NaN."""

import math
import sys
import warnings

import numpy as np
import pytest

import polyfit
import polyfit.reference

X = np.linspace(-1, 1, 10)
Y = X**2

BAD_CALLS = [
    # (positional args, keyword args, exception, words the message must contain)
    ((X, Y[:-1]), {}, ValueError, ["x and y", "same length", "10", "9"]),
    (([], []), {}, ValueError, ["empty"]),
    ((X.reshape(2, 5), Y.reshape(2, 5)), {}, ValueError, ["x", "1-D", "(2, 5)"]),
    ((X, Y.reshape(10, 1, 1)), {}, ValueError, ["y", "1-D", "(10, 1, 1)"]),  # fit: or 2-D
    ((np.float64(1.0), Y), {}, ValueError, ["x", "1-D"]),
    ((np.where(X > 0.5, np.nan, X), Y), {}, ValueError, ["x", "finite", "x[7]", "nan"]),
    ((X, np.where(X > 0.5, np.inf, Y)), {}, ValueError, ["y", "finite", "y[7]", "inf"]),
    ((X, -np.where(X > 0.5, np.inf, Y)), {}, ValueError, ["y", "finite", "-inf"]),
    ((X, Y), {"degree": -1}, ValueError, ["degree", ">= 0"]),
    ((X, Y), {"degree": 2.0}, TypeError, ["degree", "int"]),
    ((X, Y), {"degree": True}, TypeError, ["degree", "int"]),
    ((X, Y), {"degree": "3"}, TypeError, ["degree", "int"]),
    ((X, Y), {"lr": 0.0}, ValueError, ["lr", "> 0"]),
    ((X, Y), {"lr": -1e-3}, ValueError, ["lr", "> 0"]),
    ((X, Y), {"lr": math.nan}, ValueError, ["lr", "finite"]),
    ((X, Y), {"lr": math.inf}, ValueError, ["lr", "finite"]),
    ((X, Y), {"lr": "fast"}, TypeError, ["lr", "real"]),
    ((X, Y), {"epochs": -1}, ValueError, ["epochs", ">= 0"]),
    ((X, Y), {"epochs": 10.0}, TypeError, ["epochs", "int"]),
    ((X, Y), {"epochs": None}, TypeError, ["epochs", "int"]),
    ((X, Y), {"epochs": math.nan}, TypeError, ["epochs", "int"]),
    ((X, Y), {"epochs": False}, TypeError, ["epochs", "int"]),
    ((X, Y), {"lr": True}, TypeError, ["lr", "real"]),
    ((X, Y), {"lr": np.float64("nan")}, ValueError, ["lr", "finite"]),
    ((X, Y), {"log_every": True}, TypeError, ["log_every", "int"]),
    ((X, Y), {"log_every": "100"}, TypeError, ["log_every", "int"]),
    ((X, Y), {"threads": True}, TypeError, ["threads", "int"]),
    ((X, Y), {"init": [1.0, 2.0]}, ValueError, ["init", "4", "2"]),
    ((X, Y), {"init": [1.0, 2.0, math.nan, 0.0]}, ValueError, ["init", "finite", "init[2]"]),
    ((X, Y), {"init": [1.0, 2.0, math.inf, 0.0]}, ValueError, ["init", "finite"]),
    ((X, Y), {"init": np.ones((2, 2))}, ValueError, ["init", "1-D"]),
    ((X, Y), {"init": ["a", "b", "c", "d"]}, TypeError, ["init"]),
    ((X, Y), {"log_every": 0}, ValueError, ["log_every", ">= 1"]),
    ((X, Y), {"log_every": 1.5}, TypeError, ["log_every", "int"]),
    ((X, Y), {"callback": 3}, TypeError, ["callback", "callable"]),
    ((X, Y), {"threads": 0}, ValueError, ["threads", ">= 1"]),
    ((X, Y), {"threads": 1.0}, TypeError, ["threads", "int"]),
    ((X, Y), {"seed": "abc"}, TypeError, ["seed"]),
    ((["a", "b"], [1.0, 2.0]), {}, TypeError, ["x", "real"]),
    ((X, Y.astype(complex)), {}, TypeError, ["y", "complex"]),
    (("1.0", [1.0]), {}, TypeError, ["x"]),
    ((np.array([1.0, None], dtype=object), [1.0, 2.0]), {}, TypeError, ["x", "None"]),
    ((np.array([1.0, "a"], dtype=object), [1.0, 2.0]), {}, TypeError, ["x", "real numbers"]),
    (([[1.0], [2.0, 3.0]], [1.0, 2.0]), {}, ValueError, ["x"]),
]


@pytest.mark.parametrize("fit", [polyfit.fit, polyfit.reference.fit], ids=["fit", "reference"])
@pytest.mark.parametrize(("args", "kwargs", "error", "words"), BAD_CALLS)
def test_bad_input_is_refused_with_a_message_naming_it(fit, args, kwargs, error, words):
    with pytest.raises(error) as caught:
        fit(*args, **kwargs)
    message = str(caught.value)
    for word in words:
        assert word in message, (word, message)


def test_reference_takes_one_series_only():
    """A 2-D y is many series for polyfit.fit (tests/test_series.py); the
    tutorial's numpy loop fits one."""
    with pytest.raises(ValueError, match=r"y must be 1-D, got an array of shape \(10, 1\)"):
        polyfit.reference.fit(X, Y.reshape(10, 1))


def test_object_arrays_of_numbers_are_accepted():
    x = np.array([0.0, 1, 2.5], dtype=object)
    expected = polyfit.fit([0.0, 1.0, 2.5], [1.0, 2.0, 3.0], 1, epochs=5, init=[0.0, 0.0])
    result = polyfit.fit(x, [1, 2, 3], 1, epochs=5, init=[0.0, 0.0])
    assert result.coef.tobytes() == expected.coef.tobytes()


def test_divergence_on_the_tutorial_problem(tutorial_data):
    x, y = tutorial_data
    init = np.random.default_rng(0).standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning may leak
        with pytest.raises(polyfit.DivergenceError) as caught:
            polyfit.fit(x, y, lr=1.0, init=init, scale=False)
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert isinstance(error.epoch, int) and error.lr == 1.0
    assert f"epoch {error.epoch}" in str(error) and "lr=1, a step too large" in str(error)
    assert np.all(np.isfinite(error.coef)) and error.coef.shape == (4,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(polyfit.DivergenceError) as from_reference:
            polyfit.reference.fit(x, y, lr=1.0, init=init)
    assert from_reference.value.epoch == error.epoch
    # by then the small coefficients are rounding noise beside the huge ones
    np.testing.assert_allclose(
        from_reference.value.coef, error.coef, rtol=1e-9, atol=1e-9 * np.abs(error.coef).max()
    )


def test_divergence_reports_the_last_finite_coefficients():
    x = np.linspace(-2, 2, 50)
    seen = []
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(
            x,
            x**3,
            3,
            lr=0.5,
            init=[0.0, 0.0, 0.0, 1.0],
            log_every=1,
            callback=lambda t, loss, coef: seen.append((t, coef)),
        )
    error = caught.value
    # the coefficients the failing epoch started from: those after the epoch before
    assert seen[-1][0] == error.epoch - 1
    np.testing.assert_array_equal(error.coef, seen[-1][1])


def test_overflowing_powers_raise_divergence():
    x = np.array([1e200, -1e200, 1.0])
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(x, [0.0, 0.0, 0.0], 3, lr=1e-6, init=[0.0, 0.0, 0.0, 1.0], scale=False)
    assert caught.value.epoch == 0


@pytest.mark.parametrize("degree", [0, 1, 3])
@pytest.mark.parametrize("epochs", [0, 1, 100])
@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_data_found_for_every_degree_and_epoch_count(degree, epochs, where, bad):
    """fit scans the data only when a loss turns non-finite (or x for degree 0):
    every combination still names the argument and the index."""
    x = np.linspace(-1, 1, 5000)
    y = np.cos(x)
    target = x if where == "x" else y
    target[4321] = bad
    with pytest.raises(ValueError, match=rf"{where} must be finite; {where}\[4321\]"):
        polyfit.fit(x, y, degree, lr=1e-5, epochs=epochs, init=np.zeros(degree + 1))


def test_overflow_at_the_start_with_zero_epochs_is_divergence():
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(
            [1e300, 2.0], [0.0, 0.0], 2, lr=1e-6, epochs=0, init=[0.0, 0.0, 1.0], scale=False
        )
    assert caught.value.epoch == 0


def test_divergence_error_pickles_with_its_attributes():
    import pickle

    error = polyfit.DivergenceError(7, 0.5, np.array([1.0, 2.0]))
    again = pickle.loads(pickle.dumps(error))
    assert (again.epoch, again.lr, again.coef.tolist(), str(again)) == (
        7,
        0.5,
        [1.0, 2.0],
        str(error),
    )
    assert error.remedy == again.remedy == {"lr": "auto", "scale": True}
    assert str(error).endswith("; try lr='auto', scale=True")
    told = polyfit.DivergenceError(3, 2.0, np.zeros(2), "x**6 overflows", {"degree": 1})
    again = pickle.loads(pickle.dumps(told))
    assert (again.problem, again.remedy, str(again)) == (
        "x**6 overflows",
        {"degree": 1},
        "x**6 overflows; try degree=1",
    )


def test_sklearn_module_without_scikit_learn(monkeypatch):
    for name in [name for name in sys.modules if name.split(".")[0] == "sklearn"] + ["sklearn"]:
        monkeypatch.setitem(sys.modules, name, None)  # importing any of them then fails
    monkeypatch.delitem(sys.modules, "polyfit.sklearn", raising=False)
    with pytest.raises(
        ImportError,
        match=r'^polyfit.sklearn needs scikit-learn .*pip install "polyfit\[sklearn\]"$',
    ):
        import polyfit.sklearn  # noqa: F401


def test_dask_fit_without_dask(monkeypatch):
    import polyfit.dask

    for name in [name for name in sys.modules if name.split(".")[0] == "dask"] + ["dask"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(
        ImportError, match=r'^polyfit.dask.fit needs dask .*pip install "polyfit\[dask\]"$'
    ):
        polyfit.dask.fit([1.0, 2.0], [1.0, 2.0])
