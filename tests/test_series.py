"""A 2-D y of shape (n, k): k series sharing x, fitted in one call (issue 15).

The oracle is the 1-D fit of each column alone: method="moments" equals it bit
for bit (the power sums and the epochs on them are each column's own
arithmetic, in vector lanes), method="exact" to 1e-12 (its pass puts columns in
the vector lanes, so its sums are added in another order).
"""

import math
import pickle
import types
import warnings

import numpy as np
import pytest
from conftest import assert_same_fit

import polyfit
from polyfit import _kernels, _stats


def series_data(n=300, k=5, seed=0, dtype=np.float64, low=0.0, high=10.0):
    """k noisy curves of different shapes and sizes over one x."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(low, high, n))
    u = (x - (low + high) / 2) / ((high - low) / 2)
    shapes = [np.sin(3 * u), u**3 - u, 5.0 + 2.0 * u, np.exp(u), 100.0 * np.cos(2 * u)]
    y = np.column_stack([shapes[c % len(shapes)] * (1 + c) for c in range(k)])
    y = y + 0.1 * rng.standard_normal((n, k))
    return x.astype(dtype), np.ascontiguousarray(y.astype(dtype))


def weights_for(mode, n, k, seed=1):
    rng = np.random.default_rng(seed)
    if mode == "per sample":
        return rng.uniform(0.5, 2.0, n)
    if mode == "per value":
        return rng.uniform(0.5, 2.0, (n, k))
    return None


def column_weights(weights, column):
    if weights is None or weights.ndim == 1:
        return weights
    return np.ascontiguousarray(weights[:, column])


def column_of(result, column):
    """Series `column` of a 2-D result, as a 1-D result's fields."""
    return types.SimpleNamespace(
        coef=result.coef[:, column],
        losses=result.losses[:, column],
        loss=float(result.loss[column]),
        epochs_run=result.epochs_run,
    )


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", polyfit.PolyfitWarning)
        return function(*args, **kwargs)


def one_by_one(x, y, weights, lr=None, **options):
    """Each column fitted alone (with the 2-D fit's lr where given)."""
    fits = []
    for c in range(y.shape[1]):
        extra = {} if lr is None else {"lr": lr}
        fits.append(
            quiet(
                polyfit.fit,
                x,
                np.ascontiguousarray(y[:, c]),
                sample_weight=column_weights(weights, c),
                **options,
                **extra,
            )
        )
    return fits


def assert_bits(array, expected):
    assert np.asarray(array).tobytes() == np.asarray(expected).tobytes()


MODES = ["none", "per sample", "per value"]


@pytest.mark.parametrize("degree", [0, 1, 3, 8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_moments_fit_equals_its_columns_bit_for_bit(degree, dtype, scale, mode):
    low, high = (0.0, 10.0) if scale else (-1.0, 1.0)
    x, y = series_data(n=257, k=7, seed=degree, dtype=dtype, low=low, high=high)
    weights = weights_for(mode, x.size, 7)
    options = {"degree": degree, "method": "moments", "epochs": 150, "scale": scale}
    result = quiet(polyfit.fit, x, y, sample_weight=weights, **options)
    # weights per value: the series share the smallest safe step, which their own
    # fits would not choose; given that step they are the same fits
    lr = result.lr if mode == "per value" else None
    alone = one_by_one(x, y, weights, lr=lr, **options)
    assert result.coef.shape == (degree + 1, 7) and result.losses.shape == (150, 7)
    for c, single in enumerate(alone):
        assert_bits(result.coef[:, c], single.coef)
        assert_bits(result.losses[:, c], single.losses)
        assert_bits(result.loss[c], single.loss)
        assert result.lr == single.lr and result.epochs_run == single.epochs_run
        if scale:
            assert_bits(result.scaled_coef[:, c], single.scaled_coef)
            assert result.domain == single.domain
        # the optimum: the same formulas, in another order (a few eps of sum y^2)
        scale_y = float(np.sum(np.asarray(y[:, c], dtype=np.float64) ** 2))
        assert abs(result.optimal_loss[c] - single.optimal_loss) <= 1e-13 * scale_y
    if mode == "per value":  # the smallest safe step of all: the largest lambda_max
        own = min(single.lr for single in one_by_one(x, y, weights, **options))
        assert result.lr == pytest.approx(own, rel=1e-14)  # numpy's eigh, not the kernel's


@pytest.mark.parametrize("degree", [0, 1, 3, 8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_exact_fit_equals_its_columns_to_1e12(degree, dtype, scale, mode):
    low, high = (0.0, 10.0) if scale else (-1.0, 1.0)
    x, y = series_data(n=1201, k=9, seed=10 + degree, dtype=dtype, low=low, high=high)
    weights = weights_for(mode, x.size, 9)
    options = {"degree": degree, "epochs": 60, "scale": scale}
    result = quiet(polyfit.fit, x, y, sample_weight=weights, **options)
    lr = result.lr if mode == "per value" else None
    alone = one_by_one(x, y, weights, lr=lr, **options)
    assert result.method == "exact" and result.losses.shape == (60, 9)
    for c, single in enumerate(alone):
        assert_same_fit(column_of(result, c), single, rtol=1e-12)
        assert result.lr == single.lr
        # scaled: the optimum's loss from the data, as precise as the losses; else
        # from the statistics, a difference of large terms (a few eps of sum y^2)
        scale_y = 0.0 if scale else float(np.sum(np.asarray(y[:, c], dtype=np.float64) ** 2))
        assert abs(result.optimal_loss[c] - single.optimal_loss) <= (
            1e-12 * single.optimal_loss + 1e-13 * scale_y
        )


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_tutorial_settings_follow_each_columns_trajectory(method):
    """lr=1e-6, raw x, a seeded start (the same for every series, as each
    column's own fit with that seed)."""
    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.column_stack([np.sin(x), np.cos(x), x**3 / 10])
    options = {"lr": 1e-6, "scale": False, "seed": 3, "epochs": 500, "method": method}
    result = quiet(polyfit.fit, x, y, 3, **options)
    for c, single in enumerate(one_by_one(x, y, None, degree=3, **options)):
        if method == "moments":
            assert_bits(result.coef[:, c], single.coef)
            assert_bits(result.losses[:, c], single.losses)
        else:
            assert_same_fit(column_of(result, c), single, rtol=1e-12)


@pytest.mark.parametrize("method", ["exact", "moments"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_other_optimizers_run_series_by_series_as_their_own_fits(method, optimizer):
    """The compiled 2-D loops are plain gradient descent; other optimizers run
    each series through the 1-D kernel, so they are the columns' own fits, bit
    for bit, for both methods."""
    x, y = series_data(n=400, k=4, seed=2)
    options = {"degree": 3, "method": method, "optimizer": optimizer, "lr": 1e-3, "epochs": 120}
    result = quiet(polyfit.fit, x, y, **options)
    assert result.optimizer == optimizer
    for c, single in enumerate(one_by_one(x, y, None, **options)):
        assert_bits(result.coef[:, c], single.coef)
        assert_bits(result.losses[:, c], single.losses)
        if method == "moments":
            assert_bits(result.loss[c], single.loss)
        else:  # the final pass: series_sums, columns in the lanes
            assert result.loss[c] == pytest.approx(single.loss, rel=1e-12)


@pytest.mark.parametrize("degree", [9, 12])
def test_moments_beyond_degree_8_run_series_by_series(degree):
    """series_train_moments stops at degree 8; beyond it each series runs the 1-D
    loop on its own statistics: its own fit, bit for bit."""
    x, y = series_data(n=500, k=3, seed=degree, low=-1.0, high=1.0)
    options = {"degree": degree, "method": "moments", "epochs": 200}
    result = quiet(polyfit.fit, x, y, **options)
    for c, single in enumerate(one_by_one(x, y, None, **options)):
        assert_bits(result.coef[:, c], single.coef)
        assert_bits(result.losses[:, c], single.losses)
        assert_bits(result.loss[c], single.loss)


def test_every_field_and_method_has_the_shape_of_many_series():
    x, y = series_data(n=200, k=4)
    result = quiet(polyfit.fit, x, y, 2, epochs=30, method="moments")
    assert result.coef.shape == result.scaled_coef.shape == (3, 4)
    assert result.losses.shape == (30, 4)
    assert result.loss.shape == result.optimal_loss.shape == (4,)
    assert (result.epochs, result.epochs_run, result.degree) == (30, 30, 2)
    assert result.domain == (float(x.min()), float(x.max()))
    for array in (result.coef, result.scaled_coef, result.losses, result.loss, result.optimal_loss):
        assert array.dtype == np.float64 and not array.flags.writeable
    grid = np.linspace(0.0, 10.0, 12)
    values = result.predict(grid)
    assert values.shape == (12, 4)
    assert result.predict(2.5).shape == (4,)
    assert result.predict(grid.reshape(3, 4)).shape == (3, 4, 4)
    assert result(grid).shape == (12, 4)
    polynomials = result.to_polynomial()
    assert isinstance(polynomials, list) and len(polynomials) == 4
    for c, single in enumerate(one_by_one(x, y, None, degree=2, epochs=30, method="moments")):
        assert_bits(values[:, c], single.predict(grid))  # the same Horner steps
        assert_bits(result.predict(2.5)[c], single.predict(2.5))
        assert_bits(polynomials[c].coef, single.to_polynomial().coef)
        assert polynomials[c].domain.tolist() == list(result.domain)
    lines = str(result).splitlines()
    assert len(lines) == 4 and lines[2].startswith("y[:, 2] = ")
    own = one_by_one(x, y, None, degree=2, epochs=30, method="moments")[2]
    assert lines[2] == "y[:, 2] = " + str(own)[len("y = ") :]
    many = quiet(polyfit.fit, x, np.tile(y, (1, 3)), 1, epochs=5)
    assert str(many).splitlines()[3] == "..." and len(str(many).splitlines()) == 7
    assert "FitResult(degree=2" in repr(result)


def test_unscaled_results_and_one_column():
    x, y = series_data(n=100, k=1, low=-1.0, high=1.0)
    result = quiet(polyfit.fit, x, y, 3, epochs=10, scale=False)
    assert result.coef.shape == (4, 1) and result.scaled_coef is None and result.domain is None
    assert result.predict([0.5]).shape == (1, 1)
    assert len(result.to_polynomial()) == 1
    single = quiet(polyfit.fit, x, y[:, 0], 3, epochs=10, scale=False)
    assert single.coef.shape == (4,) and isinstance(single.loss, float)  # 1-D: as before
    assert_same_fit(column_of(result, 0), single, rtol=1e-12)


ONES = np.ones((10, 3))
INDEX = np.arange(30).reshape(10, 3)
BAD_SERIES_CALLS = [
    # (y, keyword arguments, exception, words the message must contain)
    (np.ones((10, 2, 2)), {}, ValueError, ["y must be 1-D or 2-D", "(10, 2, 2)"]),
    (np.ones((10, 0)), {}, ValueError, ["y must have at least one column", "(10, 0)"]),
    (np.ones((9, 3)), {}, ValueError, ["same length", "rows of y", "10", "9"]),
    (ONES, {"sample_weight": np.ones(9)}, ValueError, ["sample_weight", "(10,)", "(10, 3)", "9"]),
    (ONES, {"sample_weight": np.ones((10, 2))}, ValueError, ["sample_weight", "(10, 2)"]),
    (ONES, {"sample_weight": np.ones((10, 3, 1))}, ValueError, ["sample_weight", "1-D or 2-D"]),
    (ONES, {"sample_weight": np.ones((3, 10))}, ValueError, ["sample_weight", "(3, 10)"]),
    (ONES, {"sample_weight": np.where(np.eye(10, 3) > 0, -2.0, 1.0)}, ValueError,
     ["sample_weight must be >= 0", "sample_weight[0, 0]", "-2.0"]),
    (ONES, {"sample_weight": np.where(INDEX == 7, np.nan, 1.0)}, ValueError,
     ["sample_weight must be finite", "sample_weight[2, 1]", "nan"]),
    (ONES, {"sample_weight": np.where(np.arange(3) == 2, 0.0, ONES)}, ValueError,
     ["sample_weight", "sample_weight[:, 2]", "series 2", "y[:, 2]"]),
    (ONES, {"sample_weight": np.zeros((10, 3))}, ValueError, ["sample_weight", "all zero"]),
    (ONES, {"sample_weight": ONES.astype(complex)}, TypeError, ["sample_weight", "complex"]),
    (np.where(INDEX == 13, np.inf, 1.0), {}, ValueError, ["y must be finite", "y[4, 1]", "inf"]),
    (np.where(INDEX == 29, np.nan, 1.0), {"method": "moments"}, ValueError,
     ["y must be finite", "y[9, 2]", "nan"]),
    (np.where(INDEX == 5, np.nan, 1.0), {"lr": 1e-3, "scale": False}, ValueError,
     ["y must be finite", "y[1, 2]", "nan"]),
    (ONES, {"init": np.ones((4, 2))}, ValueError, ["init", "(4,)", "(4, 3)", "(4, 2)"]),
    (ONES, {"init": np.ones(3)}, ValueError, ["init", "4", "3"]),
    (ONES, {"init": np.ones((4, 3, 1))}, ValueError, ["init", "1-D or 2-D"]),
    (ONES, {"init": np.where(INDEX[:4] == 4, np.nan, 1.0)}, ValueError,
     ["init must be finite", "init[1, 1]"]),
    (ONES.astype(complex), {}, TypeError, ["y", "complex"]),
]  # fmt: skip


@pytest.mark.parametrize(("y", "kwargs", "error", "words"), BAD_SERIES_CALLS)
def test_bad_series_input_is_refused_with_a_message_naming_it(y, kwargs, error, words):
    x = np.linspace(-1.0, 1.0, 10)
    with pytest.raises(error) as caught:
        polyfit.fit(x, y, **kwargs)
    message = str(caught.value)
    for word in words:
        assert word in message, (word, message)


def test_a_series_with_nan_is_named_before_training_diverges():
    x, y = series_data(n=50, k=3)
    y[17, 2] = np.nan
    for options in ({}, {"method": "moments"}, {"lr": 1e-4, "scale": False}):
        with pytest.raises(ValueError, match=r"y must be finite; y\[17, 2\] is nan"):
            polyfit.fit(x, y, 3, **options)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_divergence_names_the_series_and_stops_every_series_there(method):
    """Too large a step diverges every series; the largest one overflows first
    (about 100 epochs before the others): DivergenceError names it, at the
    epoch of its first non-finite loss or update, with every series' last
    finite coefficients."""
    x, y = series_data(n=300, k=4, seed=4)
    y[:, 2] *= 1e100
    stable = 1.0 / max(np.linalg.eigvalsh(2.0 * _power_gram(x, 3)))  # 1 / lambda_max(2 G) in raw x
    lr = 3.0 * stable  # each epoch doubles the error along G's top direction
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(x, y, 3, lr=lr, scale=False, method=method, epochs=5000)
    error = caught.value
    assert error.column == 2
    assert "series 2 (y[:, 2])" in str(error) and f"epoch {error.epoch}" in str(error)
    assert error.coef.shape == (4, 4) and np.isfinite(error.coef).all()
    assert 0 < error.epoch < 5000 and error.remedy == {"lr": "auto", "scale": True}
    for c in (0, 1, 3):  # the others stopped there too: their own fits of that many epochs
        before = quiet(
            polyfit.fit, x, y[:, c].copy(), 3, lr=lr, scale=False, method=method,
            epochs=error.epoch,
        )  # fmt: skip
        if method == "moments":
            assert_bits(error.coef[:, c], before.coef)
        else:
            np.testing.assert_allclose(error.coef[:, c], before.coef, rtol=1e-12)
    with pytest.raises(polyfit.DivergenceError) as alone:  # series 2's own fit
        polyfit.fit(x, y[:, 2].copy(), 3, lr=lr, scale=False, method=method, epochs=5000)
    assert alone.value.epoch == error.epoch
    if method == "moments":  # the same bits
        assert_bits(alone.value.coef, error.coef[:, 2])
    else:
        np.testing.assert_allclose(alone.value.coef, error.coef[:, 2], rtol=1e-12)
    with pytest.raises(polyfit.DivergenceError) as final:  # its final loss is not finite
        polyfit.fit(x, y, 3, lr=lr, scale=False, method=method, epochs=error.epoch)
    assert (final.value.epoch, final.value.column) == (error.epoch, 2)
    assert_bits(final.value.coef, error.coef)


def _power_gram(x, degree):
    powers = np.vander(x, degree + 1, increasing=True)
    return powers.T @ powers


@pytest.mark.parametrize("optimizer", ["momentum"])
@pytest.mark.parametrize("method", ["exact", "moments"])
def test_divergence_series_by_series_names_the_first(method, optimizer):
    x, y = series_data(n=300, k=4, seed=4)
    y[:, 1] *= 1e100
    lr = 5.0 / max(np.linalg.eigvalsh(2.0 * _power_gram(x, 2)))  # beyond momentum's 3.8
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(x, y, 2, lr=lr, scale=False, method=method, epochs=5000, optimizer=optimizer)
    error = caught.value
    assert error.column == 1 and "series 1 (y[:, 1])" in str(error)
    with pytest.raises(polyfit.DivergenceError) as alone:
        polyfit.fit(
            x, y[:, 1].copy(), 2, lr=lr, scale=False, method=method, epochs=5000,
            optimizer=optimizer,
        )  # fmt: skip
    assert alone.value.epoch == error.epoch
    assert_bits(alone.value.coef, error.coef[:, 1])
    other = quiet(
        polyfit.fit, x, y[:, 3].copy(), 2, lr=lr, scale=False, method=method,
        epochs=error.epoch, optimizer=optimizer,
    )  # fmt: skip
    assert_bits(other.coef, error.coef[:, 3])  # stopped at the same epoch


def _converging_series():
    """Series that converge at very different speeds (one is nearly a line)."""
    x = np.linspace(0.0, 10.0, 400)
    rng = np.random.default_rng(8)
    y = np.column_stack([2.0 + 0.5 * x, np.sin(x), 0.01 * x**3 - x]) + 0.05 * rng.standard_normal(
        (400, 3)
    )
    return x, np.ascontiguousarray(y)


@pytest.mark.parametrize(
    ("method", "optimizer"), [("moments", "gd"), ("exact", "gd"), ("moments", "momentum")]
)
def test_tol_stops_when_every_series_met_it_in_the_same_epoch(method, optimizer):
    x, y = _converging_series()
    tol = 1e-4
    options = {"method": method, "optimizer": optimizer, "epochs": 20_000}
    if optimizer != "gd":
        options["lr"] = 2e-3
    result = quiet(polyfit.fit, x, y, 3, tol=tol, **options)
    assert result.converged and result.epochs_run < 20_000
    losses = result.losses
    drop = losses[:-1] - losses[1:]
    met = (drop >= 0) & (drop <= tol * np.abs(losses[:-1]))  # epoch t + 1 met tol
    assert met[-1].all()  # the last epoch: every series
    assert not met[:-1].all(axis=1).any()  # no earlier epoch where every series did
    # the same fit as running exactly those epochs without tol
    plain = quiet(polyfit.fit, x, y, 3, **{**options, "epochs": result.epochs_run})
    assert_bits(result.coef, plain.coef)
    assert_bits(result.losses, plain.losses)
    # a series that met tol earlier went on training: its own fit stops sooner
    own = [single.epochs_run for single in one_by_one(x, y, None, degree=3, tol=tol, **options)]
    assert min(own) < result.epochs_run and max(own) <= result.epochs_run


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_callback_sees_every_series_and_can_stop_them(method):
    x, y = series_data(n=200, k=3)
    seen = []

    def callback(epoch, loss, coef):
        seen.append((epoch, loss, coef))
        loss[:] = np.nan  # copies: the fit must not see these writes
        coef[:] = np.nan
        return epoch < 250

    result = quiet(
        polyfit.fit, x, y, 2, method=method, epochs=1000, log_every=100, callback=callback
    )
    assert [epoch for epoch, _, _ in seen] == [99, 199, 299]
    assert result.epochs_run == 300 and not result.converged
    plain = quiet(polyfit.fit, x, y, 2, method=method, epochs=300)
    assert_bits(result.coef, plain.coef)
    assert_bits(result.losses, plain.losses)
    scaled_steps = []
    quiet(
        polyfit.fit,
        x,
        y,
        2,
        method=method,
        epochs=300,
        log_every=100,
        callback=lambda epoch, loss, coef: scaled_steps.append((loss.copy(), coef.copy())),
    )
    for (epoch, _, _), (loss, coef) in zip(seen, scaled_steps, strict=True):
        assert loss.shape == (3,) and coef.shape == (3, 3)
        assert_bits(loss, plain.losses[epoch])
        steps = quiet(polyfit.fit, x, y, 2, method=method, epochs=epoch + 1)
        assert_bits(coef, steps.scaled_coef)  # after that epoch's update, in the scaled u


def test_weights_of_one_are_no_weights_and_integer_weights_repeat_samples():
    x, y = series_data(n=120, k=3)
    plain = quiet(polyfit.fit, x, y, 3, method="moments", epochs=100)
    for ones in (np.ones(120), np.ones((120, 3))):
        same = quiet(polyfit.fit, x, y, 3, method="moments", epochs=100, sample_weight=ones)
        assert_bits(same.coef, plain.coef)
    counts = np.random.default_rng(3).integers(1, 4, (120, 3))
    weighted = quiet(polyfit.fit, x, y, 3, epochs=100, sample_weight=counts.astype(float), lr=1e-4)
    for c in range(3):
        repeated = quiet(
            polyfit.fit, np.repeat(x, counts[:, c]), np.repeat(y[:, c], counts[:, c]), 3,
            epochs=100, lr=1e-4,
        )  # fmt: skip
        assert_same_fit(column_of(weighted, c), repeated, rtol=1e-10)


def test_weights_of_zero_per_value_share_one_window():
    """A sample counts when its weight is nonzero in some series: the rows with no
    weight anywhere leave x's range (the domain scale=True maps onto [-1, 1]),
    and one window serves every series; a series whose own samples span less is
    still the fit of its weights in that window (equal to its own fit where its
    samples span the same range)."""
    x, y = series_data(n=200, k=3)
    weights = np.ones((200, 3))
    weights[:10] = 0.0  # no series counts the first 10 samples
    weights[-5:, 1] = 0.0  # series 1 not the last 5
    weights[50:60, 2] = 0.0  # series 2 not some in the middle
    result = quiet(polyfit.fit, x, y, 3, method="moments", epochs=80, sample_weight=weights)
    assert result.domain == (float(x[10]), float(x[-1]))
    for c in (0, 2):  # their samples of nonzero weight span the shared range
        single = quiet(
            polyfit.fit, x, y[:, c].copy(), 3, method="moments", epochs=80,
            sample_weight=weights[:, c].copy(), lr=result.lr,
        )  # fmt: skip
        assert single.domain == result.domain
        if c == 0:  # the same samples dropped (copied out): the same bits
            assert_bits(result.coef[:, c], single.coef)
        else:  # its own fit drops its zeros in the middle too, the 2-D fit adds them as 0
            assert_same_fit(column_of(result, c), single, rtol=1e-12)
    # series 1 is trained in the shared window: its least-squares optimum is its own
    best = np.polynomial.Polynomial.fit(x[10:-5], y[10:-5, 1], 3)
    optimum = float(np.sum((best(x[10:-5]) - y[10:-5, 1]) ** 2))
    assert result.optimal_loss[1] == pytest.approx(optimum, rel=1e-9)


def test_one_convergence_warning_names_the_worst_series_and_a_remedy_that_works():
    x, y = _converging_series()
    y = np.column_stack([y, 1e-3 * y[:, 2]])
    options = {"method": "moments", "epochs": 40}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = polyfit.fit(x, y, 3, **options)
    found = [w.message for w in caught if issubclass(w.category, polyfit.PolyfitWarning)]
    assert len(found) == 1 and isinstance(found[0], polyfit.ConvergenceWarning)
    warning = found[0]
    # each series' own fit: its own warning and remedy; the worst needs the most epochs
    needed = {}
    for c in range(y.shape[1]):
        with warnings.catch_warnings(record=True) as own:
            warnings.simplefilter("always")
            polyfit.fit(x, y[:, c].copy(), 3, **options)
        if own:
            needed[c] = own[0].message.remedy["epochs"]
    worst = max(needed, key=lambda c: (needed[c], -c))
    assert len(needed) >= 2
    assert f"series {worst} (y[:, {worst}])" in str(warning)
    assert f"{len(needed)} of 4 series end more than 1% above their optimum" in str(warning)
    assert warning.remedy["epochs"] == needed[worst]
    assert result.loss[worst] > 1.01 * result.optimal_loss[worst]
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.PolyfitWarning)
        better = polyfit.fit(x, y, 3, **{**options, **warning.remedy})
    assert np.all(better.loss <= 1.01 * better.optimal_loss)


def test_no_warning_when_every_series_is_close():
    x, y = series_data(n=300, k=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("exact", "moments"):
            result = polyfit.fit(x, y, 3, method=method, epochs=3000)
            assert np.all(result.loss <= 1.01 * result.optimal_loss)


def test_rank_warning_per_value_names_the_series_with_fewest_distinct_x():
    x = np.linspace(-1.0, 1.0, 40)
    y = np.column_stack([np.sin(x), np.cos(x), x**2])
    weights = np.ones((40, 3))
    weights[:, 1] = 0.0
    weights[[3, 20], 1] = 1.0  # series 1: two distinct x
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        polyfit.fit(x, y, 3, sample_weight=weights, epochs=10)
    ranks = [w.message for w in caught if issubclass(w.category, polyfit.RankWarning)]
    assert len(ranks) == 1
    assert str(ranks[0]).startswith("series 1 (y[:, 1]): 2 distinct x of nonzero sample_weight")
    assert ranks[0].remedy == {"degree": 1}


def test_shared_checks_read_as_the_1d_fit():
    """Without weights per value the series share G: the rank and conditioning
    checks are the 1-D fit's own, word for word."""
    x = np.full(30, 2.0)
    y = np.column_stack([np.arange(30.0), np.ones(30)])
    with warnings.catch_warnings(record=True) as both:
        warnings.simplefilter("always")
        polyfit.fit(x, y, 2, epochs=5)
    with warnings.catch_warnings(record=True) as alone:
        warnings.simplefilter("always")
        polyfit.fit(x, y[:, 0].copy(), 2, epochs=5)
    assert [str(w.message) for w in both][:1] == [str(w.message) for w in alone][:1]
    assert issubclass(both[0].category, polyfit.RankWarning)


def test_the_optimum_is_solved_once_for_series_that_share_g(monkeypatch):
    """No Python loop per series on the common path: one eigendecomposition of G
    (as a 1-D fit's) for 200 series, and one compiled call per stage."""
    x, y = series_data(n=300, k=200)
    calls = {"optimum": 0, "series_moments": 0, "series_train_moments": 0, "train_moments": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(_stats, "optimum", counted("optimum", _stats.optimum))
    for name in ("series_moments", "series_train_moments", "train_moments"):
        monkeypatch.setattr(_kernels, name, counted(name, getattr(_kernels, name)))
    result = polyfit.fit(x, y, 3, method="moments", epochs=3000)
    assert np.all(result.loss <= 1.01 * result.optimal_loss)  # no warning path taken
    # the pass, the epochs and the final loss (one more epoch on a copy)
    assert calls == {
        "optimum": 1,
        "series_moments": 1,
        "series_train_moments": 2,
        "train_moments": 0,
    }


def test_float32_series_are_read_as_their_float64_values():
    """float32 y (and x) stay float32 in memory and each value is widened before
    any arithmetic: the fit of the same values as float64, Fortran-ordered or
    as lists gives the same bits."""
    x, y = series_data(n=150, k=3, dtype=np.float32)
    for method in ("exact", "moments"):
        base = quiet(polyfit.fit, x, y, 2, epochs=20, method=method)
        for variant in (np.asfortranarray(y), y.astype(np.float64), y.tolist()):
            other = quiet(polyfit.fit, x, variant, 2, epochs=20, method=method)
            assert_bits(other.coef, base.coef)
            assert_bits(other.losses, base.losses)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_every_thread_count_gives_the_same_bits(method):
    x, y = series_data(n=9000, k=5)  # three blocks of rows
    one = quiet(polyfit.fit, x, y, 3, method=method, epochs=20, threads=1)
    two = quiet(polyfit.fit, x, y, 3, method=method, epochs=20, threads=2)
    assert_bits(one.coef, two.coef)
    assert_bits(one.losses, two.losses)
    assert_bits(one.optimal_loss, two.optimal_loss)


def test_progress_bar_and_pickled_divergence():
    x, y = series_data(n=100, k=3)
    shown = quiet(polyfit.fit, x, y, 2, epochs=50, progress=True)
    plain = quiet(polyfit.fit, x, y, 2, epochs=50)
    assert_bits(shown.coef, plain.coef)
    error = polyfit.DivergenceError(3, 0.1, np.zeros((3, 2)), "diverged", {"lr": "auto"}, 1)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.epoch, copy.column, copy.coef.shape, str(copy)) == (3, 1, (3, 2), str(error))


def test_sums_beyond_float64_are_refused_naming_the_cure():
    x, y = series_data(n=50, k=3)
    y[:, 1] *= 1e160
    with pytest.raises(ValueError, match=r"sums of y\*\*2 .* overflow float64.*divide y"):
        polyfit.fit(x, y, 3, method="moments")


def test_plot_draws_every_series():
    x, y = series_data(n=80, k=3)
    result = quiet(polyfit.fit, x, y, 2, epochs=20)
    figure = result.plot(x, y)
    data_axes, loss_axes = figure.axes
    assert len(data_axes.lines) == 3 and len(data_axes.collections) == 3
    assert len(loss_axes.lines) == 3
    assert data_axes.get_title() == f"loss {float(np.sum(result.loss)):.6g}"


def test_conditioning_warning_per_value_names_the_worst_conditioned_series():
    """Weights per value give each series its own G: one ConditioningWarning,
    naming the series whose G (raw x, degree 6) has the largest condition number."""
    x = np.linspace(0.0, 10.0, 300)
    y = np.column_stack([np.sin(x), np.cos(x), np.sqrt(x), x / 10])
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.1, 1.0, (300, 4))
    weights[:150, 2] = 1e-3  # series 2 hardly sees the left half: the worst conditioned
    powers = np.vander(x, 7, increasing=True)
    conditions = [np.linalg.cond(powers.T @ (weights[:, [c]] * powers)) for c in range(4)]
    worst = int(np.argmax(conditions))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        polyfit.fit(x, y, 6, sample_weight=weights, scale=False, epochs=5, lr=1e-12)
    found = [w.message for w in caught if issubclass(w.category, polyfit.ConditioningWarning)]
    assert len(found) == 1
    assert str(found[0]).startswith(f"4 of 4 series are ill-conditioned; the worst, series {worst}")
    assert found[0].remedy == {"scale": True}
