"""polyfit.sklearn.PolynomialRegressor in scikit-learn's machinery."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import polyfit
from polyfit.sklearn import PolynomialRegressor

ONE_FEATURE = "its data have several features; PolynomialRegressor takes one"
# check_estimator's checks that a single-feature regressor fails, and why.
EXPECTED_FAILURES = {
    "check_fit1d": "1-D X is accepted on purpose, as the one feature (the check wants an error)",
    "check_positive_only_tag_during_fit": ONE_FEATURE + " (iris, 4 features)",
    # its data have 2 features; the check replaces the error with its own message
    # (test_sample_weight_as_scikit_learn_passes_it covers pandas weights)
    "check_sample_weights_pandas_series": "2 features, and the check reports its own message",
    **dict.fromkeys(
        [
            "check_dict_unchanged",
            "check_dont_overwrite_parameters",
            "check_dtype_object",
            "check_estimators_dtypes",
            "check_estimators_fit_returns_self",
            "check_estimators_nan_inf",
            "check_estimators_overwrite_params",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_fit2d_1sample",
            "check_fit2d_predict1d",
            "check_fit_check_is_fitted",
            "check_fit_idempotent",
            "check_fit_score_takes_y",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_pipeline_consistency",
            "check_readonly_memmap_input",
            "check_regressor_data_not_an_array",
            "check_regressors_int",
            "check_regressors_no_decision_function",
            "check_regressors_train",
            "check_sample_weight_equivalence_on_dense_data",
            "check_sample_weights_list",
            "check_sample_weights_not_an_array",
            "check_sample_weights_not_overwritten",
            "check_sample_weights_shape",
            "check_supervised_y_2d",
        ],
        ONE_FEATURE,
    ),
}


def test_check_estimator_fails_exactly_the_expected_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(PolynomialRegressor(), on_fail=None)
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    # Every failure is listed with its reason.  (scikit-learn versions differ in
    # their checks, so a listed check may be absent from an older release.)
    assert set(failed) <= set(EXPECTED_FAILURES), set(failed) - set(EXPECTED_FAILURES)
    assert len(failed) >= 15  # the several-feature checks do run and do fail
    for name, exception in failed.items():
        if EXPECTED_FAILURES[name] == ONE_FEATURE:
            assert "takes one feature" in str(exception), (name, exception)
    passed = [r["check_name"] for r in results if r["status"] == "passed"]
    assert "check_requires_y_none" in passed and "check_get_params_invariance" in passed
    # scikit-learn added this check after 1.7 (the lowest-numpy run installs 1.7.2);
    # where it runs it passes; test_bad_sample_weight_is_refused_naming_it checks the same
    if any(r["check_name"] == "check_all_zero_sample_weights_error" for r in results):
        assert "check_all_zero_sample_weights_error" in passed


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 300)
    return x.reshape(-1, 1), 2.0 - x + 0.3 * x**2 + rng.standard_normal(x.size)


def test_fit_predict_score_and_attributes(data):
    X, y = data
    model = PolynomialRegressor(degree=2, lr="auto", scale=True, epochs=3000, random_state=0)
    assert model.fit(X, y) is model
    expected = polyfit.fit(X[:, 0], y, 2, lr="auto", scale=True, epochs=3000, seed=0)
    np.testing.assert_array_equal(model.coef_, expected.coef)
    np.testing.assert_array_equal(model.predict(X), expected.predict(X[:, 0]))
    assert model.n_features_in_ == 1 and model.n_iter_ == 3000
    assert model.score(X, y) > 0.95
    np.testing.assert_array_equal(model.predict(X[:, 0]), model.predict(X))  # (n,) works too
    with pytest.raises(ValueError, match="2 features, but PolynomialRegressor is expecting 1"):
        model.predict(np.hstack([X, X]))


def test_pipeline_grid_search_and_cross_validation(data):
    X, y = data
    pipeline = make_pipeline(
        StandardScaler(), PolynomialRegressor(lr="auto", epochs=2000, random_state=0)
    )
    search = GridSearchCV(pipeline, {"polynomialregressor__degree": [1, 2, 3]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["polynomialregressor__degree"] in (2, 3)
    scores = cross_val_score(pipeline.set_params(polynomialregressor__degree=2), X, y, cv=4)
    assert scores.shape == (4,) and scores.min() > 0.9


def test_default_regressor_fits_wide_x_and_warns_with_its_parameters():
    """The defaults (lr="auto", scale=True) fit x in [0, 1000] without a scaler;
    where 2000 epochs are not enough, the warning's remedy is parameters of the
    estimator itself."""
    x = np.linspace(0.0, 1000.0, 2000)
    y = np.exp(x / 500.0) + np.sin(x / 50.0)
    model = PolynomialRegressor(degree=7)
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        model.fit(x.reshape(-1, 1), y)
    remedy = caught[0].message.remedy
    assert set(remedy) == {"epochs", "method"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        better = PolynomialRegressor(degree=7, **remedy).fit(x.reshape(-1, 1), y)
    assert better.result_.loss <= 1.01 * better.result_.optimal_loss
    assert model.result_.loss > 1.01 * model.result_.optimal_loss


# ---- sample_weight (issue 15) ----


def test_sample_weight_equals_repeated_samples_for_both_methods(data):
    """scikit-learn's meaning: an integer weight is the sample repeated (the
    one-feature form of check_sample_weight_equivalence_on_dense_data)."""
    X, y = data
    rng = np.random.default_rng(1)
    w = rng.integers(0, 4, y.size).astype(np.float64)
    w[[X[:, 0].argmin(), X[:, 0].argmax()]] = 1.0
    counts = w.astype(np.int64)
    for method in ("exact", "moments"):
        model = PolynomialRegressor(degree=2, method=method, random_state=0)
        weighted = clone(model).fit(X, y, sample_weight=w)
        repeated = clone(model).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
        np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
        np.testing.assert_allclose(weighted.result_.losses, repeated.result_.losses, rtol=1e-10)
        direct = polyfit.fit(X[:, 0], y, 2, sample_weight=w, method=method, seed=0)
        np.testing.assert_array_equal(weighted.coef_, direct.coef)
        assert weighted.score(X, y, sample_weight=w) == pytest.approx(
            repeated.score(np.repeat(X, counts, axis=0), np.repeat(y, counts)), rel=1e-10
        )


def test_sample_weight_as_scikit_learn_passes_it(data):
    """Lists, pandas Series and a number are weights; the caller's weights are not
    changed; None and weights of 1 are the unweighted fit, bit for bit."""
    pandas = pytest.importorskip("pandas")
    X, y = data
    w = np.linspace(0.5, 2.0, y.size)
    before = w.copy()
    expected = PolynomialRegressor(degree=2).fit(X, y, sample_weight=w).coef_
    for weights in (w.tolist(), pandas.Series(w), w[::-1].copy()[::-1], w.astype(">f8")):
        fitted = PolynomialRegressor(degree=2).fit(X, y, sample_weight=weights)
        np.testing.assert_array_equal(fitted.coef_, expected)
    np.testing.assert_array_equal(w, before)
    plain = PolynomialRegressor(degree=2).fit(X, y).coef_
    for weights in (None, np.ones(y.size), 1.0, [1] * y.size):
        fitted = PolynomialRegressor(degree=2).fit(X, y, sample_weight=weights)
        assert fitted.coef_.tobytes() == plain.tobytes()
    twice = PolynomialRegressor(degree=2).fit(X, y, sample_weight=2.0).coef_
    np.testing.assert_allclose(twice, plain, rtol=1e-12)  # a constant weight: the same fit


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.full(300, -1.0), r"sample_weight must be >= 0; sample_weight\[0\] is -1.0"),
        (np.where(np.arange(300) == 9, np.nan, 1.0), "sample_weight contains NaN|sample_weight"),
        (np.zeros(300), "at least one non-zero|sample_weight must not be all zero"),
        (np.ones(299), r"sample_weight.shape == \(299,\), expected \(300,\)"),
        (np.ones((300, 2)), "Sample weights must be 1D"),
    ],
)
def test_bad_sample_weight_is_refused_naming_it(data, weights, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        PolynomialRegressor(degree=2).fit(X, y, sample_weight=weights)
