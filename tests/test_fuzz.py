"""Property tests: random shapes, dtypes, strides and values, against the reference."""

import numpy as np
import pytest
from conftest import assert_same_fit, stable_lr, summation_allowance
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import polyfit
import polyfit.reference

DTYPES = st.sampled_from(
    [
        np.float64,
        np.float32,
        np.int32,
        np.int64,
        np.int8,
        np.float16,
        np.dtype(">f8"),
        np.dtype(">f4"),
    ]
)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 300))
    degree = draw(st.integers(0, 12))
    dtype = np.dtype(draw(DTYPES))
    scale = draw(st.sampled_from([0.0009765625, 1.0, 3.0, 100.0]))  # exact in float16
    elements = (
        st.integers(-100, 100)
        if dtype.kind == "i" and dtype.itemsize > 1
        else st.integers(-5, 5)
        if dtype.kind == "i"
        else st.floats(-scale, scale, width=min(dtype.itemsize * 8, 64))
    )
    step = draw(st.sampled_from([1, 2, 3, -1, -2]))
    base_x = draw(hnp.arrays(dtype, n * abs(step), elements=elements))
    base_y = draw(hnp.arrays(dtype, n * abs(step), elements=elements))
    init = draw(hnp.arrays(np.float64, degree + 1, elements=st.floats(-2, 2)))
    fraction = draw(st.floats(0.01, 0.9))
    epochs = draw(st.integers(0, 60))
    return base_x[::step], base_y[::step], degree, init, fraction, epochs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
# residuals +1 and -1 beside 7 tiny ones: 8 lanes add the first tiny one to 1 (and
# lose it), numpy's sum to 0 -- both right to eps * sum |r|, not to rtol of 7 c
@example(
    problem=(
        np.zeros(9, dtype=np.int32),
        np.array([-1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=np.int32),
        0,
        np.array([8.12936158e-215]),
        0.5,
        1,
    )
)
# a loss 1e-198 against a start of 5e-182: the loss allowance's sqrt(loss * start)
# underflowed to 0 when taken as one product
@example(
    problem=(
        np.array([0.046875]),
        np.array([0.0]),
        1,
        np.array([2.1562626373025794e-91, 2.1562626373025794e-91]),
        0.5,
        27,
    )
)
def test_fit_matches_reference_on_random_problems(problem):
    x, y, degree, init, fraction, epochs = problem
    with np.errstate(all="ignore"):
        lr = stable_lr(np.asarray(x, dtype=np.float64), degree, fraction)
    if not np.isfinite(lr) or lr <= 0:  # powers overflowed: nothing to compare
        return
    kwargs = {"lr": lr, "epochs": epochs, "init": init}
    try:
        expected = polyfit.reference.fit(x, y, degree, **kwargs)
    except polyfit.DivergenceError as error:  # x**degree beyond float64
        diverged_at = error.epoch
    else:
        diverged_at = None
    if diverged_at is not None:
        with pytest.raises(polyfit.DivergenceError) as caught:
            polyfit.fit(x, y, degree, scale=False, **kwargs)
        assert abs(caught.value.epoch - diverged_at) <= 1
        return
    x_before, y_before = np.array(x, copy=True), np.array(y, copy=True)
    assert_same_fit(
        polyfit.fit(x, y, degree, scale=False, **kwargs),
        expected,
        y=y,
        summation=summation_allowance(x, lr, expected),
    )
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


BAD_VALUES = st.sampled_from([np.nan, np.inf, -np.inf])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5000),
    position=st.floats(0, 1),
    bad=BAD_VALUES,
    where=st.sampled_from(["x", "y"]),
    degree=st.integers(0, 10),
    epochs=st.integers(0, 3),
)
def test_non_finite_data_gets_the_same_clean_error(n, position, bad, where, degree, epochs):
    x = np.linspace(-1, 1, n)
    y = np.sin(x)
    index = min(int(position * n), n - 1)
    (x if where == "x" else y)[index] = bad
    messages = []
    for fit in (polyfit.fit, polyfit.reference.fit):
        with pytest.raises(ValueError, match="must be finite") as caught:
            fit(x, y, degree, lr=1e-4, epochs=epochs, init=np.zeros(degree + 1))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert f"{where}[{index}]" in messages[0]
