//! Server configuration: a TOML file, then `SENIM_*` environment variables,
//! then command-line flags, each overriding the one before (the CLI does the
//! layering; this is the result).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Everything `senim serve` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where SQLite and files live when no database URL is given.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL instead of SQLite in `data_dir`
    /// (it may carry a password, so `Debug` does not print it).
    pub database_url: Option<Secret>,
    /// Load the demo on an empty database.
    pub demo: bool,
    /// The address people reach the server at; `https://` turns on Secure cookies.
    pub public_url: Option<String>,
    /// A Cedar policy file replacing the built-in policies.
    pub policy_file: Option<PathBuf>,
    /// How long a browser session lasts, in hours.
    pub session_hours: i64,
    /// The roles whose accounts sign in with a second factor after their
    /// password: a code from an authenticator app (TOTP, RFC 6238),
    /// enrolled at their first sign-in (issue 21). None by default; a
    /// deployment sets `["supervisor", "expert_reviewer", "auditor",
    /// "administrator"]`. An account that enrolled uses its code whatever
    /// its role.
    pub two_factor_roles: Vec<senim_domain::Role>,
    /// Whether people may sign in with a password (and ask for a link to
    /// choose one). A deployment whose people all sign in through an
    /// identity provider turns it off.
    pub passwords: bool,
    /// OpenID Connect identity providers people may sign in through
    /// (`[[identity_providers]]` in the configuration file; issue 21).
    pub identity_providers: Vec<crate::oidc::IdentityProvider>,
    /// The certification authorities whose electronic digital signatures
    /// are taken (`[eds]`; issue 21): signing in with one, signing
    /// decisions. None by default.
    pub eds: crate::eds::EdsConfig,
    /// `[witness]`: the logs this register witnesses (issue 22).
    pub witness: crate::witness::WitnessConfig,
    /// `[[log_witnesses]]`: the witnesses asked to cosign this register's
    /// own checkpoints (issue 22).
    pub log_witnesses: Vec<crate::cosigning::LogWitness>,
    /// How often the witnesses are sent the newest checkpoint, in
    /// milliseconds.
    pub cosign_interval_ms: u64,
    /// Connections for reads.
    pub read_connections: u32,
    /// The rule pack systems are classified under (its newest version).
    pub rule_pack: String,
    /// The audit log's signing key (`PRIVATE+KEY+...`); created there on
    /// first start if missing. Default: `log.key` in `data_dir`. Servers
    /// sharing one PostgreSQL database must share this key.
    pub log_key_file: Option<PathBuf>,
    /// The key that signs the Platform's course certificates (Open Badges
    /// 3.0), 32 bytes in hex; created there on first use if missing.
    /// Default: `badges.key` in `data_dir`. Servers sharing one PostgreSQL
    /// database must share this key, and a certificate is checked against
    /// it for as long as it stands: keep it with the log key.
    pub badge_key_file: Option<PathBuf>,
    /// The log's origin (the first line of every checkpoint), used to name
    /// a newly created key; an existing key keeps the name it has.
    pub log_origin: String,
    /// Audit log tiles kept in memory for proofs and tile requests (about
    /// 16 KiB each; a log of n entries has about n/256 tiles).
    pub log_tile_cache: usize,
    /// A working-day calendar (TOML: `holidays`, `working_weekends`,
    /// `weekend`) replacing the built-in Kazakh one.
    pub calendar_file: Option<PathBuf>,
    /// An SMTP relay (`host:port`) that notices are mailed through; none
    /// by default (notices stay in the inboxes).
    pub smtp: Option<String>,
    /// How the relay is spoken to: `opportunistic` (STARTTLS when offered),
    /// `starttls` (required), `tls` (from the first byte) or `none`.
    pub smtp_tls: SmtpTls,
    /// The relay's user name, when it asks for one (only with `starttls` or
    /// `tls`); the password is read from `smtp_password_file`.
    pub smtp_username: Option<String>,
    pub smtp_password_file: Option<PathBuf>,
    /// The sender of those mails.
    pub mail_from: String,
    /// The first wait before a failed mail is tried again, in seconds; it
    /// doubles with each failure, up to six hours.
    pub mail_retry_seconds: u64,
    /// Attempts before a mail becomes a dead letter.
    pub mail_attempts: u32,
    /// How often the outbox is looked at, in milliseconds.
    pub mail_poll_ms: u64,
    /// How often to look for registered systems whose annual risk review is overdue.
    pub review_sweep_minutes: u64,
    /// The largest file the data library accepts, in bytes.
    pub max_upload_bytes: u64,
    /// The value of one monthly calculation index (MCI), in KZT, that fines
    /// in MCI are converted with (4,325 in 2026; set each year by the budget law).
    pub mci_kzt: u64,
    /// Start on a database whose log is behind the last checkpoint this
    /// register published (a restore the operator decided on); see
    /// `StoreOptions::accept_rollback`: the reason announced (empty for the
    /// default). A flag of `senim serve`, for one start.
    #[serde(skip)]
    pub accept_rollback: Option<String>,
    /// Start read-only, even when the start-up checks fail, to investigate
    /// (`StoreOptions::read_only`): pages and reads are served, nothing is
    /// written, no sweep or mail runs. A flag of `senim serve`.
    #[serde(skip)]
    pub read_only: bool,
    /// Reports one address may file in an hour (the public intake needs no
    /// account); the authority's own accounts are not limited.
    pub reports_per_address_per_hour: u32,
    /// Reports everyone together may file in a minute.
    pub reports_per_minute: u32,
    /// The zero bits a report's proof of work must have (each bit doubles
    /// the work; 16 is about 65,000 hashes); 0 asks for none.
    pub report_proof_bits: u32,
    /// Reports everyone together may file in a minute without a proof of
    /// work (browsers without JavaScript, clients that do not solve it).
    pub reports_without_proof_per_minute: u32,
    /// The reverse proxies in front of the server (addresses or ranges such
    /// as `10.0.0.0/8`): from them, the client's address is read from
    /// `X-Forwarded-For`. Empty by default: the peer is the client.
    pub trusted_proxies: Vec<crate::auth::AddressRange>,
    /// An S3-compatible bucket for the data library's files (`[s3]` in the
    /// configuration file); a directory in `data_dir` when absent.
    pub s3: Option<S3Storage>,
    /// The calendar deadlines are counted on (loaded from `calendar_file`).
    #[serde(skip, default = "default_calendar")]
    pub calendar: senim_domain::Calendar,
}

/// How the SMTP relay is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same machine).
    None,
    /// STARTTLS when the relay offers it, plain otherwise.
    Opportunistic,
    /// STARTTLS, or no mail.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The built-in calendar: Kazakhstan's weekends and public holidays.
pub const DEFAULT_CALENDAR: &str = include_str!("../../../calendars/kz.toml");

/// Parses a calendar file's text.
pub fn parse_calendar(text: &str) -> Result<senim_domain::Calendar, String> {
    let spec: senim_domain::CalendarSpec = toml::from_str(text).map_err(|e| e.to_string())?;
    senim_domain::Calendar::new(&spec)
}

fn default_calendar() -> senim_domain::Calendar {
    parse_calendar(DEFAULT_CALENDAR).unwrap_or_else(|_| senim_domain::Calendar::weekends_only())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./senim-data"),
            database_url: None,
            demo: false,
            public_url: None,
            policy_file: None,
            session_hours: 12,
            two_factor_roles: Vec::new(),
            passwords: true,
            identity_providers: Vec::new(),
            eds: crate::eds::EdsConfig::default(),
            witness: crate::witness::WitnessConfig::default(),
            log_witnesses: Vec::new(),
            cosign_interval_ms: 5000,
            read_connections: 8,
            rule_pack: senim_rules::DEFAULT_PACK.to_string(),
            log_key_file: None,
            badge_key_file: None,
            log_origin: senim_store::DEFAULT_LOG_ORIGIN.to_string(),
            log_tile_cache: 4096,
            calendar_file: None,
            mci_kzt: 4325,
            max_upload_bytes: 10 * 1024 * 1024 * 1024,
            smtp: None,
            smtp_tls: SmtpTls::Opportunistic,
            smtp_username: None,
            smtp_password_file: None,
            mail_from: "senim@localhost".into(),
            mail_retry_seconds: 60,
            mail_attempts: 8,
            mail_poll_ms: 2000,
            review_sweep_minutes: 360,
            calendar: default_calendar(),
            s3: None,
            trusted_proxies: Vec::new(),
            accept_rollback: None,
            read_only: false,
            reports_per_address_per_hour: 10,
            reports_per_minute: 120,
            report_proof_bits: 18,
            reports_without_proof_per_minute: 10,
        }
    }
}

/// Where the library keeps its files when they go to S3-compatible storage
/// (AWS S3, MinIO, Garage, Ceph...). Credentials not given here are read
/// from the usual `AWS_*` environment variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Storage {
    pub bucket: String,
    /// The service's address, for storage other than AWS
    /// (`http://127.0.0.1:9000`); requests name the bucket in the path.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    /// Allow `http://` endpoints (a local test server).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl Config {
    /// The site's address as the certificates it issues name it:
    /// `public_url`, or the address it listens on.
    pub fn site_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None if self.bind.ip().is_unspecified() => {
                format!("http://localhost:{}", self.bind.port())
            }
            None => format!("http://{}", self.bind),
        }
    }

    /// Whether cookies must be marked Secure (the site is served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .map(|u| u.starts_with("https://"))
            .unwrap_or(false)
    }
}

/// A value `Debug` never prints: a password, a key, an address that may
/// carry credentials. [`Secret::expose`] is the one way to read it, so each
/// place that does is easy to find.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_configuration_never_prints_its_secrets() {
        let config: Config = toml::from_str(
            r#"
            database_url = "postgres://senim:db-password-123@db.example/senim"
            [s3]
            bucket = "library"
            access_key_id = "AKIAEXAMPLE"
            secret_access_key = "s3-secret-456"
            "#,
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("db-password-123"), "{shown}");
        assert!(!shown.contains("s3-secret-456"), "{shown}");
        assert!(
            shown.contains("library"),
            "the rest is still shown: {shown}"
        );
        assert_eq!(
            config.database_url.as_ref().map(Secret::expose),
            Some("postgres://senim:db-password-123@db.example/senim")
        );
    }
}
