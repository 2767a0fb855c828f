"""The model code, on a few important examples (ML Test Score: infra-1, infra-2, infra-3,
monitor-2, monitor-3, monitor-5)."""

import json
import math

import numpy as np
import pytest
from mlgate_results import mltest

from screening import data as ds
from screening import features
from screening import model as mdl
from screening import serve
from screening import validate


def record(dataset, case_id):
    row = list(dataset.ids).index(case_id)
    return {name: float(dataset.X[row, dataset.feature_names.index(name)]) for name in features.FEATURES}


@mltest("infra-2")
def test_model_spec(model):
    assert [name for name, _ in model.steps] == ["scale", "classify"]
    classify = model.named_steps["classify"]
    assert classify.C == mdl.C
    assert classify.coef_.shape == (1, len(features.FEATURES))
    assert list(classify.classes_) == [0, 1]


@mltest("infra-2")
def test_scores_are_probabilities(model, split):
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
@mltest("infra-2")
def test_important_cases(model, dataset, case_id, expected):
    label, score = serve.predict(model, record(dataset, case_id))
    assert label == expected, f"{case_id}: score {score:.3f}"


@mltest("infra-1")
def test_training_is_reproducible(split):
    train, evaluation = split
    a, b = mdl.fit(train), mdl.fit(train)
    assert np.array_equal(mdl.scores(a, evaluation), mdl.scores(b, evaluation))


@mltest("monitor-3")
def test_serving_matches_batch_scoring(model, split, dataset):
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
@mltest("monitor-2")
def test_invalid_inputs_are_refused(model, dataset, field, value, message):
    r = record(dataset, "wdbc-000")
    r[field] = value
    with pytest.raises(serve.InvalidInput, match=message):
        serve.predict(model, r)
    del r[field]
    with pytest.raises(serve.InvalidInput, match="missing"):
        serve.predict(model, r)


@mltest("monitor-5")
def test_extreme_inputs_are_numerically_stable(model, dataset):
    base = record(dataset, "wdbc-019")
    for factor in (0.0, 1e-6, 100.0, 1e6):
        _, score = serve.predict(model, {k: v * factor for k, v in base.items()})
        assert math.isfinite(score) and 0.0 <= score <= 1.0


@mltest("infra-3")
def test_validation_writes_result_files(tmp_path):
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
    reference = [json.loads(line) for line in (tmp_path / "reference.jsonl").read_text().splitlines()]
    assert len(reference) == validate.REFERENCE_ROWS
    assert set(reference[0]) == {"features", "prediction", "truth"}
    assert list(reference[0]["features"]) == list(features.FEATURES)
    assert set(reference[0]["prediction"]) == {"label", "score"}
