"""The reference side of tests/integration/core/sklearn_parity_test.cpp.

Runs inside mlgate/python-ml:bookworm (scikit-learn 1.2.1, numpy, scipy) with the test's directory
mounted read-only at /data. Reads /data/request.json and the predictions.jsonl files it names,
computes every metric with scikit-learn (and the distributions with SciPy, the quantile with
numpy), and prints one line "RESULT <json>". A metric scikit-learn refuses (ValueError) is null.
"""
import json
import math
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy import optimize, special, stats
from sklearn import metrics as M

warnings.simplefilter("ignore")  # zero divisions warn; the value is what is compared


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def guarded(fn):
    try:
        v = float(fn())
    except ValueError:
        return None
    return None if math.isnan(v) else v


def ratio(a, b):
    return a / b if b else 0.0


def binary(rows, positive, w):
    y = np.repeat(np.array([int(r["truth"] == positive) for r in rows]), w)
    p = np.repeat(np.array([int(r["label"] == positive) for r in rows]), w)
    s = np.repeat(np.array([float(r["score"]) for r in rows]), w)
    tn, fp, fn, tp = M.confusion_matrix(y, p, labels=[0, 1]).ravel()
    acc = M.accuracy_score(y, p)
    return {
        "accuracy": acc,
        "error_rate": 1.0 - acc,
        "precision": M.precision_score(y, p),
        "recall": M.recall_score(y, p),
        "tpr": M.recall_score(y, p),
        "fpr": ratio(fp, fp + tn),
        "tnr": ratio(tn, fp + tn),
        "fnr": ratio(fn, tp + fn),
        "f1": M.f1_score(y, p),
        "positive_rate": ratio(tp + fp, len(y)),
        "roc_auc": guarded(lambda: M.roc_auc_score(y, s)),
        "pr_auc": guarded(lambda: M.average_precision_score(y, s)),
        "log_loss": M.log_loss(y, s, labels=[0, 1]),
        "brier": M.brier_score_loss(y, s, pos_label=1),
    }


def multiclass(rows, w):
    t = np.repeat(np.array([r["truth"] for r in rows]), w)
    l = np.repeat(np.array([r["label"] for r in rows]), w)
    # JSON member names are strings: the class 1 is named "1" (docs/results.md).
    kind = type(rows[0]["truth"])
    classes = sorted(kind(k) for k in rows[0]["scores"])
    proba = np.repeat(np.array([[r["scores"][str(c)] for c in classes] for r in rows]), w, axis=0)
    out = {"accuracy": M.accuracy_score(t, l)}
    out["error_rate"] = 1.0 - out["accuracy"]
    for avg in ("macro", "weighted"):
        out[avg + "_precision"] = M.precision_score(t, l, average=avg)
        out[avg + "_recall"] = M.recall_score(t, l, average=avg)
        out[avg + "_f1"] = M.f1_score(t, l, average=avg)
    out["log_loss"] = M.log_loss(t, proba, labels=classes)
    return out


def regression(rows, w):
    y = np.repeat(np.array([float(r["truth"]) for r in rows]), w)
    v = np.repeat(np.array([float(r["value"]) for r in rows]), w)
    return {
        "mae": M.mean_absolute_error(y, v),
        "rmse": M.mean_squared_error(y, v, squared=False),
        "r2": guarded(lambda: M.r2_score(y, v)),
    }


def evaluate(task, rows, positive, w):
    if task == "binary":
        return binary(rows, positive, w)
    if task == "multiclass":
        return multiclass(rows, w)
    return regression(rows, w)


def dataset(spec):
    rows = read_jsonl("/data/" + spec["file"])
    task, positive = spec["task"], spec.get("positive")
    out = {"all": evaluate(task, rows, positive, np.ones(len(rows), int))}
    out["weighted"] = evaluate(task, rows, positive, np.array(spec["weights"]))
    key = spec.get("slice")
    if key:
        groups = {}
        for r in rows:
            v = r.get("slices", {}).get(key)
            if v is not None:
                groups.setdefault(str(v), []).append(r)
        out["slices"] = {
            v: evaluate(task, g, positive, np.ones(len(g), int)) for v, g in groups.items()
        }
    return out


def t_reference(p, df):
    """The root of SciPy's own t CDF (special.stdtr), near t.ppf."""
    guess = stats.t.ppf(p, df)
    step = abs(guess) * 1e-6 + 1e-9
    lo, hi = guess - step, guess + step
    while special.stdtr(df, lo) > p:
        lo -= (hi - lo) * 4
    while special.stdtr(df, hi) < p:
        hi += (hi - lo) * 4
    return optimize.brentq(lambda t: special.stdtr(df, t) - p, lo, hi, xtol=1e-300,
                           rtol=4 * np.finfo(float).eps, maxiter=1000)


def wilson(k, n, confidence):
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [max(0.0, c - h), min(1.0, c + h)]


def distributions(req):
    return {
        "normal": [stats.norm.ppf(p) for p in req["normal"]],
        "t_ppf": [stats.t.ppf(p, df) for p, df in req["t"]],
        "t_root": [t_reference(p, df) for p, df in req["t"]],
        "wilson": [wilson(k, n, c) for k, n, c in req["wilson"]],
        "mcnemar": [stats.binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0
                    for b, c in req["mcnemar"]],
        "quantile": [float(np.quantile(np.array(x), q)) for x, q in req["quantile"]],
    }


def main():
    with open("/data/request.json", encoding="utf-8") as f:
        req = json.load(f)
    out = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "datasets": {name: dataset(spec) for name, spec in req["datasets"].items()},
        "stats": distributions(req["stats"]),
    }
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
