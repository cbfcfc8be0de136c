#!/usr/bin/env python3
"""Writes the benchmark predictions file: N rows of y_true, y_pred, score,
sample_weight, sex (3 values), age_band (6 values), as CSV and Parquet."""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[1])
out = sys.argv[2]  # path without extension
rng = np.random.default_rng(8)
sex = rng.choice(np.array(["female", "male", "other"]), size=n, p=[0.49, 0.49, 0.02])
age = rng.choice(np.array(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]), size=n)
yt = (rng.random(n) < np.where(sex == "female", 0.42, 0.5)).astype(np.int8)
score = np.clip(np.where(yt == 1, 0.62, 0.4) + rng.normal(0, 0.18, n), 0, 1).round(4)
yp = (score > 0.5).astype(np.int8)
w = rng.gamma(2.0, 0.5, n).round(3)
df = pd.DataFrame({"y_true": yt, "y_pred": yp, "score": score, "sample_weight": w, "sex": sex, "age_band": age})
df.to_csv(out + ".csv", index=False)
df.to_parquet(out + ".parquet", index=False)  # pyarrow default: snappy
