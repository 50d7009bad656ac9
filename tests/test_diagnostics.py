"""What polyfit says about a fit: ConvergenceWarning, ConditioningWarning,
RankWarning and DivergenceError, each with a problem and a remedy that works."""

import math
import pickle
import warnings
from fractions import Fraction

import numpy as np
import pytest

import polyfit


@pytest.fixture
def wiggle():
    """x in [0, 10] and a curve that degree 8 fits much better than degree 3."""
    x = np.linspace(0.0, 10.0, 1500)
    return x, np.exp(0.2 * x) + np.sin(2.0 * x)


def least_squares_loss(x, y, degree):
    best = np.polynomial.Polynomial.fit(x, y, degree)
    return float(np.sum((best(x) - y) ** 2))


def only(caught, kind):
    found = [w.message for w in caught if isinstance(w.message, kind)]
    assert len(found) == 1, [str(w.message) for w in caught]
    return found[0]


def test_warning_classes():
    for kind in (polyfit.ConvergenceWarning, polyfit.RankWarning, polyfit.ConditioningWarning):
        assert issubclass(kind, polyfit.PolyfitWarning) and issubclass(kind, UserWarning)
    assert issubclass(polyfit.DivergenceError, FloatingPointError)
    warning = polyfit.ConvergenceWarning("ended 5% above", {"epochs": 9000, "method": "moments"})
    again = pickle.loads(pickle.dumps(warning))
    assert (again.problem, again.remedy, str(again)) == (
        "ended 5% above",
        {"epochs": 9000, "method": "moments"},
        "ended 5% above; try epochs=9000, method='moments'",
    )


def test_convergence_warning_names_the_optimum_and_a_remedy_that_works(wiggle):
    x, y = wiggle
    best = least_squares_loss(x, y, 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = polyfit.fit(x, y, 8)
    warning = only(caught, polyfit.ConvergenceWarning)
    assert caught[0].filename == __file__  # it points at the caller's line
    assert f"loss {result.loss:.6g}, optimal_loss {result.optimal_loss:.6g}" in warning.problem
    assert warning.remedy["method"] == "moments" and warning.remedy["epochs"] > 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        remedied = polyfit.fit(x, y, 8, **warning.remedy)
    assert remedied.loss <= 1.01 * best


def test_the_epochs_asked_for_are_needed(wiggle):
    """The remedy's epoch count comes from G's eigenvalues: a tenth of it is not
    enough, and it is at most two significant digits above what suffices."""
    x, y = wiggle
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        polyfit.fit(x, y, 6)
    epochs = caught[0].message.remedy["epochs"]
    with pytest.warns(polyfit.ConvergenceWarning):
        polyfit.fit(x, y, 6, method="moments", epochs=epochs // 10)
    exact = polyfit.fit(x, y, 6, method="moments", epochs=int(0.9 * epochs))
    assert exact.loss <= 1.01 * exact.optimal_loss


def test_the_tutorial_call_is_told_to_scale(tutorial_data):
    x, y = tutorial_data
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        polyfit.fit(x, y, 3, lr=1e-6, scale=False, seed=0)
    remedy = caught[0].message.remedy
    assert remedy == {"scale": True, "lr": "auto"}  # 2000 epochs are plenty then
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = polyfit.fit(x, y, 3, **{"lr": 1e-6, "scale": False, "seed": 0, **remedy})
    assert fixed.loss <= 1.01 * least_squares_loss(x, y, 3)


def test_a_fit_stopped_by_tol_is_still_checked(wiggle):
    x, y = wiggle
    with pytest.warns(polyfit.ConvergenceWarning, match=r"stopped by tol") as caught:
        stopped = polyfit.fit(x, y, 7, method="moments", epochs=10**6, tol=1e-4)
    assert stopped.converged and stopped.epochs_run < 10**6
    remedy = caught[0].message.remedy
    assert remedy == {"tol": None}  # its 10**6 epochs are enough without the early stop
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        polyfit.fit(x, y, 7, **{"method": "moments", "epochs": 10**6, "tol": 1e-4, **remedy})


def test_no_convergence_warning_without_training_or_after_a_callback_stop(wiggle):
    x, y = wiggle
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        polyfit.fit(x, y, 8, epochs=0)
        stopped = polyfit.fit(x, y, 8, log_every=10, callback=lambda t, loss, coef: t < 50)
    assert stopped.epochs_run == 60


def test_other_optimisers_get_plain_gradient_descent_as_remedy(wiggle):
    x, y = wiggle
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        polyfit.fit(x, y, 5, optimizer="momentum", lr=1e-5, epochs=100)
    remedy = caught[0].message.remedy
    assert remedy["optimizer"] == "gd" and remedy["lr"] == "auto"
    call = {"optimizer": "momentum", "lr": 1e-5, "epochs": 100}
    fixed = polyfit.fit(x, y, 5, **{**call, **remedy})
    assert fixed.loss <= 1.01 * least_squares_loss(x, y, 5)


def test_optimal_loss_against_exact_rational_least_squares():
    """Solve the normal equations of the same float64 data in exact fractions; the
    float64 answer is within the accuracy FitResult.optimal_loss documents."""
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(0.0, 5.0, 60))
    y = np.cos(x) + 0.01 * rng.standard_normal(60)
    degree = 5
    result = polyfit.fit(x, y, degree, epochs=0)
    lo, hi = Fraction(float(x.min())), Fraction(float(x.max()))
    u = [(Fraction(float(v)) - (lo + hi) / 2) / ((hi - lo) / 2) for v in x]
    ys = [Fraction(float(v)) for v in y]
    gram = [[sum(ui ** (j + k) for ui in u) for k in range(degree + 1)] for j in range(degree + 1)]
    cross = [sum(ui**k * yi for ui, yi in zip(u, ys, strict=True)) for k in range(degree + 1)]
    coef = _solve(gram, cross)
    exact = sum(yi * yi for yi in ys) - sum(c * t for c, t in zip(coef, cross, strict=True))
    total = float(np.sum(y**2))
    size = total + float(
        np.abs([float(c) for c in coef])
        @ np.abs(np.array(gram, dtype=float))
        @ np.abs([float(c) for c in coef])
    )
    # the default fit evaluates the solution on the data: as exact as numpy's
    assert abs(result.optimal_loss - float(exact)) <= 1e-12 * float(exact)
    # from the statistics alone: within the documented absolute bound
    moments = polyfit.fit(x, y, degree, epochs=0, method="moments")
    assert abs(moments.optimal_loss - float(exact)) <= 1e-14 * (degree + 1) * size
    # and, on this well-conditioned problem, relatively close too (the power sums'
    # rounding depends on the lanes of the instruction set: 1.2e-11 with 8 lanes)
    assert abs(moments.optimal_loss - float(exact)) <= 1e-10 * float(exact)


def _solve(matrix, vector):
    """Gaussian elimination in exact fractions."""
    size = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for k in range(size):
        pivot = next(i for i in range(k, size) if rows[i][k] != 0)
        rows[k], rows[pivot] = rows[pivot], rows[k]
        for i in range(size):
            if i != k:
                factor = rows[i][k] / rows[k][k]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[k], strict=True)]
    return [rows[k][size] / rows[k][k] for k in range(size)]


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_conditioning_warning_for_both_methods_cures_by_scaling(method):
    x = np.linspace(0.0, 1000.0, 2000)
    y = np.sqrt(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        polyfit.fit(x, y, 6, lr=1e-30, epochs=3, scale=False, method=method)
    warning = only(caught, polyfit.ConditioningWarning)
    assert "degree 6 over x in [0, 1000]" in warning.problem and "cond(G) = " in warning.problem
    assert warning.remedy == {"scale": True}
    assert "exact" not in str(warning)  # never the cure: exact fits do not converge either
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.ConditioningWarning)
        polyfit.fit(x, y, 6, lr=1e-30, epochs=3, method=method, **warning.remedy)


def test_conditioning_beyond_scaling_asks_for_a_lower_degree():
    x = np.linspace(-1.0, 1.0, 5000)
    with pytest.warns(polyfit.ConditioningWarning) as caught:
        polyfit.fit(x, np.exp(x), 30, epochs=1)
    degree = caught[0].message.remedy["degree"]
    assert 10 <= degree < 30
    with warnings.catch_warnings():
        warnings.simplefilter("error", polyfit.ConditioningWarning)
        polyfit.fit(x, np.exp(x), degree, epochs=1)


def test_divergence_names_auto_and_scale_and_no_absurd_step(tutorial_data):
    x, y = tutorial_data
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(x, y, 3, lr=1e300, scale=False)
    error = caught.value
    assert error.remedy == {"lr": "auto", "scale": True}
    assert "lr='auto', scale=True" in str(error) and "e+299" not in str(error)
    assert "stable here for lr < 3.56e-06" in error.problem  # 1 / lambda_max(G), G in x
    again = pickle.loads(pickle.dumps(error))
    assert (again.epoch, again.lr, again.problem, again.remedy, str(again)) == (
        error.epoch,
        error.lr,
        error.problem,
        error.remedy,
        str(error),
    )
    polyfit.fit(x, y, 3, **{"lr": 1e300, "scale": False, **error.remedy})  # no divergence
    with pytest.raises(polyfit.DivergenceError) as scaled:
        polyfit.fit(x, y, 3, lr=1e300)
    assert scaled.value.remedy == {"lr": "auto"}


def test_overflowing_powers_are_blamed_on_degree_and_range():
    x = np.array([1e200, -1e200, 1.0])
    with pytest.raises(polyfit.DivergenceError) as caught:
        polyfit.fit(x, [0.0, 1.0, 0.0], 3, lr=1e-6, init=[0.0, 0.0, 0.0, 1.0], scale=False)
    error = caught.value
    assert "x**6 overflows float64 for |x| up to 1e+200" in error.problem
    assert "degree 3" in error.problem and "whatever the lr" in error.problem
    assert error.remedy == {"scale": True}
    with pytest.raises(ValueError, match=r"x\*\*6 .*degree is too high for the range of x"):
        polyfit.fit(x, [0.0, 1.0, 0.0], 3, scale=False, method="moments")
    with pytest.raises(ValueError, match=r"y\*\*2 .*\|y\| up to 1e\+200.*divide y"):
        polyfit.fit([0.0, 1.0, 2.0], [1e200, -1e200, 0.0], 1)


def test_fewer_distinct_x_than_degree_plus_one():
    x = np.repeat([1.0, 2.0, 4.0], 500)
    y = x**2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = polyfit.fit(x, y, 5)
    warning = only(caught, polyfit.RankWarning)
    assert warning.problem.startswith("3 distinct x for degree 5: infinitely many")
    assert warning.remedy == {"degree": 2}
    assert result.optimal_loss <= 1e-12 * float(np.sum(y**2))  # interpolated
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        polyfit.fit(x, y, 2, **{"method": "moments", "epochs": 10_000})


@pytest.mark.parametrize("scale", [True, False])
def test_constant_x_says_so(scale):
    x = np.full(100, 7.0)
    y = np.linspace(0.0, 1.0, 100)
    match = "x is constant.*x = 7" + (".*scale=True has no range" if scale else "")
    with pytest.warns(polyfit.RankWarning, match=match) as caught:
        result = polyfit.fit(x, y, 2, scale=scale)
    assert caught[0].message.remedy == {"degree": 0}
    assert result.predict(7.0) == pytest.approx(0.5, rel=1e-9)
    assert result.optimal_loss == pytest.approx(float(np.sum((y - 0.5) ** 2)), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        polyfit.fit(x, y, 0, scale=scale)  # a constant is determined


def test_statistics_alone_know_constant_and_too_few_samples():
    stats = polyfit.Moments(3, domain=None).update([2.0, 2.0], [1.0, 3.0])
    with pytest.warns(polyfit.RankWarning, match="x is constant") as caught:
        stats.fit()
    assert caught[0].message.remedy == {}  # Moments.fit takes no degree
    few = polyfit.Moments(3, domain=(0.0, 3.0)).update([0.0, 1.0, 3.0], [1.0, 0.0, 2.0])
    with pytest.warns(polyfit.RankWarning, match="at most 3 distinct x for degree 3"):
        few.fit()


def test_moments_without_a_domain_are_told_to_take_one():
    x = np.linspace(0.0, 1000.0, 4000)
    y = np.sqrt(x)
    chunks = [(x[i : i + 1000], y[i : i + 1000]) for i in range(0, x.size, 1000)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = polyfit.fit_stream(chunks, 4, domain=None)
    warning = only(caught, polyfit.ConditioningWarning)
    assert warning.remedy == {"domain": (0.0, 1000.0)}
    best = least_squares_loss(x, y, 4)
    assert result.optimal_loss == pytest.approx(best, rel=1e-6)  # solved in x's range
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        remedied = polyfit.fit_stream(chunks, 4, **warning.remedy)
    if again:  # with the domain, only more epochs can be asked for
        more = only(again, polyfit.ConvergenceWarning).remedy
        assert set(more) == {"epochs"}
        remedied = polyfit.fit_stream(chunks, 4, **warning.remedy, **more)
    assert remedied.loss <= 1.01 * best
    stats = polyfit.Moments(4, domain=None)
    for chunk in chunks:
        stats.update(*chunk)
    with pytest.warns(polyfit.ConditioningWarning, match=r"Moments\(4, domain=\(0.0, 1000.0\)\)"):
        stats.fit()


def test_moments_remedies_are_its_own_arguments():
    x = np.linspace(0.0, 10.0, 2000)
    y = np.exp(0.2 * x) + np.sin(2.0 * x)
    stats = polyfit.Moments(7, domain=(0.0, 10.0)).update(x, y)
    with pytest.warns(polyfit.ConvergenceWarning) as caught:
        stats.fit(lr=1e-4, tol=1e-9)
    remedy = caught[0].message.remedy
    assert set(remedy) == {"lr", "tol", "epochs"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = stats.fit(**remedy)
    assert result.loss <= 1.01 * least_squares_loss(x, y, 7)
    assert math.isclose(result.optimal_loss, polyfit.fit(x, y, 7, epochs=0).optimal_loss)


def test_optimal_loss_near_an_exact_fit():
    """Data that are a quadratic to 1e-8: the optimum's loss is 1e-17 of sum y^2,
    below what the statistics resolve; the default fit takes it from the data."""
    x = np.linspace(0.0, 10.0, 2000)
    y = 1.0 + x - 0.1 * x**2 + 1e-8 * np.sin(50.0 * x)
    best = least_squares_loss(x, y, 2)
    assert best < 1e-16 * float(np.sum(y**2))
    assert polyfit.fit(x, y, 2, epochs=0).optimal_loss == pytest.approx(best, rel=1e-6)
    given = polyfit.fit(x, y, 2, epochs=3, lr=1e-3).optimal_loss  # a given lr too
    assert given == pytest.approx(best, rel=1e-6)
    from_statistics = polyfit.fit(x, y, 2, epochs=0, method="moments").optimal_loss
    assert abs(from_statistics - best) <= 10 * 2.3e-16 * float(np.sum(y**2))


def test_the_predicted_excess_is_what_gradient_descent_does():
    """The remedy's model of plain gradient descent (G's eigenvalues) against actual
    fits, and its epoch search against a scan of every epoch count."""
    from polyfit import _kernels, _stats

    rng = np.random.default_rng(7)
    u = rng.uniform(-1.0, 1.0, 400)
    y = np.sin(3.0 * u) + 0.1 * rng.standard_normal(u.size)
    for degree in (1, 4, 6):
        stats = np.empty(3 * degree + 3)
        _kernels.moments(u, y, None, degree, 0.0, 1.0, stats, 1, False)
        best = _stats.optimum(stats, degree)
        start = rng.standard_normal(degree + 1)
        epochs = np.array([1, 10, 100, 1000])
        predicted = _stats.excess_after(best, start, epochs)
        for k, excess in zip(epochs, predicted, strict=True):
            actual = polyfit.fit(u, y, degree, init=start, epochs=int(k), scale=False)
            assert actual.loss - best.loss == pytest.approx(excess, rel=1e-6, abs=1e-9)
        target = 0.01 * float(predicted[1])
        needed = _stats.epochs_needed(best, start, target, 10**6)
        scan = _stats.excess_after(best, start, np.arange(1, needed + 1))
        assert scan[-1] <= target and (needed == 1 or scan[-2] > target)
        assert _stats.epochs_needed(best, start, 1e-30 * target, 50) is None


def test_out_of_reach_says_so_and_suggests_nothing():
    """Degree 14 on a curve that needs every one of its terms: cond(G) ~ 1e10 even
    scaled, so no practical number of epochs gets within 1 %; no remedy is invented."""
    x = np.linspace(-1.0, 1.0, 3000)
    y = np.sin(8.0 * x) + 0.001 * np.cos(40.0 * x)
    with pytest.warns(polyfit.ConvergenceWarning, match=r"more than 1e\+09 epochs") as caught:
        polyfit.fit(x, y, 14, method="moments")
    assert caught[0].message.remedy == {}
    assert "lower degree" in caught[0].message.problem


def test_an_optimum_of_zero_does_not_ask_for_the_impossible():
    """y = 0 from a random start: the loss falls geometrically towards 0 and is
    1e-25 after 2000 epochs; that is converged, not 'above an exact fit'."""
    x = np.linspace(0.0, 10.0, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = polyfit.fit(x, np.zeros(500), 3, seed=1)
    assert result.optimal_loss == 0.0 and result.loss < 1e-20


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_remedy_on_mapped_statistics_is_the_remedy_of_a_pass(monkeypatch, method):
    """An unscaled fit of many samples takes the remedy's scaled statistics from
    its own by the binomial map (no pass over the data) where the map keeps
    their accuracy: the warning is word for word the one a pass gives, and
    where the map would not keep it (x in [0, 10] at degree 5) the pass runs."""
    from polyfit import _fit, _stats

    mapped = []
    rewindow = _stats.rewindow
    monkeypatch.setattr(_stats, "rewindow", lambda *a: mapped.append(a[1]) or rewindow(*a))
    rng = np.random.default_rng(11)
    cases = [
        (rng.uniform(-1.0, 1.0, 20_000), 3),
        (np.linspace(-math.pi, math.pi, 20_000), 5),
        (rng.uniform(0.0, 10.0, 20_000), 5),
    ]
    for x, degree in cases:
        y = np.sin(2.0 * x) + 0.1 * rng.standard_normal(x.size)
        lr = 0.25 / float(np.sum(np.abs(x) ** (2 * degree)) * (degree + 1))
        messages = {}
        for samples in (0, 10**9):  # always map where allowed; never map
            monkeypatch.setattr(_fit, "REMAP_SAMPLES", samples)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                polyfit.fit(x, y, degree, lr=lr, epochs=30, scale=False, method=method)
            found = [w.message for w in caught if isinstance(w.message, polyfit.ConvergenceWarning)]
            assert len(found) == 1
            messages[samples] = (str(found[0]), found[0].remedy)
        assert messages[0] == messages[10**9]
    assert mapped == [3, 5]  # the third case's map would lose digits: a pass instead


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [3000, 300_000])  # data copied scaled; scaled in the kernel
def test_statistics_with_the_first_epoch_are_those_before_training(monkeypatch, dtype, n):
    """scale=True with a given lr reads the power sums in the first epoch's pass
    (one job reads each sample for both): every field of the result and every
    warning are those of a fit that reads them in a pass before training."""
    from polyfit import _kernels

    rng = np.random.default_rng(n)
    x = rng.uniform(0.0, 1000.0, n).astype(dtype)
    y = (np.exp(x / 400.0) + 0.1 * rng.standard_normal(n)).astype(dtype)
    weights = rng.uniform(0.5, 2.0, n)
    cases = [
        {"degree": 3, "lr": 1e-5, "epochs": 40},
        {"degree": 8, "lr": 1e-6, "epochs": 5, "sample_weight": weights},
        {"degree": 2, "lr": 1e-5, "epochs": 30, "callback": lambda *a: None, "log_every": 7},
    ]
    run_epochs, took = _kernels.run_epochs, []
    monkeypatch.setattr(
        _kernels, "run_epochs", lambda *a: took.append(a[-1] is not None) or run_epochs(*a)
    )
    for options in cases:
        seen = []
        for fused in (_kernels.FUSED_MAX, -1):  # -1: no degree fuses, a pass before
            monkeypatch.setattr(_kernels, "FUSED_MAX", fused)
            took.clear()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = polyfit.fit(x, y, scale=True, seed=1, **options)
            seen.append((result, [str(w.message) for w in caught]))
            assert took[0] == (fused >= 0) and not any(took[1:])  # the first call's first epoch
        (fused_fit, fused_said), (plain_fit, plain_said) = seen
        assert fused_said == plain_said and fused_said  # it warns: far from the optimum
        for name in ("coef", "losses", "loss", "optimal_loss", "scaled_coef", "lr", "epochs_run"):
            expected = np.asarray(getattr(plain_fit, name))
            assert np.asarray(getattr(fused_fit, name)).tobytes() == expected.tobytes(), name
