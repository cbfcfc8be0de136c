//! The Platform's support programmes from a terminal: read programmes,
//! calls and awards; publish a programme or a call (a programme manager);
//! start an application (a developer); offer a resource (a provider),
//! exchange an award's credits for one (the awardee), report usage (the
//! provider); publish a course (a programme manager), enrol, download and
//! check a certificate. An application's, an allocation's and an
//! enrolment's later steps are
//! case steps: `senim case step ID submit_application`, `... admit`,
//! `... score marks='[{"criterion":"impact","mark":4,"reason":"..."}]'`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use senim_client::Method;

use crate::client::ServerArgs;

#[derive(Args, Debug)]
pub struct ProgrammeArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ProgrammeCommand,
}

#[derive(Subcommand, Debug)]
enum ProgrammeCommand {
    /// Every programme.
    List,
    /// A programme and its calls.
    Show { id: String },
    /// Create a programme of your organisation (a programme manager).
    Create {
        /// research_grant, compute, model_access, data_access, education or sandbox.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title_kk: Option<String>,
        #[arg(long)]
        title_ru: Option<String>,
        #[arg(long)]
        title_en: Option<String>,
    },
    /// Publish a call: its terms as TOML (docs/PROGRAMMES.md), its
    /// eligibility rules as another TOML file.
    PublishCall {
        programme: String,
        #[arg(long)]
        terms: PathBuf,
        #[arg(long)]
        eligibility: Option<PathBuf>,
    },
    /// A call's terms and figures.
    Call { id: String },
    /// A call's awards, as CSV.
    Awards { call: String },
    /// Start your organisation's application to a call: a TOML file with
    /// title, summary, sectors, requested and `[[answers]]` (question, value).
    Apply {
        call: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// The applications and extensions to decide (a programme manager).
    Managed,
    /// The Platform's resources: capacity, what is free, credits per unit.
    Resources,
    /// Offer a resource of your organisation (a resource provider, or a
    /// data steward for a restricted dataset): a TOML file with kind,
    /// title, unit, capacity, credits_per_unit, and dataset_id or a `[model]` table.
    Offer {
        #[arg(long)]
        file: PathBuf,
    },
    /// Exchange credits of your accepted award for a resource.
    Exchange {
        /// The application's case id.
        application: String,
        #[arg(long)]
        resource: String,
        #[arg(long)]
        units: i64,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        starts: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        ends: String,
    },
    /// The allocations an award bought.
    Allocations { application: String },
    /// The allocations of your organisation's resources (a provider).
    Provided,
    /// Report a day's usage of an allocation (a provider).
    Usage {
        allocation: String,
        #[arg(long)]
        day: String,
        #[arg(long)]
        units: i64,
        #[arg(long)]
        note: Option<String>,
    },
    /// The courses of the education programmes.
    Courses,
    /// Publish a course of an education programme (a programme manager): a
    /// TOML file with provider_organisation_id, title, syllabus, criteria,
    /// hours, language, seats and reviewer_sectors.
    PublishCourse {
        programme: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Make a course a condition of the reviewer pool for these sectors
    /// (comma-separated; empty for none): the authority's supervisors.
    RequireCourse {
        course: String,
        #[arg(long, default_value = "")]
        sectors: String,
    },
    /// Enrol in a course.
    Enrol { course: String },
    /// The enrolments in a course (its instructors, its programme's managers).
    Enrolments { course: String },
    /// Your own enrolments.
    MyEnrolments,
    /// Your certificate of a completed enrolment, as an Open Badges 3.0
    /// credential (JSON) on standard output.
    Certificate { enrolment: String },
    /// Check a certificate (an Open Badges 3.0 credential in a JSON file):
    /// the Platform's signature, its dates, and whether it was revoked.
    Verify { file: PathBuf },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn print(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn programme(args: ProgrammeArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    let get = |path: String| {
        let client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .send::<Value, Value>(Method::GET, &path, None, None)
                    .await?
                    .value,
            )
        }
    };
    let post = |path: String, body: Value| {
        let client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .send::<Value, Value>(Method::POST, &path, Some(&body), None)
                    .await?
                    .value,
            )
        }
    };
    match args.command {
        ProgrammeCommand::List => print(&get("/api/v1/programmes".into()).await?),
        ProgrammeCommand::Show { id } => print(&get(format!("/api/v1/programmes/{id}")).await?),
        ProgrammeCommand::Create {
            kind,
            title_kk,
            title_ru,
            title_en,
        } => print(
            &post(
                "/api/v1/programmes".into(),
                json!({"kind": kind, "title": {"kk": title_kk, "ru": title_ru, "en": title_en}}),
            )
            .await?,
        ),
        ProgrammeCommand::PublishCall {
            programme,
            terms,
            eligibility,
        } => {
            let mut body: toml::Table = toml::from_str(&read(&terms)?)
                .with_context(|| format!("{} is not TOML", terms.display()))?;
            if let Some(path) = eligibility {
                body.insert("eligibility".into(), toml::Value::String(read(&path)?));
            }
            let body = serde_json::to_value(body)?;
            print(&post(format!("/api/v1/programmes/{programme}/calls"), body).await?)
        }
        ProgrammeCommand::Call { id } => print(&get(format!("/api/v1/calls/{id}")).await?),
        ProgrammeCommand::Awards { call } => {
            let bytes = client
                .get_bytes(&format!("/api/v1/calls/{call}/awards?format=csv&limit=500"))
                .await?
                .unwrap_or_default();
            print!("{}", String::from_utf8_lossy(&bytes));
            Ok(())
        }
        ProgrammeCommand::Apply { call, file } => {
            let body: toml::Table = toml::from_str(&read(&file)?)
                .with_context(|| format!("{} is not TOML", file.display()))?;
            let body = serde_json::to_value(body)?;
            print(&post(format!("/api/v1/calls/{call}/applications"), body).await?)
        }
        ProgrammeCommand::Managed => print(&get("/api/v1/applications/managed".into()).await?),
        ProgrammeCommand::Resources => print(&get("/api/v1/platform-resources".into()).await?),
        ProgrammeCommand::Offer { file } => {
            let body: toml::Table = toml::from_str(&read(&file)?)
                .with_context(|| format!("{} is not TOML", file.display()))?;
            let body = serde_json::to_value(body)?;
            print(&post("/api/v1/platform-resources".into(), body).await?)
        }
        ProgrammeCommand::Exchange {
            application,
            resource,
            units,
            starts,
            ends,
        } => print(
            &post(
                format!("/api/v1/applications/{application}/allocations"),
                json!({"resource_id": resource, "units": units, "starts": starts, "ends": ends}),
            )
            .await?,
        ),
        ProgrammeCommand::Allocations { application } => {
            print(&get(format!("/api/v1/applications/{application}/allocations")).await?)
        }
        ProgrammeCommand::Provided => print(&get("/api/v1/allocations/provided".into()).await?),
        ProgrammeCommand::Usage {
            allocation,
            day,
            units,
            note,
        } => print(
            &post(
                format!("/api/v1/allocations/{allocation}/usage"),
                json!({"day": day, "units": units, "note": note}),
            )
            .await?,
        ),
        ProgrammeCommand::Courses => print(&get("/api/v1/courses".into()).await?),
        ProgrammeCommand::PublishCourse { programme, file } => {
            let body: toml::Table = toml::from_str(&read(&file)?)
                .with_context(|| format!("{} is not TOML", file.display()))?;
            let body = serde_json::to_value(body)?;
            print(&post(format!("/api/v1/programmes/{programme}/courses"), body).await?)
        }
        ProgrammeCommand::RequireCourse { course, sectors } => {
            let sectors: Vec<&str> = sectors
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let value = client
                .send::<Value, Value>(
                    Method::PUT,
                    &format!("/api/v1/courses/{course}/reviewer-sectors"),
                    Some(&json!({ "sectors": sectors })),
                    None,
                )
                .await?
                .value;
            print(&value)
        }
        ProgrammeCommand::Enrol { course } => {
            print(&post(format!("/api/v1/courses/{course}/enrolments"), json!({})).await?)
        }
        ProgrammeCommand::Enrolments { course } => {
            print(&get(format!("/api/v1/courses/{course}/enrolments")).await?)
        }
        ProgrammeCommand::MyEnrolments => print(&get("/api/v1/enrolments/mine".into()).await?),
        ProgrammeCommand::Certificate { enrolment } => {
            let bytes = client
                .get_bytes(&format!("/api/v1/enrolments/{enrolment}/certificate"))
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("no certificate: the enrolment is not completed, or not yours")
                })?;
            println!("{}", String::from_utf8_lossy(&bytes));
            Ok(())
        }
        ProgrammeCommand::Verify { file } => {
            let body: Value = serde_json::from_str(&read(&file)?)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            print(&post("/api/v1/certificates/verify".into(), body).await?)
        }
    }
}
