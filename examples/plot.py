"""Fit, then plot the data, the curve and the loss per epoch.

    python examples/plot.py [output.png]

Needs polyfit[plot] (matplotlib).
"""

import math
import sys

import matplotlib

matplotlib.use("Agg")  # files only; no window

import numpy as np

import polyfit

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-math.pi, math.pi, 300))
y = np.sin(x) + 0.1 * rng.standard_normal(x.size)
# Adam on the scaled x: steps of about lr whatever the gradient's size
result = polyfit.fit(x, y, degree=5, lr=0.01, epochs=5000, seed=0, scale=True, optimizer="adam")
figure = result.plot(x, y)
figure.savefig(sys.argv[1] if len(sys.argv) > 1 else "fit.png", dpi=90)
print(result)
