"""The reference side of tests/integration/core/drift_parity_test.cpp.

Runs inside mlgate/python-ml:bookworm (SciPy 1.10, numpy, pandas) with the test's directory mounted
read-only at /data. Reads /data/request.json: cases of a reference and a current column; computes
each drift test as Evidently's stattests define them (written here from their documented
definitions on SciPy's functions), Evidently's default choice of test, and chi-square survival
values; prints one line "RESULT <json>".
"""
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
from scipy import stats
from scipy.spatial import distance

warnings.simplefilter("ignore")


def shares(ref, cur, numeric, fill):
    """Evidently's binning: sturges edges over both for numeric columns with more than 20
    distinct reference values, else one bin per value of either side; optional zero fill."""
    if numeric and ref.nunique() > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref.values, cur.values]), bins="sturges")
        r = np.histogram(ref, edges)[0] / len(ref)
        c = np.histogram(cur, edges)[0] / len(cur)
    else:
        keys = sorted(set(ref.unique()) | set(cur.unique()))
        rc, cc = ref.value_counts(), cur.value_counts()
        r = np.array([rc.get(k, 0) / len(ref) for k in keys])
        c = np.array([cc.get(k, 0) / len(cur) for k in keys])
    if fill:
        for a in (r, c):
            low = a[a != 0].min()
            a[a == 0] = low / 1e6 if low <= 0.0001 else 0.0001
    return r, c


def run(test, ref, cur, numeric):
    if test == "ks":
        return stats.ks_2samp(ref, cur)[1]
    if test == "wasserstein":
        return stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
    if test == "chi2":
        keys = sorted(set(ref.unique()) | set(cur.unique()))
        rc, cc = ref.value_counts(), cur.value_counts()
        scale = len(cur) / len(ref)
        return stats.chisquare([cc.get(k, 0) for k in keys], [rc.get(k, 0) * scale for k in keys])[1]
    if test == "z":
        keys = sorted(set(ref.unique()) | set(cur.unique()))
        if len(keys) == 1:
            return 1.0
        p1 = float((ref != keys[0]).sum()) / len(ref)
        p2 = float((cur != keys[0]).sum()) / len(cur)
        pooled = (p1 * len(ref) + p2 * len(cur)) / (len(ref) + len(cur))
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / len(ref) + 1.0 / len(cur)))
        return 2 * (1 - stats.norm.cdf(abs(z)))
    if test == "jensenshannon":
        r, c = shares(ref, cur, numeric, False)
        return distance.jensenshannon(r, c)
    if test == "psi":
        r, c = shares(ref, cur, numeric, True)
        return float(np.sum((r - c) * np.log(r / c)))
    raise ValueError(test)


def default_test(ref, cur, numeric):
    n_values = pd.concat([ref, cur]).nunique()
    if ref.shape[0] <= 1000:
        if numeric and n_values > 5:
            return "ks"
        return "chi2" if n_values > 2 else "z"
    if numeric and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def main():
    with open("/data/request.json", encoding="utf-8") as f:
        request = json.load(f)
    out = {"versions": {"scipy": scipy.__version__, "numpy": np.__version__}, "cases": []}
    for case in request["cases"]:
        numeric = case["numeric"]
        kind = float if numeric else str
        ref = pd.Series([kind(v) for v in case["reference"]])
        cur = pd.Series([kind(v) for v in case["current"]])
        values = {}
        for test in case["tests"]:
            v = float(run(test, ref, cur, numeric))
            values[test] = None if math.isnan(v) else v
        out["cases"].append({"values": values, "default": default_test(ref, cur, numeric)})
    out["chi2_sf"] = [float(stats.chi2.sf(x, df)) for x, df in request["chi2_sf"]]
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
