import json

import pytest

from mlgate_results import ResultsError, write_predictions


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_line_per_id_with_truth_and_slices(tmp_path):
    path = write_predictions(
        ids=["a", 2],
        labels=[1, "spam"],
        scores=[0.9, None],
        truth=[0, "spam"],
        slices={"size_band": ["small", 3], "site": [None, "x"]},
        directory=tmp_path,
    )
    assert lines(path) == [
        {"id": "a", "label": 1, "score": 0.9, "truth": 0, "slices": {"size_band": "small", "site": None}},
        {"id": 2, "label": "spam", "score": None, "truth": "spam", "slices": {"size_band": 3, "site": "x"}},
    ]
    assert path.read_text().count("\n") == 2  # one object per line


def test_regression_values_and_class_scores(tmp_path):
    path = write_predictions(
        ids=["r1", "r2"], values=[3.2, 1.0], truth=[3.0, 1.5], directory=tmp_path
    )
    assert lines(path)[0] == {"id": "r1", "value": 3.2, "truth": 3.0}
    path = write_predictions(
        ids=["i1"], labels=["cat"], class_scores=[{"cat": 0.7, "dog": 0.3}], directory=tmp_path
    )
    assert lines(path)[0]["scores"] == {"cat": 0.7, "dog": 0.3}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ids": ["a", "a"], "labels": [1, 0]}, "line 2: duplicate id 'a' \\(first on line 1\\)"),
        ({"ids": ["1", 1], "labels": [1, 0]}, "duplicate id '1'"),
        ({"ids": [1.5], "labels": [1]}, "line 1: id must be"),
        ({"ids": [""], "labels": [1]}, "line 1: id must be"),
        ({"ids": ["a"]}, "needs a label, a score or a value"),
        ({"ids": ["a"], "scores": [None]}, "needs a label, a score or a value"),
        ({"ids": ["a", "b"], "labels": [1]}, "labels: 1 values for 2 ids"),
        ({"ids": ["a"], "labels": [[1]]}, "label: expected a string, number or bool"),
        ({"ids": ["a"], "labels": [1], "slices": [{f"f{i}": 1 for i in range(65)}]}, "over mlgate's cap of 64"),
        ({"ids": [], "labels": []}, "no predictions"),
    ],
)
def test_refuses_what_mlgate_refuses(tmp_path, kwargs, message):
    with pytest.raises(ResultsError, match=message):
        write_predictions(directory=tmp_path, **kwargs)


def test_numpy_and_pandas_columns(tmp_path):
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"band": ["small", "large"], "group": [1, 2]})
    path = write_predictions(
        ids=np.array([10, 11]),
        labels=np.array([1, 0]),
        scores=np.array([0.75, 0.25], dtype=np.float32),
        truth=pd.Series([1.0, float("nan")]),
        slices=frame,
        directory=tmp_path,
    )
    assert lines(path) == [
        {"id": 10, "label": 1, "score": 0.75, "truth": 1.0, "slices": {"band": "small", "group": 1}},
        {"id": 11, "label": 0, "score": 0.25, "truth": None, "slices": {"band": "large", "group": 2}},
    ]
