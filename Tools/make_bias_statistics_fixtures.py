"""Golden p-values for the bias statistics (Sources/BiasProbe/Statistics) from scipy:
Fisher's exact test on 2x2 tables (scipy.stats.fisher_exact, every alternative), Pearson's
chi-square test of independence on r x c tables (scipy.stats.chi2_contingency, with and without
Yates' correction) and the chi-square survival function (scipy.stats.chi2.sf).
Writes Tests/Fixtures/BiasProbe/bias_statistics.json.

Run: /work/main/.venv-tools/bin/python Tools/make_bias_statistics_fixtures.py   (needs scipy)
"""
import json
import math
import pathlib

import numpy as np
import scipy
from scipy import stats

fisher_tables = [
    [[8, 2], [1, 5]],
    [[1, 9], [11, 3]],
    [[0, 5], [5, 0]],
    [[10, 10], [10, 10]],
    [[3, 1], [1, 3]],
    [[100, 2], [1, 120]],
    [[20, 15], [10, 40]],
    [[0, 0], [3, 4]],
    [[7, 0], [0, 0]],
    [[2, 7], [8, 2]],
    [[45, 312], [12, 88]],
    [[500, 480], [470, 530]],
    [[1, 0], [0, 1]],
    [[0, 12], [9, 3]],
]
fisher = []
for table in fisher_tables:
    entry = {"table": table}
    for alternative in ("two-sided", "less", "greater"):
        res = stats.fisher_exact(table, alternative=alternative)
        ratio = float(res.statistic)
        entry[alternative] = {
            "oddsRatio": None if math.isnan(ratio) else ("inf" if math.isinf(ratio) else ratio),
            "pValue": float(res.pvalue),
        }
    fisher.append(entry)

chi_tables = [
    [[12, 5], [7, 9]],
    [[30, 10], [20, 25], [5, 30]],
    [[4, 6, 9], [12, 3, 1], [7, 7, 7]],
    [[100, 90, 80, 70], [60, 75, 90, 105], [20, 22, 21, 19]],
    [[1, 2], [3, 4], [5, 6]],
    [[50, 0], [0, 50]],
    [[5, 5], [5, 5]],
]
chi_square = []
for table in chi_tables:
    entry = {"table": table}
    for correction in (True, False):
        res = stats.chi2_contingency(np.array(table), correction=correction)
        entry["corrected" if correction else "uncorrected"] = {
            "statistic": float(res.statistic),
            "pValue": float(res.pvalue),
            "degreesOfFreedom": int(res.dof),
        }
    chi_square.append(entry)

survival = []
for dof in (1, 2, 3, 5, 10, 30):
    for x in (0.01, 0.5, 1.0, 3.84, 7.5, 20.0, 60.0, 150.0):
        survival.append({"degreesOfFreedom": dof, "x": x, "sf": float(stats.chi2.sf(x, dof))})

out = {
    "scipy": scipy.__version__,
    "fisher": fisher,
    "chiSquare": chi_square,
    "chiSquareSurvival": survival,
}
path = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/BiasProbe/bias_statistics.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
