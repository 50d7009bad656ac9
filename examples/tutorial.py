"""The PyTorch tutorial "Warm-up: numpy", with polyfit doing the loop.

    python examples/tutorial.py

Same data, same model, same loss, same updates as the tutorial's numpy code;
the 2000 epochs run in compiled code in about a millisecond.
"""

import math

import numpy as np

import polyfit

# Create input and output data
x = np.linspace(-math.pi, math.pi, 2000)
y = np.sin(x)

# The tutorial's step, unscaled x and random start (polyfit's defaults are lr="auto",
# scale=True and a zero start); print every 100 epochs
result = polyfit.fit(
    x,
    y,
    degree=3,
    lr=1e-6,
    scale=False,
    seed=np.random.default_rng(),
    epochs=2000,
    callback=lambda t, loss, coef: print(t, loss),
)
print(f"Result: {result}")
