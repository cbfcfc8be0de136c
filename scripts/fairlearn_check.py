#!/usr/bin/env python3
"""Compare Senim's fairness metrics with Fairlearn's on generated data.

Usage: python fairlearn_check.py BIN [PREFIX...]

BIN [PREFIX...] is how to run the metrics command, e.g.
  python scripts/fairlearn_check.py target/debug/senim audit metrics

The script generates data sets with a fixed seed (weights, zero weights,
missing intersections, single-class groups, a group without positives,
control features, string labels with a non-default positive label, an empty
sensitive value, CSV quoting, Parquet, scores with ties), runs the binary
with --format json, computes the same numbers with Fairlearn's MetricFrame
and functions (and AIF360's formulas with numpy), and asserts every value is
equal within 1e-9. Senim's null equals Fairlearn's NaN. Where scikit-learn
raises (accuracy_score of a group whose weights sum to zero) the reference
uses NaN, which is Senim's documented null.

Exit status 0 when everything matches, 1 with a message per mismatch.
Needs: fairlearn, pandas, numpy, scikit-learn, pyarrow.
"""

import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)

warnings.filterwarnings("ignore")

TOL = 1e-9
FAILURES = []
CHECKED = [0]


def fail(msg):
    FAILURES.append(msg)
    if len(FAILURES) <= 40:
        print("MISMATCH:", msg, file=sys.stderr)


def is_missing(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def check(name, got, want):
    CHECKED[0] += 1
    if isinstance(want, (np.floating, np.integer)):
        want = want.item()
    if is_missing(got) and is_missing(want):
        return
    if is_missing(got) or is_missing(want):
        fail(f"{name}: senim={got} fairlearn={want}")
        return
    if abs(got - want) > TOL * max(1.0, abs(want)):
        fail(f"{name}: senim={got!r} fairlearn={want!r} (diff {got - want:.3g})")


# ---------------------------------------------------------------- data sets

def make_base(rng, n, *, labels=("0", "1"), pos="1", weights=True, score=True):
    sex = rng.choice(["M", "F", "X"], size=n, p=[0.48, 0.47, 0.05])
    age = rng.choice(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], size=n)
    region = rng.choice(['North, "Upper"', "South", "East", ""], size=n)
    p_true = np.where(sex == "F", 0.45, 0.55)
    yt = rng.random(n) < p_true
    s = np.clip(np.where(yt, 0.62, 0.40) + rng.normal(0, 0.2, n), 0, 1)
    s = np.round(s, 2)  # ties
    yp = s > np.where(sex == "F", 0.55, 0.5)
    neg, posl = labels
    df = pd.DataFrame(
        {
            "y_true": np.where(yt, posl, neg),
            "y_pred": np.where(yp, posl, neg),
            "sex": sex,
            "age_band": age,
            "region": region,
        }
    )
    if score:
        df["score"] = s
    if weights:
        w = np.round(rng.gamma(2.0, 1.0, n), 3)
        w[rng.random(n) < 0.03] = 0.0
        df["w"] = w
    return df


def dataset_edge_cases(rng):
    """Groups: all-positive, all-negative, no predicted positives, zero weight."""
    df = make_base(rng, 1500)
    extra = []
    k = 40
    # age band 'allpos': y_true all positive (single class; no negatives).
    extra.append(pd.DataFrame({"y_true": ["1"] * k, "y_pred": rng.choice(["0", "1"], k), "sex": "M",
                               "age_band": "allpos", "region": "South", "score": np.round(rng.random(k), 1),
                               "w": np.round(rng.random(k) * 2, 2)}))
    # 'noposit': no positives in y_true (TPR 0/0 -> 0).
    extra.append(pd.DataFrame({"y_true": ["0"] * k, "y_pred": rng.choice(["0", "1"], k), "sex": "F",
                               "age_band": "noposit", "region": "East", "score": np.round(rng.random(k), 1),
                               "w": np.round(rng.random(k) * 2, 2)}))
    # 'nopred': never predicted positive (precision zero_division).
    extra.append(pd.DataFrame({"y_true": rng.choice(["0", "1"], k), "y_pred": ["0"] * k, "sex": "X",
                               "age_band": "nopred", "region": "North, \"Upper\"", "score": np.round(rng.random(k), 1),
                               "w": np.round(rng.random(k) * 2, 2)}))
    # 'zerow': every weight zero.
    extra.append(pd.DataFrame({"y_true": rng.choice(["0", "1"], 10), "y_pred": rng.choice(["0", "1"], 10), "sex": "M",
                               "age_band": "zerow", "region": "South", "score": np.round(rng.random(10), 1),
                               "w": [0.0] * 10}))
    # 'one': a single row.
    extra.append(pd.DataFrame({"y_true": ["1"], "y_pred": ["1"], "sex": "F", "age_band": "one", "region": "",
                               "score": [0.5], "w": [1.5]}))
    return pd.concat([df] + extra, ignore_index=True)


# ---------------------------------------------------------------- reference

def reference(df, *, sensitive, control, pos, weight, score, privileged):
    """Fairlearn's numbers, keyed like Senim's JSON."""
    yt = df["y_true"].to_numpy()
    yp = df["y_pred"].to_numpy()
    w = df[weight].to_numpy(dtype=float) if weight else None
    sp = {"sample_weight": w} if weight else {}

    def accuracy(y_true, y_pred, sample_weight=None):
        try:
            return skm.accuracy_score(y_true, y_pred, sample_weight=sample_weight)
        except ZeroDivisionError:
            return float("nan")  # Senim: null, zero_total_weight

    def roc_auc(y_true, y_pred, score, sample_weight=None):
        try:
            return skm.roc_auc_score(np.asarray(y_true) == pos, score, sample_weight=sample_weight)
        except (ValueError, IndexError):
            return float("nan")

    def zero_weight_is_nan(f):
        # scikit-learn raises "Sample weights must contain at least one
        # non-zero number" for a group whose weights are all zero; Senim
        # reports null (zero_total_weight) for every metric but count.
        @functools.wraps(f)
        def g(*args, sample_weight=None, **kw):
            if sample_weight is not None and not np.any(np.asarray(sample_weight) != 0):
                return float("nan")
            return f(*args, sample_weight=sample_weight, **kw)
        return g

    metrics = {
        "count": count,
        "selection_rate": functools.partial(selection_rate, pos_label=pos),
        "true_positive_rate": functools.partial(true_positive_rate, pos_label=pos),
        "false_positive_rate": functools.partial(false_positive_rate, pos_label=pos),
        "true_negative_rate": functools.partial(true_negative_rate, pos_label=pos),
        "false_negative_rate": functools.partial(false_negative_rate, pos_label=pos),
        "precision_score": functools.partial(skm.precision_score, pos_label=pos),
        "accuracy_score": accuracy,
        "balanced_accuracy_score": skm.balanced_accuracy_score,
    }
    metrics = {k: (f if k == "count" else zero_weight_is_nan(f)) for k, f in metrics.items()}
    sample_params = {k: dict(sp) for k in metrics if k != "count"}
    if score:
        metrics["roc_auc_score"] = zero_weight_is_nan(roc_auc)
        sample_params["roc_auc_score"] = dict(sp, score=df[score].to_numpy(dtype=float))
    sf = df[sensitive]
    cf = df[control] if control else None
    t0 = time.time()
    mf = MetricFrame(metrics=metrics, y_true=yt, y_pred=yp, sensitive_features=sf,
                     control_features=cf, sample_params=sample_params)
    ref = {"mf": mf, "seconds": time.time() - t0}

    # Fairlearn's fairness functions on 0/1 labels (their selection_rate
    # uses pos_label=1). With control features they do not exist, so the
    # same formulas are applied per stratum to a MetricFrame.
    yt_b = (yt == pos).astype(int)
    yp_b = (yp == pos).astype(int)
    swd = {"sample_weight": w}
    fr = MetricFrame(metrics={"sr": zero_weight_is_nan(selection_rate),
                              "tpr": zero_weight_is_nan(true_positive_rate),
                              "fpr": zero_weight_is_nan(false_positive_rate)},
                     y_true=yt_b, y_pred=yp_b, sensitive_features=sf, control_features=cf,
                     sample_params={"sr": swd, "tpr": swd, "fpr": swd})
    per = {}
    for method in ["between_groups", "to_overall"]:
        d = fr.difference(method=method)
        r = fr.ratio(method=method)
        items = [(k, d.loc[k], r.loc[k]) for k in d.index] if control else [((), d, r)]
        for key, dk, rk in items:
            k = key if isinstance(key, tuple) else (key,)
            f = per.setdefault(tuple(str(x) for x in k), {})
            f[("demographic_parity_difference", method)] = dk["sr"]
            f[("demographic_parity_ratio", method)] = rk["sr"]
            f[("equal_opportunity_difference", method)] = dk["tpr"]
            f[("equal_opportunity_ratio", method)] = rk["tpr"]
            dd = dk[["tpr", "fpr"]]
            rr = rk[["tpr", "fpr"]]
            f[("equalized_odds_difference", "worst_case", method)] = max(dd)
            f[("equalized_odds_difference", "mean", method)] = dd.mean()
            f[("equalized_odds_ratio", "worst_case", method)] = min(rr)
            f[("equalized_odds_ratio", "mean", method)] = rr.mean()
    if not control:
        # The real functions, where scikit-learn does not raise (a group with
        # all-zero weights makes it raise); they must agree with the above.
        try:
            real = {}
            for method in ["between_groups", "to_overall"]:
                kw = dict(sensitive_features=sf, method=method, sample_weight=w)
                real[("demographic_parity_difference", method)] = demographic_parity_difference(yt_b, yp_b, **kw)
                real[("demographic_parity_ratio", method)] = demographic_parity_ratio(yt_b, yp_b, **kw)
                real[("equal_opportunity_difference", method)] = equal_opportunity_difference(yt_b, yp_b, **kw)
                real[("equal_opportunity_ratio", method)] = equal_opportunity_ratio(yt_b, yp_b, **kw)
                for agg in ["worst_case", "mean"]:
                    real[("equalized_odds_difference", agg, method)] = equalized_odds_difference(
                        yt_b, yp_b, agg=agg, **kw)
                    real[("equalized_odds_ratio", agg, method)] = equalized_odds_ratio(yt_b, yp_b, agg=agg, **kw)
            for k, v in real.items():
                check(f"reference self-check {k}", per[()][k], v)
            per[()] = real
        except ValueError:
            pass
    ref["funcs"] = per

    # AIF360 formulas (ClassificationMetric with instance weights).
    if privileged:
        aif = {}
        strata = df.groupby(control, sort=False) if control else [((), df)]
        for key, part in strata:
            k = key if isinstance(key, tuple) else (key,)
            k = tuple(str(x) for x in k)
            priv = np.ones(len(part), dtype=bool)
            for col, val in privileged:
                priv &= part[col].to_numpy() == val
            ww = part[weight].to_numpy(dtype=float) if weight else np.ones(len(part))
            t = part["y_true"].to_numpy() == pos
            p = part["y_pred"].to_numpy() == pos

            def rates(mask):
                with np.errstate(all="ignore"):
                    W = ww[mask].sum()
                    sr = np.float64(ww[mask & p].sum()) / W
                    tpr = np.float64(ww[mask & t & p].sum()) / ww[mask & t].sum()
                    fpr = np.float64(ww[mask & ~t & p].sum()) / ww[mask & ~t].sum()
                return sr, tpr, fpr

            sr_p, tpr_p, fpr_p = rates(priv)
            sr_u, tpr_u, fpr_u = rates(~priv)
            with np.errstate(all="ignore"):
                di = sr_u / sr_p
            aif[k] = {
                "statistical_parity_difference": sr_u - sr_p,
                "disparate_impact": di if np.isfinite(di) else float("nan"),
                "average_odds_difference": 0.5 * ((fpr_u - fpr_p) + (tpr_u - tpr_p)),
                "equal_opportunity_difference": tpr_u - tpr_p,
                "privileged.selection_rate": sr_p,
                "unprivileged.selection_rate": sr_u,
                "privileged.true_positive_rate": tpr_p,
                "unprivileged.false_positive_rate": fpr_u,
            }
        ref["aif"] = aif
    return ref


def key_of(index_value):
    if isinstance(index_value, tuple):
        return tuple(str(x) for x in index_value)
    return (str(index_value),)


def compare(name, got, ref, *, sensitive, control):
    mf = ref["mf"]
    metrics = got["metrics"]
    # overall / group_min / group_max / difference / ratio, per stratum.
    def stratum_key(entry):
        return tuple(entry["control"][c] for c in control)

    def frame_row(frame, skey):
        if not control:
            return frame
        return frame.loc[skey if len(skey) > 1 else skey[0]]

    for entry in got["overall"]:
        sk = stratum_key(entry)
        row = frame_row(mf.overall, sk)
        for m in metrics:
            check(f"{name} overall{sk} {m}", entry["metrics"][m], row[m])
    for section, fn in [("group_min", mf.group_min), ("group_max", mf.group_max)]:
        frame = fn()
        for entry in got[section]:
            sk = stratum_key(entry)
            row = frame_row(frame, sk)
            for m in metrics:
                check(f"{name} {section}{sk} {m}", entry["metrics"][m], row[m])
    for section, fn in [("difference", mf.difference), ("ratio", mf.ratio)]:
        for method in ["between_groups", "to_overall"]:
            frame = fn(method=method)
            for entry in got[section]:
                sk = stratum_key(entry)
                row = frame_row(frame, sk)
                for m in metrics:
                    check(f"{name} {section}.{method}{sk} {m}", entry[method][m], row[m])
    # by_group: every Senim group matches; MetricFrame rows Senim omits are
    # empty intersections (all NaN).
    seen = set()
    bg = mf.by_group
    for entry in got["by_group"]:
        k = tuple(entry["control"][c] for c in control) + tuple(entry["group"][s] for s in sensitive)
        seen.add(k)
        idx = k if len(k) > 1 else k[0]
        try:
            row = bg.loc[idx]
        except KeyError:
            fail(f"{name} by_group {k}: not in MetricFrame.by_group")
            continue
        for m in metrics:
            check(f"{name} by_group{k} {m}", entry["metrics"][m], row[m])
    for idx, row in bg.iterrows():
        k = key_of(idx)
        if k not in seen and not row.isna().all():
            fail(f"{name} by_group {k}: present in MetricFrame but not in Senim")
    # Fairlearn functions.
    for entry in got["fairlearn"]:
        sk = tuple(str(x) for x in stratum_key(entry))
        funcs = ref["funcs"].get(sk if control else ())
        if funcs is None:
            fail(f"{name} fairlearn stratum {sk} missing from reference")
            continue
        for key, want in funcs.items():
            if len(key) == 2:
                v = entry[key[0]][key[1]]
            else:
                v = entry[key[0]][key[1]][key[2]]
            check(f"{name} fairlearn{sk} {'.'.join(key)}", v, want)
    if "aif" in ref:
        for entry in got["aif360"]:
            sk = tuple(str(x) for x in stratum_key(entry))
            want = ref["aif"][sk]
            for k, v in want.items():
                if "." in k:
                    side, metric = k.split(".")
                    g = entry[side][metric]
                else:
                    g = entry[k]
                check(f"{name} aif360{sk} {k}", g, v)
            di = entry["disparate_impact"]
            flag = entry["four_fifths_rule"]["violated"]
            if di is not None and flag != (di < 0.8):
                fail(f"{name} four_fifths_rule flag {flag} for disparate impact {di}")


# ---------------------------------------------------------------- running

def run(cmd_prefix, path, *, sensitive, control=(), pos=None, weight=None, score=None, privileged=(), extra=()):
    cmd = list(cmd_prefix) + [path, "--y-true", "y_true", "--y-pred", "y_pred",
                              "--sensitive", ",".join(sensitive), "--format", "json"]
    if control:
        cmd += ["--control", ",".join(control)]
    if pos is not None:
        cmd += ["--pos-label", pos]
    if weight:
        cmd += ["--weight", weight]
    if score:
        cmd += ["--score", score]
    if privileged:
        cmd += ["--privileged", ",".join(f"{c}={v}" for c, v in privileged)]
    cmd += list(extra)
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(proc.stdout), time.time() - t0


def read_back(path, columns):
    """Reads the file as Fairlearn users would, keeping '' as a group."""
    if path.endswith(".parquet"):
        df = pd.read_parquet(path)
        for c in columns:
            df[c] = df[c].astype(str)
        return df
    return pd.read_csv(path, dtype={c: str for c in columns}, keep_default_na=False)


def case(cmd_prefix, tmp, name, df, *, fmt="csv", sensitive, control=(), pos="1", weight="w", score="score",
         privileged=(), parquet_types=None):
    path = os.path.join(tmp, f"{name}.{fmt}")
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        out = df.copy()
        for c, t in (parquet_types or {}).items():
            out[c] = out[c].astype(t)
        out.to_parquet(path, index=False)  # pyarrow, snappy by default
    got, secs = run(cmd_prefix, path, sensitive=sensitive, control=control,
                    pos=None if pos == "1" else pos, weight=weight, score=score, privileged=privileged)
    cols = list(sensitive) + list(control) + ["y_true", "y_pred"]
    back = read_back(path, cols)
    if fmt == "parquet":
        for c in ["y_true", "y_pred"]:
            back[c] = back[c].map(lambda v: v[:-2] if v.endswith(".0") else v)
    ref = reference(back, sensitive=list(sensitive), control=list(control), pos=pos, weight=weight,
                    score=score, privileged=list(privileged))
    before = len(FAILURES)
    compare(name, got, ref, sensitive=list(sensitive), control=list(control))
    if got["input"]["rows_read"] != len(df):
        fail(f"{name}: rows_read {got['input']['rows_read']} != {len(df)}")
    status = "ok" if len(FAILURES) == before else "FAILED"
    print(f"{name:<28} {len(df):>6} rows  senim {secs:6.3f}s  MetricFrame {ref['seconds']:6.3f}s  {status}")
    return got


def expect_error(cmd_prefix, tmp, name, text, args, needles):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    cmd = list(cmd_prefix) + [path] + args + ["--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    CHECKED[0] += 1
    if proc.returncode == 0:
        fail(f"error case {name}: expected failure, got success")
        return
    for needle in needles:
        if needle not in proc.stderr:
            fail(f"error case {name}: {needle!r} not in error message {proc.stderr.strip()!r}")
    print(f"{'error: ' + name:<28} ok: {proc.stderr.strip()}")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd_prefix = sys.argv[1:]
    import fairlearn
    print(f"fairlearn {fairlearn.__version__}, scikit-learn {__import__('sklearn').__version__}, "
          f"pandas {pd.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(20250808)
    with tempfile.TemporaryDirectory() as tmp:
        base = make_base(rng, 4000)
        case(cmd_prefix, tmp, "weighted_intersectional", base, sensitive=["sex", "age_band"],
             privileged=[("sex", "M")])
        case(cmd_prefix, tmp, "unweighted_one_feature", base, sensitive=["sex"], weight=None,
             privileged=[("sex", "F")])
        case(cmd_prefix, tmp, "empty_and_quoted_groups", base, sensitive=["region"], privileged=[("region", "South")])
        # Missing intersections: drop some combinations.
        holes = base[~((base.sex == "X") & base.age_band.isin(["18-24", "65+"]))]
        case(cmd_prefix, tmp, "missing_intersections", holes, sensitive=["sex", "age_band", "region"],
             privileged=[("sex", "M"), ("age_band", "25-34")])
        edge = dataset_edge_cases(rng)
        case(cmd_prefix, tmp, "edge_groups", edge, sensitive=["age_band"], privileged=[("age_band", "allpos")])
        case(cmd_prefix, tmp, "edge_groups_no_score", edge, sensitive=["sex", "age_band"], score=None)
        case(cmd_prefix, tmp, "control_features", base, sensitive=["sex"], control=["region"],
             privileged=[("sex", "M")])
        case(cmd_prefix, tmp, "control_two_features", edge, sensitive=["sex", "age_band"], control=["region"],
             privileged=[("sex", "F")])
        strings = make_base(rng, 3000, labels=("denied", "approved"))
        case(cmd_prefix, tmp, "string_labels_pos_label", strings, sensitive=["sex", "age_band"], pos="approved",
             privileged=[("sex", "M")])
        strings2 = make_base(rng, 2000, labels=("yes", "no"))
        case(cmd_prefix, tmp, "pos_label_sorts_first", strings2, sensitive=["sex"], pos="no")
        case(cmd_prefix, tmp, "parquet_weighted", base, fmt="parquet", sensitive=["sex", "age_band"],
             privileged=[("sex", "M")], parquet_types={"age_band": "category", "y_true": int, "y_pred": int})
        pq_int = base.copy()
        pq_int["age_band"] = pq_int["age_band"].map({"18-24": 1, "25-34": 2, "35-44": 3, "45-54": 4,
                                                     "55-64": 5, "65+": 6})
        case(cmd_prefix, tmp, "parquet_int_feature", pq_int, fmt="parquet", sensitive=["age_band"],
             control=["sex"], parquet_types={"y_true": float, "y_pred": float}, privileged=[("age_band", "2")])
        ties = base.copy()
        ties["score"] = np.round(ties["score"] * 4) / 4  # heavy ties
        case(cmd_prefix, tmp, "heavy_score_ties", ties, sensitive=["sex"])

        # Bootstrap: well-formed and reproducible; loosely agrees with Fairlearn's.
        path = os.path.join(tmp, "boot.csv")
        base.to_csv(path, index=False)
        args = dict(sensitive=["sex"], weight="w", score="score", privileged=[("sex", "M")],
                    extra=["--bootstrap", "300", "--seed", "7"])
        b1, _ = run(cmd_prefix, path, **args)
        b2, _ = run(cmd_prefix, path, **args)
        CHECKED[0] += 1
        if b1["bootstrap"] != b2["bootstrap"]:
            fail("bootstrap: same seed gave different intervals")
        lo, hi = b1["bootstrap"]["overall"][0]["metrics"]["selection_rate"]
        point = b1["overall"][0]["metrics"]["selection_rate"]
        if not (lo <= point <= hi):
            fail(f"bootstrap: selection_rate {point} outside [{lo}, {hi}]")
        back = read_back(path, ["sex", "y_true", "y_pred"])
        mfb = MetricFrame(metrics=selection_rate, y_true=back.y_true.astype(int), y_pred=back.y_pred.astype(int),
                          sensitive_features=back["sex"], sample_params={"sample_weight": back.w.to_numpy()},
                          n_boot=300, ci_quantiles=[0.025, 0.975], random_state=7)
        flo, fhi = mfb.overall_ci
        width, fwidth = hi - lo, fhi - flo
        if abs(width / fwidth - 1) > 0.3:
            fail(f"bootstrap: interval width {width:.4f} vs Fairlearn's {fwidth:.4f}")
        print(f"{'bootstrap (300, seed 7)':<28} selection_rate CI senim [{lo:.4f}, {hi:.4f}] "
              f"fairlearn [{flo:.4f}, {fhi:.4f}]  scheme {b1['bootstrap']['scheme']}")

        # Errors name the column and the row.
        req = ["--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex"]
        expect_error(cmd_prefix, tmp, "nonbinary.csv", "y_true,y_pred,sex\n1,0,M\n0,1,F\n2,1,F\n", req,
                     ["y_true", "row 3", "third"])
        expect_error(cmd_prefix, tmp, "negweight.csv", "y_true,y_pred,sex,w\n1,0,M,1\n0,1,F,-2\n",
                     req + ["--weight", "w"], ["\"w\"", "row 2", "negative"])
        expect_error(cmd_prefix, tmp, "badscore.csv", "y_true,y_pred,sex,s\n1,0,M,0.5\n0,1,F,abc\n",
                     req + ["--score", "s"], ["\"s\"", "row 2", "not a number"])
        expect_error(cmd_prefix, tmp, "nocolumn.csv", "y_true,y_pred,gender\n1,0,M\n", req, ["\"sex\"", "not found"])
        expect_error(cmd_prefix, tmp, "empty.csv", "y_true,y_pred,sex\n", req, ["no data rows"])
        expect_error(cmd_prefix, tmp, "ragged.csv", "y_true,y_pred,sex\n1,0,M\n1,0\n", req, ["row 2"])
        expect_error(cmd_prefix, tmp, "poslabel.csv", "y_true,y_pred,sex\na,b,M\n", req, ["positive label"])

    print(f"{CHECKED[0]} values checked, {len(FAILURES)} mismatches")
    if FAILURES:
        print("FAILED: Senim and Fairlearn disagree (see MISMATCH lines above)", file=sys.stderr)
        return 1
    print("OK: Senim matches Fairlearn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
