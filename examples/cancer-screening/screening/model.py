"""The model: standardised features into an L2-regularised logistic regression.

Everything that decides the fitted model is here, in code, so that one commit gives one model:
the feature list (features.py), the hyperparameters below, and a solver without randomness
(lbfgs). Training twice on the same data gives the same coefficients, bit for bit.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from screening import features
from screening.data import Dataset

# Chosen by the cross-validated search in train.py (`python -m screening.train --search`); the
# training tier fails when the search would choose differently (ML Test Score model-3).
C = 0.1
CLASS_WEIGHT = "balanced"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

# Scores at or above this are reported as malignant.
THRESHOLD = 0.5


def build(c: float = C) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                LogisticRegression(
                    C=c, class_weight=CLASS_WEIGHT, solver="lbfgs", max_iter=10_000
                ),
            ),
        ]
    )


def inputs(data: Dataset, feature_names=None) -> np.ndarray:
    return data.columns(feature_names or features.FEATURES)


def fit(train: Dataset, c: float = C) -> Pipeline:
    model = build(c)
    model.fit(inputs(train), train.y)
    return model


def scores(model: Pipeline, data: Dataset) -> np.ndarray:
    """The probability of malignancy of each row."""
    return model.predict_proba(inputs(data))[:, 1]


def labels(score: np.ndarray) -> np.ndarray:
    return (score >= THRESHOLD).astype(int)
