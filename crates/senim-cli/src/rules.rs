//! Offline rule-pack commands: no server, no database.
//!
//! `senim classify` applies a pack to a profile file; `senim rules check`
//! runs the checker on pack files; `senim rules diff` lists the profiles whose
//! outcome differs between two packs.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand, ValueEnum};

use senim_domain::Profile;
use senim_rules::{Classification, Lang, RuleBook, RulePack, DEFAULT_PACK};

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// A profile: a TOML or JSON file with the profile's fields, or with a
    /// `[profile]` table (a system registration file works as it is).
    #[arg(long)]
    profile: PathBuf,
    /// A built-in pack id (kz-seed-2025, kz-230-viii, eu-ai-act) or a pack file.
    #[arg(long, default_value = DEFAULT_PACK)]
    pack: String,
    #[arg(long, default_value = "en")]
    lang: Lang,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Check pack files: unknown fields or values, rules that can never fire,
    /// missing translations or citations, each with its line.
    Check { files: Vec<PathBuf> },
    /// List the profiles whose outcome differs between two packs.
    Diff {
        pack_a: String,
        pack_b: String,
        /// A directory of profile files (or system or case files with a `[profile]` table).
        #[arg(long)]
        profiles: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// The built-in packs.
    List,
}

/// A built-in pack by id, or a pack file.
pub fn load_pack(spec: &str) -> anyhow::Result<RulePack> {
    let book = RuleBook::built_in(DEFAULT_PACK)?;
    if let Some(pack) = book.latest(spec) {
        return Ok(pack.clone());
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(anyhow!(
            "no built-in pack `{spec}` and no such file; built-in packs: {}",
            book.ids().join(", ")
        ));
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {spec}"))?;
    Ok(RulePack::parse(&text, spec)?)
}

/// Reads a profile from a file: bare, or under `[profile]`.
pub fn read_profile(path: &Path) -> anyhow::Result<Profile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = if path.extension().map(|e| e == "json").unwrap_or(false) {
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?
    } else {
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
        serde_json::to_value(table)?
    };
    let profile = value.get("profile").cloned().unwrap_or(value);
    let profile: Profile = serde_path_to_error::deserialize(profile)
        .map_err(|e| anyhow!("{}: profile.{}: {}", path.display(), e.path(), e.inner()))?;
    Ok(profile.parse_alone()?)
}

fn print_classification(c: &Classification) {
    println!(
        "{} {} — risk level: {}",
        c.pack.id, c.pack.version, c.risk_level
    );
    println!("  autonomy: {}", c.autonomy);
    if !c.prohibited_practices.is_empty() {
        println!(
            "  prohibited practices: {}",
            c.prohibited_practices.join(", ")
        );
    }
    println!(
        "  registration required: {}; preliminary expert review: {}",
        if c.registration_required { "yes" } else { "no" },
        if c.expert_review_required {
            format!("yes, {} independent reviewer(s)", c.reviewers)
        } else {
            "no".to_string()
        }
    );
    println!("  why:");
    for r in &c.rationale {
        println!(
            "    - {} [{}: {}]",
            r.text, r.citation.id, r.citation.source
        );
    }
    if !c.obligations.is_empty() {
        println!("  obligations:");
        for o in &c.obligations {
            println!("    - {} [{}]", o.title, o.citation.source);
        }
    }
    let docs: Vec<&str> = c
        .documentation_required
        .iter()
        .map(|d| d.as_str())
        .collect();
    println!("  documentation required: {}", docs.join(", "));
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<()> {
    let pack = load_pack(&args.pack)?;
    let profile = read_profile(&args.profile)?;
    let classification = pack.explain(&pack.classify(&profile), args.lang);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&classification)?),
        Format::Text => print_classification(&classification),
    }
    Ok(())
}

fn profile_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .map(|e| e == "toml" || e == "json")
                .unwrap_or(false)
        })
        .collect();
    files.sort();
    Ok(files)
}

pub fn rules(args: RulesArgs) -> anyhow::Result<()> {
    match args.command {
        RulesCommand::Check { files } => {
            if files.is_empty() {
                return Err(anyhow!("give one or more pack files"));
            }
            let mut failed = 0;
            for file in &files {
                let name = file.display().to_string();
                let text =
                    std::fs::read_to_string(file).with_context(|| format!("cannot read {name}"))?;
                match RulePack::parse(&text, &name) {
                    Ok(pack) => println!(
                        "{name}: ok ({} {}, {} rules)",
                        pack.id,
                        pack.version,
                        pack.summary().rules
                    ),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{e}");
                    }
                }
            }
            if failed > 0 {
                return Err(anyhow!("{failed} of {} pack(s) have problems", files.len()));
            }
            Ok(())
        }
        RulesCommand::Diff {
            pack_a,
            pack_b,
            profiles,
            format,
        } => {
            let a = load_pack(&pack_a)?;
            let b = load_pack(&pack_b)?;
            let mut differences = Vec::new();
            let files = profile_files(&profiles)?;
            for file in &files {
                let profile = read_profile(file)?;
                if let Some(change) = a.classify(&profile).change_to(&b.classify(&profile)) {
                    differences.push((file.display().to_string(), change));
                }
            }
            match format {
                Format::Json => {
                    let out: Vec<serde_json::Value> = differences
                        .iter()
                        .map(|(f, c)| serde_json::json!({"profile": f, "change": c}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&out)?);
                }
                Format::Text => {
                    for (file, c) in &differences {
                        println!(
                            "{file}: {} -> {}{}{}",
                            c.from_risk_level,
                            c.to_risk_level,
                            if c.rules_added.is_empty() {
                                String::new()
                            } else {
                                format!("; now fires: {}", c.rules_added.join(", "))
                            },
                            if c.rules_removed.is_empty() {
                                String::new()
                            } else {
                                format!("; no longer fires: {}", c.rules_removed.join(", "))
                            },
                        );
                    }
                    println!(
                        "{} of {} profiles differ between {} {} and {} {}",
                        differences.len(),
                        files.len(),
                        a.id,
                        a.version,
                        b.id,
                        b.version
                    );
                }
            }
            Ok(())
        }
        RulesCommand::List => {
            let book = RuleBook::built_in(DEFAULT_PACK)?;
            for p in book.all() {
                println!(
                    "{:<14} {:<7} {:<3} effective {}  {}",
                    p.id, p.version, p.jurisdiction, p.effective, p.title.en
                );
            }
            Ok(())
        }
    }
}
