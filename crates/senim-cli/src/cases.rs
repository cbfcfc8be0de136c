//! The authority's work from a terminal: cases and their steps, reports,
//! the reviewer pool, inboxes, published decisions and trusted lists.
//!
//! Every step goes through one command, `senim case step ID ACTION
//! field=value ...`, so a step the server learns is usable here at once;
//! the others are shortcuts for what people do most.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use senim_client::Method;
use serde_json::{json, Map, Value};

use senim_client::{Client, Tagged};

use crate::client::{Format, ServerArgs};

#[derive(Args, Debug)]
pub struct CaseArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: CaseCommand,
}

#[derive(Subcommand, Debug)]
enum CaseCommand {
    /// Submit a system for registration (its owner).
    Submit {
        system: String,
        #[arg(long)]
        receipt: Option<PathBuf>,
    },
    /// Open an audit of a system and assign an auditor (a supervisor).
    Audit {
        #[arg(long)]
        system: String,
        #[arg(long)]
        auditor: String,
        /// planned or for_cause.
        #[arg(long, default_value = "planned")]
        basis: String,
    },
    /// Open an investigation of a system (a supervisor).
    Investigate {
        #[arg(long)]
        system: String,
        #[arg(long)]
        reasons: String,
    },
    /// Apply for a sector's trusted list (the owner of a registered high-risk system).
    ApplyList {
        #[arg(long)]
        system: String,
        #[arg(long)]
        sector: String,
        /// The closed audit whose report the application relies on.
        #[arg(long)]
        audit: String,
        /// The copyright certificate's number or the agreement's reference.
        #[arg(long)]
        copyright: String,
    },
    /// List cases: a queue, overdue first.
    List {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        state: Option<String>,
        /// Only open cases (the queues).
        #[arg(long)]
        open: bool,
        /// Only cases assigned to me.
        #[arg(long)]
        mine: bool,
        #[arg(long)]
        system: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show a case.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Open the dossier under review (after declaring, for a reviewer).
    Dossier { id: String },
    /// Take a step: `senim case step ID recommend verdict=register reasons="..."`.
    /// A value that parses as JSON (a number, true, a list) is sent as JSON.
    Step {
        id: String,
        action: String,
        /// field=value pairs of the step.
        fields: Vec<String>,
        /// The revision the step is decided on [default: the case's current one].
        #[arg(long)]
        revision: Option<i64>,
        #[arg(long)]
        receipt: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Mark every checklist item of a dossier satisfied (a declared reviewer).
    CheckAll {
        id: String,
        #[arg(long)]
        revision: Option<i64>,
    },
    /// Save an audit's report: its printable page (HTML), or with `--lang`
    /// the closed audit's report as a document (PDF/A-3b) in that language,
    /// with the audit log's receipt inside (`senim verify --document`).
    AuditReport {
        id: String,
        #[arg(long)]
        out: PathBuf,
        /// kk, ru or en: the document (PDF) in that language.
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// Report an incident, a complaint or a tip; no account needed. Prints the tracking code.
    File {
        /// incident, complaint or tip.
        #[arg(long = "type")]
        report_type: String,
        /// For a complaint: explanation, objection, refusal_to_interact or discrimination.
        #[arg(long)]
        ground: Option<String>,
        #[arg(long)]
        system: Option<String>,
        #[arg(long)]
        system_name: Option<String>,
        #[arg(long)]
        description: String,
        #[arg(long)]
        occurred_on: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Follow a report by its tracking code.
    Status { code: String },
}

#[derive(Args, Debug)]
pub struct ReviewerArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ReviewerCommand,
}

#[derive(Subcommand, Debug)]
enum ReviewerCommand {
    /// Put an expert reviewer in the pool, or change them (a supervisor).
    Set {
        account: String,
        #[arg(long, value_delimiter = ',')]
        sectors: Vec<String>,
        /// Organisations the reviewer has a standing conflict with.
        #[arg(long, value_delimiter = ',')]
        conflicts: Vec<String>,
        /// Take no new dossiers.
        #[arg(long)]
        inactive: bool,
    },
    /// The pool, with each reviewer's open dossiers.
    List,
}

#[derive(Args, Debug)]
pub struct InboxArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Only notices after this one (its id, the first column).
    #[arg(long)]
    after: Option<String>,
}

#[derive(Args, Debug)]
pub struct PublicArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: PublicCommand,
}

#[derive(Subcommand, Debug)]
enum PublicCommand {
    /// Published decisions: violations, sanctions, appeals.
    Decisions,
    /// A sector's list of trusted high-risk systems.
    TrustedList { sector: String },
}

async fn call(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
    if_match: Option<i64>,
) -> anyhow::Result<Tagged<Value>> {
    Ok(client.send(method, path, body, if_match).await?)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("-")
}

/// One line per case, then what matters for its kind.
fn print_case(case: &Value, format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        println!("{}", serde_json::to_string_pretty(case)?);
        return Ok(());
    }
    let due = case["deadline"]["due"].as_str().unwrap_or("-");
    let overdue = if case["overdue"] == true {
        " OVERDUE"
    } else {
        ""
    };
    println!(
        "{}  {:<13} {:<22} rev {}  due {due}{overdue}",
        text(case, "number"),
        text(case, "kind"),
        text(case, "state"),
        case["revision"]
    );
    println!("  id:      {}", text(case, "id"));
    println!("  system:  {}", text(case, "system_id"));
    if let Some(a) = case["assignees"].as_array().filter(|a| !a.is_empty()) {
        let ids: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
        println!("  assigned: {}", ids.join(", "));
    }
    if let Some(reg) = case.get("registration").filter(|r| !r.is_null()) {
        println!(
            "  version {} under {} {}: {} risk, {} reviewer(s) required",
            reg["version"],
            text(&reg["pack"], "id"),
            text(&reg["pack"], "version"),
            text(reg, "risk_level"),
            reg["reviewers_required"]
        );
    }
    if let Some(s) = case
        .pointer("/investigation/sanction")
        .filter(|s| !s.is_null())
    {
        println!(
            "  sanction: {} (fine {} MCI = {} KZT, repeat {}), appeal until {}",
            text(s, "kind"),
            s["fine_mci"],
            s["fine_kzt"],
            s["repeat"],
            text(s, "appeal_due")
        );
    }
    if let Some(findings) = case.pointer("/audit/findings").and_then(Value::as_array) {
        println!("  findings: {}", findings.len());
    }
    Ok(())
}

/// `field=value` pairs into a JSON object; values that parse as JSON stay JSON.
fn fields(action: &str, pairs: &[String]) -> anyhow::Result<Value> {
    let mut map = Map::new();
    map.insert("action".into(), Value::String(action.replace('-', "_")));
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("`{pair}` is not field=value"))?;
        let value = match serde_json::from_str::<Value>(value) {
            Ok(v) if !v.is_string() => v,
            _ => Value::String(value.to_string()),
        };
        map.insert(key.to_string(), value);
    }
    Ok(Value::Object(map))
}

async fn revision(client: &Client, id: &str, given: Option<i64>) -> anyhow::Result<i64> {
    match given {
        Some(r) => Ok(r),
        None => call(
            client,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await?
        .etag
        .ok_or_else(|| anyhow!("the server sent no ETag for case {id}")),
    }
}

async fn open(client: &Client, body: Value, receipt: Option<PathBuf>) -> anyhow::Result<()> {
    let created = call(client, Method::POST, "/api/v1/cases", Some(&body), None).await?;
    print_case(&created.value, Format::Text)?;
    if let Some(path) = receipt {
        crate::log::save_receipt(client, created.receipt, &path).await?;
    }
    Ok(())
}

pub async fn case(args: CaseArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    match args.command {
        CaseCommand::Submit { system, receipt } => {
            let body = json!({"kind": "registration", "system_id": system});
            open(&client, body, receipt).await
        }
        CaseCommand::Audit {
            system,
            auditor,
            basis,
        } => {
            let body =
                json!({"kind": "audit", "system_id": system, "auditor": auditor, "basis": basis});
            open(&client, body, None).await
        }
        CaseCommand::Investigate { system, reasons } => {
            let body = json!({"kind": "investigation", "system_id": system, "reasons": reasons});
            open(&client, body, None).await
        }
        CaseCommand::ApplyList {
            system,
            sector,
            audit,
            copyright,
        } => {
            let body = json!({"kind": "trusted_list", "system_id": system, "sector": sector,
                "audit_case": audit, "copyright": copyright});
            open(&client, body, None).await
        }
        CaseCommand::List {
            kind,
            state,
            open,
            mine,
            system,
            limit,
            format,
        } => {
            let mut query = vec![format!("limit={limit}")];
            for (key, value) in [("kind", kind), ("state", state), ("system", system)] {
                if let Some(v) = value {
                    query.push(format!("{key}={v}"));
                }
            }
            if open {
                query.push("open=true".into());
            }
            if mine {
                query.push("mine=true".into());
            }
            let page = call(
                &client,
                Method::GET,
                &format!("/api/v1/cases?{}", query.join("&")),
                None,
                None,
            )
            .await?
            .value;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&page)?),
                Format::Text => {
                    for case in page["items"].as_array().into_iter().flatten() {
                        print_case(case, Format::Text)?;
                    }
                    println!("{} case(s)", page["total"]);
                }
            }
            Ok(())
        }
        CaseCommand::Show { id, format } => {
            let case = call(
                &client,
                Method::GET,
                &format!("/api/v1/cases/{id}"),
                None,
                None,
            )
            .await?
            .value;
            print_case(&case, format)
        }
        CaseCommand::Dossier { id } => {
            let dossier = call(
                &client,
                Method::GET,
                &format!("/api/v1/cases/{id}/dossier"),
                None,
                None,
            )
            .await?
            .value;
            println!("{}", serde_json::to_string_pretty(&dossier)?);
            Ok(())
        }
        CaseCommand::Step {
            id,
            action,
            fields: pairs,
            revision: given,
            receipt,
            format,
        } => {
            let body = fields(&action, &pairs)?;
            let rev = revision(&client, &id, given).await?;
            let stepped = call(
                &client,
                Method::POST,
                &format!("/api/v1/cases/{id}/steps"),
                Some(&body),
                Some(rev),
            )
            .await?;
            print_case(&stepped.value, format)?;
            if let Some(path) = receipt {
                crate::log::save_receipt(&client, stepped.receipt, &path).await?;
            }
            Ok(())
        }
        CaseCommand::CheckAll {
            id,
            revision: given,
        } => {
            let current = call(
                &client,
                Method::GET,
                &format!("/api/v1/cases/{id}"),
                None,
                None,
            )
            .await?;
            let marks: Vec<Value> = current.value["registration"]["checklist"]
                .as_array()
                .ok_or_else(|| anyhow!("case {id} is not a registration dossier"))?
                .iter()
                .map(|c| json!({"item": c["item"], "mark": "satisfied"}))
                .collect();
            let rev = given
                .or(current.etag)
                .unwrap_or(current.value["revision"].as_i64().unwrap_or(0));
            let stepped = call(
                &client,
                Method::POST,
                &format!("/api/v1/cases/{id}/steps"),
                Some(&json!({"action": "check", "marks": marks})),
                Some(rev),
            )
            .await?;
            print_case(&stepped.value, Format::Text)
        }
        CaseCommand::AuditReport { id, out, lang } => {
            let path = match &lang {
                Some(lang) => format!("/api/v1/cases/{id}/audit-report/document?lang={lang}"),
                None => format!("/api/v1/cases/{id}/audit-report"),
            };
            let bytes = client
                .get_bytes(&path)
                .await?
                .ok_or_else(|| anyhow!("no audit {id}"))?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("audit report saved to {}", out.display());
            Ok(())
        }
    }
}

pub async fn report(args: ReportArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    match args.command {
        ReportCommand::File {
            report_type,
            ground,
            system,
            system_name,
            description,
            occurred_on,
            name,
            email,
            phone,
        } => {
            let mut body = json!({"type": report_type, "description": description});
            for (key, value) in [
                ("ground", ground),
                ("system_id", system),
                ("system_name", system_name),
                ("occurred_on", occurred_on),
            ] {
                if let Some(v) = value {
                    body[key] = Value::String(v);
                }
            }
            if name.is_some() || email.is_some() || phone.is_some() {
                body["contact"] = json!({"name": name, "email": email, "phone": phone});
            }
            let receipt = client.file_report(&body).await?.value;
            eprintln!(
                "Report {} received. Keep this tracking code to follow it:",
                text(&receipt, "number")
            );
            println!("{}", text(&receipt, "tracking_code"));
            Ok(())
        }
        ReportCommand::Status { code } => {
            let status = call(
                &client,
                Method::GET,
                &format!("/api/v1/reports/{code}"),
                None,
                None,
            )
            .await?
            .value;
            println!("{}", serde_json::to_string_pretty(&status)?);
            Ok(())
        }
    }
}

pub async fn reviewer(args: ReviewerArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    match args.command {
        ReviewerCommand::Set {
            account,
            sectors,
            conflicts,
            inactive,
        } => {
            let body = json!({"sectors": sectors, "conflicts": conflicts, "active": !inactive});
            let set = call(
                &client,
                Method::PUT,
                &format!("/api/v1/reviewers/{account}"),
                Some(&body),
                None,
            )
            .await?
            .value;
            println!("{}", serde_json::to_string_pretty(&set)?);
        }
        ReviewerCommand::List => {
            let pool = call(&client, Method::GET, "/api/v1/reviewers", None, None)
                .await?
                .value;
            for r in pool["items"].as_array().into_iter().flatten() {
                let sectors: Vec<&str> = r["sectors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                println!(
                    "{}  open dossiers {}  {}  [{}]",
                    text(r, "account_id"),
                    r["load"],
                    if r["active"] == true {
                        "active"
                    } else {
                        "inactive"
                    },
                    sectors.join(", ")
                );
            }
        }
    }
    Ok(())
}

pub async fn inbox(args: InboxArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    let inbox = call(
        &client,
        Method::GET,
        &match &args.after {
            Some(after) => format!("/api/v1/inbox?after={after}"),
            None => "/api/v1/inbox".to_string(),
        },
        None,
        None,
    )
    .await?
    .value;
    for n in inbox["items"].as_array().into_iter().flatten() {
        println!(
            "{}  {}  {:<36} {}",
            text(n, "id"),
            text(n, "created_at"),
            text(n, "kind"),
            text(n, "text")
        );
    }
    Ok(())
}

pub async fn public(args: PublicArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    let path = match &args.command {
        PublicCommand::Decisions => "/api/v1/decisions".to_string(),
        PublicCommand::TrustedList { sector } => format!("/api/v1/trusted-lists/{sector}"),
    };
    let value = call(&client, Method::GET, &path, None, None).await?.value;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

#[derive(Args, Debug)]
pub struct MeArgs {
    #[command(flatten)]
    server: ServerArgs,
}

/// Prints the account the token belongs to (its id, roles, organisation).
pub async fn me(args: MeArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    let me = call(&client, Method::GET, "/api/v1/accounts/me", None, None)
        .await?
        .value;
    println!("{}", serde_json::to_string_pretty(&me)?);
    Ok(())
}
