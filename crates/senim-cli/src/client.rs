//! Client commands: talk to a running server with an API token.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};

use senim_client::{Client, SystemQuery};
use senim_domain::api::SystemDetail;
use senim_domain::{SystemInput, TokenScope, VersionInput};

#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The server's address.
    #[arg(long, env = "SENIM_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// An API token (`senim login` prints one).
    #[arg(long, env = "SENIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl ServerArgs {
    pub fn client(&self) -> anyhow::Result<Client> {
        // An empty token (`SENIM_TOKEN= senim ...`) asks as the public.
        let token = self.token.clone().filter(|t| !t.trim().is_empty());
        Ok(Client::new(&self.server, token)?)
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[arg(long)]
    email: String,
    /// Read the password from standard input (otherwise it is asked for).
    #[arg(long)]
    password_stdin: bool,
    /// The six digits your authenticator app shows, for an account that
    /// signs in with a second factor.
    #[arg(long)]
    code: Option<String>,
    /// Comma-separated scopes: read, write, admin.
    #[arg(long, value_delimiter = ',', default_value = "read,write")]
    scopes: Vec<TokenScope>,
    #[arg(long, default_value_t = 30)]
    days: i64,
}

#[derive(Args, Debug)]
pub struct SystemArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: SystemCommand,
}

#[derive(Subcommand, Debug)]
enum SystemCommand {
    /// Register a new AI system from a TOML (or .json) file.
    Register {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Save the audit log receipt of the registration to this file.
        #[arg(long)]
        receipt: Option<PathBuf>,
    },
    /// Add a version to a system from a file; starts from the current version unless --if-match is given.
    Update {
        id: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        if_match: Option<i64>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Save the audit log receipt of the new version to this file.
        #[arg(long)]
        receipt: Option<PathBuf>,
    },
    /// Search the register.
    List {
        #[arg(long)]
        sector: Option<String>,
        #[arg(long)]
        risk_level: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        organisation: Option<String>,
        /// Words in the name or documentation.
        #[arg(long)]
        q: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show a system and its current version.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Withdraw a system.
    Withdraw {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// List the systems that name your organisation (or ORGANISATION) as
    /// operator and await its answer.
    OperatorRequests {
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Answer, for your organisation, being named as a system's operator:
    /// `accept` (the system is then listed under it) or `refuse`.
    Operator {
        id: String,
        #[arg(value_parser = ["accept", "refuse"])]
        decision: String,
    },
}

pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let password = if args.password_stdin {
        crate::read_password_stdin()?
    } else {
        eprint!("Password for {}: ", args.email);
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    let client = args.server.client()?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "a terminal".into());
    let created = client
        .token_login(
            &args.email,
            &password,
            args.code.as_deref(),
            &format!("senim login on {host}"),
            args.scopes,
            Some(args.days),
        )
        .await?;
    eprintln!(
        "Token for {} (expires {}); use it as SENIM_TOKEN:",
        args.email, created.info.expires_at
    );
    println!("{}", created.token);
    Ok(())
}

fn print_detail(detail: &SystemDetail, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(detail)?),
        Format::Text => {
            let s = &detail.system;
            println!("{}  {}", s.id, s.name.get("en"));
            println!("  status:          {}", s.status);
            println!(
                "  risk level:      {}",
                s.risk_level
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "not classified yet".into())
            );
            println!(
                "  registry number: {}",
                s.registry_number.as_deref().unwrap_or("-")
            );
            println!("  owner:           {}", s.owner_organisation_id);
            if let Some(h) = s.holder_organisation_id {
                println!("  holder:          {h}");
            }
            let sectors: Vec<String> = s.sectors.iter().map(|x| x.to_string()).collect();
            println!("  sectors:         {}", sectors.join(", "));
            println!(
                "  version:         {} ({})",
                detail.version.version, detail.version.created_at
            );
            for (item, text) in detail.version.documentation.items() {
                if let Some(text) = text {
                    println!("  {}: {}", item.as_str(), text);
                }
            }
            for item in &detail.version.withheld {
                println!("  {}: (confidential)", item.as_str());
            }
        }
    }
    Ok(())
}

pub async fn system(args: SystemArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    match args.command {
        SystemCommand::Register {
            file,
            format,
            receipt,
        } => {
            let input: SystemInput = crate::read_document(&file)?;
            let created = client.register_system(&input).await?;
            print_detail(&created.value, format)?;
            if let Some(path) = receipt {
                crate::log::save_receipt(&client, created.receipt, &path).await?;
            }
        }
        SystemCommand::Update {
            id,
            file,
            if_match,
            format,
            receipt,
        } => {
            let input: VersionInput = crate::read_document(&file)?;
            let expected = match if_match {
                Some(v) => v,
                None => client
                    .system(&id)
                    .await?
                    .etag
                    .ok_or_else(|| anyhow!("the server sent no ETag for system {id}"))?,
            };
            let updated = client.add_version(&id, expected, &input).await?;
            print_detail(&updated.value, format)?;
            if let Some(path) = receipt {
                crate::log::save_receipt(&client, updated.receipt, &path).await?;
            }
        }
        SystemCommand::List {
            sector,
            risk_level,
            status,
            organisation,
            q,
            limit,
            format,
        } => {
            let query = SystemQuery {
                sector,
                risk_level,
                status,
                organisation,
                q,
                cursor: None,
                limit: Some(limit),
            };
            let page = client.systems(&query).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&page)?),
                Format::Text => {
                    for s in &page.items {
                        let sectors: Vec<String> =
                            s.sectors.iter().map(|x| x.to_string()).collect();
                        println!(
                            "{}  {:<10} {:<12} {}  [{}]",
                            s.id,
                            s.status.as_str(),
                            s.risk_level.map(|r| r.as_str()).unwrap_or("unclassified"),
                            s.name.get("en"),
                            sectors.join(", ")
                        );
                    }
                    println!("{} of {} systems", page.items.len(), page.total);
                }
            }
        }
        SystemCommand::Show { id, format } => {
            let detail = client.system(&id).await?;
            print_detail(&detail.value, format)?;
        }
        SystemCommand::Withdraw { id, reason } => {
            let detail = client.withdraw_system(&id, reason).await?;
            println!(
                "withdrew {} ({})",
                detail.system.id,
                detail.system.name.get("en")
            );
        }
        SystemCommand::OperatorRequests { organisation } => {
            let organisation = match organisation {
                Some(o) => o,
                None => client
                    .me()
                    .await?
                    .organisation_id
                    .map(|o| o.to_string())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "your account belongs to no organisation: give --organisation"
                        )
                    })?,
            };
            for r in client.operator_requests(&organisation).await? {
                println!(
                    "{}\t{}\tversion {}\tnamed {}",
                    r.system_id,
                    r.system_name.get("en"),
                    r.version,
                    r.requested_at.to_rfc3339()
                );
            }
        }
        SystemCommand::Operator { id, decision } => {
            let decision = if decision == "accept" {
                senim_domain::system::OperatorDecision::Accept
            } else {
                senim_domain::system::OperatorDecision::Refuse
            };
            let system = client.answer_operator(&id, decision).await?;
            println!(
                "{} {} ({})",
                if decision == senim_domain::system::OperatorDecision::Accept {
                    "now operating"
                } else {
                    "refused to operate"
                },
                system.id,
                system.name.get("en")
            );
        }
    }
    Ok(())
}
