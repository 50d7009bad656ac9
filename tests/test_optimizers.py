"""The optimisers in the compiled loop against numpy implementations of
torch.optim's update rules (SGD with momentum, RMSprop, Adam)."""

import numpy as np
import pytest

import polyfit


def numpy_fit(
    x,
    y,
    degree,
    lr,
    epochs,
    init,
    optimizer,
    momentum=0.9,
    alpha=0.99,
    betas=(0.9, 0.999),
    eps=1e-8,
):
    powers = np.vander(x, degree + 1, increasing=True)
    coef = np.array(init, dtype=np.float64)
    buffer = np.zeros_like(coef)
    first = np.zeros_like(coef)
    second = np.zeros_like(coef)
    losses = []
    for step in range(1, epochs + 1):
        residual = powers @ coef - y
        losses.append(residual @ residual)
        grad = 2.0 * powers.T @ residual
        if optimizer == "gd":
            coef = coef - lr * grad
        elif optimizer == "momentum":  # torch.optim.SGD(momentum=..., dampening=0)
            buffer = grad if step == 1 else momentum * buffer + grad
            coef = coef - lr * buffer
        elif optimizer == "rmsprop":  # torch.optim.RMSprop(alpha=..., eps=...)
            second = alpha * second + (1 - alpha) * grad * grad
            coef = coef - lr * grad / (np.sqrt(second) + eps)
        elif optimizer == "adam":  # torch.optim.Adam(betas=..., eps=...)
            first = betas[0] * first + (1 - betas[0]) * grad
            second = betas[1] * second + (1 - betas[1]) * grad * grad
            step_size = lr / (1 - betas[0] ** step)
            denom = np.sqrt(second) / np.sqrt(1 - betas[1] ** step) + eps
            coef = coef - step_size * first / denom
    return coef, np.array(losses)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 500)
    return x, np.sin(3 * x) + 0.05 * rng.standard_normal(x.size), rng.standard_normal(4)


# (optimizer, lr, epochs, options).  The epochs stop before the chaotic phase of
# RMSprop and Adam: once a coefficient hovers at its optimum with steps of about
# lr, the sign of a near-zero gradient decides each step and rounding differences
# grow tenfold every few epochs (seen: 1e-16 at epoch 240, 1e-3 at 270 for
# RMSprop(alpha=0.9) below).  Agreement to 1e-9 is checked while it is a property.
SETUPS = [
    ("gd", 1e-4, 300, {}),
    ("momentum", 1e-4, 300, {}),
    ("momentum", 5e-5, 300, {"momentum": 0.5}),
    ("rmsprop", 1e-2, 150, {}),
    ("rmsprop", 2e-3, 200, {"alpha": 0.9, "eps": 1e-6}),
    ("adam", 1e-2, 150, {}),
    ("adam", 5e-3, 200, {"betas": (0.8, 0.99), "eps": 1e-7}),
]


@pytest.mark.parametrize("method", ["exact", "moments"])
@pytest.mark.parametrize(("optimizer", "lr", "epochs", "options"), SETUPS)
def test_optimizer_matches_numpy(problem, method, optimizer, lr, epochs, options):
    x, y, init = problem
    result = polyfit.fit(
        x,
        y,
        3,
        lr=lr,
        epochs=epochs,
        init=init,
        method=method,
        optimizer=optimizer,
        scale=False,
        **options,
    )
    coef, losses = numpy_fit(x, y, 3, lr, epochs, init, optimizer, **options)
    assert result.optimizer == optimizer
    np.testing.assert_allclose(result.coef, coef, rtol=1e-9)
    np.testing.assert_allclose(result.losses, losses, rtol=1e-9)


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_state_survives_callback_chunks(problem, optimizer):
    """The kernel is called once per log period; the optimiser state carries over."""
    x, y, init = problem
    plain = polyfit.fit(x, y, 3, lr=1e-3, epochs=250, init=init, optimizer=optimizer)
    chunked = polyfit.fit(
        x,
        y,
        3,
        lr=1e-3,
        epochs=250,
        init=init,
        optimizer=optimizer,
        log_every=7,
        callback=lambda t, loss, coef: None,
    )
    assert chunked.coef.tobytes() == plain.coef.tobytes()


def test_adam_on_the_tutorial_gets_close_where_gd_crawls(tutorial_data):
    x, y = tutorial_data
    adam = polyfit.fit(x, y, lr=1e-2, epochs=2000, seed=0, optimizer="adam")
    gd = polyfit.fit(x, y, lr=1e-6, epochs=2000, seed=0, scale=False)  # the tutorial's
    best = float(np.sum((np.polynomial.Polynomial.fit(x, y, 3)(x) - y) ** 2))
    assert adam.loss < 1.01 * best < gd.loss


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"optimizer": "sgd"}, ValueError, "optimizer"),
        ({"optimizer": None}, TypeError, "optimizer"),
        ({"momentum": 1.5}, ValueError, "momentum"),
        ({"alpha": -0.1}, ValueError, "alpha"),
        ({"betas": (0.9,)}, TypeError, "betas"),
        ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\]"),
        ({"eps": 0.0}, ValueError, "eps"),
        ({"eps": "tiny"}, TypeError, "eps"),
    ],
)
def test_bad_optimizer_settings(kwargs, error, words):
    with pytest.raises(error, match=words):
        polyfit.fit([0.0, 1.0], [0.0, 1.0], 1, **kwargs)
