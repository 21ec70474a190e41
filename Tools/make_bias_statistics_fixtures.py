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

# Freeman-Halton (Fisher's exact test on r x c tables): every table with the observed margins is
# enumerated here in Python and weighted by scipy.stats.random_table(rows, cols).pmf; the p-value
# sums the tables no more probable than the observed one (relative tolerance 1e-7, as R).
def tables_with_margins(rows, cols):
    r, c = len(rows), len(cols)
    out = []
    cell = [[0] * c for _ in range(r)]

    def fill(j, i, left, remaining):
        if j == c - 1:
            for k in range(r):
                cell[k][c - 1] = remaining[k]
            out.append([row[:] for row in cell])
            return
        if i == r - 1:
            if left <= remaining[i]:
                cell[i][j] = left
                rem = remaining[:]
                rem[i] -= left
                fill(j + 1, 0, cols[j + 1], rem)
            return
        below = sum(remaining[i + 1:])
        for x in range(max(0, left - below), min(remaining[i], left) + 1):
            cell[i][j] = x
            rem = remaining[:]
            rem[i] -= x
            fill(j, i + 1, left - x, rem)

    fill(0, 0, cols[0], list(rows))
    return np.array(out)


freeman_halton = []
for table in ([[3, 1, 0], [1, 3, 4]], [[2, 0], [1, 3], [0, 4]], [[8, 2], [1, 5]],
              [[5, 0, 0], [0, 5, 0], [0, 0, 5]], [[1, 2], [3, 4], [5, 6]],
              [[4, 6, 9], [12, 3, 1], [7, 7, 7]], [[6, 2, 1, 0], [1, 5, 2, 2], [0, 1, 4, 6]]):
    t = np.array(table)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    everything = tables_with_margins(list(rows), list(cols))
    dist = stats.random_table(rows, cols)
    p_all = dist.pmf(everything)
    p_obs = dist.pmf(t)
    p = p_all[p_all <= p_obs * (1 + 1e-7)].sum() / p_all.sum()
    freeman_halton.append({"table": table, "tableCount": int(len(everything)),
                           "tableProbability": float(p_obs), "pValue": float(min(p, 1.0))})

out["freemanHalton"] = freeman_halton
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path, "with", len(freeman_halton), "Freeman-Halton tables")
