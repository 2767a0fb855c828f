"""The data set, the attributes derived from it, and the fixed train/evaluation split.

The Wisconsin Diagnostic Breast Cancer data (WDBC) ships inside scikit-learn, and so inside
Debian's python3-sklearn: `sklearn.datasets.load_breast_cancer()` reads it from the package, with
no download. 569 fine-needle-aspirate images, 30 numeric features each (ten measurements of the
cell nuclei -- radius, texture, perimeter, area, smoothness, compactness, concavity, concave
points, symmetry, fractal dimension -- as the mean, the standard error and the "worst" value).

scikit-learn encodes 0 = malignant, 1 = benign. This project predicts **malignant = 1**: the
screening is for finding malignant cases, so recall is the recall of malignant cases.

Two attributes are derived from the data, deterministically, for the gate:

- `size_band` (the slicing attribute): the tumour size from `mean radius` --
  `small` below 13.5, `medium` from 13.5 to below 17, `large` from 17. Smaller malignant
  tumours are the hard, important cases of a screening; a model can look good overall and miss
  them.
- `texture_group` (the fairness group): `mean texture` below 20 is `smooth`, from 20 `coarse`.
  WDBC has no demographic attribute. The texture of the slide image depends on how the sample was
  stained and scanned, so it stands in for "which lab or scanner the sample came from", a group the
  model must serve equally well. A real project would use its real group attribute here.

The cut points are fixed numbers, not quantiles of whatever data is loaded, so a row's band and
group never change when the data or the split changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

SEED = 20240611
EVAL_FRACTION = 0.4

SIZE_CUTS = (13.5, 17.0)
SIZE_BANDS = ("small", "medium", "large")
TEXTURE_CUT = 20.0
TEXTURE_GROUPS = ("smooth", "coarse")


@dataclass(frozen=True)
class Dataset:
    """Rows of the data set with their ids, features (by name), labels and derived attributes."""

    ids: np.ndarray  # "wdbc-000" ... "wdbc-568": the row's position in the shipped file
    X: np.ndarray  # (rows, 30) every raw feature, in `feature_names` order
    y: np.ndarray  # 1 = malignant, 0 = benign
    feature_names: tuple[str, ...]
    size_band: np.ndarray
    texture_group: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def columns(self, names) -> np.ndarray:
        """The feature columns `names`, in that order."""
        index = [self.feature_names.index(n) for n in names]
        return self.X[:, index]

    def subset(self, rows) -> "Dataset":
        return Dataset(
            ids=self.ids[rows],
            X=self.X[rows],
            y=self.y[rows],
            feature_names=self.feature_names,
            size_band=self.size_band[rows],
            texture_group=self.texture_group[rows],
        )


def size_band(mean_radius: np.ndarray) -> np.ndarray:
    small, large = SIZE_CUTS
    return np.where(mean_radius < small, "small", np.where(mean_radius < large, "medium", "large"))


def texture_group(mean_texture: np.ndarray) -> np.ndarray:
    return np.where(mean_texture < TEXTURE_CUT, "smooth", "coarse")


def load() -> Dataset:
    raw = load_breast_cancer()
    names = tuple(str(n) for n in raw.feature_names)
    X = np.asarray(raw.data, dtype=float)
    y = (np.asarray(raw.target) == 0).astype(int)  # malignant = 1
    ids = np.array([f"wdbc-{i:03d}" for i in range(len(y))])
    return Dataset(
        ids=ids,
        X=X,
        y=y,
        feature_names=names,
        size_band=size_band(X[:, names.index("mean radius")]),
        texture_group=texture_group(X[:, names.index("mean texture")]),
    )


def split(data: Dataset) -> tuple[Dataset, Dataset]:
    """The fixed split: (training set, evaluation set), stratified by label.

    The evaluation set is the same rows on every commit, which is what lets the gate compare
    predictions id by id with the deployed model's.
    """
    train_rows, eval_rows = train_test_split(
        np.arange(len(data)), test_size=EVAL_FRACTION, random_state=SEED, stratify=data.y
    )
    return data.subset(np.sort(train_rows)), data.subset(np.sort(eval_rows))
