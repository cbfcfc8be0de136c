//! End-to-end tests of the engine on small files, one per semantic rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_fairness::{
    compute_bytes, compute_reader, Bootstrap, Error, Format, Options, Report, Value,
};

fn options(sensitive: &[&str]) -> Options {
    Options::new(
        "y_true",
        "y_pred",
        sensitive.iter().map(|s| s.to_string()).collect(),
    )
}

fn run(csv: &str, options: &Options) -> Report {
    compute_reader(csv.as_bytes(), Format::Csv, options).unwrap()
}

fn err(csv: &str, options: &Options) -> Error {
    compute_reader(csv.as_bytes(), Format::Csv, options).unwrap_err()
}

fn group<'a>(report: &'a Report, values: &[&str]) -> &'a [Value] {
    let stratum = &report.strata[0];
    let g = stratum
        .groups
        .iter()
        .position(|g| {
            g.values
                .iter()
                .map(|(_, v)| v.as_str())
                .eq(values.iter().copied())
        })
        .unwrap_or_else(|| panic!("group {values:?} not found"));
    &report.estimates.by_group[0][g]
}

fn metric(report: &Report, values: &[Value], name: &str) -> Option<f64> {
    let i = report
        .metrics
        .iter()
        .position(|m| m.name() == name)
        .unwrap();
    values[i].get()
}

const CLOSE: f64 = 1e-12;

#[test]
fn weighted_rates_and_selection() {
    let csv = "y_true,y_pred,w,sex\n1,1,2,F\n1,0,1,F\n0,1,0.5,F\n0,0,1.5,F\n1,1,1,M\n";
    let mut o = options(&["sex"]);
    o.weight = Some("w".into());
    let r = run(csv, &o);
    let f = group(&r, &["F"]);
    assert!((metric(&r, f, "selection_rate").unwrap() - 2.5 / 5.0).abs() < CLOSE);
    assert!((metric(&r, f, "true_positive_rate").unwrap() - 2.0 / 3.0).abs() < CLOSE);
    assert!((metric(&r, f, "false_positive_rate").unwrap() - 0.5 / 2.0).abs() < CLOSE);
    assert!((metric(&r, f, "precision_score").unwrap() - 2.0 / 2.5).abs() < CLOSE);
    assert!((metric(&r, f, "accuracy_score").unwrap() - 3.5 / 5.0).abs() < CLOSE);
    assert_eq!(metric(&r, f, "count"), Some(4.0));
    // M has no negatives: FPR is 0 (Fairlearn's nan_to_num), balanced accuracy = TPR.
    let m = group(&r, &["M"]);
    assert_eq!(metric(&r, m, "false_positive_rate"), Some(0.0));
    assert_eq!(metric(&r, m, "balanced_accuracy_score"), Some(1.0));
    assert!((r.value("demographic_parity_difference").unwrap() - 0.5).abs() < CLOSE);
}

#[test]
fn group_without_positives_and_without_predicted_positives() {
    let csv = "y_true,y_pred,g\n0,0,a\n0,0,a\n0,1,b\n1,0,b\n";
    let r = run(csv, &options(&["g"]));
    let a = group(&r, &["a"]);
    assert_eq!(metric(&r, a, "true_positive_rate"), Some(0.0));
    assert_eq!(metric(&r, a, "precision_score"), Some(0.0));
    assert_eq!(metric(&r, a, "balanced_accuracy_score"), Some(1.0));
}

#[test]
fn zero_weight_group_reports_only_its_count() {
    let csv = "y_true,y_pred,w,g\n1,1,0,a\n0,1,0,a\n1,1,1,b\n0,0,1,b\n";
    let mut o = options(&["g"]);
    o.weight = Some("w".into());
    let r = run(csv, &o);
    let a = group(&r, &["a"]);
    assert_eq!(metric(&r, a, "count"), Some(2.0));
    assert_eq!(metric(&r, a, "selection_rate"), None);
    assert_eq!(metric(&r, a, "true_positive_rate"), None);
    // Aggregates skip the undefined group.
    assert_eq!(r.value("group_min.selection_rate"), Some(0.5));
    let json = r.to_json();
    let reasons = json["undefined"].as_array().unwrap();
    assert!(reasons.iter().any(|u| u["reason"] == "zero_total_weight"));
}

#[test]
fn empty_and_quoted_group_values() {
    let csv = "y_true,y_pred,region\n1,1,\"North, \"\"Upper\"\"\"\n0,1,\n1,0,South\n";
    let r = run(csv, &options(&["region"]));
    let names: Vec<&str> = r.strata[0]
        .groups
        .iter()
        .map(|g| g.values[0].1.as_str())
        .collect();
    assert_eq!(names, vec!["", "North, \"Upper\"", "South"]);
    assert_eq!(metric(&r, group(&r, &[""]), "selection_rate"), Some(1.0));
}

#[test]
fn intersections_that_do_not_occur_are_absent() {
    let csv = "y_true,y_pred,a,b\n1,1,x,p\n0,1,y,q\n";
    let r = run(csv, &options(&["a", "b"]));
    assert_eq!(r.strata[0].groups.len(), 2);
}

#[test]
fn numeric_label_spellings_and_string_positive_label() {
    let csv = "y_true,y_pred,g\n1.0,1,a\n0,0.0,a\n 1 ,0,a\n";
    let r = run(csv, &options(&["g"]));
    assert_eq!(r.input.labels, vec!["0", "1"]);
    assert!((r.value("overall.true_positive_rate").unwrap() - 0.5).abs() < CLOSE);

    let csv = "y_true,y_pred,g\nyes,no,a\nno,no,a\nyes,yes,b\n";
    let mut o = options(&["g"]);
    o.pos_label = "no".into();
    let r = run(csv, &o);
    assert_eq!(r.value("overall.selection_rate"), Some(2.0 / 3.0));
}

#[test]
fn score_ties_and_single_class_auc() {
    let csv = "y_true,y_pred,s,g\n1,1,0.5,a\n0,1,0.5,a\n1,1,0.9,b\n1,0,0.1,b\n";
    let mut o = options(&["g"]);
    o.score = Some("s".into());
    let r = run(csv, &o);
    assert_eq!(metric(&r, group(&r, &["a"]), "roc_auc_score"), Some(0.5));
    assert_eq!(metric(&r, group(&r, &["b"]), "roc_auc_score"), None);
    // Overall: positives 0.5, 0.9, 0.1 vs negative 0.5 -> (0.5 + 1 + 0) / 3.
    assert!((r.value("overall.roc_auc_score").unwrap() - 0.5).abs() < CLOSE);
}

#[test]
fn control_features_stratify_overall_and_aggregates() {
    let csv = "y_true,y_pred,sex,region\n1,1,F,n\n0,0,M,n\n1,1,F,s\n0,1,M,s\n1,0,M,s\n";
    let mut o = options(&["sex"]);
    o.control = vec!["region".into()];
    let r = run(csv, &o);
    assert_eq!(r.strata.len(), 2);
    let per: Vec<(String, Option<f64>)> = r
        .values("demographic_parity_difference")
        .into_iter()
        .map(|(control, v)| (control[0].1.clone(), v.get()))
        .collect();
    assert_eq!(
        per,
        vec![("n".to_string(), Some(1.0)), ("s".to_string(), Some(0.5))]
    );
    assert_eq!(r.estimates.overall[1][0], Value::Number(3.0));
    // to_overall compares with the stratum's overall.
    let s_overall_sr = 2.0 / 3.0;
    let to_overall = r.values("demographic_parity_difference.to_overall")[1]
        .1
        .get()
        .unwrap();
    assert!((to_overall - (1.0 - s_overall_sr)).abs() < CLOSE);
}

#[test]
fn aif360_with_conjunctive_privileged_group() {
    let csv = "y_true,y_pred,sex,age\n1,1,M,old\n0,1,M,old\n1,0,M,young\n0,0,F,old\n1,1,F,old\n";
    let mut o = options(&["sex", "age"]);
    o.privileged = vec![("sex".into(), "M".into()), ("age".into(), "old".into())];
    let r = run(csv, &o);
    // Privileged: 2 rows, SR 1; unprivileged: 3 rows, SR 1/3.
    assert!((r.value("statistical_parity_difference").unwrap() - (1.0 / 3.0 - 1.0)).abs() < CLOSE);
    assert!((r.value("disparate_impact").unwrap() - 1.0 / 3.0).abs() < CLOSE);
    assert_eq!(
        r.to_json()["aif360"][0]["four_fifths_rule"]["violated"],
        true
    );
}

#[test]
fn errors_name_column_and_row() {
    let o = options(&["g"]);
    match err("y_true,y_pred,g\n1,0,a\n0,2,a\n", &o) {
        Error::NonBinaryLabels { column, row, .. } => {
            assert_eq!((column.as_str(), row), ("y_pred", 2))
        }
        e => panic!("{e}"),
    }
    let mut w = options(&["g"]);
    w.weight = Some("w".into());
    assert!(matches!(
        err("y_true,y_pred,g,w\n1,0,a,1\n1,0,a,-1\n", &w),
        Error::NegativeWeight { row: 2, .. }
    ));
    assert!(matches!(
        err("y_true,y_pred,g,w\n1,0,a,x\n", &w),
        Error::InvalidNumber { row: 1, .. }
    ));
    assert!(matches!(
        err("y_true,y_pred,g,w\n1,0,a,\n", &w),
        Error::MissingNumber { row: 1, .. }
    ));
    let mut s = options(&["g"]);
    s.score = Some("s".into());
    assert!(matches!(
        err("y_true,y_pred,g,s\n1,0,a,NaN\n", &s),
        Error::NonFiniteNumber { row: 1, .. }
    ));
    assert!(matches!(
        err("y_true,y_pred,h\n1,0,a\n", &o),
        Error::MissingColumn { .. }
    ));
    assert!(matches!(err("y_true,y_pred,g\n", &o), Error::EmptyFile));
    assert!(matches!(err("", &o), Error::EmptyFile));
    assert!(matches!(
        err("y_true,y_pred,g\n,1,a\n", &o),
        Error::MissingLabel { row: 1, .. }
    ));
    assert!(matches!(
        err("y_true,y_pred,g\n1,0,a\n1,0\n", &o),
        Error::Csv { row: 2, .. }
    ));
    assert!(matches!(
        err("y_true,y_pred,g,g\n1,0,a,b\n", &o),
        Error::DuplicateColumn { .. }
    ));
    let mut p = options(&["g"]);
    p.privileged = vec![("other".into(), "x".into())];
    assert!(matches!(
        err("y_true,y_pred,g\n1,0,a\n", &p),
        Error::InvalidOption { .. }
    ));
}

#[test]
fn bootstrap_is_reproducible_and_brackets_the_estimate() {
    let mut csv = String::from("y_true,y_pred,s,g\n");
    for i in 0..400 {
        let t = (i * 7 % 5) < 2;
        let p = (i * 3 % 7) < 3;
        csv.push_str(&format!(
            "{},{},{},{}\n",
            u8::from(t),
            u8::from(p),
            (i % 13) as f64 / 13.0,
            ["a", "b"][i % 2]
        ));
    }
    let mut o = options(&["g"]);
    o.score = Some("s".into());
    o.bootstrap = Some(Bootstrap {
        n: 200,
        seed: 9,
        ..Bootstrap::default()
    });
    let a = run(&csv, &o);
    let b = run(&csv, &o);
    assert_eq!(a.bootstrap, b.bootstrap);
    let boot = a.bootstrap.as_ref().unwrap();
    assert_eq!(boot.scheme.code(), "row_resampling");
    let sr = a.value("overall.selection_rate").unwrap();
    let ci = &boot.intervals.overall[0][1];
    assert!(ci[0].unwrap() <= sr && sr <= ci[1].unwrap());
    assert!(
        boot.intervals.overall[0].last().unwrap()[0].is_some(),
        "roc_auc interval"
    );

    o.bootstrap = Some(Bootstrap {
        n: 200,
        seed: 9,
        row_resampling_limit: 0,
        ..Bootstrap::default()
    });
    let c = run(&csv, &o);
    let boot = c.bootstrap.as_ref().unwrap();
    assert_eq!(boot.scheme.code(), "cell_multinomial");
    let ci = &boot.intervals.overall[0][1];
    assert!(ci[0].unwrap() <= sr && sr <= ci[1].unwrap());
    assert_eq!(
        boot.intervals.overall[0].last().unwrap()[0],
        None,
        "no roc_auc interval"
    );
    assert_eq!(
        boot.intervals.overall[0][0],
        vec![Some(400.0), Some(400.0)],
        "count is fixed"
    );
}

#[test]
fn parquet_matches_csv() {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let y_true: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1, 0, 1]));
    let y_pred: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 1.0, 0.0, 0.0, 1.0]));
    let sex: ArrayRef = Arc::new(StringArray::from(vec![
        Some("F"),
        Some("M"),
        None,
        Some("F"),
        Some("M"),
    ]));
    let w: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 0.5, 1.0, 3.0]));
    let batch = RecordBatch::try_from_iter(vec![
        ("y_true", y_true),
        ("y_pred", y_pred),
        ("sex", sex),
        ("w", w),
    ])
    .unwrap();
    let mut buffer = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut buffer, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let mut o = options(&["sex"]);
    o.weight = Some("w".into());
    let from_parquet = compute_bytes(buffer.into(), Format::Parquet, &o).unwrap();
    let csv = "y_true,y_pred,sex,w\n1,1,F,1\n0,1,M,2\n1,0,,0.5\n0,0,F,1\n1,1,M,3\n";
    let from_csv = run(csv, &o);
    assert_eq!(from_parquet.estimates, from_csv.estimates);
    assert_eq!(from_parquet.strata, from_csv.strata);
}

#[test]
fn json_has_the_documented_top_level_keys() {
    let r = run("y_true,y_pred,g\n1,1,a\n0,1,b\n", &options(&["g"]));
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "engine",
        "input",
        "metrics",
        "overall",
        "by_group",
        "group_min",
        "group_max",
        "difference",
        "ratio",
        "fairlearn",
        "aif360",
        "bootstrap",
        "undefined",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["by_group"][0]["group"]["g"], "a");
    assert!(r.to_table().contains("demographic_parity_difference"));
}
