"""Scoring one case, as the service does: a record of named measurements in, a decision out.

The service scores one record at a time. It checks the record's invariants first (every model
feature present, a finite number, not negative: ML Test Score monitor-2) and then goes through
exactly the code the batch evaluation uses (model.inputs/scores/labels), so training and
serving cannot drift apart (monitor-3).
"""

from __future__ import annotations

import math

import numpy as np

from screening import features
from screening import model as mdl


class InvalidInput(ValueError):
    """A record the model must not score; the message names the field."""


def check_record(record: dict) -> None:
    for name in features.FEATURES:
        if name not in record:
            raise InvalidInput(f"missing feature '{name}'")
        value = record[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInput(f"feature '{name}' must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise InvalidInput(f"feature '{name}' is not finite")
        if value < 0:
            raise InvalidInput(f"feature '{name}' is negative ({value})")


def predict(model, record: dict) -> tuple[int, float]:
    """(label, score) for one record: 1 = malignant, score = probability of malignancy."""
    check_record(record)
    x = np.array([[float(record[name]) for name in features.FEATURES]])
    score = float(model.predict_proba(x)[0, 1])
    return int(mdl.labels(np.array([score]))[0]), score
