"""FitResult: formatting, evaluation, immutability."""

import dataclasses

import numpy as np
import pytest

import polyfit


@pytest.fixture
def result():
    x = np.linspace(-1, 1, 101)
    return polyfit.fit(x, 1 + 2 * x - 3 * x**3, 3, lr=1e-3, epochs=500, seed=4)


def test_str_is_the_tutorial_result_line(result):
    a, b, c, d = (float(v) for v in result.coef)
    assert str(result) == f"y = {a} + {b} x + {c} x^2 + {d} x^3"


def test_str_of_other_degrees():
    x = np.linspace(0, 1, 5)
    zero = polyfit.fit(x, x, 0, epochs=1, init=[0.25], scale=False)
    assert str(zero) == f"y = {float(zero.coef[0])}"
    one = polyfit.fit(x, x, 1, epochs=0, init=[0.5, -1.5], scale=False)
    assert str(one) == "y = 0.5 + -1.5 x"
    five = polyfit.fit(x, x, 5, epochs=0, init=[1, 2, 3, 4, 5, 6], scale=False)
    assert str(five) == "y = 1.0 + 2.0 x + 3.0 x^2 + 4.0 x^3 + 5.0 x^4 + 6.0 x^5"


def test_attributes(result):
    assert result.degree == 3 and result.lr == 1e-3 and result.epochs == 500
    assert result.epochs_run == 500
    assert result.coef.shape == (4,) and result.coef.dtype == np.float64
    assert result.losses.shape == (500,) and result.losses.dtype == np.float64
    assert isinstance(result.loss, float)
    assert result.loss <= result.losses[-1]  # gradient descent with a stable lr


def test_loss_is_the_loss_of_coef(result):
    x = np.linspace(-1, 1, 101)
    y = 1 + 2 * x - 3 * x**3
    expected = np.sum((np.polynomial.polynomial.polyval(x, result.coef) - y) ** 2)
    assert result.loss == pytest.approx(expected, rel=1e-12)


def test_predict_and_call_evaluate_the_polynomial(result):
    points = np.array([[-2.0, 0.0], [0.5, 3.0]])
    expected = np.polynomial.polynomial.polyval(points, result.coef)
    np.testing.assert_allclose(result.predict(points), expected, rtol=1e-14)
    np.testing.assert_allclose(result(points), expected, rtol=1e-14)
    assert result.predict(points).shape == (2, 2)
    assert result.predict(0.5) == pytest.approx(float(expected[1, 0]), rel=1e-14)
    np.testing.assert_allclose(
        result.predict([1, 2, 3]),
        np.polynomial.polynomial.polyval([1, 2, 3], result.coef),
        rtol=1e-14,
    )
    assert np.isnan(result.predict([np.nan]))[0]
    with pytest.raises(TypeError, match="x"):
        result.predict(["a"])


def test_to_polynomial(result):
    polynomial = result.to_polynomial()
    assert isinstance(polynomial, np.polynomial.Polynomial)
    np.testing.assert_array_equal(polynomial.coef, result.coef)
    assert polynomial(0.3) == pytest.approx(float(result(0.3)), rel=1e-14)


def test_result_is_immutable(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.loss = 0.0
    with pytest.raises(ValueError, match="read-only"):
        result.coef[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.losses[0] = 1.0


def test_callback_sees_the_tutorial_print_points(tutorial_data):
    x, y = tutorial_data
    seen = []
    result = polyfit.fit(
        x,
        y,
        lr=1e-6,
        scale=False,
        seed=2,
        callback=lambda t, loss, coef: seen.append((t, loss, coef)),
    )
    assert [t for t, _, _ in seen] == list(range(99, 2000, 100))
    assert [loss for _, loss, _ in seen] == result.losses[99::100].tolist()
    assert all(isinstance(loss, float) for _, loss, _ in seen)
    np.testing.assert_array_equal(seen[-1][2], result.coef)
    # the coefficients passed are copies taken after that epoch's update
    partial = polyfit.fit(x, y, lr=1e-6, scale=False, seed=2, epochs=100)
    np.testing.assert_array_equal(seen[0][2], partial.coef)


def test_callback_every_epoch_and_early_stop():
    x = np.linspace(-1, 1, 50)
    epochs = []

    def stop_after_five(t, loss, coef):
        epochs.append(t)
        return t < 4

    result = polyfit.fit(x, x, 1, epochs=100, log_every=1, callback=stop_after_five, seed=0)
    assert epochs == [0, 1, 2, 3, 4]
    assert result.epochs_run == 5 and result.epochs == 100 and result.losses.shape == (5,)
    np.testing.assert_array_equal(result.coef, polyfit.fit(x, x, 1, epochs=5, seed=0).coef)


def test_exceptions_in_callbacks_propagate_unchanged():
    class Marker(Exception):
        pass

    def fail(t, loss, coef):
        raise Marker(t)

    with pytest.raises(Marker) as caught:
        polyfit.fit([0.0, 1.0], [0.0, 1.0], 1, epochs=10, log_every=3, callback=fail)
    assert caught.value.args == (2,)


@pytest.mark.parametrize("series", [None, 3])
def test_a_fits_result_is_what_the_public_constructor_makes(series):
    """fit fills its FitResult in one step (FitResult._of_fit): every field as
    FitResult(...) sets it, frozen alike; for a 1-D and a 2-D y, scaled and not."""
    x = np.linspace(0.0, 10.0, 300)
    y = np.sin(x) if series is None else np.sin(np.outer(x, np.arange(1, series + 1)))
    for scale in (True, False):
        fitted = polyfit.fit(x, y, 2, epochs=7, scale=scale, lr=1e-5 if not scale else "auto")
        fields = {field.name: getattr(fitted, field.name) for field in dataclasses.fields(fitted)}
        made = polyfit.FitResult(**fields)
        assert set(vars(fitted)) == set(vars(made))
        for name, value in vars(made).items():
            mine = vars(fitted)[name]
            assert type(mine) is type(value), name
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(mine, value)
                assert not mine.flags.writeable and type(mine) is np.ndarray, name
            else:
                assert mine == value, name
        with pytest.raises(dataclasses.FrozenInstanceError):
            fitted.degree = 5
