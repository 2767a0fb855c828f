"""The data and the feature code (ML Test Score: data-1, data-7, infra-1)."""

import numpy as np
from mlgate_results import mltest

from screening import data as ds
from screening import features


@mltest("data-1")
def test_schema(dataset):
    assert len(dataset) == 569
    assert len(dataset.feature_names) == 30
    assert set(np.unique(dataset.y)) == {0, 1}
    assert int(dataset.y.sum()) == 212  # malignant cases in WDBC
    assert np.all(np.isfinite(dataset.X))
    assert np.all(dataset.X >= 0), "every WDBC measurement is a size, a ratio or a count"
    radius = dataset.columns(["mean radius"])[:, 0]
    assert 5 < radius.min() and radius.max() < 30


@mltest("data-7")
def test_feature_columns_exist(dataset):
    assert len(features.FEATURES) >= 10
    assert len(set(features.FEATURES)) == len(features.FEATURES)
    assert len(features.columns(features.MEASUREMENTS)) == 30
    for name in features.FEATURES:
        assert name in dataset.feature_names
    assert features.columns(["concave points"]) == (
        "mean concave points",
        "concave points error",
        "worst concave points",
    )


@mltest("data-7")
def test_size_band_cuts():
    radius = np.array([6.0, 13.499, 13.5, 16.999, 17.0, 28.0])
    assert list(ds.size_band(radius)) == ["small", "small", "medium", "medium", "large", "large"]


@mltest("data-7")
def test_texture_group_cuts():
    texture = np.array([9.7, 19.999, 20.0, 39.3])
    assert list(ds.texture_group(texture)) == ["smooth", "smooth", "coarse", "coarse"]


@mltest("infra-1")
def test_split_is_fixed_and_disjoint(dataset):
    train_a, eval_a = ds.split(dataset)
    train_b, eval_b = ds.split(dataset)
    assert list(eval_a.ids) == list(eval_b.ids)
    assert not set(train_a.ids) & set(eval_a.ids)
    assert len(train_a) + len(eval_a) == len(dataset)
    for band in ds.SIZE_BANDS:
        assert np.sum(eval_a.size_band == band) >= 30, f"size band {band} too small to judge"
