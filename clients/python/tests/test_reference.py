import json

import pytest

from mlgate_results import ResultsError, write_reference


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rows_with_features_prediction_and_truth(tmp_path):
    path = write_reference(
        [{"age": 41, "country": "de"}, {"age": float("nan"), "country": None}],
        labels=["yes", "no"],
        scores=[0.81, 0.2],
        truth=["yes", "yes"],
        directory=tmp_path,
    )
    assert lines(path) == [
        {"features": {"age": 41, "country": "de"}, "prediction": {"label": "yes", "score": 0.81}, "truth": "yes"},
        {"features": {"age": None, "country": None}, "prediction": {"label": "no", "score": 0.2}, "truth": "yes"},
    ]
    assert "NaN" not in path.read_text()  # reference.jsonl is strict JSON


def test_a_seeded_sample_caps_the_rows_in_their_order(tmp_path):
    columns = {"x": list(range(1000))}
    first = lines(write_reference(columns, max_rows=50, seed=7, directory=tmp_path / "a"))
    again = lines(write_reference(columns, max_rows=50, seed=7, directory=tmp_path / "b"))
    other = lines(write_reference(columns, max_rows=50, seed=8, directory=tmp_path / "c"))
    xs = [row["features"]["x"] for row in first]
    assert len(xs) == 50 and xs == sorted(xs) and len(set(xs)) == 50
    assert first == again
    assert first != other
    assert "prediction" not in first[0] and "truth" not in first[0]


def test_refuses_nested_features_and_mismatched_columns(tmp_path):
    with pytest.raises(ResultsError, match="row 0: a: expected a string, number or bool"):
        write_reference([{"a": {"b": 1}}], directory=tmp_path)
    with pytest.raises(ResultsError, match="labels: 1 values for 2 rows"):
        write_reference([{"a": 1}, {"a": 2}], labels=[1], directory=tmp_path)


def test_a_data_frame(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"radius": [1.5, 2.5, 3.5], "band": ["s", "m", "l"]})
    rows = lines(write_reference(frame, labels=pd.Series([0, 1, 1]), max_rows=2, directory=tmp_path))
    assert len(rows) == 2
    assert set(rows[0]["features"]) == {"radius", "band"}
    assert isinstance(rows[0]["prediction"]["label"], int)
