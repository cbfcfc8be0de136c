//! `senim admin`: the operator's tools, working on the database directly
//! (no server needed; safe while one runs). Every change is a command with
//! an event, exactly as through the API, recorded as done by the operator.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};

use senim_app::auth::{hash_password, random_secret, secret_hash, TOKEN_PREFIX};
use senim_domain::account::Password;
use senim_domain::{AccountInput, OrganisationId, OrganisationInput, Role, TokenId, TokenScope};
use senim_store::{
    AccountFilter, Actor, Applied, Command, NewToken, OrganisationFilter, Store, StoreOptions,
};

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Organisation(OrganisationCommand),
    /// Accounts and roles.
    #[command(subcommand)]
    Account(AccountCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Recompute every query table from the events of the audit log, in one
    /// transaction, and say whether anything differed. Sessions end.
    Rebuild,
    /// The mail the notices owe: how many wait, and the dead letters (mails
    /// that failed every attempt); `--retry` sends one (or, with `all`,
    /// every dead letter) again.
    Mail {
        #[arg(long, value_name = "ID|all")]
        retry: Option<String>,
    },
    /// Check the stored audit log against its newest signed checkpoint, as
    /// the server does before it starts, and say what is wrong.
    CheckLog,
    /// Copy the register into a new directory while the server runs: a
    /// consistent SQLite copy (`senim.db`), the newest checkpoint it holds
    /// (`checkpoint`) and the data library's files. The log key is not
    /// copied: keep it apart. PostgreSQL is backed up with `pg_dump`.
    Backup {
        /// A new (or empty) directory.
        dest: std::path::PathBuf,
    },
    /// Replace the key that signs the audit log's checkpoints: a checkpoint
    /// signed by the new key and the old one, then the new key alone; the old
    /// key is kept beside the key file as .retired-DATE-ID. Stop the
    /// servers first (docs/OPERATIONS.md, "Rotating the log key").
    RotateLogKey(crate::rotate::RotateArgs),
    /// Put a backup in the register's place (stop the server first): the
    /// backup is checked, the database in place is kept aside, and a
    /// rollback of the log behind the checkpoint published last is refused
    /// unless accepted, then recorded and announced. PostgreSQL: run
    /// `pg_restore` first, then this without a directory.
    Restore(crate::restore::RestoreArgs),
}

#[derive(Subcommand, Debug)]
enum OrganisationCommand {
    /// Register an organisation from a TOML or JSON file (name.kk/ru/en, bin, kind, size_class, contacts).
    Create {
        #[arg(long)]
        file: PathBuf,
    },
    /// List organisations.
    List {
        #[arg(long)]
        q: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A role: developer, expert_reviewer, supervisor, auditor, data_steward, administrator (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// The organisation (id or BIN), required for developers and data stewards.
        #[arg(long)]
        organisation: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's name, roles, organisation or password; what is not given is kept.
    Update {
        /// The account to change.
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// The complete new set of roles (repeat for several).
        #[arg(long = "role")]
        roles: Vec<Role>,
        /// The organisation (id or BIN).
        #[arg(long)]
        organisation: Option<String>,
        /// Read a new password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Withdraw an account: it can no longer sign in, its sessions and tokens end.
    Withdraw {
        #[arg(long)]
        email: String,
    },
    /// Remove an account's authenticator app (a lost phone): it signs in
    /// with its password alone, or enrols a new app at its next sign-in if
    /// its role requires a second factor. Its sessions end.
    ResetSecondFactor {
        #[arg(long)]
        email: String,
    },
    /// Link an identity to an account (issue 21): at an OpenID provider
    /// (`--provider` and `--subject`), the person then signs in through
    /// it; or an IIN (`--iin`), the person then signs in with the
    /// electronic digital signature whose certificate names it.
    LinkIdentity {
        #[arg(long)]
        email: String,
        /// The provider's `id` in the configuration.
        #[arg(long, requires = "subject", conflicts_with = "iin")]
        provider: Option<String>,
        /// The person's identifier at the provider (the claim the
        /// configuration names: `sub` by default).
        #[arg(long, requires = "provider")]
        subject: Option<String>,
        /// The person's IIN (twelve digits), as their EDS certificate
        /// names it.
        #[arg(long, required_unless_present = "provider")]
        iin: Option<String>,
    },
    /// List accounts.
    List {
        #[arg(long)]
        role: Option<Role>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create an API token for an account and print it (shown once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "senim admin")]
        name: String,
        /// Comma-separated: read, write, admin.
        #[arg(long, value_delimiter = ',', default_value = "read,write")]
        scopes: Vec<TokenScope>,
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
}

async fn open(args: &StoreArgs, check_log: bool) -> anyhow::Result<Store> {
    let config = args.config()?;
    let mut options = StoreOptions {
        read_connections: 2,
        check_log,
        ..senim_app::store_options(&config)?
    };
    if !check_log {
        // `check-log` checks a log's own integrity, also on a backup that
        // is behind what this register published since.
        options.published_checkpoint = None;
    }
    Ok(Store::open(options, Arc::new(senim_domain::SystemClock)).await?)
}

async fn account(store: &Store, email: &str) -> anyhow::Result<senim_domain::Account> {
    Ok(store
        .account_by_email(email)
        .await?
        .ok_or_else(|| anyhow!("no account with e-mail {email}"))?
        .0)
}

async fn organisation_id(store: &Store, text: &str) -> anyhow::Result<OrganisationId> {
    if let Ok(id) = text.parse::<OrganisationId>() {
        return Ok(id);
    }
    Ok(store
        .organisation_by_bin(text)
        .await
        .with_context(|| format!("no organisation with id or BIN `{text}`"))?
        .id)
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    // A rotation opens the store its own way (a lost key has no key file).
    if let AdminCommand::RotateLogKey(rotate) = args.command {
        return crate::rotate::run(&args.store, rotate).await;
    }
    // A restore checks the backup before it opens anything.
    if let AdminCommand::Restore(restore) = args.command {
        return crate::restore::run(&args.store, restore).await;
    }
    // `check-log` opens a store whose log may fail the check, to say why.
    // `check-log` checks itself; `rebuild` is the recovery from a failed
    // check (it trusts only the log, entry by entry), so neither is held
    // back by the start-up check.
    let checking = matches!(args.command, AdminCommand::CheckLog | AdminCommand::Rebuild);
    let store = open(&args.store, !checking).await?;
    let operator = Actor::operator();
    match args.command {
        AdminCommand::Backup { dest } => {
            if dest.exists() && std::fs::read_dir(&dest)?.next().is_some() {
                anyhow::bail!(
                    "{} is not empty: a backup goes to a new directory",
                    dest.display()
                );
            }
            std::fs::create_dir_all(&dest)
                .with_context(|| format!("cannot create {}", dest.display()))?;
            let started = std::time::Instant::now();
            let note = store.backup_into(&dest.join("senim.db")).await?;
            let copied = started.elapsed();
            let size = match &note {
                Some(note) => {
                    std::fs::write(dest.join("checkpoint"), note)?;
                    note.lines().nth(1).unwrap_or("0").to_string()
                }
                None => "0".to_string(),
            };
            // The library's files never change once stored (they are named
            // by their SHA-256): the ones present now cover the copy.
            let config = args.store.config()?;
            let files = match &config.s3 {
                None => copy_tree(&config.data_dir.join("library"), &dest.join("library"))?,
                Some(_) => 0,
            };
            let bytes = std::fs::metadata(dest.join("senim.db"))?.len();
            println!(
                "backed up the register at log size {size} in {:.1} s: {} ({:.1} MiB), its checkpoint in {}, {files} library files",
                copied.as_secs_f64(),
                dest.join("senim.db").display(),
                bytes as f64 / 1_048_576.0,
                dest.join("checkpoint").display(),
            );
            println!("the log key is not in the backup: keep it apart, with the same care");
        }
        AdminCommand::Mail { retry } => {
            if let Some(which) = retry {
                let id = (which != "all").then_some(which);
                if let Applied::Counted(n) =
                    store.execute(operator, Command::RetryMail { id }).await?
                {
                    println!("{n} dead letter(s) will be sent again by the server");
                }
            } else {
                println!("{} mail(s) wait to be sent", store.mail_waiting().await?);
                for d in store.dead_letters(1000).await? {
                    println!(
                        "{}\t{}\t{} attempt(s)\t{}\t{}",
                        d.id,
                        d.address,
                        d.attempts,
                        d.dead_at.to_rfc3339(),
                        d.last_error.unwrap_or_default()
                    );
                }
            }
        }
        AdminCommand::CheckLog => match store.check_log().await? {
            None => {
                let size = store.checkpoint().await?.map_or(0, |c| c.size);
                println!("the audit log holds its newest checkpoint's {size} entries, and its tree gives the signed root");
            }
            Some(problem) => anyhow::bail!("the audit log fails its check: {problem}"),
        },
        AdminCommand::Rebuild => {
            let before = store.fingerprint().await?;
            let applied = store.execute(operator, Command::Rebuild).await?;
            let after = store.fingerprint().await?;
            if let Applied::Rebuilt(events) = applied {
                println!("rebuilt the register from {events} events of the audit log");
            }
            let mut differed = Vec::new();
            for ((table, rows, digest), (_, rows_before, digest_before)) in
                after.iter().zip(&before)
            {
                let same = digest == digest_before;
                println!(
                    "  {table:<22} {rows:>9} rows  {}",
                    if same {
                        "as before".to_string()
                    } else {
                        format!("DIFFERED (had {rows_before} rows)")
                    }
                );
                if !same {
                    differed.push(table.clone());
                }
            }
            println!("  sessions ended: everyone signs in again");
            if !differed.is_empty() {
                anyhow::bail!(
                    "the tables {} did not match the log; they now follow it",
                    differed.join(", ")
                );
            }
        }
        AdminCommand::Organisation(OrganisationCommand::Create { file }) => {
            let input: OrganisationInput = crate::read_document(&file)?;
            let valid = input.parse()?;
            if let Applied::Organisation(org) = store
                .execute(operator, Command::CreateOrganisation(valid))
                .await?
            {
                println!("created organisation {} ({})", org.id, org.name.get("en"));
            }
        }
        AdminCommand::Organisation(OrganisationCommand::List { q }) => {
            let mut filter = OrganisationFilter {
                text: q,
                limit: 500,
                ..Default::default()
            };
            loop {
                let page = store.organisations(&filter).await?;
                for org in &page.items {
                    println!(
                        "{}  {}  {:<10} {}",
                        org.id,
                        org.bin,
                        org.status.as_str(),
                        org.name.get("en")
                    );
                }
                match page.next_after {
                    Some(after) => filter.after = Some(after),
                    None => break,
                }
            }
        }
        AdminCommand::Account(AccountCommand::Create {
            email,
            name,
            roles,
            organisation,
            password_stdin,
        }) => {
            let organisation_id = match organisation {
                Some(text) => Some(organisation_id(&store, &text).await?),
                None => None,
            };
            let (password, generated) = if password_stdin {
                (crate::read_password_stdin()?, false)
            } else {
                (random_secret(""), true)
            };
            let input = AccountInput {
                email,
                display_name: name,
                roles,
                organisation_id,
                password: Some(Password(password.clone())),
            };
            let valid = input.parse()?;
            let hash = hash_password(&password).map_err(|e| anyhow!("{}", e.message))?;
            let command = Command::CreateAccount {
                account: valid,
                password_hash: Some(hash),
            };
            if let Applied::Account(account) = store.execute(operator, command).await? {
                println!(
                    "created account {} <{}>",
                    account.id,
                    account.email.as_str()
                );
                if generated {
                    println!("password: {password}");
                }
            }
        }
        AdminCommand::Account(AccountCommand::Update {
            email,
            name,
            roles,
            organisation,
            password_stdin,
        }) => {
            let current = account(&store, &email).await?;
            let organisation_id = match organisation {
                Some(text) => Some(organisation_id(&store, &text).await?),
                None => current.organisation_id,
            };
            let password = if password_stdin {
                Some(crate::read_password_stdin()?)
            } else {
                None
            };
            let input = AccountInput {
                email: current.email.as_str().to_string(),
                display_name: name.unwrap_or(current.display_name.clone()),
                roles: if roles.is_empty() {
                    current.roles.clone()
                } else {
                    roles
                },
                organisation_id,
                password: password.clone().map(Password),
            };
            let valid = input.parse()?;
            let password_hash = match password {
                Some(p) => Some(hash_password(&p).map_err(|e| anyhow!("{}", e.message))?),
                None => None,
            };
            let command = Command::UpdateAccount {
                id: current.id,
                expected_revision: current.revision,
                account: valid,
                password_hash,
            };
            if let Applied::Account(account) = store.execute(operator, command).await? {
                let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "updated account {} <{}>: {}",
                    account.id,
                    account.email.as_str(),
                    roles.join(",")
                );
            }
        }
        AdminCommand::Account(AccountCommand::Withdraw { email }) => {
            let current = account(&store, &email).await?;
            let command = Command::WithdrawAccount {
                id: current.id,
                expected_revision: Some(current.revision),
            };
            store.execute(operator, command).await?;
            println!("withdrew account {} <{email}>", current.id);
        }
        AdminCommand::Account(AccountCommand::LinkIdentity {
            email,
            provider,
            subject,
            iin,
        }) => {
            let current = account(&store, &email).await?;
            let (provider, subject) = match (provider, subject, iin) {
                (_, _, Some(iin)) => {
                    if senim_domain::bin::Bin::parse(&iin).is_err() {
                        anyhow::bail!("--iin must be twelve digits with a right check digit");
                    }
                    (senim_app::eds::PROVIDER.to_string(), iin)
                }
                (Some(provider), Some(subject), None) => (provider, subject),
                _ => anyhow::bail!("give --provider and --subject, or --iin"),
            };
            if provider.trim().is_empty() || subject.trim().is_empty() {
                anyhow::bail!("--provider and --subject must not be empty");
            }
            store
                .execute(
                    operator.clone(),
                    Command::LinkIdentity {
                        provider: provider.clone(),
                        subject,
                        account_id: current.id,
                    },
                )
                .await?;
            println!(
                "linked {} <{email}> to an identity at {provider}",
                current.id
            );
        }
        AdminCommand::Account(AccountCommand::ResetSecondFactor { email }) => {
            let current = account(&store, &email).await?;
            store
                .execute(
                    operator.clone(),
                    Command::RemoveSecondFactor {
                        account_id: current.id,
                    },
                )
                .await?;
            println!("removed the authenticator app of {} <{email}>", current.id);
        }
        AdminCommand::Account(AccountCommand::List { role }) => {
            let mut filter = AccountFilter {
                role,
                limit: 500,
                ..Default::default()
            };
            loop {
                let page = store.accounts(&filter).await?;
                for a in &page.items {
                    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                    println!(
                        "{}  {:<32} {:<10} {}",
                        a.id,
                        a.email.as_str(),
                        a.status.as_str(),
                        roles.join(",")
                    );
                }
                match page.next_after {
                    Some(after) => filter.after = Some(after),
                    None => break,
                }
            }
        }
        // Run above, before the store opens.
        AdminCommand::RotateLogKey(_) | AdminCommand::Restore(_) => {}
        AdminCommand::Token(TokenCommand::Create {
            email,
            name,
            scopes,
            days,
        }) => {
            let account = account(&store, &email).await?;
            if !(1..=365).contains(&days) {
                return Err(anyhow!("--days must be between 1 and 365"));
            }
            let secret = random_secret(TOKEN_PREFIX);
            let token = NewToken {
                id: TokenId::generate(),
                account_id: account.id,
                name,
                scopes,
                expires_at: store.clock().now().plus_seconds(days * 86_400),
                token_hash: secret_hash(&secret),
            };
            store.execute(operator, Command::CreateToken(token)).await?;
            println!("{secret}");
        }
    }
    store.close().await;
    Ok(())
}

/// Copies the files under `from` into `to`, keeping the tree; how many.
/// Copies the files of `from` that `to` does not have yet (the library's
/// files are named by their content: one that exists is the same file),
/// and returns how many it copied.
pub(crate) fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<u64> {
    if !from.exists() {
        return Ok(0);
    }
    std::fs::create_dir_all(to)?;
    let mut count = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            count += copy_tree(&entry.path(), &target)?;
        } else if !target.exists() {
            std::fs::copy(entry.path(), &target)?;
            count += 1;
        }
    }
    Ok(count)
}
