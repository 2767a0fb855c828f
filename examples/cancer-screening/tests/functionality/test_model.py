"""The model code, on a few important examples (ML Test Score: infra-1, infra-2, infra-3,
monitor-2, monitor-3, monitor-5)."""

import json
import math

import numpy as np
import pytest

from screening import data as ds
from screening import features
from screening import model as mdl
from screening import serve
from screening import validate


def record(dataset, case_id):
    row = list(dataset.ids).index(case_id)
    return {name: float(dataset.X[row, dataset.feature_names.index(name)]) for name in features.FEATURES}


def test_model_spec(record_property, model):
    record_property("mltest", "infra-2")
    assert [name for name, _ in model.steps] == ["scale", "classify"]
    classify = model.named_steps["classify"]
    assert classify.C == mdl.C
    assert classify.coef_.shape == (1, len(features.FEATURES))
    assert list(classify.classes_) == [0, 1]


def test_scores_are_probabilities(record_property, model, split):
    record_property("mltest", "infra-2")
    _, evaluation = split
    score = mdl.scores(model, evaluation)
    assert np.all((0 <= score) & (score <= 1))
    assert list(mdl.labels(np.array([0.0, 0.4999, 0.5, 1.0]))) == [0, 0, 1, 1]


# A few important cases of the data set, checked by hand: a clear malignant one and two benign
# ones that an over-eager model would flag. Any working version of the model must get these right.
IMPORTANT_CASES = {
    "wdbc-000": 1,  # large, irregular: malignant
    "wdbc-019": 0,  # medium, regular: benign
    "wdbc-020": 0,  # small, regular: benign
}


@pytest.mark.parametrize("case_id,expected", sorted(IMPORTANT_CASES.items()))
def test_important_cases(record_property, model, dataset, case_id, expected):
    record_property("mltest", "infra-2")
    label, score = serve.predict(model, record(dataset, case_id))
    assert label == expected, f"{case_id}: score {score:.3f}"


def test_training_is_reproducible(record_property, split):
    record_property("mltest", "infra-1")
    train, evaluation = split
    a, b = mdl.fit(train), mdl.fit(train)
    assert np.array_equal(mdl.scores(a, evaluation), mdl.scores(b, evaluation))


def test_serving_matches_batch_scoring(record_property, model, split, dataset):
    record_property("mltest", "monitor-3")
    _, evaluation = split
    batch = mdl.scores(model, evaluation)
    for i in range(0, len(evaluation), 10):
        _, score = serve.predict(model, record(dataset, evaluation.ids[i]))
        assert score == pytest.approx(batch[i], abs=1e-12)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("mean radius", float("nan"), "not finite"),
        ("mean radius", -1.0, "negative"),
        ("mean area", "12", "must be a number"),
    ],
)
def test_invalid_inputs_are_refused(record_property, model, dataset, field, value, message):
    record_property("mltest", "monitor-2")
    r = record(dataset, "wdbc-000")
    r[field] = value
    with pytest.raises(serve.InvalidInput, match=message):
        serve.predict(model, r)
    del r[field]
    with pytest.raises(serve.InvalidInput, match="missing"):
        serve.predict(model, r)


def test_extreme_inputs_are_numerically_stable(record_property, model, dataset):
    record_property("mltest", "monitor-5")
    base = record(dataset, "wdbc-019")
    for factor in (0.0, 1e-6, 100.0, 1e6):
        _, score = serve.predict(model, {k: v * factor for k, v in base.items()})
        assert math.isfinite(score) and 0.0 <= score <= 1.0


def test_validation_writes_result_files(record_property, tmp_path):
    record_property("mltest", "infra-3")
    assert validate.main(["--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert set(report) == {"metrics", "slices", "meta"}
    assert set(report["slices"]["size_band"]) == set(ds.SIZE_BANDS)
    assert set(report["slices"]["texture_group"]) == set(ds.TEXTURE_GROUPS)
    lines = (tmp_path / "predictions.jsonl").read_text().splitlines()
    _, evaluation = ds.split(ds.load())
    assert len(lines) == len(evaluation)
    first = json.loads(lines[0])
    assert set(first) == {"id", "label", "score", "truth", "slices"}
    assert first["id"] == evaluation.ids[0] and first["truth"] == int(evaluation.y[0])
    assert first["slices"] == {
        "size_band": str(evaluation.size_band[0]),
        "texture_group": str(evaluation.texture_group[0]),
    }
