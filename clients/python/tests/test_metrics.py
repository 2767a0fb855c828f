import json
import math

import pytest

from mlgate_results import ResultsError, slice_metrics, write_metrics


def test_writes_metrics_slices_and_meta_as_mlgate_nests_them(tmp_path):
    path = write_metrics(
        {"accuracy": 0.93, "latency_p95_ms": 41},
        slices={"age_group": {"<30": {"recall": 0.85, "n": 412}, 30: {"recall": 0.91, "n": 7.0}}},
        meta={"model": "gbm-v7"},
        directory=tmp_path,
    )
    assert path == tmp_path / "metrics.json"
    doc = json.loads(path.read_text())
    assert doc == {
        "metrics": {"accuracy": 0.93, "latency_p95_ms": 41},
        "slices": {"age_group": {"<30": {"recall": 0.85, "n": 412}, "30": {"recall": 0.91, "n": 7}}},
        "meta": {"model": "gbm-v7"},
    }


def test_defaults_to_mlgate_results(tmp_path, monkeypatch):
    monkeypatch.setenv("MLGATE_RESULTS", str(tmp_path / "results"))
    assert write_metrics({"f1": 0.5}) == tmp_path / "results" / "metrics.json"


def test_nan_is_written_as_python_writes_it(tmp_path):
    text = write_metrics({"loss": math.nan, "big": math.inf}, directory=tmp_path).read_text()
    assert '"loss": NaN' in text and '"big": Infinity' in text


@pytest.mark.parametrize(
    "metrics, slices, message",
    [
        ({"accuracy": "0.9"}, None, "metrics.accuracy: expected a number, got str"),
        ({"accuracy": True}, None, "metrics.accuracy: expected a number, got bool"),
        ({"": 1.0}, None, "an empty metric name"),
        ({}, {"age": {"<30": {"recall": None}}}, "slices.age.<30.recall: expected a number"),
        ({}, {"age": {"<30": {"n": -1}}}, "slices.age.<30.n"),
        ({}, {"age": {"<30": {"n": 1.5}}}, "slices.age.<30.n"),
        ({}, {"": {"a": {"n": 1}}}, "an empty slice key"),
    ],
)
def test_refuses_what_mlgate_refuses(tmp_path, metrics, slices, message):
    with pytest.raises(ResultsError, match=message.replace("[", r"\[")):
        write_metrics(metrics, slices=slices, directory=tmp_path)
    assert not (tmp_path / "metrics.json").exists()


ROWS = [
    {"age": "<30", "y": 1, "p": 1},
    {"age": "<30", "y": 1, "p": 0},
    {"age": "30+", "y": 0, "p": 0},
    {"age": None, "y": 1, "p": 1},
]


def _recall(rows):
    positives = [r for r in rows if r["y"] == 1]
    return sum(r["p"] for r in positives) / len(positives) if positives else 0.0


def test_slice_metrics_from_plain_rows():
    assert slice_metrics(ROWS, "age", {"recall": _recall}) == {
        "age": {"30+": {"recall": 0.0, "n": 1}, "<30": {"recall": 0.5, "n": 2}}
    }
    columns = {k: [r[k] for r in ROWS] for k in ROWS[0]}
    assert slice_metrics(columns, ["age"], {"recall": _recall}, n=False) == {
        "age": {"30+": {"recall": 0.0}, "<30": {"recall": 0.5}}
    }


def test_slice_metrics_from_a_pandas_group_by(tmp_path):
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    frame = pd.DataFrame(ROWS)
    frame["band"] = pd.Categorical(["b", "b", "a", "a"], categories=["b", "a", "unused"])
    recall = {"recall": lambda g: np.float64(g.loc[g.y == 1, "p"].mean() if (g.y == 1).any() else 0)}
    slices = slice_metrics(frame, ["age", "band"], recall)
    assert slices == {
        "age": {"30+": {"recall": 0.0, "n": 1}, "<30": {"recall": 0.5, "n": 2}},
        "band": {"b": {"recall": 0.5, "n": 2}, "a": {"recall": 1.0, "n": 2}},
    }
    assert list(slices["band"]) == ["b", "a"]  # the categories' order, the unused one left out
    assert list(slices["age"]) == ["30+", "<30"]  # sorted
    doc = json.loads(write_metrics({"recall": np.float32(0.5)}, slices, directory=tmp_path).read_text())
    assert doc["slices"]["band"]["a"] == {"recall": 1.0, "n": 2}
    assert isinstance(doc["slices"]["age"]["<30"]["n"], int)
