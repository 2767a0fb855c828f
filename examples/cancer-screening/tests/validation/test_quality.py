"""Model quality evidence, run by the validation tier after screening.validate (ML Test Score:
model-5, model-6, model-7).

These tests make sure the evidence the gate judges exists and means something. The thresholds
themselves (recall of each size band, the texture groups' ratio, the drop against the deployed
model) are the gate's job, in .mlgate.yml: a model that misses them still passes these tests,
and the gate denies it with the reason.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from mlgate_results import mltest

from screening import data as ds
from screening import model as mdl
from screening import validate


@mltest("model-5")
def test_a_simpler_model_is_not_better(record_property, model, split):
    train, evaluation = split
    # The simplest model a pathologist would propose: one feature, the worst concave points.
    one = ["worst concave points"]
    simple = LogisticRegression().fit(train.columns(one), train.y)
    simple_auc = roc_auc_score(evaluation.y, simple.predict_proba(evaluation.columns(one))[:, 1])
    model_auc = roc_auc_score(evaluation.y, mdl.scores(model, evaluation))
    record_property("simple_roc_auc", round(simple_auc, 4))
    record_property("model_roc_auc", round(model_auc, 4))
    assert model_auc >= simple_auc, f"one feature gives {simple_auc:.4f}, the model {model_auc:.4f}"


@mltest("model-6")
def test_every_size_band_is_measured(model, split):
    _, evaluation = split
    report = validate.evaluate(model, evaluation)
    bands = report["slices"]["size_band"]
    assert list(bands) == list(ds.SIZE_BANDS)
    for band, entry in bands.items():
        assert entry["n"] >= 30, f"{band}: n={entry['n']} is under the gate's min_n"
        assert entry["positives"] >= 5, f"{band}: too few malignant cases for a recall"
        assert 0.0 <= entry["recall"] <= 1.0


@mltest("model-7")
def test_every_texture_group_is_measured(model, split):
    _, evaluation = split
    report = validate.evaluate(model, evaluation)
    groups = report["slices"]["texture_group"]
    assert list(groups) == list(ds.TEXTURE_GROUPS)
    sizes = [g["n"] for g in groups.values()]
    assert min(sizes) >= 30 and sum(sizes) == len(evaluation)
    assert all(g["positives"] >= 10 for g in groups.values())
