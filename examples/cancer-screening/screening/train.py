"""Training: the full pipeline from the raw data, run nightly by the training tier.

    python -m screening.train --model-out FILE

1. loads the raw data and makes the fixed split (data.py);
2. searches the regularisation strength C by 5-fold cross-validation on the training set and
   fails when the search would choose another C than the one committed in model.py: a stale
   hyperparameter is a training-pipeline regression (ML Test Score model-3);
3. fits the model twice and fails unless both fits are identical (infra-1, reproducibility);
4. pickles the model to FILE, for `python -m screening.validate --model FILE`.

Exit 0 when all holds, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from screening import data as ds
from screening import model as mdl


def search_c(train: ds.Dataset) -> tuple[float, dict[float, float]]:
    """The C with the best mean cross-validated ROC AUC, and every C's mean score."""
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=ds.SEED)
    search = GridSearchCV(
        mdl.build(),
        {"classify__C": list(mdl.C_GRID)},
        scoring="roc_auc",
        cv=folds,
        n_jobs=1,
    )
    search.fit(mdl.inputs(train), train.y)
    scores = {
        float(p["classify__C"]): float(s)
        for p, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])
    }
    return float(search.best_params_["classify__C"]), scores


def same_fit(a, b) -> bool:
    ca, cb = a.named_steps["classify"], b.named_steps["classify"]
    return np.array_equal(ca.coef_, cb.coef_) and np.array_equal(ca.intercept_, cb.intercept_)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-out", required=True, type=Path)
    args = parser.parse_args(argv)

    train, _ = ds.split(ds.load())
    print(f"training set: {len(train)} rows, {int(train.y.sum())} malignant")

    best, scores = search_c(train)
    for c, s in scores.items():
        mark = " <- committed" if c == mdl.C else ""
        print(f"  C={c:<6g} cross-validated roc_auc {s:.5f}{mark}")
    if best != mdl.C:
        print(
            f"train: the search chooses C={best:g} but model.py commits C={mdl.C:g}; "
            "update model.C (and the model card) in a reviewed commit",
            file=sys.stderr,
        )
        return 1

    first, second = mdl.fit(train), mdl.fit(train)
    if not same_fit(first, second):
        print("train: two fits on the same data differ: training is not reproducible", file=sys.stderr)
        return 1
    print("reproducible: two fits gave identical coefficients")

    args.model_out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.model_out, "wb") as f:
        pickle.dump(first, f)
    print(f"wrote {args.model_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
