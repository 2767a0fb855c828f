"""Validation: the model's quality on the fixed evaluation set, in mlgate's result files.

    python -m screening.validate --out DIR [--model FILE]

writes into DIR (the validation tier passes $MLGATE_RESULTS):

- metrics.json: global metrics, the `size_band` slices and the `texture_group` groups, each with
  its size `n` (docs/results.md in mlgate);
- predictions.jsonl: one {"id", "label", "score", "truth", "slices"} per row of the evaluation
  set, so the gate can count the labels that flip against the deployed model and compute the
  metrics itself, with their intervals (`from: predictions` in .mlgate.yml);
- reference.jsonl: one {"features", "prediction", "truth"} per row of the evaluation set, every
  raw measurement by name: what production monitoring compares serving traffic with (`monitors:`
  in .mlgate.yml; docs/observations.md in mlgate).

Without --model the model is fitted from the code at this commit (a second or two; the model is
deterministic, see model.py). The training tier passes the model it has just trained.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np
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

    def by(attribute: np.ndarray, values) -> dict:
        out = {}
        for value in values:
            rows = attribute == value
            entry = classification_metrics(y[rows], label[rows])
            entry["positives"] = int(np.sum(y[rows]))
            entry["n"] = int(np.sum(rows))
            out[value] = entry
        return out

    return {
        "metrics": {k: round(v, 6) for k, v in global_metrics.items()},
        "slices": {
            "size_band": _rounded(by(evaluation.size_band, ds.SIZE_BANDS)),
            "texture_group": _rounded(by(evaluation.texture_group, ds.TEXTURE_GROUPS)),
        },
        "meta": {
            "dataset": "sklearn.datasets.load_breast_cancer (WDBC)",
            "evaluation_rows": len(evaluation),
            "features": len(mdl.features.FEATURES),
            "C": mdl.C,
        },
    }


def _rounded(slices: dict) -> dict:
    return {
        v: {k: (x if k in ("n", "positives") else round(x, 6)) for k, x in m.items()}
        for v, m in slices.items()
    }


def predictions(model, evaluation: ds.Dataset) -> list[dict]:
    score = mdl.scores(model, evaluation)
    label = mdl.labels(score)
    return [
        {
            "id": str(i),
            "label": int(l),
            "score": round(float(s), 6),
            "truth": int(t),
            "slices": {"size_band": str(b), "texture_group": str(g)},
        }
        for i, l, s, t, b, g in zip(
            evaluation.ids, label, score, evaluation.y, evaluation.size_band, evaluation.texture_group
        )
    ]


def reference_rows(evaluation: ds.Dataset, predicted: list[dict]) -> list[dict]:
    return [
        {
            "features": {n: round(float(v), 6) for n, v in zip(evaluation.feature_names, row)},
            "prediction": {"label": p["label"], "score": p["score"]},
            "truth": p["truth"],
        }
        for row, p in zip(evaluation.X, predicted)
    ]


def write_results(model, evaluation: ds.Dataset, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    report = evaluate(model, evaluation)
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    predicted = predictions(model, evaluation)
    with open(out / "predictions.jsonl", "w") as f:
        for p in predicted:
            f.write(json.dumps(p) + "\n")
    with open(out / "reference.jsonl", "w") as f:
        for r in reference_rows(evaluation, predicted):
            f.write(json.dumps(r) + "\n")
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
    report = write_results(model, evaluation, args.out)

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
