"""Validation: the model's quality on the fixed evaluation set, in mlgate's result files.

    python -m screening.validate --out DIR [--model FILE]

writes into DIR (the validation tier passes $MLGATE_RESULTS), with mlgate's Python helper
(mlgate_results, installed in the image; docs/python-helper.md in mlgate):

- metrics.json: global metrics, the `size_band` slices and the `texture_group` groups (a pandas
  group-by), each with its size `n` (docs/results.md in mlgate);
- predictions.jsonl: one {"id", "label", "score", "truth", "slices"} per row of the evaluation
  set, so the gate can count the labels that flip against the deployed model and compute the
  metrics itself, with their intervals (`from: predictions` in .mlgate.yml);
- reference.jsonl: a seeded sample of the training rows as the service sees them (the model's
  features by name) with the model's label and score and the truth: what production monitoring
  compares serving traffic with (docs/observations.md in mlgate).

Without --model the model is fitted from the code at this commit (a second or two; the model is
deterministic, see model.py). The training tier passes the model it has just trained.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from mlgate_results import slice_metrics, write_metrics, write_predictions, write_reference
from sklearn import metrics as skm

from screening import data as ds
from screening import model as mdl


def classification_metrics(y: np.ndarray, label: np.ndarray) -> dict[str, float]:
    """recall (of malignant cases), fpr, precision, accuracy; 0 where a rate has no denominator."""
    tp = int(np.sum((label == 1) & (y == 1)))
    fn = int(np.sum((label == 0) & (y == 1)))
    fp = int(np.sum((label == 1) & (y == 0)))
    tn = int(np.sum((label == 0) & (y == 0)))

    def rate(a: int, b: int) -> float:
        return a / (a + b) if a + b else 0.0

    return {
        "recall": rate(tp, fn),
        "fpr": rate(fp, tn),
        "precision": rate(tp, fp),
        "accuracy": rate(tp + tn, fp + fn),
    }


def latency_p95_ms(model, evaluation: ds.Dataset, rows: int = 200) -> float:
    """95th percentile of the time to score one row on its own, as the service does."""
    x = mdl.inputs(evaluation)
    times = []
    for i in range(min(rows, len(x))):
        start = time.perf_counter()
        model.predict_proba(x[i : i + 1])
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.percentile(times, 95))


REFERENCE_ROWS = 200  # training rows written to reference.jsonl (a seeded sample)


def _slice_entry(group: pd.DataFrame) -> dict:
    entry = classification_metrics(group.y.to_numpy(), group.label.to_numpy())
    entry["positives"] = int(group.y.sum())
    return entry


def evaluate(model, evaluation: ds.Dataset) -> dict:
    """metrics.json's content for `model` on `evaluation`."""
    score = mdl.scores(model, evaluation)
    label = mdl.labels(score)
    y = evaluation.y
    global_metrics = classification_metrics(y, label)
    global_metrics.update(
        {
            "roc_auc": float(skm.roc_auc_score(y, score)),
            "f1": float(skm.f1_score(y, label)),
            "brier": float(skm.brier_score_loss(y, score)),
            "latency_p95_ms": latency_p95_ms(model, evaluation),
        }
    )
    # The slices: a group-by on the attributes, in their fixed order (categories).
    frame = pd.DataFrame(
        {
            "y": y,
            "label": label,
            "size_band": pd.Categorical(evaluation.size_band, categories=ds.SIZE_BANDS),
            "texture_group": pd.Categorical(evaluation.texture_group, categories=ds.TEXTURE_GROUPS),
        }
    )
    names = ("recall", "fpr", "precision", "accuracy")
    per_group = {m: (lambda g, m=m: round(_slice_entry(g)[m], 6)) for m in names}
    per_group["positives"] = lambda g: int(g.y.sum())
    return {
        "metrics": {k: round(v, 6) for k, v in global_metrics.items()},
        "slices": slice_metrics(frame, ["size_band", "texture_group"], per_group),
        "meta": {
            "dataset": "sklearn.datasets.load_breast_cancer (WDBC)",
            "evaluation_rows": len(evaluation),
            "features": len(mdl.features.FEATURES),
            "C": mdl.C,
        },
    }


def write_results(model, evaluation: ds.Dataset, out: Path, reference: ds.Dataset | None = None) -> dict:
    report = evaluate(model, evaluation)
    write_metrics(report["metrics"], report["slices"], report["meta"], directory=out)
    score = mdl.scores(model, evaluation)
    write_predictions(
        ids=evaluation.ids,
        labels=mdl.labels(score),
        scores=[round(float(s), 6) for s in score],
        truth=evaluation.y,
        slices={"size_band": evaluation.size_band, "texture_group": evaluation.texture_group},
        directory=out,
    )
    if reference is not None:
        ref_score = mdl.scores(model, reference)
        write_reference(
            pd.DataFrame(reference.columns(mdl.features.FEATURES), columns=mdl.features.FEATURES),
            labels=mdl.labels(ref_score),
            scores=[round(float(s), 6) for s in ref_score],
            truth=reference.y,
            max_rows=REFERENCE_ROWS,
            seed=ds.SEED,
            directory=out,
        )
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="results directory")
    parser.add_argument("--model", type=Path, help="a pickled model from screening.train")
    args = parser.parse_args(argv)

    train, evaluation = ds.split(ds.load())
    if args.model:
        with open(args.model, "rb") as f:
            model = pickle.load(f)
    else:
        model = mdl.fit(train)
    report = write_results(model, evaluation, args.out, reference=train)

    m = report["metrics"]
    print(
        f"evaluation set: {len(evaluation)} rows; accuracy {m['accuracy']:.4f}, "
        f"recall {m['recall']:.4f}, roc_auc {m['roc_auc']:.4f}, fpr {m['fpr']:.4f}"
    )
    for key, values in report["slices"].items():
        for value, s in values.items():
            print(
                f"  {key}={value}: n={s['n']} positives={s['positives']} "
                f"recall={s['recall']:.4f} fpr={s['fpr']:.4f} accuracy={s['accuracy']:.4f}"
            )
    print(f"wrote metrics.json, predictions.jsonl and reference.jsonl into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
