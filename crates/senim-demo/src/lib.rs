//! The demo: six organisations, an account per role and 27 AI systems with
//! complete documentation, loaded on an empty database by `senim serve --demo`.
//!
//! The data is `demo/demo.toml` (fictional throughout). It goes through the
//! same commands as any other write, so the demo exercises validation and
//! leaves a complete event history. Passwords are random per installation and
//! kept in `demo-accounts.txt` in the data directory, so each start can print
//! them again.

mod allocations;
mod cases;
mod education;
mod programmes;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use senim_domain::account::{AccountInput, Password};
use senim_domain::organisation::{Contacts, OrganisationKind, SizeClass};
use senim_domain::system::DocumentationItem;
use senim_domain::{
    Documentation, LocalizedText, OrganisationInput, Profile, Role, VersionInput, Visibility,
};
use senim_store::{Actor, Applied, Command, Store};

use senim_app::auth::{hash_password, random_secret};

/// The demo data, compiled in.
pub const DEMO_TOML: &str = include_str!("../demo/demo.toml");

/// The demo library's small files (made by `demo/make_files.py`).
pub const DEMO_FILES: &[(&str, &[u8])] = &[
    (
        "traffic_counts_2023_sample.csv",
        include_bytes!("../demo/files/traffic_counts_2023_sample.csv"),
    ),
    (
        "water_pipes.csv",
        include_bytes!("../demo/files/water_pipes.csv"),
    ),
    (
        "snow_clearing_runs.csv",
        include_bytes!("../demo/files/snow_clearing_runs.csv"),
    ),
    (
        "citizen_requests_sample.csv",
        include_bytes!("../demo/files/citizen_requests_sample.csv"),
    ),
    (
        "metro_footfall_2024_04.parquet",
        include_bytes!("../demo/files/metro_footfall_2024_04.parquet"),
    ),
    (
        "emergency_admissions_sample.csv",
        include_bytes!("../demo/files/emergency_admissions_sample.csv"),
    ),
    (
        "chest_xray_labels.csv",
        include_bytes!("../demo/files/chest_xray_labels.csv"),
    ),
    (
        "bed_occupancy_2024q1.csv",
        include_bytes!("../demo/files/bed_occupancy_2024q1.csv"),
    ),
    (
        "guidelines_README.txt",
        include_bytes!("../demo/files/guidelines_README.txt"),
    ),
    (
        "sepsis_validation_sample.parquet",
        include_bytes!("../demo/files/sepsis_validation_sample.parquet"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    organisations: Vec<DemoOrganisation>,
    accounts: Vec<DemoAccount>,
    #[serde(default)]
    reviewers: Vec<DemoReviewer>,
    #[serde(default)]
    datasets: Vec<DemoDataset>,
    systems: Vec<DemoSystem>,
}

/// A demo dataset: its owner and steward by key and e-mail, the rest as
/// the API takes it.
#[derive(Debug, Deserialize)]
struct DemoDataset {
    organisation: String,
    steward: String,
    /// Files of [`DEMO_FILES`] the dataset holds.
    #[serde(default)]
    files: Vec<String>,
    #[serde(flatten)]
    metadata: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoReviewer {
    email: String,
    sectors: Vec<senim_domain::profile::Sector>,
    #[serde(default)]
    conflicts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrganisation {
    key: String,
    bin: String,
    kind: OrganisationKind,
    size_class: SizeClass,
    name: LocalizedText,
    #[serde(default)]
    contacts: Contacts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAccount {
    email: String,
    display_name: String,
    roles: Vec<Role>,
    #[serde(default)]
    organisation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSystem {
    key: String,
    owner: String,
    #[serde(default)]
    holder: Option<String>,
    /// The holder has not answered yet (the demo keeps one request open on
    /// its developer desk); otherwise it accepts at once.
    #[serde(default)]
    holder_pending: bool,
    name: LocalizedText,
    profile: Profile,
    documentation: Documentation,
    /// The documentation in Kazakh and Russian (`[systems.translations.kk]`).
    #[serde(default)]
    translations: senim_domain::system::Translations,
    #[serde(default)]
    visibility: BTreeMap<DocumentationItem, Visibility>,
}

/// A demo account and its password, printed at start.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// Why the demo could not load.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is invalid: {0}")]
    Data(String),
    #[error(transparent)]
    Store(#[from] senim_store::StoreError),
    #[error("cannot keep demo passwords in {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

const PASSWORD_FILE: &str = "demo-accounts.txt";

/// Loads the demo if the database is empty; returns the demo logins either
/// way (read back from the data directory when loaded earlier).
pub async fn load_if_empty(
    store: &Store,
    data_dir: &Path,
    rules: &senim_rules::RuleBook,
    config: &senim_app::Config,
) -> Result<Vec<DemoLogin>, DemoError> {
    let password_file = data_dir.join(PASSWORD_FILE);
    if !store.is_empty().await? {
        return Ok(read_logins(&password_file));
    }
    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(|e| DemoError::Data(e.to_string()))?;
    let operator = Actor::operator();
    let mut orgs = HashMap::new();
    for org in demo.organisations {
        let input = OrganisationInput {
            name: org.name,
            bin: org.bin,
            kind: org.kind,
            size_class: org.size_class,
            contacts: org.contacts,
        };
        let valid = input
            .parse()
            .map_err(|e| DemoError::Data(format!("organisation {}: {e}", org.key)))?;
        if let Applied::Organisation(created) = store
            .execute(operator.clone(), Command::CreateOrganisation(valid))
            .await?
        {
            orgs.insert(org.key, created.id);
        }
    }
    let lookup = |key: &str| {
        orgs.get(key)
            .copied()
            .ok_or_else(|| DemoError::Data(format!("unknown organisation key `{key}`")))
    };
    let mut logins = Vec::new();
    let mut developers = HashMap::new();
    for account in demo.accounts {
        let password = random_secret("");
        let organisation_id = account.organisation.as_deref().map(lookup).transpose()?;
        let input = AccountInput {
            email: account.email.clone(),
            display_name: account.display_name,
            roles: account.roles.clone(),
            organisation_id,
            password: Some(Password(password.clone())),
        };
        let valid = input
            .parse()
            .map_err(|e| DemoError::Data(format!("account {}: {e}", account.email)))?;
        let hash =
            hash_password(&password).map_err(|_| DemoError::Data("hashing failed".into()))?;
        let command = Command::CreateAccount {
            account: valid,
            password_hash: Some(hash),
        };
        if let Applied::Account(created) = store.execute(operator.clone(), command).await? {
            if let (Some(org), true) = (created.organisation_id, created.has_role(Role::Developer))
            {
                developers.entry(org).or_insert_with(|| Actor::of(&created));
            }
        }
        logins.push(DemoLogin {
            email: account.email,
            roles: account.roles,
            password,
        });
    }
    let mut created = Vec::new();
    for system in demo.systems {
        let owner = lookup(&system.owner)?;
        let holder = system.holder.as_deref().map(lookup).transpose()?;
        let holder_pending = system.holder_pending;
        let version = VersionInput {
            holder_organisation_id: holder,
            name: system.name,
            profile: system.profile,
            documentation: system.documentation,
            translations: system.translations,
            visibility: system.visibility,
            change_note: Some("Initial registration (demo data).".into()),
            datasets: Vec::new(),
        }
        .parse()
        .map_err(|e| DemoError::Data(format!("system {}: {e}", system.key)))?;
        // Registered by a developer of the owner, as in real life.
        let actor = developers
            .get(&owner)
            .cloned()
            .unwrap_or_else(Actor::operator);
        if let Applied::System { system, version } = store
            .execute(
                actor,
                Command::CreateSystem {
                    assessment: Some(senim_app::assess::assess_version(rules, &version)),
                    owner,
                    version,
                },
            )
            .await?
        {
            // The operator named accepts, as its developer would on the desk.
            let (system, version) = match holder {
                Some(h) if h != owner && !holder_pending => {
                    let answer = Command::AnswerOperator {
                        id: system.id,
                        organisation: h,
                        decision: senim_domain::system::OperatorDecision::Accept,
                    };
                    let actor = developers.get(&h).cloned().unwrap_or_else(Actor::operator);
                    match store.execute(actor, answer).await? {
                        Applied::System { system, version } => (system, version),
                        _ => (system, version),
                    }
                }
                _ => (system, version),
            };
            created.push((system, *version));
        }
    }
    for reviewer in &demo.reviewers {
        let (account, _) = store
            .account_by_email(&reviewer.email)
            .await?
            .ok_or_else(|| {
                DemoError::Data(format!("reviewer {} has no account", reviewer.email))
            })?;
        let conflicts = reviewer
            .conflicts
            .iter()
            .map(|k| lookup(k))
            .collect::<Result<Vec<_>, _>>()?;
        let profile = senim_domain::case::ReviewerProfile {
            account_id: account.id,
            sectors: reviewer.sectors.clone(),
            conflicts,
            active: true,
            updated_at: store.clock().now(),
        };
        store
            .execute(operator.clone(), Command::SetReviewer(profile))
            .await?;
    }
    let blobs = senim_app::blobs::Blobs::from_config(config)
        .map_err(|e| DemoError::Data(format!("the library's storage: {e}")))?;
    for dataset in &demo.datasets {
        let owner = lookup(&dataset.organisation)?;
        let (steward, _) = store
            .account_by_email(&dataset.steward)
            .await?
            .ok_or_else(|| DemoError::Data(format!("no steward {}", dataset.steward)))?;
        let metadata: senim_domain::DatasetInput = toml::Value::Table(dataset.metadata.clone())
            .try_into()
            .map_err(|e| DemoError::Data(format!("dataset: {e}")))?;
        let metadata = metadata
            .parse()
            .map_err(|e| DemoError::Data(format!("dataset: {e}")))?;
        let created = match store
            .execute(
                Actor::of(&steward),
                Command::CreateDataset { owner, metadata },
            )
            .await?
        {
            Applied::Dataset(d) => d,
            _ => return Err(DemoError::Data("dataset: unexpected answer".into())),
        };
        for name in &dataset.files {
            let bytes = DEMO_FILES
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| *b)
                .ok_or_else(|| DemoError::Data(format!("no demo file {name}")))?;
            let upload = senim_app::blobs::Upload {
                id: uuid::Uuid::now_v7().simple().to_string(),
                dataset_id: created.id,
                account_id: steward.id,
                name: name.clone(),
                media_type: senim_app::files::guess_media_type(name).to_string(),
                size: bytes.len() as u64,
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
                created_at: store.clock().now(),
            };
            let schema = blobs
                .put_whole(&upload, bytes::Bytes::from_static(bytes))
                .await
                .map_err(|e| DemoError::Data(format!("demo file {name}: {e}")))?;
            let resource = senim_domain::Resource {
                id: senim_domain::ResourceId::generate(),
                dataset_id: created.id,
                name: upload.name,
                media_type: upload.media_type,
                size: upload.size,
                sha256: upload.sha256,
                schema,
                created_at: upload.created_at,
            };
            store
                .execute(
                    Actor::of(&steward),
                    Command::AddResource(Box::new(resource)),
                )
                .await?;
        }
    }
    crate::cases::seed(store, rules, config, created).await?;
    crate::programmes::seed(store, config).await?;
    crate::education::seed(store, config).await?;
    write_logins(&password_file, &logins)?;
    Ok(logins)
}

fn write_logins(path: &Path, logins: &[DemoLogin]) -> Result<(), DemoError> {
    let mut text =
        String::from("# Senim demo accounts (generated at first start). Keep private.\n");
    for l in logins {
        let roles: Vec<&str> = l.roles.iter().map(|r| r.as_str()).collect();
        text.push_str(&format!(
            "{}\t{}\t{}\n",
            l.email,
            roles.join(","),
            l.password
        ));
    }
    let io = |source| DemoError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

fn read_logins(path: &Path) -> Vec<DemoLogin> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let email = parts.next()?.to_string();
            let roles = parts
                .next()?
                .split(',')
                .filter_map(|r| r.parse().ok())
                .collect();
            let password = parts.next()?.to_string();
            Some(DemoLogin {
                email,
                roles,
                password,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_file_parses_and_validates() {
        let demo: DemoFile = toml::from_str(DEMO_TOML).unwrap();
        assert_eq!(demo.organisations.len(), 7);
        assert!(demo.systems.len() >= 20);
        for org in demo.organisations {
            OrganisationInput {
                name: org.name,
                bin: org.bin,
                kind: org.kind,
                size_class: org.size_class,
                contacts: org.contacts,
            }
            .parse()
            .unwrap();
        }
        for s in demo.systems {
            let v = VersionInput {
                holder_organisation_id: None,
                name: s.name,
                profile: s.profile,
                documentation: s.documentation,
                translations: s.translations,
                visibility: s.visibility,
                change_note: None,
                datasets: Vec::new(),
            }
            .parse()
            .unwrap();
            assert!(
                v.documentation.items().iter().all(|(_, t)| t.is_some()),
                "{} lacks documentation",
                s.key
            );
            // Issue 20, item 2: the demo's documentation exists in the
            // state language and in Russian too, item for item.
            for lang in ["kk", "ru"] {
                let translated = v.translations.get(lang);
                assert_eq!(
                    translated.map(|d| d.filled_items()),
                    Some(v.documentation.filled_items()),
                    "{} lacks its {lang} documentation",
                    s.key
                );
            }
        }
    }
}
