"""polyfit in a scikit-learn pipeline, with a grid search over the degree.

    python examples/sklearn_pipeline.py

Needs polyfit[sklearn].
"""

import numpy as np
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from polyfit.sklearn import PolynomialRegressor

rng = np.random.default_rng(0)
X = rng.uniform(0, 10, (500, 1))
y = 2.0 - X[:, 0] + 0.3 * X[:, 0] ** 2 + rng.standard_normal(500)

pipeline = make_pipeline(StandardScaler(), PolynomialRegressor(lr="auto", epochs=3000))
search = GridSearchCV(pipeline, {"polynomialregressor__degree": [1, 2, 3, 4]}, cv=5)
search.fit(X, y)
print("best degree:", search.best_params_["polynomialregressor__degree"])
print("cross-validated R^2:", cross_val_score(search.best_estimator_, X, y, cv=5).mean())
