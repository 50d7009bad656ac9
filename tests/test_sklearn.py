"""polyfit.sklearn.PolynomialRegressor in scikit-learn's machinery."""

import warnings

import numpy as np
import pytest
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
