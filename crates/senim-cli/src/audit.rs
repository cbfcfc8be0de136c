//! `senim audit metrics`: the algorithmic audit engine, offline. Reads a
//! predictions file (CSV or Parquet) as a stream and prints the
//! non-discrimination and performance metrics with Fairlearn's definitions
//! and names (see docs/METRICS.md).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use senim_fairness::{Bootstrap, Format, Options};

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Fairness and performance metrics from a predictions file, per group and overall.
    Metrics(MetricsArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Args)]
pub struct MetricsArgs {
    /// The predictions file: `.csv` or `.parquet` (or say which with --input-format).
    file: PathBuf,
    /// The column of true labels.
    #[arg(long)]
    y_true: String,
    /// The column of predicted labels.
    #[arg(long)]
    y_pred: String,
    /// The sensitive feature columns; several give intersectional groups.
    #[arg(long, value_delimiter = ',', required = true)]
    sensitive: Vec<String>,
    /// The column of sample weights (non-negative).
    #[arg(long)]
    weight: Option<String>,
    /// The column of scores, for ROC AUC.
    #[arg(long)]
    score: Option<String>,
    /// Control feature columns: every aggregate is given per stratum.
    #[arg(long, value_delimiter = ',')]
    control: Vec<String>,
    /// The positive label.
    #[arg(long, default_value = "1")]
    pos_label: String,
    /// The privileged group for AIF360's signed metrics, as COL=VALUE[,COL=VALUE].
    #[arg(long, value_delimiter = ',')]
    privileged: Vec<String>,
    /// Bootstrap confidence intervals with this many replicates.
    #[arg(long)]
    bootstrap: Option<u32>,
    /// The bootstrap's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The bootstrap's quantiles.
    #[arg(long, value_delimiter = ',', default_values_t = [0.025, 0.975])]
    ci: Vec<f64>,
    /// How to print the result.
    #[arg(long, value_enum, default_value = "table")]
    format: Output,
    /// The file's format when its name does not say: csv or parquet.
    #[arg(long)]
    input_format: Option<String>,
}

impl MetricsArgs {
    fn options(&self) -> anyhow::Result<Options> {
        let mut options = Options::new(&self.y_true, &self.y_pred, self.sensitive.clone());
        options.weight = self.weight.clone();
        options.score = self.score.clone();
        options.control = self.control.clone();
        options.pos_label = self.pos_label.clone();
        options.privileged = self
            .privileged
            .iter()
            .map(|pair| Options::privileged_pair(pair))
            .collect::<Result<_, _>>()?;
        options.bootstrap = self.bootstrap.map(|n| Bootstrap {
            n,
            seed: self.seed,
            quantiles: self.ci.clone(),
            ..Bootstrap::default()
        });
        Ok(options)
    }
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Metrics(m) => metrics(m),
    }
}

fn metrics(args: MetricsArgs) -> anyhow::Result<()> {
    let options = args.options()?;
    let format = match &args.input_format {
        Some(f) => Some(f.parse::<Format>()?),
        None => None,
    };
    let report = senim_fairness::compute_file(&args.file, format, &options)?;
    match args.format {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Table => print!("{}", report.to_table()),
    }
    Ok(())
}
