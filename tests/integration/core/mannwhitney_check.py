"""The reference side of tests/integration/core/online_judge_parity_test.cpp.

Runs inside mlgate/python-ml:bookworm with the test's directory mounted read-only at /data. Reads
/data/request.json ({"cases": [{"x": [...], "y": [...]}, ...]}) and prints one line
"RESULT <json>": per case, SciPy's two-sided Mann-Whitney U by the normal approximation with the
tie and continuity corrections, and numpy's median of the pairwise differences x_i - y_j.
"""
import json

import numpy as np
from scipy import stats


def main():
    with open("/data/request.json", encoding="utf-8") as f:
        request = json.load(f)
    out = []
    for case in request["cases"]:
        x = np.array(case["x"], dtype=float)
        y = np.array(case["y"], dtype=float)
        test = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
                                  use_continuity=True)
        shift = float(np.median(np.subtract.outer(x, y)))
        out.append({"u": float(test.statistic), "p": float(test.pvalue), "shift": shift})
    print("RESULT " + json.dumps({"cases": out}))


main()
