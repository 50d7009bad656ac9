"""sample_weight (issue 15): scikit-learn's meaning in every entry point.

The loss is sum w_i (p(x_i) - y_i)^2, so integer weights are repeated samples:
each fit is compared with the same fit on np.repeat(x, w), np.repeat(y, w), and
with numpy's weighted least squares (numpy's w multiplies the residuals, so it
is sqrt(sample_weight)).  The dask, scikit-learn and command-line entry points
are tested in their own files, against the same repeated samples.
"""

import math
import pickle
import warnings

import numpy as np
import pytest

import polyfit
import polyfit.reference
from polyfit import _validation

RTOL = 1e-10  # issue 15: weighted = repeated samples to 1e-10

# Fits with the tutorial's step or few epochs end short of the optimum, weighted
# or not; where the warning matters the tests catch it themselves.
pytestmark = pytest.mark.filterwarnings("ignore::polyfit.ConvergenceWarning")


def weighted_data(n=400, seed=7, low=-math.pi, high=math.pi):
    """Noisy sin on [low, high], integer weights 0..3 (the extreme x weighted, so
    the repeated data have the same range), and the repeated samples."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, n)
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    w = rng.integers(0, 4, n).astype(np.float64)
    w[[x.argmin(), x.argmax()]] = 2.0
    counts = w.astype(np.int64)
    return x, y, w, np.repeat(x, counts), np.repeat(y, counts)


def assert_same_result(result, expected, rtol=RTOL):
    assert result.epochs_run == expected.epochs_run
    np.testing.assert_allclose(result.coef, expected.coef, rtol=rtol, atol=0)
    np.testing.assert_allclose(result.losses, expected.losses, rtol=rtol, atol=0)
    assert result.loss == pytest.approx(expected.loss, rel=rtol, abs=0)
    assert result.lr == pytest.approx(expected.lr, rel=rtol, abs=0)
    if expected.optimal_loss is not None:
        assert result.optimal_loss == pytest.approx(expected.optimal_loss, rel=rtol, abs=0)


def assert_same_bits(result, expected):
    for name in ("coef", "losses"):
        assert getattr(result, name).tobytes() == getattr(expected, name).tobytes(), name
    assert (result.loss, result.lr, result.epochs_run) == (
        expected.loss,
        expected.lr,
        expected.epochs_run,
    )
    assert result.optimal_loss == expected.optimal_loss or (
        result.optimal_loss is None and expected.optimal_loss is None
    )


FIT_CASES = {
    "defaults": {},
    "moments": {"method": "moments"},
    "tutorial": {"lr": 1e-6, "scale": False, "seed": 0},
    "tutorial-moments": {"lr": 1e-6, "scale": False, "seed": 0, "method": "moments"},
    "adam": {"optimizer": "adam", "lr": 0.01, "epochs": 500},
    "momentum-moments": {"optimizer": "momentum", "lr": 1e-4, "method": "moments"},
    "tol": {"tol": 1e-6, "epochs": 20_000},
}


@pytest.mark.parametrize("case", FIT_CASES)
def test_weighted_fit_equals_the_fit_of_repeated_samples(case):
    x, y, w, x_repeated, y_repeated = weighted_data()
    options = {"degree": 3, **FIT_CASES[case]}
    with warnings.catch_warnings(record=True) as weighted_warnings:
        warnings.simplefilter("always")
        weighted = polyfit.fit(x, y, sample_weight=w, **options)
    with warnings.catch_warnings(record=True) as repeated_warnings:
        warnings.simplefilter("always")
        repeated = polyfit.fit(x_repeated, y_repeated, **options)
    assert_same_result(weighted, repeated)
    assert weighted.epochs_run >= 400
    # the same warnings (the tutorial's settings and adam end short of the optimum)
    assert [str(w.message) for w in weighted_warnings] == [
        str(w.message) for w in repeated_warnings
    ]
    assert len(weighted_warnings) == (1 if case in ("tutorial", "tutorial-moments", "adam") else 0)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_weighted_float32_data_equal_repeated_float32_data(method):
    x, y, w, x_repeated, y_repeated = weighted_data(seed=3)
    weighted = polyfit.fit(
        x.astype(np.float32), y.astype(np.float32), 4, sample_weight=w, method=method
    )
    repeated = polyfit.fit(x_repeated.astype(np.float32), y_repeated.astype(np.float32), 4,
                           method=method)  # fmt: skip
    assert_same_result(weighted, repeated)


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_large_weighted_data_on_two_threads(method):
    """More than one block and two threads: still the repeated samples."""
    x, y, w, x_repeated, y_repeated = weighted_data(n=150_001, seed=11)
    weighted = polyfit.fit(x, y, 5, sample_weight=w, method=method, epochs=300, threads=2)
    repeated = polyfit.fit(x_repeated, y_repeated, 5, method=method, epochs=300, threads=2)
    assert_same_result(weighted, repeated)


def test_reference_weighted_equals_reference_repeated_and_the_compiled_fit():
    x, y, w, x_repeated, y_repeated = weighted_data()
    weighted = polyfit.reference.fit(x, y, 3, sample_weight=w, seed=0)
    repeated = polyfit.reference.fit(x_repeated, y_repeated, 3, seed=0)
    assert_same_result(weighted, repeated)
    for method in ("exact", "moments"):
        compiled = polyfit.fit(x, y, 3, sample_weight=w, lr=1e-6, scale=False, seed=0,
                               method=method)  # fmt: skip
        assert_same_result(compiled, weighted, rtol=1e-9)  # README's agreement


def test_reference_uses_the_tutorials_expressions_with_weights():
    """One epoch by hand: loss (w * (y_pred - y)**2).sum(), grad 2 w (y_pred - y) x^k."""
    x, y, w, _, _ = weighted_data(n=50)
    init = np.array([0.1, -0.2, 0.3, 0.05])
    result = polyfit.reference.fit(x, y, 3, sample_weight=w, init=init, epochs=1, lr=1e-3)
    residual = init[0] + init[1] * x + init[2] * x**2 + init[3] * x**3 - y
    gradient = np.array([np.sum(2.0 * w * residual * x**k) for k in range(4)])
    assert result.losses[0] == pytest.approx(np.sum(w * residual**2), rel=1e-13)
    np.testing.assert_allclose(result.coef, init - 1e-3 * gradient, rtol=1e-13)


def test_reference_drops_samples_of_weight_zero():
    """Even where their squares overflow: dropped, not multiplied by 0 (NaN)."""
    x, y, w, _, _ = weighted_data(n=300)
    all_x, all_y = np.concatenate([x, [1e200]]), np.concatenate([y, [0.0]])
    all_w = np.concatenate([w, [0.0]])
    result = polyfit.reference.fit(all_x, all_y, 3, sample_weight=all_w, seed=0, epochs=300)
    kept = w > 0
    expected = polyfit.reference.fit(x[kept], y[kept], 3, sample_weight=w[kept], seed=0,
                                     epochs=300)  # fmt: skip
    assert_same_bits(result, expected)
    compiled = polyfit.fit(all_x, all_y, 3, sample_weight=all_w, seed=0, epochs=300, lr=1e-6,
                           scale=False)  # fmt: skip
    assert_same_result(compiled, expected, rtol=1e-9)


def numpy_weighted_fit(x, y, w, degree):
    """numpy's weighted least squares (w multiplies the residual: sqrt(weights))
    and its loss sum w r^2."""
    coef = np.polynomial.polynomial.polyfit(x, y, degree, w=np.sqrt(w))
    residual = np.polynomial.polynomial.polyval(x, coef) - y
    return coef, float(np.sum(w * residual**2))


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_weighted_optimum_is_numpys_weighted_least_squares(method):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 10.0, 2000)
    y = 2.0 - x + 0.3 * x**2 + rng.standard_normal(x.size)
    w = rng.uniform(0.0, 5.0, x.size)  # not integers
    coef, loss = numpy_weighted_fit(x, y, w, 2)
    result = polyfit.fit(x, y, 2, sample_weight=w, method=method, epochs=20_000)
    assert result.optimal_loss == pytest.approx(loss, rel=1e-10)
    assert result.loss == pytest.approx(loss, rel=1e-10)
    np.testing.assert_allclose(result.coef, coef, rtol=1e-6)
    unweighted, _ = numpy_weighted_fit(x, y, np.ones_like(w), 2)
    assert np.max(np.abs(coef - unweighted)) > 1e-3  # the weights matter here


@pytest.mark.parametrize(
    "options", [{}, {"method": "moments"}, {"lr": 1e-6, "scale": False, "seed": 0}]
)
@pytest.mark.parametrize("ones", ["float", "int", "list", "bool", "float32"])
def test_weights_of_one_give_the_unweighted_fit_bit_for_bit(options, ones):
    x, y, _, _, _ = weighted_data()
    weight = {
        "float": np.ones(x.size),
        "int": np.ones(x.size, dtype=np.int32),
        "list": [1] * x.size,
        "bool": np.ones(x.size, dtype=bool),
        "float32": np.ones(x.size, dtype=np.float32),
    }[ones]
    assert_same_bits(
        polyfit.fit(x, y, 3, sample_weight=weight, **options), polyfit.fit(x, y, 3, **options)
    )


def test_weights_of_one_give_the_unweighted_reference_and_moments_bit_for_bit():
    x, y, _, _, _ = weighted_data()
    ones = np.ones(x.size)
    assert_same_bits(
        polyfit.reference.fit(x, y, 3, sample_weight=ones, seed=1, epochs=300),
        polyfit.reference.fit(x, y, 3, seed=1, epochs=300),
    )
    weighted = polyfit.Moments(3, domain=(-4.0, 4.0)).update(x, y, sample_weight=ones)
    plain = polyfit.Moments(3, domain=(-4.0, 4.0)).update(x, y)
    assert weighted == plain and not weighted.weighted
    assert weighted.stats.tobytes() == plain.stats.tobytes()


@pytest.mark.parametrize("method", ["exact", "moments"])
@pytest.mark.parametrize("scale", [True, False])
def test_zero_weights_equal_dropping_those_samples(method, scale):
    """Samples of weight 0 inside x's range, with wild y, change nothing but rounding."""
    x, y, _, _, _ = weighted_data(n=500, seed=2)
    rng = np.random.default_rng(9)
    extra_x = rng.uniform(-3.0, 3.0, 300)
    extra_y = rng.uniform(-1e6, 1e6, 300)
    order = rng.permutation(x.size + extra_x.size)
    all_x = np.concatenate([x, extra_x])[order]
    all_y = np.concatenate([y, extra_y])[order]
    all_w = np.concatenate([np.ones(x.size), np.zeros(extra_x.size)])[order]
    options = {"method": method} if scale else {"method": method, "lr": 1e-6, "scale": False}
    weighted = polyfit.fit(all_x, all_y, 3, sample_weight=all_w, **options)
    dropped = polyfit.fit(x, y, 3, **options)
    assert_same_result(weighted, dropped)


@pytest.mark.parametrize("method", ["exact", "moments"])
@pytest.mark.parametrize("scale", [True, False])
def test_zero_weights_outside_the_range_are_dropped_too(method, scale):
    """x of weight 0 is not in x's range either: the domain that scale=True maps
    onto [-1, 1] is that of the samples that count (a far x of weight 0 would
    otherwise squeeze them into a corner of [-1, 1] and slow gradient descent
    down many times; unscaled, its powers could overflow)."""
    x, y, _, _, _ = weighted_data(n=500, seed=4)
    far_x = np.array([-10.0, 1e200, 12.0])
    all_x, all_y = np.concatenate([far_x, x]), np.concatenate([[1e9, -1e9, 5.0], y])
    all_w = np.concatenate([np.zeros(3), np.ones(x.size)])
    options = {"method": method} if scale else {"method": method, "lr": 1e-6, "scale": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RankWarning, ConditioningWarning or overflow
        warnings.simplefilter("ignore", polyfit.ConvergenceWarning)  # the tutorial's lr
        weighted = polyfit.fit(all_x, all_y, 5 if scale else 3, sample_weight=all_w, **options)
        dropped = polyfit.fit(x, y, 5 if scale else 3, **options)
    assert weighted.domain == dropped.domain
    assert_same_result(weighted, dropped)


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_data_of_weight_zero_must_still_be_finite(where):
    x = np.array([0.0, 1.0, 2.0, 3.0, 0.5 if where == "inside" else 9.0])
    y = np.array([1.0, 2.0, 0.5, 4.0, np.nan])
    w = np.array([1.0, 2.0, 1.0, 1.0, 0.0])
    for method in ("exact", "moments"):
        with pytest.raises(ValueError, match=r"y must be finite; y\[4\] is nan"):
            polyfit.fit(x, y, 2, sample_weight=w, method=method)
    with pytest.raises(ValueError, match=r"y must be finite; y\[4\] is nan"):
        polyfit.Moments(2, domain=(0.0, 3.0)).update(x, y, sample_weight=w)
    with pytest.raises(ValueError, match=r"x must be finite; x\[4\] is inf"):
        polyfit.fit(np.where(np.isnan(y), np.inf, x), np.nan_to_num(y), 2, sample_weight=w)


def test_moments_drop_samples_of_weight_zero_even_outside_the_domain():
    x, y, _, _, _ = weighted_data(n=500, seed=4)
    all_x, all_y = np.concatenate([x, [-50.0, 1e300]]), np.concatenate([y, [1e9, 2.0]])
    all_w = np.concatenate([np.full(x.size, 0.5), [0.0, 0.0]])
    weighted = polyfit.Moments(5, domain=(-4.0, 4.0)).update(all_x, all_y, sample_weight=all_w)
    halved = polyfit.Moments(5, domain=(-4.0, 4.0)).update(x, y, sample_weight=np.full(x.size, 0.5))
    assert weighted == halved
    assert weighted.count == x.size and weighted.x_range == (float(x.min()), float(x.max()))
    with pytest.raises(ValueError, match=r"x\[1\] = -50.0 is outside the domain"):
        polyfit.Moments(5, domain=(-4.0, 4.0)).update(
            [0.0, -50.0], [0.0, 1.0], sample_weight=[0, 1]
        )


# ---- bad weights ----

X = np.linspace(-1, 1, 10)
Y = X**2


def _one(index, value):
    return np.where(np.arange(10) == index, value, 1.0)


BAD_WEIGHTS = [
    # (sample_weight, exception, words the message must contain)
    (_one(3, -1.0), ValueError, ["sample_weight", ">= 0", "sample_weight[3]", "-1.0"]),
    (_one(7, np.nan), ValueError, ["sample_weight", "finite", "sample_weight[7]", "nan"]),
    (_one(2, np.inf), ValueError, ["sample_weight", "finite", "sample_weight[2]", "inf"]),
    (_one(0, -np.inf), ValueError, ["sample_weight", "finite", "sample_weight[0]", "-inf"]),
    (_one(5, -1e-300), ValueError, ["sample_weight", ">= 0", "sample_weight[5]", "-1e-300"]),
    (np.ones(9), ValueError, ["sample_weight", "10", "9"]),
    (np.ones(11), ValueError, ["sample_weight", "10", "11"]),
    (np.zeros(10), ValueError, ["sample_weight", "all zero"]),
    (np.ones((10, 1)), ValueError, ["sample_weight", "1-D", "(10, 1)"]),
    (np.ones((2, 5)), ValueError, ["sample_weight", "1-D", "(2, 5)"]),
    (2.0, ValueError, ["sample_weight", "1-D"]),
    (np.ones(10, dtype=complex), TypeError, ["sample_weight", "complex"]),
    (["a"] * 10, TypeError, ["sample_weight", "real"]),
    ("1111111111", TypeError, ["sample_weight"]),
    (np.array([1.0, None] * 5, dtype=object), TypeError, ["sample_weight", "None"]),
    (np.array(["2020-01-01"] * 10, dtype="datetime64[D]"), TypeError, ["sample_weight"]),
    ([[1.0], [2.0, 3.0]] + [[1.0]] * 8, ValueError, ["sample_weight"]),
]  # fmt: skip


def _entry_points():
    def moments_update(x, y, sample_weight):
        polyfit.Moments(2, domain=(-1.0, 1.0)).update(x, y, sample_weight=sample_weight).fit()

    def stream(x, y, sample_weight):
        polyfit.fit_stream([(x, y, sample_weight)], 2, domain=(-1.0, 1.0))

    return {
        "fit": lambda x, y, sample_weight: polyfit.fit(x, y, 2, sample_weight=sample_weight),
        "moments": lambda x, y, sample_weight: polyfit.fit(
            x, y, 2, sample_weight=sample_weight, method="moments"
        ),
        "reference": lambda x, y, sample_weight: polyfit.reference.fit(
            x, y, 2, sample_weight=sample_weight
        ),
        "Moments.update": moments_update,
        "fit_stream": stream,
    }


ENTRY_POINTS = _entry_points()


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(("weight", "error", "words"), BAD_WEIGHTS)
def test_bad_weights_are_refused_naming_sample_weight(entry, weight, error, words):
    with pytest.raises(error) as caught:
        ENTRY_POINTS[entry](X, Y, weight)
    message = str(caught.value)
    for word in words:
        assert word in message, (word, message)


def test_a_bad_chunk_adds_nothing_to_moments():
    stats = polyfit.Moments(2, domain=(-1.0, 1.0)).update(X, Y, sample_weight=np.full(10, 2.0))
    before = pickle.dumps(stats)
    with pytest.raises(ValueError, match=r"sample_weight\[3\] is -1.0"):
        stats.update(X, Y, sample_weight=np.where(np.arange(10) == 3, -1.0, 1.0))
    assert pickle.dumps(stats) == before


def test_all_zero_chunks_are_allowed_but_not_all_zero_data():
    """A chunk of a stream may carry no weight (masked data); a fit needs some."""
    stats = polyfit.Moments(2, domain=(-2.0, 2.0)).update(X, Y, sample_weight=np.zeros(10))
    assert stats.count == 0 and stats.x_range is None and stats.weighted
    with pytest.raises(ValueError, match=r"y must be finite; y\[2\] is nan"):
        stats.update(X, np.where(np.arange(10) == 2, np.nan, Y), sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        stats.fit()
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        polyfit.fit_stream([(X, Y, np.zeros(10))] * 3, 2, domain=(-1.0, 1.0))
    stats.update(2 * X, Y, sample_weight=np.ones(10))
    assert stats.count == 10 and stats.x_range == (-2.0, 2.0)
    result = stats.fit(epochs=5000)
    expected = polyfit.Moments(2, domain=(-2.0, 2.0)).update(2 * X, Y).fit(epochs=5000)
    np.testing.assert_allclose(result.coef, expected.coef, rtol=1e-12)


def test_weights_that_overflow_are_blamed_on_sample_weight():
    with pytest.raises(ValueError, match=r"sample_weight adds up to inf.*divide sample_weight"):
        polyfit.fit(X, Y, 2, sample_weight=np.full(10, 1e308))
    with pytest.raises(ValueError, match="divide sample_weight by a constant"):
        polyfit.fit(X, Y, 2, sample_weight=np.full(10, 1e308), method="moments", scale=False)


def test_chunks_that_are_not_pairs_or_triples_are_refused():
    with pytest.raises(TypeError, match=r"\(x, y\) pairs or \(x, y, sample_weight\) triples"):
        polyfit.fit_stream([(X, Y, Y, Y)], 2, domain=(-1.0, 1.0))
    with pytest.raises(TypeError, match="triples, got float"):
        polyfit.fit_stream([1.0], 2, domain=(-1.0, 1.0))


# ---- the caller's weights ----


def _layouts():
    base = np.linspace(0.5, 3.0, 20)
    read_only = base.copy()
    read_only.setflags(write=False)
    return {
        "float64": base.copy(),
        "read-only": read_only,
        "strided": np.repeat(base, 2)[::2],
        "reversed": base[::-1].copy()[::-1],
        "float32": base.astype(np.float32),
        "big-endian": base.astype(">f8"),
        "fortran-column": np.asfortranarray(base.reshape(-1, 1))[:, 0],
        "list": base.tolist(),
        "unaligned": np.frombuffer(b"\0" + base.tobytes(), dtype=np.float64, offset=1),
    }


@pytest.mark.parametrize("layout", list(_layouts()))
def test_the_callers_weights_are_never_changed_and_any_layout_gives_the_same_fit(layout):
    weight = _layouts()[layout]
    x = np.linspace(-2.0, 2.0, 20)
    y = np.cos(x)
    before = np.array(weight, copy=True)
    names = ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA", "WRITEABLE", "ALIGNED")
    flags = [weight.flags[n] for n in names] if isinstance(weight, np.ndarray) else None
    expected = polyfit.fit(x, y, 2, sample_weight=np.array(before, dtype=np.float64))
    for method in ("exact", "moments"):
        result = polyfit.fit(x, y, 2, sample_weight=weight, method=method)
        if method == "exact":
            assert_same_bits(result, expected)
    polyfit.reference.fit(x, y, 2, sample_weight=weight, epochs=5)
    polyfit.Moments(2, domain=(-2.0, 2.0)).update(x, y, sample_weight=weight)
    np.testing.assert_array_equal(np.asarray(weight), before)
    assert np.asarray(weight).dtype == before.dtype
    if flags is not None:
        assert [weight.flags[n] for n in names] == flags


def test_contiguous_float64_weights_are_used_in_place():
    weight = np.linspace(0.5, 3.0, 20)
    assert _validation.sample_weights(weight, 20).values is weight
    read_only = weight.copy()
    read_only.setflags(write=False)
    assert _validation.sample_weights(read_only, 20).values is read_only
    converted = _validation.sample_weights(weight.astype(np.float32), 20).values
    assert converted.dtype == np.float64 and converted.flags.c_contiguous
    assert _validation.sample_weights(np.ones(20), 20) is None  # the unweighted fit


# ---- what the statistics decide ----


def test_samples_of_weight_zero_do_not_count_as_distinct_x():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([1.0, 2.0, 0.5, 4.0, 1.0, 3.0])
    w = np.array([1.0, 2.0, 0.0, 0.0, 0.0, 1.0])  # x = 0, 1, 5 carry weight
    with pytest.warns(polyfit.RankWarning, match="3 distinct x of nonzero sample_weight") as got:
        polyfit.fit(x, y, 3, sample_weight=w, epochs=0)
    assert got[0].message.remedy == {"degree": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.RankWarning)
        polyfit.fit(x, y, 3, epochs=0)  # unweighted: 6 distinct x
        polyfit.fit(x, y, 2, sample_weight=w, epochs=0)
    one = np.array([0.0, 3.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.warns(polyfit.RankWarning, match=r"x is constant \(all 1 samples of nonzero "):
        polyfit.fit(x, y, 1, sample_weight=one, epochs=0)


def test_moments_count_samples_of_nonzero_weight():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    w = np.array([1.0, 2.0, 0.0, 0.0, 0.0, 1.0])
    stats = polyfit.Moments(3, domain=(0.0, 5.0)).update(x, np.sin(x), sample_weight=w)
    assert stats.count == 3 and stats.x_range == (0.0, 5.0)
    assert float(stats.stats[0]) == 4.0  # S_0: the total weight
    with pytest.warns(polyfit.RankWarning, match="at most 3 distinct x of nonzero sample_weight"):
        stats.fit(epochs=0)


def test_auto_lr_and_convergence_warning_follow_the_weights():
    """lr="auto" is 1 / (2 lambda_max) of the weighted G; the ConvergenceWarning's
    remedy is computed for the weighted problem and does get within 1 %."""
    x, y, w, x_repeated, y_repeated = weighted_data(n=3000, seed=1, low=0.0, high=10.0)
    y = np.exp(0.3 * x) + 0.1 * np.sin(7 * x)
    y_repeated = np.exp(0.3 * x_repeated) + 0.1 * np.sin(7 * x_repeated)
    with pytest.warns(polyfit.ConvergenceWarning) as weighted_warning:
        weighted = polyfit.fit(x, y, 7, sample_weight=w, epochs=100)
    with pytest.warns(polyfit.ConvergenceWarning) as repeated_warning:
        polyfit.fit(x_repeated, y_repeated, 7, epochs=100)
    assert weighted_warning[0].message.remedy == repeated_warning[0].message.remedy
    u = (x - (x.min() + x.max()) / 2) / ((x.max() - x.min()) / 2)
    gram = (np.vander(u, 8, increasing=True) * w[:, None]).T @ np.vander(u, 8, increasing=True)
    assert weighted.lr == pytest.approx(0.5 / np.linalg.eigvalsh(gram)[-1], rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        remedied = polyfit.fit(x, y, 7, sample_weight=w, **weighted_warning[0].message.remedy)
    _, loss = numpy_weighted_fit(x, y, w, 7)
    assert remedied.loss <= 1.01 * loss


# ---- Moments and fit_stream ----


def test_weighted_moments_equal_repeated_moments():
    x, y, w, x_repeated, y_repeated = weighted_data(n=5000, seed=8)
    weighted = polyfit.Moments(4, domain=(-4.0, 4.0))
    for part in np.array_split(np.arange(x.size), 7):
        weighted.update(x[part], y[part], sample_weight=w[part])
    repeated = polyfit.Moments(4, domain=(-4.0, 4.0)).update(x_repeated, y_repeated)
    np.testing.assert_allclose(weighted.stats, repeated.stats, rtol=1e-12)
    assert weighted.count == np.count_nonzero(w) and repeated.count == x_repeated.size
    assert weighted.x_range == repeated.x_range and weighted.weighted
    assert_same_result(weighted.fit(), repeated.fit())
    in_memory = polyfit.fit(x, y, 4, sample_weight=w, method="moments")
    expected = polyfit.fit(x_repeated, y_repeated, 4, method="moments")
    assert_same_result(in_memory, expected)


def test_weighted_moments_merge_in_any_order_and_save_and_load(tmp_path):
    x, y, w, _, _ = weighted_data(n=3000, seed=6)
    parts = [
        polyfit.Moments(3, domain=(-4.0, 4.0)).update(x[p], y[p], sample_weight=w[p])
        for p in np.array_split(np.arange(x.size), 5)
    ]
    merged = parts[0] + parts[1] + parts[2] + parts[3] + parts[4]
    other = (parts[4] + parts[2]) + (parts[0] + (parts[3] + parts[1]))
    assert merged == other and merged.weighted and merged.count == np.count_nonzero(w)
    assert merged.stats.tobytes() == other.stats.tobytes()
    merged.save(tmp_path / "weighted.npz")
    loaded = polyfit.Moments.load(tmp_path / "weighted.npz")
    assert loaded == merged and loaded.weighted and loaded.count == merged.count
    assert_same_bits(loaded.fit(), merged.fit())
    mixed = merged + polyfit.Moments(3, domain=(-4.0, 4.0)).update(x, y)
    assert mixed.weighted and mixed.count == merged.count + x.size
    zero = polyfit.Moments(3, domain=(-4.0, 4.0)).update(x, y, sample_weight=np.zeros(x.size))
    zero.save(tmp_path / "zero.npz")
    assert polyfit.Moments.load(tmp_path / "zero.npz") == zero


def _weighted_file(path, **fields):
    stats = polyfit.Moments(2, domain=(0.0, 4.0)).update(
        [0.0, 1.0, 4.0], [1.0, 2.0, 3.0], sample_weight=[0.5, 0.0, 2.0]
    )
    arrays = {
        "degree": np.int64(2),
        "domain": np.array([0.0, 4.0]),
        "count": np.int64(2),
        "x_range": np.array([0.0, 4.0]),
        "sums": np.array([str(v) for v in stats._sums]),
        "weighted": np.bool_(True),
    }
    arrays.update(fields)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return stats


def test_a_crafted_weighted_file_loads(tmp_path):
    stats = _weighted_file(tmp_path / "ok.npz")
    loaded = polyfit.Moments.load(tmp_path / "ok.npz")
    assert loaded == stats and loaded.weighted and float(loaded.stats[0]) == 2.5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weighted": None}, r"its first total \(the number of samples\) is 5/2, count is 2"),
        ({"weighted": np.array([True, True])}, r"field 'weighted' has shape \(2,\)"),
        ({"weighted": np.float64(1.0)}, r"field 'weighted' has dtype float64"),
        ({"count": np.int64(0)}, r"'x_range' must be empty exactly when count is 0"),
        ({"sums": np.array(["0"] * 9)}, r"total weight\) is 0, which must be > 0 exactly when"),
        ({"sums": np.array(["-1"] + ["0"] * 8)}, r"total weight\) is -1"),
        ({"x_range": np.array([])}, r"'x_range' must be empty exactly when count is 0"),
    ],
)
def test_a_bad_weighted_file_raises_value_error_naming_the_field(tmp_path, fields, message):
    _weighted_file(tmp_path / "bad.npz", **fields)
    with pytest.raises(ValueError, match=message):
        polyfit.Moments.load(tmp_path / "bad.npz")


def test_fit_stream_takes_weighted_chunks_and_equals_repeated_samples():
    x, y, w, x_repeated, y_repeated = weighted_data(n=4000, seed=12)
    parts = np.array_split(np.arange(x.size), 6)
    chunks = [(x[p], y[p], w[p]) if i % 2 else (x[p], y[p], w[p].tolist()) for i, p in
              enumerate(parts)]  # fmt: skip
    streamed = polyfit.fit_stream(iter(chunks), 3, domain=(-4.0, 4.0))
    repeated = polyfit.fit_stream([(x_repeated, y_repeated)], 3, domain=(-4.0, 4.0))
    assert_same_result(streamed, repeated)
    mixed = [(x[p], y[p]) if i == 0 else (x[p], y[p], w[p]) for i, p in enumerate(parts)]
    w_mixed = w.copy()
    w_mixed[parts[0]] = 1.0
    assert_same_result(
        polyfit.fit_stream(mixed, 3, domain=(-4.0, 4.0)),
        polyfit.fit_stream([(x, y, w_mixed)], 3, domain=(-4.0, 4.0)),
    )
    with_none = [(x[p], y[p], None) for p in parts]
    assert_same_bits(
        polyfit.fit_stream(with_none, 3, domain=(-4.0, 4.0)),
        polyfit.fit_stream([(x[p], y[p]) for p in parts], 3, domain=(-4.0, 4.0)),
    )
