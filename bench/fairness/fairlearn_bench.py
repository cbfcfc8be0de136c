#!/usr/bin/env python3
"""Fairlearn side of the benchmark: the same metrics as Senim computes.

Usage: fairlearn_bench.py FILE [--n-boot N --sample ROWS]
Prints timings as `key seconds` lines."""
import functools
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference, demographic_parity_ratio,
                               equal_opportunity_difference, equal_opportunity_ratio, equalized_odds_difference,
                               equalized_odds_ratio, false_negative_rate, false_positive_rate, selection_rate,
                               true_negative_rate, true_positive_rate)

warnings.filterwarnings("ignore")
path = sys.argv[1]
n_boot = int(sys.argv[sys.argv.index("--n-boot") + 1]) if "--n-boot" in sys.argv else None
sample = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else None

t0 = time.time()
df = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
if sample:
    df = df.iloc[:sample]
t_read = time.time() - t0

yt, yp, w, s = df.y_true.to_numpy(), df.y_pred.to_numpy(), df.sample_weight.to_numpy(), df.score.to_numpy()
sf = df[["sex", "age_band"]]


def roc_auc(y_true, y_pred, score, sample_weight=None):
    return skm.roc_auc_score(y_true == 1, score, sample_weight=sample_weight)


metrics = {
    "count": count,
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "true_negative_rate": true_negative_rate,
    "false_negative_rate": false_negative_rate,
    "precision_score": skm.precision_score,
    "accuracy_score": skm.accuracy_score,
    "balanced_accuracy_score": skm.balanced_accuracy_score,
    "roc_auc_score": roc_auc,
}
sp = {k: {"sample_weight": w} for k in metrics if k != "count"}
sp["roc_auc_score"] = {"sample_weight": w, "score": s}
t1 = time.time()
kw = {}
if n_boot:
    kw = dict(n_boot=n_boot, ci_quantiles=[0.025, 0.975], random_state=1)
mf = MetricFrame(metrics=metrics, y_true=yt, y_pred=yp, sensitive_features=sf, sample_params=sp, **kw)
aggregates = [mf.group_min(), mf.group_max()] + [
    f(method=m) for f in (mf.difference, mf.ratio) for m in ("between_groups", "to_overall")]
t_mf = time.time() - t1

t2 = time.time()
results = {}
if not n_boot:
    for m in ("between_groups", "to_overall"):
        a = dict(sensitive_features=sf, method=m, sample_weight=w)
        results[("dpd", m)] = demographic_parity_difference(yt, yp, **a)
        results[("dpr", m)] = demographic_parity_ratio(yt, yp, **a)
        results[("eopd", m)] = equal_opportunity_difference(yt, yp, **a)
        results[("eopr", m)] = equal_opportunity_ratio(yt, yp, **a)
        for agg in ("worst_case", "mean"):
            results[("eod", agg, m)] = equalized_odds_difference(yt, yp, agg=agg, **a)
            results[("eor", agg, m)] = equalized_odds_ratio(yt, yp, agg=agg, **a)
t_funcs = time.time() - t2
print(f"rows {len(df)}")
print(f"read_seconds {t_read:.3f}")
print(f"metricframe_seconds {t_mf:.3f}")
print(f"functions_seconds {t_funcs:.3f}")
print(f"total_seconds {t_read + t_mf + t_funcs:.3f}")
print(f"check demographic_parity_difference {results.get(('dpd', 'between_groups'))}")
